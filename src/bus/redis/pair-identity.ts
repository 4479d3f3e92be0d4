// Start-up checks of the Redis a pair writes to:
//   - the database number is one the server has (ioredis falls back to db 0 silently when SELECT
//     fails, so `redis.db: 99` would share db 0 with whatever lives there);
//   - the key prefix belongs to this pair: `<prefix>:pair` records the pair's identity (market and
//     both accounts) the first time A or B starts; a different pair on the same prefix is refused,
//     so two pairs never mix their fills, intents and residual pools.
import { Effect, Option, Schema } from "effect"
import type { BusError } from "../errors.ts"
import { errorText, RedisConnection } from "./connection.ts"
import { redisScript } from "./script.ts"

export interface PairIdentity {
  /** Market symbol, upper case. */
  readonly market: string
  readonly marketId: number
  readonly accountA: number
  readonly accountB: number
}

const PairIdentityRecord = Schema.Struct({
  market: Schema.String,
  marketId: Schema.Number,
  accountA: Schema.Number,
  accountB: Schema.Number,
  createdAtMs: Schema.optional(Schema.Number)
})
const decodeRecord = Schema.decodeUnknownResult(Schema.fromJsonString(PairIdentityRecord))

export const pairIdentityKey = (prefix: string) => `${prefix}:pair`

export const describeIdentity = (i: PairIdentity) => `market ${i.market} (id ${i.marketId}), accounts A ${i.accountA} / B ${i.accountB}`

/** The prefix belongs to another pair. */
export class PairIdentityError extends Schema.TaggedError<PairIdentityError>()("PairIdentityError", {
  message: Schema.String
}) {}

/** The configured database does not exist on the server. */
export class RedisDatabaseError extends Schema.TaggedError<RedisDatabaseError>()("RedisDatabaseError", {
  message: Schema.String
}) {}

// Records the identity unless one is recorded: '' when recorded now, else the recorded JSON.
export const PAIR_IDENTITY_CLAIM = redisScript({
  name: "pairIdentity",
  keys: ["pair"],
  args: ["json"],
  reply: Schema.String,
  source: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return '' end
return redis.call('GET', KEYS[1]) or ''
`
})

const same = (a: PairIdentity, b: PairIdentity) =>
  a.market.toUpperCase() === b.market.toUpperCase() && a.marketId === b.marketId && a.accountA === b.accountA && a.accountB === b.accountB

/** The identity recorded under `prefix`, if any (None also for an unreadable record). */
export const readPairIdentity = (prefix: string) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const raw = yield* conn.run("readPairIdentity", (c) => c.get(pairIdentityKey(prefix)))
    // Stryker disable next-line ConditionalExpression: a missing key (null) would fail decodeRecord and give the same None
    if (raw === null) return Option.none<PairIdentity & { readonly createdAtMs?: number | undefined }>()
    const r = decodeRecord(raw)
    return r._tag === "Success" ? Option.some(r.success) : Option.none()
  })

/**
 * Records this pair's identity under `prefix`, or checks it against the one recorded there.
 * A different pair (another market or other accounts) fails with one line naming both.
 */
export const ensurePairIdentity = (prefix: string, identity: PairIdentity) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const key = pairIdentityKey(prefix)
    const json = JSON.stringify({ ...identity, market: identity.market.toUpperCase(), createdAtMs: Date.now() })
    const existing = yield* conn.runScript(PAIR_IDENTITY_CLAIM, { pair: key }, { json })
    if (existing === "") {
      return yield* Effect.logInfo(`recorded this pair's identity under ${key}: ${describeIdentity(identity)}`)
    }
    const r = decodeRecord(existing)
    if (r._tag === "Failure") {
      return yield* new PairIdentityError({
        message: `${key} holds something that is not a pair identity (${JSON.stringify(existing.slice(0, 80))}): ` +
          `is redis.key_prefix "${prefix}" used by another program? Give this pair its own redis.key_prefix`
      })
    }
    if (!same(r.success, identity)) {
      const since = r.success.createdAtMs === undefined ? "" : ` since ${new Date(r.success.createdAtMs).toISOString()}`
      return yield* new PairIdentityError({
        message: `redis.key_prefix "${prefix}" belongs to another pair (${describeIdentity(r.success)}${since}), ` +
          `but this config is ${describeIdentity(identity)}: two pairs must never share a prefix — give each its own redis.key_prefix ` +
          `(the default hedgeflow:{symbol}:{a}-{b} does that)`
      })
    }
  })

/**
 * Checks that database `db` exists on the server: by `CONFIG GET databases` where allowed, else
 * by selecting it (a managed Redis may refuse CONFIG). `target` names the server in messages.
 */
export const verifyRedisDatabase = (db: number, target: string) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const configured = yield* Effect.tryPromise({
      try: () => conn.client.config("GET", "databases") as Promise<Array<string>>,
      // Stryker disable next-line ArrowFunction: the failure is dropped just below (Effect.catch → undefined); its text is never read
      catch: (cause) => errorText(cause)
    }).pipe(
      Effect.map((reply) => {
        const n = Number(reply[1])
        return Number.isSafeInteger(n) && n > 0 ? n : undefined
      }),
      Effect.catch(() => Effect.succeed(undefined))
    )
    // Stryker disable next-line ConditionalExpression: `configured !== undefined` → true is equivalent (`db >= undefined` is false); the other conditional mutants here are killed by the pair-identity tests
    if (configured !== undefined && db >= configured) {
      return yield* new RedisDatabaseError({
        message: `redis.db ${db} (or the /${db} of redis.url) is out of range: the Redis server at ${target} has ${configured} databases ` +
          `(0-${configured - 1}, its \`databases\` setting); choose one of those`
      })
    }
    if (configured === undefined) {
      // CONFIG is not allowed here: SELECT tells whether the database exists (and keeps us on it).
      const selected = yield* Effect.tryPromise({ try: () => conn.client.select(db), catch: (cause) => errorText(cause) }).pipe(Effect.result)
      if (selected._tag === "Failure") {
        return yield* new RedisDatabaseError({
          message: `redis.db ${db} (or the /${db} of redis.url) cannot be used on the Redis server at ${target}: SELECT ${db} answered ` +
            `"${selected.failure}" (CONFIG GET databases is not allowed there, so its range is unknown)`
        })
      }
    }
  })

/** For callers that only need the BusError type of these effects. */
export type PairIdentityCheckError = PairIdentityError | RedisDatabaseError | BusError
