// One writer per role. Process A and process B of a pair each hold a lease in Redis:
//   <prefix>:lease:a|b   holder JSON { role, host, pid, instance, startedAtMs }, SET NX PX ttl,
//                        renewed every second by the holder (compare-and-renew), so a dead
//                        holder's lease is gone within `ttlMs` (5 s)
//   <prefix>:seen:a|b    hash { holder, atMs, status, stoppedAtMs }: when the holder last renewed,
//                        by Redis's clock (TIME), with a small live status; no expiry, so
//                        `bin/hedge status` can say how long a process has been gone
//
// A second process for the same role finds the lease held. It watches the lease's expiry: a live
// holder renews it (its PTTL goes back up) within a second, and the newcomer refuses to start,
// naming the holder; a dead holder (kill -9) never renews, and the newcomer takes the lease as soon
// as it expires — a restart after a crash waits at most `ttlMs`, with a log line saying so.
// A holder whose renewal finds another holder in the key has lost the lease: `guard` stops the
// guarded program at once (LeaseLostError). A lease that expired while nobody else took it (Redis
// restarted, this process stalled) is taken again and logged.
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Context, Deferred, Effect, Layer, Schema } from "effect"
import type { BusError } from "../errors.ts"
import { RedisConnection } from "./connection.ts"
import { redisScript, ZeroOrOne } from "./script.ts"

export type LeaseRole = "a" | "b"

/** A dead holder's lease is gone after this long. */
export const LEASE_TTL_MS = 5_000
/** The holder renews this often (well before expiry). */
export const LEASE_RENEW_EVERY_MS = 1_000
/** `status`: a holder that has not renewed for this long is stale (stalled, or just killed). */
export const LEASE_STALE_AFTER_MS = 3_000

export const programOf = (role: LeaseRole): string => (role === "a" ? "main-a" : "main-b")

export const leaseKeys = (prefix: string) => ({
  lease: (role: LeaseRole) => `${prefix}:lease:${role}`,
  seen: (role: LeaseRole) => `${prefix}:seen:${role}`
})

export const LeaseHolder = Schema.Struct({
  role: Schema.Literals(["a", "b"]),
  host: Schema.String,
  pid: Schema.Number,
  instance: Schema.String,
  startedAtMs: Schema.Number
})
export type LeaseHolder = typeof LeaseHolder.Type
const LeaseHolderJson = Schema.fromJsonString(LeaseHolder)
const decodeHolderResult = Schema.decodeUnknownResult(LeaseHolderJson)

export const encodeHolder = (h: LeaseHolder): string => JSON.stringify(h)
export const decodeHolder = (raw: string): LeaseHolder | undefined => {
  const r = decodeHolderResult(raw)
  // Stryker disable next-line ConditionalExpression: equivalent: a failed Result has no `success` either (undefined)
  return r._tag === "Success" ? r.success : undefined
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** "host h, pid 12 (instance x), since 2026-…Z (41.0 s ago)"; `nowMs` is the caller's clock. */
export const describeHolder = (raw: string, nowMs: number = Date.now()): string => {
  const h = decodeHolder(raw)
  if (h === undefined) return `an unreadable holder ${JSON.stringify(raw.slice(0, 120))}`
  return `host ${h.host}, pid ${h.pid} (instance ${h.instance}), since ${new Date(h.startedAtMs).toISOString()} (${seconds(Math.max(0, nowMs - h.startedAtMs))} ago)`
}

/** Another process holds the lease and keeps it alive: this one must not start. */
export class LeaseHeldError extends Schema.TaggedError<LeaseHeldError>()("LeaseHeldError", {
  message: Schema.String
}) {}

/** The lease was taken by another process while this one ran: it must stop trading at once. */
export class LeaseLostError extends Schema.TaggedError<LeaseLostError>()("LeaseLostError", {
  message: Schema.String
}) {}

const NOW_MS_LUA = `
local function nowMs()
  local t = redis.call('TIME')
  return string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
`

// Takes the lease when it is free: {1, '', 0} taken | {0, holder, pttl} held.
export const LEASE_ACQUIRE = redisScript({
  name: "leaseAcquire",
  keys: ["lease", "seen"],
  args: ["value", "ttlMs", "statusJson"],
  reply: Schema.Union([
    Schema.Tuple([Schema.Literal(1), Schema.String, Schema.Number]),
    Schema.Tuple([Schema.Literal(0), Schema.String, Schema.Number])
  ]),
  source: NOW_MS_LUA + `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('HSET', KEYS[2], 'holder', ARGV[1], 'atMs', nowMs(), 'status', ARGV[3])
  redis.call('HDEL', KEYS[2], 'stoppedAtMs')
  return {1, '', 0}
end
return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}
`
})

// {1, ''} renewed | {2, ''} had expired, taken again | {0, holder} another process holds it.
export const LEASE_RENEW = redisScript({
  name: "leaseRenew",
  keys: ["lease", "seen"],
  args: ["value", "ttlMs", "statusJson"],
  reply: Schema.Tuple([Schema.Literals([0, 1, 2]), Schema.String]),
  source: NOW_MS_LUA + `
local cur = redis.call('GET', KEYS[1])
local r = 1
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
elseif not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  r = 2
else
  return {0, cur}
end
redis.call('HSET', KEYS[2], 'holder', ARGV[1], 'atMs', nowMs(), 'status', ARGV[3])
redis.call('HDEL', KEYS[2], 'stoppedAtMs')
return {r, ''}
`
})

// Replaces a dead holder's value (expected) with ours: 1 taken back | 0 the lease changed meanwhile.
export const LEASE_TAKE_BACK = redisScript({
  name: "leaseTakeBack",
  keys: ["lease", "seen"],
  args: ["expected", "value", "ttlMs", "statusJson"],
  reply: ZeroOrOne,
  source: NOW_MS_LUA + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('HSET', KEYS[2], 'holder', ARGV[2], 'atMs', nowMs(), 'status', ARGV[4])
redis.call('HDEL', KEYS[2], 'stoppedAtMs')
return 1
`
})

// Deletes the lease when it is still ours and records the clean stop: 1 | 0 not ours.
export const LEASE_RELEASE = redisScript({
  name: "leaseRelease",
  keys: ["lease", "seen"],
  args: ["value"],
  reply: ZeroOrOne,
  source: NOW_MS_LUA + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local now = nowMs()
redis.call('HSET', KEYS[2], 'atMs', now, 'stoppedAtMs', now)
return 1
`
})

/** The lease's scripts (test/bus/scripts.test.ts checks each declaration against its source). */
export const leaseScripts = [LEASE_ACQUIRE, LEASE_RENEW, LEASE_TAKE_BACK, LEASE_RELEASE] as const

export interface LeaseOptions {
  readonly prefix: string
  readonly role: LeaseRole
  /** Goes into the holder record (default: a random id). */
  readonly instance?: string
  readonly ttlMs?: number
  readonly renewEveryMs?: number
  /** How often a newcomer looks at a held lease. Default 200 ms. */
  readonly pollMs?: number
  /** A small live status written with each renewal into `<prefix>:seen:<role>` (for bin/hedge status). */
  readonly status?: () => Effect.Effect<Readonly<Record<string, unknown>>>
  /** For tests: the holder's host and pid (default: this machine and process). */
  readonly host?: string
  readonly pid?: number
}

export interface ProcessLeaseShape {
  readonly key: string
  readonly holder: LeaseHolder
  /** Runs `effect` until it ends, or until the lease is lost: then it is interrupted and this fails with LeaseLostError. */
  readonly guard: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | LeaseLostError, R>
}

// Stryker disable next-line StringLiteral: equivalent: a service's key only has to differ from every other service's
export class ProcessLease extends Context.Service<ProcessLease, ProcessLeaseShape>()("hedgeflow/bus/ProcessLease") {
  /**
   * Takes the role's lease (waiting for a dead holder's lease to expire, refusing a live holder),
   * keeps it renewed for the life of the layer and releases it when the layer closes.
   */
  static readonly layer = (options: LeaseOptions): Layer.Layer<ProcessLease, LeaseHeldError | BusError, RedisConnection> =>
    Layer.effect(ProcessLease, makeProcessLease(options))
}

const statusJson = (options: LeaseOptions) =>
  (options.status === undefined ? Effect.succeed({}) : options.status()).pipe(
    Effect.map((s) => JSON.stringify(s)),
    Effect.catchCause(() => Effect.succeed("{}"))
  )

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === "EPERM"
  }
}

/**
 * Takes the lease: at once when it is free; after its expiry when its holder does not renew it
 * (dead); never when its holder renews it (alive) — that fails with LeaseHeldError.
 */
const acquire = (options: LeaseOptions, value: string, key: string, seenKey: string, ttlMs: number) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const program = programOf(options.role)
    const pollMs = options.pollMs ?? 200
    // The longest a dead holder's lease can keep us waiting, plus room for slow replies.
    const giveUpAt = performance.now() + 3 * ttlMs + 2_000
    let watched: { readonly holder: string; lastPttl: number; readonly fromMs: number } | undefined
    for (;;) {
      const status = yield* statusJson(options)
      const reply = yield* conn.runScript(LEASE_ACQUIRE, { lease: key, seen: seenKey }, { value, ttlMs, statusJson: status })
      if (reply[0] === 1) {
        if (watched !== undefined) {
          yield* Effect.logWarning(
            `took over ${key} after the previous ${program}'s lease expired unrenewed (${describeHolder(watched.holder)}), ` +
              `${seconds(performance.now() - watched.fromMs)} after start`
          )
        }
        return
      }
      // The key SET NX found is still there for GET and PTTL (Redis stops the clock for a script's
      // keys while it runs), so `holder` is the key's value: an empty one is a holder like any other
      // (retrying it at once spun forever, hammering Redis, when it had no expiry).
      const [, holder, pttl] = reply
      if (pttl === -1) {
        return yield* new LeaseHeldError({
          message: `${key} is held by ${describeHolder(holder)} and has no expiry (written by hand?); ` +
            `refusing to start a second ${program} — check that no other ${program} runs for this pair, then delete the key`
        })
      }
      if (watched === undefined || watched.holder !== holder) {
        const h = decodeHolder(holder)
        const sameHost = h !== undefined && h.host === (options.host ?? hostname())
        const gone = sameHost &&
            // Stryker disable next-line ConditionalExpression: equivalent: sameHost holds only for a decoded holder (this test narrows the type)
            h !== undefined && !isAlive(h.pid)
          ? ` (pid ${h.pid} is not running on this host)`
          : ""
        yield* Effect.logWarning(
          `another ${program} holds ${key}: ${describeHolder(holder)}${gone}. Its lease expires in ${seconds(pttl)} unless renewed: ` +
            `waiting — a live ${program} renews it and this one refuses to start; a dead one's lease expires and this one takes over`
        )
        watched = { holder, lastPttl: pttl, fromMs: watched?.fromMs ?? performance.now() }
      } else if (pttl > watched.lastPttl + 50) {
        return yield* new LeaseHeldError({
          message: `another ${program} is running for this pair: ${describeHolder(holder)}; it holds ${key} and renews it. ` +
            `Refusing to start a second one (stop that one first; a killed one's lease expires within ${seconds(ttlMs)})`
        })
      } else {
        watched.lastPttl = pttl
      }
      if (performance.now() > giveUpAt) {
        return yield* new LeaseHeldError({
          message: `${key} is still held by ${describeHolder(holder)} after ${seconds(3 * ttlMs + 2_000)}; refusing to start a second ${program}`
        })
      }
      yield* Effect.sleep(Math.min(pollMs, Math.max(10, pttl)))
    }
  })

export const makeProcessLease = (options: LeaseOptions) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = leaseKeys(options.prefix)
    const key = keys.lease(options.role)
    const seenKey = keys.seen(options.role)
    const ttlMs = options.ttlMs ?? LEASE_TTL_MS
    const renewEveryMs = options.renewEveryMs ?? LEASE_RENEW_EVERY_MS
    const program = programOf(options.role)
    const holder: LeaseHolder = {
      role: options.role,
      host: options.host ?? hostname(),
      pid: options.pid ?? process.pid,
      instance: options.instance ?? randomUUID().slice(0, 8),
      startedAtMs: Date.now()
    }
    const value = encodeHolder(holder)
    // The wait for a dead holder's lease (up to 3 ttls + 2 s) can be stopped: acquireRelease's
    // acquire is uninterruptible unless said otherwise, and a stop signal during start-up must not
    // wait for it. Stopped right after the lease was taken, the lease expires within a ttl.
    yield* Effect.acquireRelease(Effect.interruptible(acquire(options, value, key, seenKey, ttlMs)), () =>
      conn.runScript(LEASE_RELEASE, { lease: key, seen: seenKey }, { value }).pipe(
        Effect.timeout("2 seconds"),
        Effect.catchCause(() => Effect.logWarning(`could not release ${key}; it expires by itself within ${seconds(ttlMs)}`))
      ))
    yield* Effect.logInfo(`${program} holds ${key} (host ${holder.host}, pid ${holder.pid}, instance ${holder.instance}); renewed every ${seconds(renewEveryMs)}`)

    const lost = yield* Deferred.make<never, LeaseLostError>()
    // Stryker disable next-line UnaryOperator: decides only whether/what is logged
    let lastWarnAt = -Infinity
    const renewOnce = Effect.gen(function*() {
      const status = yield* statusJson(options)
      const reply = yield* conn.runScript(LEASE_RENEW, { lease: key, seen: seenKey }, { value, ttlMs, statusJson: status })
      if (reply[0] === 1) return true
      if (reply[0] === 2) {
        yield* Effect.logWarning(`${key} had expired (Redis lost it, or this process stalled for over ${seconds(ttlMs)}); nobody else took it: held again`)
        return true
      }
      // A holder on this host whose process is gone cannot be a twin: Redis restored an old lease
      // (a restart from an AOF a second behind). Take it back rather than stop.
      const other = decodeHolder(reply[1])
      if (other !== undefined && other.host === holder.host && other.pid !== holder.pid && !isAlive(other.pid)) {
        const back = yield* conn.runScript(LEASE_TAKE_BACK, { lease: key, seen: seenKey }, { expected: reply[1], value, ttlMs, statusJson: status })
        if (back === 1) {
          yield* Effect.logWarning(
            `${key} named ${describeHolder(reply[1])}, a process that is not running on this host (Redis restored an old lease?); took it back`
          )
          return true
        }
      }
      const message = `${program} lost its lease ${key} to ${describeHolder(reply[1])}: another ${program} runs for this pair; ` +
        `this one stops trading now`
      yield* Effect.logError(message)
      yield* Deferred.fail(lost, new LeaseLostError({ message }))
      return false
    }).pipe(
      Effect.catch((e: BusError) =>
        Effect.suspend(() => {
          const now = performance.now()
          // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: decides only whether/what is logged
          if (now - lastWarnAt < 5_000) return Effect.succeed(true)
          lastWarnAt = now
          return Effect.logWarning(`could not renew ${key}: ${e.message} (retrying every ${seconds(renewEveryMs)})`).pipe(Effect.as(true))
        })
      )
    )
    yield* Effect.gen(function*() {
      for (;;) {
        yield* Effect.sleep(renewEveryMs)
        if (!(yield* renewOnce)) return
      }
    }).pipe(Effect.forkScoped)

    return ProcessLease.of({
      key,
      holder,
      guard: (effect) => Effect.raceFirst(effect, Deferred.await(lost))
    })
  })

// ---------------------------------------------------------------------------------------------
// Reading (bin/hedge status)

export interface SeenRecord {
  readonly holder: LeaseHolder | undefined
  /** Redis time (ms) of the last renewal, or of the clean stop. */
  readonly atMs: number
  readonly stoppedAtMs: number | undefined
  readonly status: Readonly<Record<string, unknown>>
}

/** What `<prefix>:seen:<role>` says, and whether `<prefix>:lease:<role>` is held now. */
export const readPresence = (prefix: string, role: LeaseRole) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = leaseKeys(prefix)
    const [leaseRaw, seen] = yield* conn.run("readPresence", (c) =>
      Promise.all([c.get(keys.lease(role)), c.hgetall(keys.seen(role))]))
    // Stryker disable next-line ConditionalExpression: equivalent: Number(undefined) is NaN, which the isFinite test refuses as well
    const num = (s: string | undefined) => (s === undefined || s === "" || !Number.isFinite(Number(s)) ? undefined : Number(s))
    let status: Record<string, unknown> = {}
    try {
      // Stryker disable next-line ConditionalExpression: equivalent: JSON.parse(undefined) throws, and the catch leaves the same {}
      const parsed = seen["status"] === undefined ? {} : JSON.parse(seen["status"]) as unknown
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) status = parsed as Record<string, unknown>
    } // Stryker disable next-line BlockStatement: equivalent: status is still the {} it started as
    catch {
      status = {}
    }
    const atMs = num(seen["atMs"])
    const record: SeenRecord | undefined = atMs === undefined ? undefined : {
      // Stryker disable next-line ConditionalExpression: equivalent: decodeHolder(undefined) is undefined too
      holder: seen["holder"] === undefined ? undefined : decodeHolder(seen["holder"]),
      atMs,
      stoppedAtMs: num(seen["stoppedAtMs"]),
      status
    }
    return {
      lease: leaseRaw === null ? undefined : { raw: leaseRaw, holder: decodeHolder(leaseRaw) },
      seen: record
    }
  })

/** Redis's clock in ms (TIME): the clock the seen records and stream ids are written with. */
export const redisNowMs = Effect.gen(function*() {
  const conn = yield* RedisConnection
  const [s, us] = yield* conn.run("time", (c) => c.time())
  return Number(s) * 1000 + Math.floor(Number(us) / 1000)
})
