// FillBus on Redis Streams.
//   <prefix>:fills        A's fills (consumer group, default "hedgers"); never trimmed past the
//                         group's oldest pending or last delivered entry
//   <prefix>:hedges       B's results (MAXLEN ~)
//   <prefix>:dead-letter  fill entries B will not hedge (undecodable, not this pair's,
//                         implausible) with the reason (MAXLEN ~)
//   <prefix>:hedged       hash fillId → "size side fillSeq entryId" of every fill B completed,
//                         written with the result and the XACK: a copy of an entry under a new
//                         stream id is a duplicate, not a new fill
//   <prefix>:hedged-at    zset fillId by completion time: only the newest maxLen identities are
//                         kept (as many as the fills history), so both stay bounded
//   <prefix>:a-levels     hash orderIndex → highest filled level published
//   <prefix>:a-last       hash orderIndex → "fillSeq entryId" of the order's last published fill
//   <prefix>:a-seen       zset orderIndex by time of its last fill: levels older than the
//                         retention (7 days) are dropped, so these keys stay bounded
//   <prefix>:fill-seq     counter; when missing (first fill, or Redis lost its data) seeded from the
//                         clock (4/s) or above the last sequence number the process recorded
//                         beside its logs (seqFloor), whichever is higher; below that number (an
//                         older snapshot) it refuses to append: never repeats after data loss
// Every write that must be atomic is one Lua script; every script is idempotent, so retrying
// after a lost reply is safe. The previous system's Pub/Sub messages (src/bus/legacy-messages.ts,
// options.legacy) are built in TypeScript and PUBLISHed by the same script that writes the
// stream entry, only when it writes it: exactly once per fill appended and per result recorded.
import { Effect, Layer, Option, Schema } from "effect"
import type { Redis } from "ioredis"
import type { MarketSpec } from "../../domain/market.ts"
import { type FillEvent, FillEvent as FillEventClass, type HedgeResult, RESIDUAL_FILL_PREFIX, type ResidualFlush } from "../../domain/messages.ts"
import {
  decodeEntry,
  decodeHedgeResult,
  fillEventToFields,
  hedgedRecordValue,
  hedgeResultFields,
  pairsToRecord,
  parseHedgedRecord,
  recordToPairs,
  residualFlushToFields
} from "../codec.ts"
import { BusError } from "../errors.ts"
import { fillMirrors, type LegacyMirrors, type LegacyOptions, type LegacyPublish, resultMirrors } from "../legacy-messages.ts"
import { type BusEntry, FillBus, type FillBusShape, type HedgedFillRecord, type PublishedFill, type ReadOptions } from "../FillBus.ts"
import { busError, RedisConnection, transientRetry } from "./connection.ts"
import { redisScript, ZeroOrOne } from "./script.ts"
import { CLOSING_CLIENT_INDEX_MIN } from "../../domain/closing.ts"
import { pairControlKeys } from "./pair-keys.ts"

export interface RedisFillBusOptions {
  readonly prefix: string
  /** Consumer group of the hedgers. Default "hedgers". */
  readonly group?: string
  /** For the decimals of the legacy messages. */
  readonly market: MarketSpec
  /**
   * The previous system's Pub/Sub messages to publish with each fill appended and each result
   * recorded (config `legacy`); absent: none.
   */
  readonly legacy?: LegacyOptions | undefined
  /** Approximate length kept of `hedges` / `dead-letter`, and of acknowledged `fills` history. Default 100 000. */
  readonly maxLen?: number
  /** How long A's per-order published levels are kept after the order's last fill. Default 7 days; 0 = forever. */
  readonly levelRetentionMs?: number
  /**
   * The highest fill sequence number this process has recorded outside Redis (its epoch mirror
   * file, src/app/epoch-mirror.ts); 0 or absent: none. A missing counter (Redis lost its
   * data) continues SEQ_FLOOR_MARGIN above it; a counter below it (an older snapshot) refuses to
   * append (SEQ_REGRESSED). So client ids derived from fill sequence numbers never repeat, even
   * when the clock stepped back.
   */
  readonly seqFloor?: () => number
  /**
   * The epoch this process trusts (src/app/epoch-mirror.ts); undefined or "": not checked. A's
   * fill is appended only while Redis holds that epoch: into a Redis that came back empty (or holds
   * another epoch) nothing is appended — the fill is fenced, and the epoch guard reports the loss
   * with the positions — so a fill whose other half was lost with the old Redis is never hedged
   * alone after an operator's `resume`.
   */
  readonly epochId?: () => string | undefined
}

/** How far above the last recorded fill sequence number a lost counter continues. */
export const SEQ_FLOOR_MARGIN = 100_000

export interface FillBusKeys {
  readonly fills: string
  readonly hedges: string
  readonly deadLetter: string
  readonly hedged: string
  readonly hedgedAt: string
  readonly levels: string
  readonly last: string
  readonly seq: string
  readonly seen: string
}

export const fillBusKeys = (prefix: string): FillBusKeys => ({
  fills: `${prefix}:fills`,
  hedges: `${prefix}:hedges`,
  deadLetter: `${prefix}:dead-letter`,
  hedged: `${prefix}:hedged`,
  hedgedAt: `${prefix}:hedged-at`,
  levels: `${prefix}:a-levels`,
  last: `${prefix}:a-last`,
  seq: `${prefix}:fill-seq`,
  seen: `${prefix}:a-seen`
})

// The pair's next fill sequence number. First fill, or Redis lost its data: start from the clock
// (4 per second) or SEQ_FLOOR_MARGIN above `seen` (the last number the caller recorded outside
// Redis), whichever is higher. A counter below `seen` (Redis came back from an older snapshot)
// is an error, not a number to continue from: nothing is appended until the process's epoch
// guard has seen the loss and raised the counter (src/app/epoch-guard.ts). So sequence
// numbers (and the hedge client ids derived from them) never repeat ones used before the loss,
// even after the clock stepped back.
const NEXT_SEQ_LUA = `
local function nextSeq(key, seen)
  local cur = redis.call('GET', key)
  if not cur then
    local t = redis.call('TIME')
    local seed = tonumber(t[1]) * 4 + math.floor(tonumber(t[2]) / 250000)
    if seen > 0 and seen + ${SEQ_FLOOR_MARGIN} > seed then seed = seen + ${SEQ_FLOOR_MARGIN} end
    redis.call('SET', key, string.format('%d', seed))
  elseif seen > 0 and tonumber(cur) < seen then
    error({err = 'SEQ_REGRESSED fill sequence ' .. cur .. ' is below ' .. string.format('%d', seen) ..
      ', which this process already saw: Redis came back from an older snapshot (nothing appended)'})
  end
  return redis.call('INCR', key)
end
`

// Appends A's fill. epochId '' = not checked; the m (channel, message) pairs are PUBLISHed only
// when the fill is appended. Replies {0, seq, id} appended | {1, seq, id} duplicate | {2, level}
// overlaps the published level | {3, why} fenced: a fill of an order that a flatten closed, of a
// closing order itself, or of an order placed before Redis lost its state and not recorded since
// (see PairFences); nothing is appended.
export const PUBLISH_FILL = redisScript({
  name: "publishFill",
  keys: ["fills", "levels", "last", "seq", "seen", "fence", "epoch"],
  args: ["orderIndex", "filledBefore", "filledAfter", "mirrorCount", "retentionMs", "clientOrderIndex", "seqSeen", "epochId"],
  rest: "mirrorCount (channel, message) pairs, then the fill's field pairs",
  reply: Schema.Union([
    Schema.Tuple([Schema.Literals([0, 1]), Schema.String, Schema.String]),
    Schema.Tuple([Schema.Literal(2), Schema.String]),
    Schema.Tuple([Schema.Literal(3), Schema.String])
  ]),
  source: NEXT_SEQ_LUA + `
if ARGV[8] ~= '' then
  local id = redis.call('HGET', KEYS[7], 'id')
  if not id then return {3, 'Redis holds no epoch (it lost its state): the fill is not appended; the epoch guard reports it'} end
  if id ~= ARGV[8] then return {3, 'Redis holds epoch ' .. id .. ', not ' .. ARGV[8] .. ' (it lost its state): the fill is not appended'} end
end
local coi = tonumber(ARGV[6]) or 0
if coi >= ${CLOSING_CLIENT_INDEX_MIN} then return {3, 'a closing order (flatten)'} end
if coi >= 1 then
  local ff = tonumber(redis.call('HGET', KEYS[6], 'flattenQuoteSeq') or '0') or 0
  if coi <= ff then return {3, 'closed by flatten ' .. (redis.call('HGET', KEYS[6], 'flattenId') or '?')} end
  local lf = tonumber(redis.call('HGET', KEYS[6], 'lossQuoteSeq') or '0') or 0
  if coi <= lf and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
    return {3, 'placed before Redis lost its state (quotes up to ' .. string.format('%d', lf) .. ')'}
  end
end
local level = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') or 0
local before = tonumber(ARGV[2])
local after = tonumber(ARGV[3])
if level >= after then
  local last = redis.call('HGET', KEYS[3], ARGV[1])
  if last then
    local sp = string.find(last, ' ', 1, true)
    return {1, string.sub(last, 1, sp - 1), string.sub(last, sp + 1)}
  end
  return {1, '0', ''}
end
if level > before then return {2, string.format('%d', level)} end
local seq = nextSeq(KEYS[4], tonumber(ARGV[7]) or 0)
local mirrors = tonumber(ARGV[4]) or 0
local fields = {}
for i = 9 + 2 * mirrors, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
fields[#fields + 1] = 'fillSeq'
fields[#fields + 1] = string.format('%d', seq)
local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], string.format('%d', seq) .. ' ' .. id)
-- Levels of orders last filled before the retention window are forgotten (a few per call): no
-- reconnect snapshot or REST catch-up replays orders that old, and A loads the hash on each start.
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[5], nowMs, ARGV[1])
local keep = tonumber(ARGV[5])
if keep > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', nowMs - keep, 'LIMIT', 0, 20)
  for _, o in ipairs(old) do
    redis.call('HDEL', KEYS[2], o)
    redis.call('HDEL', KEYS[3], o)
    redis.call('ZREM', KEYS[5], o)
  end
end
for i = 0, mirrors - 1 do redis.call('PUBLISH', ARGV[9 + 2 * i], ARGV[10 + 2 * i]) end
return {0, string.format('%d', seq), id}
`
})

// Appends B's residual flush under the next sequence number (fillId and fillSeq are set here).
export const PUBLISH_RESIDUAL = redisScript({
  name: "publishResidualFlush",
  keys: ["fills", "seq"],
  args: ["seqSeen"],
  rest: "the flush's field pairs (codec.ts residualFlushToFields; its fillId and fillSeq are replaced)",
  reply: Schema.Tuple([Schema.String, Schema.String]), // {seq, id}
  source: NEXT_SEQ_LUA + `
local seq = nextSeq(KEYS[2], tonumber(ARGV[1]) or 0)
local fields = {}
for i = 2, #ARGV, 2 do
  if ARGV[i] ~= 'fillId' and ARGV[i] ~= 'fillSeq' then
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
end
fields[#fields + 1] = 'fillId'
fields[#fields + 1] = '${RESIDUAL_FILL_PREFIX}' .. string.format('%d', seq)
fields[#fields + 1] = 'fillSeq'
fields[#fields + 1] = string.format('%d', seq)
local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
return {string.format('%d', seq), id}
`
})

/** A stream entry as XREADGROUP / XAUTOCLAIM return it: id and field pairs (nil: deleted from the stream). */
const RawEntry = Schema.Tuple([Schema.String, Schema.NullOr(Schema.Array(Schema.String))])
type RawEntry = typeof RawEntry.Type

// Own pending entries with their delivery counts: {entries, XPENDING rows {id, consumer, idleMs, deliveries}}.
export const READ_OWN = redisScript({
  name: "readOwnPending",
  keys: ["fills"],
  args: ["group", "consumer", "count"],
  reply: Schema.Tuple([Schema.Array(RawEntry), Schema.Array(Schema.Tuple([Schema.String, Schema.String, Schema.Number, Schema.Number]))]),
  source: `
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '0')
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[3], ARGV[2])
local entries = {}
if r and r[1] then entries = r[1][2] end
return {entries, p}
`
})

// Claimed entries, their delivery counts, and ids of entries that were deleted from the stream
// (Redis drops those from the PEL): {entries, counts, deleted}.
export const CLAIM_STALE = redisScript({
  name: "claimStale",
  keys: ["fills"],
  args: ["group", "consumer", "minIdleMs", "count"],
  reply: Schema.Tuple([Schema.Array(RawEntry), Schema.Array(Schema.Number), Schema.Array(Schema.String)]),
  source: `
local want = tonumber(ARGV[4])
local cursor = '0-0'
local entries = {}
local deleted = {}
repeat
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', want - #entries)
  cursor = r[1]
  for _, e in ipairs(r[2]) do entries[#entries + 1] = e end
  if r[3] then for _, d in ipairs(r[3]) do deleted[#deleted + 1] = d end end
until cursor == '0-0' or #entries >= want
local counts = {}
for i, e in ipairs(entries) do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
  if p[1] then counts[i] = p[1][4] else counts[i] = 1 end
end
return {entries, counts, deleted}
`
})

// Trims the fills stream to about ARGV max entries, never past any group's oldest pending entry
// or last delivered entry (so no unacknowledged or undelivered fill is ever removed).
const TRIM_FILLS_LUA = `
local function idless(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am = tonumber(am); bm = tonumber(bm)
  if am ~= bm then return am < bm end
  return tonumber(as) < tonumber(bs)
end
local function trimFills(key, maxLen)
  if maxLen <= 0 then return end
  local len = redis.call('XLEN', key)
  local excess = len - maxLen
  if excess < math.max(100, math.floor(maxLen / 10)) then return end
  if excess > 10000 then excess = 10000 end
  local r = redis.call('XRANGE', key, '-', '+', 'COUNT', excess)
  if #r == 0 then return end
  local minid = r[#r][1]
  local groups = redis.call('XINFO', 'GROUPS', key)
  for _, g in ipairs(groups) do
    local name, lastId
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] end
      if g[i] == 'last-delivered-id' then lastId = g[i + 1] end
    end
    if lastId and idless(lastId, minid) then minid = lastId end
    local s = redis.call('XPENDING', key, name)
    if s[1] > 0 and idless(s[2], minid) then minid = s[2] end
  end
  redis.call('XTRIM', key, 'MINID', '~', minid)
end
`

// Records the result and the fill's identity, acknowledges, publishes the mirrors (1); a no-op (0)
// when the entry is no longer pending. Identities beyond the newest maxLen are dropped (a few per call).
export const COMPLETE_FILL = redisScript({
  name: "completeFill",
  keys: ["fills", "hedges", "hedged", "hedgedAt"],
  args: ["group", "entryId", "maxLen", "mirrorCount", "fillId", "hedgedRecord"],
  rest: "mirrorCount (channel, message) pairs, then the result's field pairs",
  reply: ZeroOrOne,
  source: TRIM_FILLS_LUA + `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return 0 end
local mirrors = tonumber(ARGV[4]) or 0
local fields = {}
for i = 7 + 2 * mirrors, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[4], nowMs, ARGV[5])
local keep = tonumber(ARGV[3])
local excess = redis.call('ZCARD', KEYS[4]) - keep
if keep > 0 and excess > 0 then
  local old = redis.call('ZRANGE', KEYS[4], 0, math.min(excess, 20) - 1)
  for _, o in ipairs(old) do
    redis.call('HDEL', KEYS[3], o)
    redis.call('ZREM', KEYS[4], o)
  end
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
for i = 0, mirrors - 1 do redis.call('PUBLISH', ARGV[7 + 2 * i], ARGV[8 + 2 * i]) end
trimFills(KEYS[1], tonumber(ARGV[3]))
return 1
`
})

// Records the entry when it is pending (then acknowledges it) or when it is gone from the
// stream (1); a no-op (0) when it was already acknowledged.
export const DEAD_LETTER = redisScript({
  name: "deadLetter",
  keys: ["fills", "deadLetter"],
  args: ["group", "entryId", "maxLen", "reason", "nowMs"],
  rest: "the entry's raw field pairs",
  reply: ZeroOrOne,
  source: `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then
  local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
  if #e > 0 then return 0 end
end
local fields = {'entryId', ARGV[2], 'reason', ARGV[4], 'deadAtMs', ARGV[5]}
for i = 6, #ARGV, 2 do
  fields[#fields + 1] = 'raw.' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
if #p > 0 then redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`
})

/** The fill bus's scripts (test/bus/scripts.test.ts checks each declaration against its source). */
export const fillBusScripts = [PUBLISH_FILL, PUBLISH_RESIDUAL, READ_OWN, CLAIM_STALE, COMPLETE_FILL, DEAD_LETTER] as const

const isNoGroup = (e: BusError): boolean => e.code === "NOGROUP"

/** The (channel, message) pairs as the scripts take them, after their count. */
const mirrorPairs = (mirrors: ReadonlyArray<LegacyPublish>): Array<string> => mirrors.flatMap((m) => [m.channel, m.message])

/** The messages that could be built; a message that could not is logged, never a reason to fail the write. */
const usable = (m: LegacyMirrors, what: string): Effect.Effect<ReadonlyArray<LegacyPublish>> =>
  // Stryker disable next-line ConditionalExpression,EqualityOperator: decides only whether a warning is logged; both branches give m.publish
  m.problems.length === 0
    ? Effect.succeed(m.publish)
    : Effect.logWarning(`legacy message of ${what} not published: ${m.problems.join("; ")}`).pipe(Effect.as(m.publish))

const LevelsFields = Schema.toCodecStringTree(Schema.Record(Schema.String, Schema.Int))
const decodeLevels = Schema.decodeUnknownResult(LevelsFields)

export class RedisFillBus {
  static readonly layer = (options: RedisFillBusOptions): Layer.Layer<FillBus, BusError, RedisConnection> =>
    Layer.effect(FillBus, makeRedisFillBus(options))
}

export const makeRedisFillBus = (options: RedisFillBusOptions) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = fillBusKeys(options.prefix)
    const group = options.group ?? "hedgers"
    const maxLen = options.maxLen ?? 100_000
    const levelRetentionMs = Math.max(0, Math.trunc(options.levelRetentionMs ?? 7 * 24 * 3600 * 1000))

    const ensureGroup = conn.run("ensureGroup", (c) => c.xgroup("CREATE", keys.fills, group, "0", "MKSTREAM")).pipe(
      Effect.asVoid,
      Effect.catchIf((e) => e.code === "BUSYGROUP", () => Effect.void)
    )
    /** Runs `op`; when Redis lost the group (restart without persistence), re-creates it and runs it again. */
    const withGroup = <A>(op: Effect.Effect<A, BusError>): Effect.Effect<A, BusError> =>
      op.pipe(
        Effect.catchIf(isNoGroup, () =>
          Effect.logWarning(`consumer group ${group} on ${keys.fills} is missing (Redis restarted?); re-creating it`).pipe(
            Effect.andThen(ensureGroup),
            Effect.andThen(op)
          ))
      )

    yield* ensureGroup

    const seqSeen = () => Math.max(0, Math.trunc(options.seqFloor?.() ?? 0))
    const fenceKey = pairControlKeys(options.prefix).fence

    const publishOnce = (fill: FillEvent) =>
      // Stryker disable next-line StringLiteral: the text names the fill only in the logged warning
      usable(fillMirrors(fill, options.market, options.legacy), `fill ${fill.fillId}`).pipe(Effect.flatMap((mirrors) =>
      conn.runScript(
        PUBLISH_FILL,
        {
          fills: keys.fills,
          levels: keys.levels,
          last: keys.last,
          seq: keys.seq,
          seen: keys.seen,
          fence: fenceKey,
          epoch: pairControlKeys(options.prefix).epoch
        },
        {
          orderIndex: fill.orderIndex,
          filledBefore: fill.filledBefore,
          filledAfter: fill.filledAfter,
          mirrorCount: mirrors.length,
          retentionMs: levelRetentionMs,
          clientOrderIndex: fill.clientOrderIndex,
          seqSeen: seqSeen(),
          epochId: options.epochId?.() ?? ""
        },
        [...mirrorPairs(mirrors), ...recordToPairs(fillEventToFields(fill))]
      )))

    const publishResidualFlush = (flush: ResidualFlush): Effect.Effect<PublishedFill, BusError> =>
      conn.runScript(PUBLISH_RESIDUAL, { fills: keys.fills, seq: keys.seq }, { seqSeen: seqSeen() }, recordToPairs(residualFlushToFields(flush))).pipe(
        Effect.map(([seq, id]) => ({ fillSeq: Number(seq), entryId: id, duplicate: false }))
      )

    const publishFill = (fill: FillEvent): Effect.Effect<PublishedFill, BusError> =>
      Effect.gen(function*() {
        let event = fill
        for (let i = 0; i < 3; i++) {
          const [outcome, value, entryId] = yield* publishOnce(event)
          if (outcome === 2) {
            // Part of the range is already published: append only the part above the level.
            const level = Number(value)
            yield* Effect.logWarning(`fill ${fill.fillId} overlaps published level ${level}; publishing only (${level}, ${fill.filledAfter}]`)
            event = new FillEventClass({ ...event, filledBefore: level, size: event.filledAfter - level })
            continue
          }
          if (outcome === 3) return { duplicate: true, fillSeq: 0, entryId: "", fenced: value }
          return { duplicate: outcome === 1, fillSeq: Number(value), entryId }
        }
        return yield* new BusError({ op: "publishFill", message: `fill ${fill.fillId}: published level kept moving` })
      })

    const publishedLevels = () =>
      Effect.gen(function*() {
        const raw = yield* conn.run("publishedLevels", (c) => c.hgetall(keys.levels))
        const r = decodeLevels(raw)
        if (r._tag === "Failure") {
          return yield* new BusError({ op: "publishedLevels", message: `corrupt hash ${keys.levels}: ${r.failure.message}` })
        }
        return new Map(Object.entries(r.success)) as ReadonlyMap<string, number>
      })

    const toEntries = (raw: ReadonlyArray<RawEntry>, deliveries: (id: string) => number): Array<BusEntry> =>
      raw.map(([id, fields]) => decodeEntry(id, fields === null ? undefined : pairsToRecord(fields), deliveries(id)))

    const readOwnPending = (consumer: string, count: number) =>
      withGroup(conn.runScript(READ_OWN, { fills: keys.fills }, { group, consumer, count })).pipe(
        Effect.map(([entries, pending]) => {
          const counts = new Map(pending.map((p) => [p[0], Number(p[3])]))
          return toEntries(entries, (id) => counts.get(id) ?? 1)
        })
      )

    const claimStale = (consumer: string, minIdleMs: number, count: number) =>
      withGroup(conn.runScript(CLAIM_STALE, { fills: keys.fills }, { group, consumer, minIdleMs: Math.max(0, Math.floor(minIdleMs)), count })).pipe(
        Effect.flatMap(([entries, counts, deleted]) => {
          const out = entries.map(([id, fields], i) =>
            decodeEntry(id, fields === null ? undefined : pairsToRecord(fields), Number(counts[i] ?? 1))
          )
          // Stryker disable next-line ConditionalExpression: 'false' decides only whether the error is logged (no deleted ids: nothing is appended)
          return deleted.length === 0
            ? Effect.succeed(out)
            : Effect.logError(`fill entries deleted from ${keys.fills} while pending: ${deleted.join(", ")}`).pipe(
              Effect.as([...out, ...deleted.map((id) => decodeEntry(id, undefined, 1))])
            )
        })
      )

    // Blocking reads: a small pool of dedicated connections. A read that fails or is interrupted
    // disconnects its connection (the BLOCK may still be running on it).
    const idle: Array<Redis> = []
    const open = new Set<Redis>()
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const c of open) c.disconnect()
        // Stryker disable next-line CallExpression: memory only; the bus's scope is closing and nothing reads the set again
        open.clear()
        idle.length = 0
      })
    )
    const readBlocking = (o: ReadOptions) =>
      Effect.gen(function*() {
        const c = idle.pop() ?? (yield* conn.connectBlocking(`hedgeflow-read-${o.consumer}`))
        open.add(c)
        const args: Array<string | number> = ["GROUP", group, o.consumer, "COUNT", o.count]
        if (o.blockMs > 0) args.push("BLOCK", Math.floor(o.blockMs))
        args.push("STREAMS", keys.fills, ">")
        return yield* Effect.tryPromise({
          try: () => c.call("XREADGROUP", ...args) as Promise<Array<[string, Array<RawEntry>]> | null>,
          catch: (cause) => busError("readNew", conn.target, cause)
        }).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              if (exit._tag === "Success") {
                idle.push(c)
              } else {
                // Stryker disable next-line CallExpression: memory only; the connection is disconnected here and a second disconnect at the end is harmless
                open.delete(c)
                c.disconnect()
              }
            })
          )
        )
      })
    const readNew = (o: ReadOptions) =>
      withGroup(readBlocking(o).pipe(Effect.retry(transientRetry))).pipe(
        Effect.map((reply) => (reply === null || reply.length === 0 ? [] : toEntries(reply[0]![1], () => 1)))
      )

    const completeFill = (entryId: string, result: HedgeResult) =>
      // Stryker disable next-line StringLiteral: the text names the result only in the logged warning
      usable(resultMirrors(result, options.market, options.legacy), `result of ${result.fillId}`).pipe(Effect.flatMap((mirrors) =>
      withGroup(
        conn.runScript(
          COMPLETE_FILL,
          { fills: keys.fills, hedges: keys.hedges, hedged: keys.hedged, hedgedAt: keys.hedgedAt },
          {
            group,
            entryId,
            maxLen,
            mirrorCount: mirrors.length,
            fillId: result.fillId,
            hedgedRecord: hedgedRecordValue(entryId, result)
          },
          [...mirrorPairs(mirrors), ...recordToPairs(hedgeResultFields(entryId, result))]
        )
      ).pipe(Effect.asVoid)))

    const hedgedFill = (fillId: string) =>
      conn.run("hedgedFill", (c) => c.hget(keys.hedged, fillId)).pipe(
        Effect.flatMap((v) => {
          if (v === null) return Effect.succeed(Option.none<HedgedFillRecord>())
          const r = parseHedgedRecord(fillId, v)
          return r === undefined
            ? Effect.fail(new BusError({ op: "hedgedFill", message: `corrupt record of ${fillId} in ${keys.hedged}: ${v.slice(0, 100)}` }))
            : Effect.succeed(Option.some(r))
        })
      )

    const ackDuplicate = (entryId: string) =>
      withGroup(conn.run("ackDuplicate", (c) => c.xack(keys.fills, group, entryId))).pipe(Effect.asVoid)

    const deadLetter = (entryId: string, raw: Readonly<Record<string, string>>, reason: string) =>
      Effect.gen(function*() {
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        yield* withGroup(
          conn.runScript(
            DEAD_LETTER,
            { fills: keys.fills, deadLetter: keys.deadLetter },
            { group, entryId, maxLen, reason, nowMs: now },
            recordToPairs(raw)
          )
        )
      })

    const pendingCount = () =>
      withGroup(conn.run("pendingCount", (c) => c.xpending(keys.fills, group))).pipe(
        Effect.map((summary) => Number((summary as [number, ...Array<unknown>])[0] ?? 0))
      )

    const hedgeResults = (sinceEntryId?: string) =>
      Effect.gen(function*() {
        const start = sinceEntryId === undefined ? "-" : `(${sinceEntryId}`
        const entries = yield* conn.run("hedgeResults", (c) => c.xrange(keys.hedges, start, "+"))
        const out: Array<HedgeResult> = []
        for (const [id, fields] of entries) {
          const r = decodeHedgeResult(pairsToRecord(fields).result)
          if (r._tag === "Failure") {
            return yield* new BusError({ op: "hedgeResults", message: `corrupt entry ${id} in ${keys.hedges}: ${r.failure.message}` })
          }
          out.push(r.success)
        }
        return out
      })

    return FillBus.of({
      publishFill,
      publishResidualFlush,
      publishedLevels,
      readOwnPending,
      claimStale,
      readNew,
      completeFill,
      hedgedFill,
      ackDuplicate,
      deadLetter,
      pendingCount,
      hedgeResults
    } satisfies FillBusShape)
  })
