// FillBus + PairState on Redis for one pair, over one connection; with `legacy`, the previous
// system's Redis messages beside them (RedisFillBus's mirrors, and LegacyMirror).
import type { HedgeflowConfig } from "../config/load.ts"
import { KEYS } from "../config/keys.ts"
import { Effect, Layer, type Redacted } from "effect"
import type { MarketSpec } from "../domain/market.ts"
import type { LegacyOptions } from "../bus/legacy-messages.ts"
import { legacyMirrorLayer } from "../bus/redis/LegacyMirror.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import { verifyRedisDatabase } from "../bus/redis/pair-identity.ts"
import { RedisFillBus } from "../bus/redis/RedisFillBus.ts"
import { RedisPairState } from "../bus/redis/RedisPairState.ts"

export interface BusLayerOptions {
  readonly redisUrl: string
  /** redis.connect_timeout_ms (its default when absent). */
  readonly connectTimeoutMs?: number
  readonly prefix: string
  readonly market: MarketSpec
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** The highest fill sequence number the process recorded outside Redis (RedisFillBusOptions.seqFloor). */
  readonly seqFloor?: () => number
  /** The epoch the process trusts (RedisFillBusOptions.epochId). */
  readonly epochId?: () => string | undefined
  /** The previous system's messages to publish (config `legacy`); absent: none, and no LegacyMirror. */
  readonly legacy?: LegacyOptions | undefined
}

/** The one Redis connection of a program (or a command), from the config's Redis settings. */
export const redisConnectionLayer = (o: Pick<BusLayerOptions, "redisUrl" | "username" | "password" | "connectTimeoutMs">) =>
  RedisConnection.layer({
    ...RedisConnection.optionsFromUrl(o.redisUrl, o.connectTimeoutMs ?? KEYS.redis.connect_timeout_ms.default),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {})
  })

/** The Redis settings of a loaded config, as the layers here take them. */
export const redisOptionsOf = (config: HedgeflowConfig): Pick<BusLayerOptions, "redisUrl" | "username" | "password" | "connectTimeoutMs"> => ({
  redisUrl: config.redis.url,
  username: config.redis.username,
  password: config.redis.password,
  connectTimeoutMs: config.settings.redis.connect_timeout_ms
})

/** The bus over a RedisConnection the caller provides (main-a / main-b share theirs with the tx budget). */
export const busLayersOn = (o: Omit<BusLayerOptions, "redisUrl" | "username" | "password" | "connectTimeoutMs">) => {
  const bus = Layer.mergeAll(RedisFillBus.layer({
    prefix: o.prefix,
    market: o.market,
    ...(o.seqFloor !== undefined ? { seqFloor: o.seqFloor } : {}),
    ...(o.epochId !== undefined ? { epochId: o.epochId } : {}),
    ...(o.legacy !== undefined ? { legacy: o.legacy } : {})
  }), RedisPairState.layer({ prefix: o.prefix, market: o.market }))
  return o.legacy === undefined ? bus : Layer.mergeAll(bus, legacyMirrorLayer({ legacy: o.legacy, market: o.market }))
}

/**
 * The bus with a connection of its own (the operator's commands, the demo, tests). The database
 * is checked first, as main-a and main-b check it: ioredis works on db 0 when the one asked for
 * does not exist, so a command would otherwise act on another database's keys.
 */
export const busLayers = (o: BusLayerOptions) => {
  const databaseChecked = Layer.effectDiscard(
    Effect.gen(function*() {
      const conn = yield* RedisConnection
      yield* verifyRedisDatabase(RedisConnection.optionsFromUrl(o.redisUrl).db, conn.target)
    })
  )
  return Layer.mergeAll(busLayersOn(o), databaseChecked).pipe(Layer.provideMerge(redisConnectionLayer(o)))
}
