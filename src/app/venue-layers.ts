// Venue + AccountStream for one account, chosen by config.settings.venue.kind.
import { Effect, Layer } from "effect"
import type { AccountStream } from "../venue/AccountStream.ts"
import type { Venue } from "../venue/Venue.ts"
import type { VenueError } from "../venue/errors.ts"
import type { BusError } from "../bus/errors.ts"
import type { RedisConnection } from "../bus/redis/connection.ts"
import { redisConnectionLayer, redisOptionsOf } from "./bus-layers.ts"
import { RedisTxBudget } from "../bus/redis/tx-budget.ts"
import type { HedgeflowConfig } from "../config/load.ts"
import { dryRunVenueLayer } from "../venue/dry-run.ts"
import { LighterAccountStream } from "../venue/lighter/LighterAccountStream.ts"
import { LighterVenue } from "../venue/lighter/LighterVenue.ts"
import { chainIdFor, LighterSigner, type SignerKeyError } from "../venue/lighter/signer.ts"
import type { Role } from "../domain/role.ts"

export class VenueConfigError extends Error {
  readonly _tag = "VenueConfigError"
}

const failLayer = (message: string): Layer.Layer<Venue | AccountStream, VenueConfigError> =>
  Layer.unwrap(Effect.fail(new VenueConfigError(message)))

/** Where account `role`'s private key comes from, for messages. */
export const keySourceOf = (role: Role, config: HedgeflowConfig): string =>
  `${config.accounts[role].privateKeyEnv} (or the file named in accounts.account_${role}.private_key_file)`

/** What to set when account `role` has no private key: the variable and the config key. */
export const missingKeyAdvice = (role: Role, config: HedgeflowConfig): string =>
  `set ${config.accounts[role].privateKeyEnv} in the environment, or name a key file (chmod 600) in accounts.account_${role}.private_key_file ` +
  `(a new key: \`bin/hedge keys generate\`)`

/** The message when account `role` has no private key. */
export const missingKeyMessage = (role: Role, config: HedgeflowConfig): string => {
  const acc = config.accounts[role]
  return `account ${role.toUpperCase()} (${acc.name}, index ${acc.accountIndex}, API key ${acc.apiKeyIndex}) has no private key: ${missingKeyAdvice(role, config)}`
}

/**
 * The chain id the signer uses: lighter.chain_id, else venue.network's (304 mainnet, 300 testnet;
 * config.ts resolves both into config.venue.chainId), else 300 for a testnet URL and 304 otherwise.
 */
export const chainIdOf = (config: HedgeflowConfig): number => chainIdFor(config.venue.baseUrl, config.venue.chainId)

/** Account `role`'s signer, from its private key and the chain id. */
export const signerLayer = (role: Role, config: HedgeflowConfig, options: { readonly txTtlMs?: number } = {}) => {
  const account = config.accounts[role]
  return LighterSigner.layer({
    accountIndex: account.accountIndex,
    apiKeyIndex: account.apiKeyIndex,
    chainId: chainIdOf(config),
    privateKey: account.privateKey,
    keySource: keySourceOf(role, config),
    missingKeyHint: missingKeyMessage(role, config),
    ...options
  })
}

/**
 * The venue of one account. `redis` is the program's one Redis connection, which the shared tx
 * budget uses (the bus uses the same one); a dry run sends nothing, spends no budget and has none.
 */
export const venueLayers = (
  role: Role,
  config: HedgeflowConfig,
  options: { readonly dryRun?: boolean; readonly redis?: Layer.Layer<RedisConnection, BusError> } = {}
): Layer.Layer<Venue | AccountStream, VenueConfigError | VenueError | BusError | SignerKeyError> => {
  if (config.settings.venue.kind === "memory") {
    return failLayer(
      'venue.kind "memory" exists only inside one process: run `bin/hedge demo --venue memory`, or set venue.kind: simulator'
    )
  }
  // simulator and lighter speak the same protocol: the same client, signer and budget. Lighter
  // itself needs venue.live: true, which config.ts already enforced; checked again here because
  // a config can be built by hand (tests, tools).
  if (config.settings.venue.kind === "lighter" && !config.settings.venue.live) {
    return failLayer("venue.kind: lighter needs venue.live: true (real money) / 实盘保护：venue.kind: lighter 需要同时设置 venue.live: true")
  }
  const account = role === "a" ? config.accounts.a : config.accounts.b
  const signer = signerLayer(role, config)
  const venue = LighterVenue.layer({
    baseUrl: config.venue.baseUrl,
    wsUrl: config.venue.wsUrl,
    accountIndex: account.accountIndex,
    apiKeyIndex: account.apiKeyIndex,
    authTtlSec: config.settings.lighter.auth_lifetime
  })
  const stream = LighterAccountStream.layer({
    baseUrl: config.venue.baseUrl,
    wsUrl: config.venue.wsUrl,
    accountIndex: account.accountIndex,
    reconnectBaseMs: config.connection.reconnectBaseDelayMs,
    reconnectMaxMs: config.connection.reconnectMaxDelayMs,
    authTtlSec: config.settings.lighter.auth_lifetime
  })
  const budget = RedisTxBudget.layer({ key: config.budget.key, txPerMinute: config.budget.txPerMinute, hedgeReserve: config.budget.hedgeReserve }).pipe(
    Layer.provide(options.redis ?? redisConnectionLayer(redisOptionsOf(config)))
  )
  // A dry run sends nothing, so it spends no budget (and never touches Redis).
  if (options.dryRun === true) return Layer.mergeAll(dryRunVenueLayer({}).pipe(Layer.provide(venue)), stream).pipe(Layer.provide(signer))
  return Layer.mergeAll(venue, stream).pipe(Layer.provide(signer), Layer.provide(budget))
}
