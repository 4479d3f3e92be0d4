// Venue + AccountStream for one account, chosen by config.venue.kind.
import { Effect, Layer } from "effect"
import type { AccountStream } from "../venue/AccountStream.ts"
import type { Venue } from "../venue/Venue.ts"
import type { VenueError } from "../venue/errors.ts"
import type { BusError } from "../bus/errors.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import { RedisTxBudget } from "../venue/TxBudget.ts"
import type { HedgeflowConfig } from "../ops/config.ts"
import { LighterAccountStream } from "../venue/lighter/LighterAccountStream.ts"
import { LighterVenue } from "../venue/lighter/LighterVenue.ts"
import { SimulatorSigner } from "../venue/lighter/signer.ts"
import type { Role } from "./process.ts"

export class VenueConfigError extends Error {
  readonly _tag = "VenueConfigError"
}

const failLayer = (message: string): Layer.Layer<Venue | AccountStream, VenueConfigError> =>
  Layer.unwrap(Effect.fail(new VenueConfigError(message)))

export const venueLayers = (role: Role, config: HedgeflowConfig): Layer.Layer<Venue | AccountStream, VenueConfigError | VenueError | BusError> => {
  if (config.venue.kind === "memory") {
    return failLayer(
      'venue.kind "memory" exists only inside one process: run `bin/hedge demo --venue memory`, or set venue.kind: simulator'
    )
  }
  if (config.venue.kind === "lighter") {
    return failLayer("venue.kind lighter needs the official Lighter signer, which is not built in yet; use venue.kind: simulator")
  }
  const account = role === "a" ? config.accounts.a : config.accounts.b
  const signer = SimulatorSigner.layer({ accountIndex: account.accountIndex, apiKeyIndex: account.apiKeyIndex })
  const venue = LighterVenue.layer({
    baseUrl: config.venue.baseUrl,
    wsUrl: config.venue.wsUrl,
    accountIndex: account.accountIndex,
    apiKeyIndex: account.apiKeyIndex
  })
  const stream = LighterAccountStream.layer({
    baseUrl: config.venue.baseUrl,
    wsUrl: config.venue.wsUrl,
    accountIndex: account.accountIndex,
    reconnectBaseMs: config.connection.reconnectBaseDelayMs,
    reconnectMaxMs: config.connection.reconnectMaxDelayMs
  })
  const budget = RedisTxBudget.layer({ key: config.budget.key, txPerMinute: config.budget.txPerMinute, hedgeReserve: config.budget.hedgeReserve }).pipe(
    Layer.provide(RedisConnection.layer({
      ...RedisConnection.optionsFromUrl(config.redis.url, 3000),
      ...(config.redis.username !== undefined ? { username: config.redis.username } : {}),
      ...(config.redis.password !== undefined ? { password: config.redis.password } : {})
    }))
  )
  return Layer.mergeAll(venue, stream).pipe(Layer.provide(signer), Layer.provide(budget))
}
