// PairState on Redis.
//   <prefix>:intents     hash fillId → intent JSON
//   <prefix>:residual    signed integer, the residual pool
//   <prefix>:state       hash { state, reason, since }
//   <prefix>:hb:a|b      heartbeat JSON { atMs, status }, PX ttl
//   <prefix>:quote-seq   counter
//   <prefix>:epoch, :fence, :audit, :epoch-loss   see pair-keys.ts
// beginHedge is one Lua script. Updates of an existing intent (recordAttempt, finishHedge) are
// compare-and-set Lua scripts: the new JSON is written only if the stored JSON is still the one
// it was computed from, so no JSON is ever re-encoded inside Lua (cjson loses digits past 14).
import { EpochMarker, ForceCloseRequest, ForceCloseResult, LossReport, parseRestingQuote, restingQuoteText } from "../../domain/pair-records.ts"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import type { MarketSpec } from "../../domain/market.ts"
import type { HedgeAttempt } from "../../domain/messages.ts"
import { decodeIntent, encodeIntent, HeartbeatJson } from "../codec.ts"
import { withAttempt } from "../../domain/intent.ts"
import { BusError } from "../errors.ts"
import {
  type AuditEntry,
  type BeginHedgeResult,
  type FlattenFence,
  type ForceCloseState,
  type HedgeIntent,
  type PairFences,
  PairState,
  type PairStateShape,
  type QuoteSeqClaim,
  type RestingQuoteInfo,
  type TradingState
} from "../PairState.ts"
import { RedisConnection } from "./connection.ts"
import { FlatPairs, redisScript, ZeroOrOne } from "./script.ts"
import { AUDIT_MAX_LEN, pairControlKeys } from "./pair-keys.ts"
import { fillBusKeys } from "./RedisFillBus.ts"

export interface RedisPairStateOptions {
  readonly prefix: string
  /** The pair's market: sizes in audit entries written by scripts are in its units (absent: base units). */
  readonly market?: MarketSpec
}

export const pairStateKeys = (prefix: string) => ({
  intents: `${prefix}:intents`,
  residual: `${prefix}:residual`,
  state: `${prefix}:state`,
  hb: (role: "a" | "b") => `${prefix}:hb:${role}`,
  quoteSeq: `${prefix}:quote-seq`,
  quote: `${prefix}:a-quote`
})

// Shared by the scripts that write sizes into audit entries.
const LUA_UNITS = `-- A signed integer of base units as the market writes it (ARGV[d] decimals, ARGV[d+1] symbol;
-- '' decimals: unknown, written as base units). Matches formatScaled (src/domain/market.ts).
local function units(n, d, sym)
  if d == nil or d == '' then return n .. ' base units' end
  d = tonumber(d)
  local neg = string.sub(n, 1, 1) == '-'
  local digits = neg and string.sub(n, 2) or n
  while #digits <= d do digits = '0' .. digits end
  local text = digits
  if d > 0 then text = string.sub(digits, 1, #digits - d) .. '.' .. string.sub(digits, #digits - d + 1) end
  return (neg and '-' or '') .. text .. ' ' .. sym
end
`

// Creates the fill's hedge intent, or returns the existing one: {1, json} existing | {0, json} created.
// A fill at or below a flatten's fill fence was settled by the flatten (its position is closed):
// it gets a deferred intent of 0 that touches nothing, and an audit line; it is never hedged.
// sizeDecimals and symbol: the market's, for the audit text ('' decimals: base units).
export const BEGIN_HEDGE = redisScript({
  name: "beginHedge",
  keys: ["intents", "residual", "fence", "audit"],
  args: ["fillId", "fillSeq", "signedDelta", "minBase", "nowMs", "sizeDecimals", "symbol"],
  reply: Schema.Tuple([ZeroOrOne, Schema.String]),
  source: `
${LUA_UNITS}local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {1, existing} end
local fenced = tonumber(redis.call('HGET', KEYS[3], 'flattenFillSeq') or '0') or 0
if tonumber(ARGV[2]) <= fenced then
  local json = '{"fillId":' .. cjson.encode(ARGV[1]) .. ',"fillSeq":' .. ARGV[2] ..
    ',"status":"deferred","targetSignedBase":0,"takenFromPool":0,"attempts":[],"createdAtMs":' .. ARGV[5] .. '}'
  redis.call('HSET', KEYS[1], ARGV[1], json)
  local id = redis.call('HGET', KEYS[3], 'flattenId') or '?'
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ${AUDIT_MAX_LEN}, '*', 'atMs', ARGV[5], 'kind', 'fill-settled-by-flatten',
    'text', 'fill ' .. ARGV[1] .. ' (seq ' .. ARGV[2] .. ', ' .. units(ARGV[3], ARGV[6], ARGV[7]) .. ' to hedge) was settled by flatten ' .. id .. ': not hedged')
  return {0, json}
end
-- The same rule as poolDecision (src/domain/hedge-plan.ts).
local delta = tonumber(ARGV[3])
local minBase = tonumber(ARGV[4])
local pool = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local combined = pool + delta
local status, target, taken
if math.abs(combined) >= minBase then
  status = 'open'; target = combined; taken = pool
  redis.call('SET', KEYS[2], '0')
elseif math.abs(delta) >= minBase and math.abs(pool) < minBase then
  status = 'open'; target = delta; taken = 0
else
  status = 'deferred'; target = 0; taken = 0
  redis.call('SET', KEYS[2], string.format('%d', combined))
end
local json = '{"fillId":' .. cjson.encode(ARGV[1]) .. ',"fillSeq":' .. ARGV[2] .. ',"status":"' .. status ..
  '","targetSignedBase":' .. string.format('%d', target) .. ',"takenFromPool":' .. string.format('%d', taken) ..
  ',"attempts":[],"createdAtMs":' .. ARGV[5] .. '}'
redis.call('HSET', KEYS[1], ARGV[1], json)
return {0, json}
`
})

// Writes newJson (and adds poolDelta to the pool) only if the intent is still expectedJson:
// 1 written | 0 changed meanwhile.
export const CAS_INTENT = redisScript({
  name: "casIntent",
  keys: ["intents", "residual"],
  args: ["fillId", "expectedJson", "newJson", "poolDelta"],
  reply: ZeroOrOne,
  source: `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] ~= '0' then redis.call('INCRBY', KEYS[2], ARGV[4]) end
return 1
`
})

// Deletes the intent unless it is still open: 1 deleted | 0 open or absent.
export const FORGET_INTENT = redisScript({
  name: "forgetIntent",
  keys: ["intents"],
  args: ["fillId"],
  reply: ZeroOrOne,
  source: `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if string.find(cur, '"status":"open"', 1, true) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`
})

// The next quote sequence number while the pair is ACTIVE and (epochId '' = not checked) Redis
// holds that adopted epoch: {1, seq} | {0, reason}.
export const CLAIM_QUOTE_SEQ = redisScript({
  name: "claimQuoteSeq",
  keys: ["quoteSeq", "state", "epoch"],
  args: ["epochId"],
  reply: Schema.Union([Schema.Tuple([Schema.Literal(1), Schema.Number]), Schema.Tuple([Schema.Literal(0), Schema.String])]),
  source: `
local st = redis.call('HGET', KEYS[2], 'state')
if st and st ~= 'ACTIVE' then return {0, 'the pair is ' .. st} end
if ARGV[1] ~= '' then
  local id = redis.call('HGET', KEYS[3], 'id')
  if not id then return {0, 'Redis holds no epoch: its state was lost'} end
  if id ~= ARGV[1] then return {0, 'Redis holds epoch ' .. id .. ', not ' .. ARGV[1]} end
  if not redis.call('HGET', KEYS[3], 'adoptedAtMs') then return {0, 'epoch ' .. id .. ' is waiting for an operator'} end
end
return {1, redis.call('INCR', KEYS[1])}
`
})

// Replaces the epoch marker when the stored one is expectedId ('' = none stored). Returns the
// stored hash afterwards (HGETALL pairs).
export const REPLACE_EPOCH = redisScript({
  name: "replaceEpoch",
  keys: ["epoch"],
  args: ["expectedId"],
  rest: "the new marker's field pairs",
  reply: FlatPairs,
  source: `
local cur = redis.call('HGET', KEYS[1], 'id')
if (not cur and ARGV[1] == '') or (cur and cur == ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
end
return redis.call('HGETALL', KEYS[1])
`
})

// Marks the stored epoch adopted (once, with an audit line). Returns the stored hash (HGETALL
// pairs; none when there is no epoch).
export const ADOPT_EPOCH = redisScript({
  name: "adoptEpoch",
  keys: ["epoch", "audit"],
  args: ["by", "nowMs"],
  reply: FlatPairs,
  source: `
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return {} end
if not redis.call('HGET', KEYS[1], 'adoptedAtMs') then
  redis.call('HSET', KEYS[1], 'adoptedAtMs', ARGV[2], 'adoptedBy', ARGV[1])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ${AUDIT_MAX_LEN}, '*', 'atMs', ARGV[2], 'kind', 'epoch-adopted',
    'text', 'epoch ' .. id .. ' adopted by ' .. ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
`
})

// Raises each counter to its floor ('' = leave), never lowers it. Always 1.
export const RAISE_SEQUENCES = redisScript({
  name: "raiseSequences",
  keys: ["fillSeq", "quoteSeq"],
  args: ["fillSeqFloor", "quoteSeqFloor"],
  reply: Schema.Literal(1),
  source: `
local function raise(key, floorArg)
  if floorArg ~= '' then
    local cur = tonumber(redis.call('GET', key) or '0') or 0
    local floor = tonumber(floorArg)
    if cur < floor then redis.call('SET', key, floorArg) end
  end
end
raise(KEYS[1], ARGV[1])
raise(KEYS[2], ARGV[2])
return 1
`
})

// Raises the loss fence to quoteSeq and A's published levels to the given ones (recording the
// orders as seen at nowMs). Always 1.
export const FENCE_LOSS = redisScript({
  name: "fenceLoss",
  keys: ["fence", "levels", "seen"],
  args: ["quoteSeq", "nowMs"],
  rest: "(orderIndex, level) pairs",
  reply: Schema.Literal(1),
  source: `
local cur = tonumber(redis.call('HGET', KEYS[1], 'lossQuoteSeq') or '0') or 0
if cur < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'lossQuoteSeq', ARGV[1]) end
for i = 3, #ARGV, 2 do
  local l = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '-1') or -1
  if l < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[i])
end
return 1
`
})

// Flatten `id`'s fence: settles the quotes and fills so far, closes open intents, clears the
// pool, with an audit line. Returns {quoteSeqFence, fillSeqFence, pool, {closed fillIds}}. Intents
// are changed as text (status open → done), never re-encoded in Lua.
export const FENCE_FLATTEN = redisScript({
  name: "fenceFlatten",
  keys: ["fence", "quoteSeq", "fillSeq", "intents", "residual", "audit"],
  args: ["id", "nowMs", "sizeDecimals", "symbol"],
  reply: Schema.Tuple([Schema.String, Schema.String, Schema.String, Schema.Array(Schema.String)]),
  source: `
${LUA_UNITS}local q = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local f = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
local cq = tonumber(redis.call('HGET', KEYS[1], 'flattenQuoteSeq') or '0') or 0
local cf = tonumber(redis.call('HGET', KEYS[1], 'flattenFillSeq') or '0') or 0
if q < cq then q = cq end
if f < cf then f = cf end
redis.call('HSET', KEYS[1], 'flattenQuoteSeq', string.format('%d', q), 'flattenFillSeq', string.format('%d', f),
  'flattenId', ARGV[1], 'flattenAtMs', ARGV[2])
local closed = {}
local all = redis.call('HGETALL', KEYS[4])
for i = 1, #all, 2 do
  local v = all[i + 1]
  if string.find(v, '"status":"open"', 1, true) then
    local nv = string.gsub(v, '"status":"open"', '"status":"done"', 1)
    redis.call('HSET', KEYS[4], all[i], nv)
    closed[#closed + 1] = all[i]
  end
end
local pool = redis.call('GET', KEYS[5]) or '0'
redis.call('SET', KEYS[5], '0')
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ${AUDIT_MAX_LEN}, '*', 'atMs', ARGV[2], 'kind', 'flatten-fence',
  'text', 'flatten ' .. ARGV[1] .. ': quotes up to ' .. string.format('%d', q) .. ' and fills up to seq ' .. string.format('%d', f) ..
  ' settled; residual pool ' .. units(pool, ARGV[3], ARGV[4]) .. ' cleared; ' .. #closed .. ' open hedge intent(s) closed')
return {string.format('%d', q), string.format('%d', f), pool, closed}
`
})

// Returns what the pool held, and clears it.
export const CLEAR_POOL = redisScript({
  name: "clearResidualPool",
  keys: ["residual"],
  args: [],
  reply: Schema.String,
  source: `
local v = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[1], '0')
return v
`
})

// Stores the request; a second request never replaces the first. Returns what is stored
// afterwards (HGETALL pairs).
export const REQUEST_FORCE_CLOSE = redisScript({
  name: "requestForceClose",
  keys: ["forceClose"],
  args: ["id", "requestJson"],
  reply: FlatPairs,
  source: `
if redis.call('HEXISTS', KEYS[1], 'request') == 0 then
  redis.call('HSET', KEYS[1], 'request', ARGV[2], 'id', ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
`
})

// Writes a side's result only while request `id` is stored: 1 written | 0 not.
export const RECORD_FORCE_CLOSE = redisScript({
  name: "recordForceCloseResult",
  keys: ["forceClose"],
  args: ["id", "role", "resultJson"],
  reply: ZeroOrOne,
  source: `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1
`
})

// Returns what was stored (HGETALL pairs), then removes it.
export const CLEAR_FORCE_CLOSE = redisScript({
  name: "clearForceClose",
  keys: ["forceClose"],
  args: [],
  reply: FlatPairs,
  source: `
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return all
`
})

/** The pair state's scripts (test/bus/scripts.test.ts checks each declaration against its source). */
export const pairStateScripts = [
  BEGIN_HEDGE,
  CAS_INTENT,
  FORGET_INTENT,
  CLAIM_QUOTE_SEQ,
  REPLACE_EPOCH,
  ADOPT_EPOCH,
  RAISE_SEQUENCES,
  FENCE_LOSS,
  FENCE_FLATTEN,
  CLEAR_POOL,
  REQUEST_FORCE_CLOSE,
  RECORD_FORCE_CLOSE,
  CLEAR_FORCE_CLOSE
] as const

const pairsToObject = (pairs: ReadonlyArray<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  // Stryker disable next-line EqualityOperator,ArithmeticOperator: Redis replies are field/value pairs (even length), so i + 1 never equals the length; with i - 1 the extra round only sets out["undefined"] = undefined, a field nothing reads
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!
  return out
}

const intOf = (v: string | null | undefined): number | undefined => {
  // Stryker disable next-line ConditionalExpression: Number(undefined) is NaN, which the check below turns into undefined all the same
  if (v === null || v === undefined) return undefined
  const n = Number(v)
  return Number.isSafeInteger(n) ? n : undefined
}

/** An epoch marker from its hash fields; undefined when there is none (or it is unreadable). */
const decodeEpochFields = Schema.decodeUnknownResult(Schema.toCodecStringTree(EpochMarker))

/** The epoch a hash's fields hold, or undefined when they do not hold one. */
export const epochFromFields = (f: Readonly<Record<string, string>>): EpochMarker | undefined => {
  // Stryker disable next-line ObjectLiteral,StringLiteral: excess fields are ignored by default too (an epoch hash with an extra field is read in test/bus/redis-pair-state-more.test.ts)
  const r = decodeEpochFields(f, { onExcessProperty: "ignore" })
  // Stryker disable next-line ConditionalExpression: a failed Result has no success value: undefined either way
  return r._tag === "Success" ? r.success : undefined
}

const epochFields = (e: EpochMarker): Array<string> => [
  "id",
  e.id,
  "gen",
  String(e.gen),
  "createdAtMs",
  String(e.createdAtMs),
  ...(e.adoptedAtMs !== undefined ? ["adoptedAtMs", String(e.adoptedAtMs)] : []),
  ...(e.adoptedBy !== undefined ? ["adoptedBy", e.adoptedBy] : []),
  ...(e.note !== undefined ? ["note", e.note] : [])
]

const decodeLossReport = Schema.decodeUnknownResult(Schema.fromJsonString(LossReport))
const decodeForceCloseRequest = Schema.decodeUnknownResult(Schema.fromJsonString(ForceCloseRequest))
const decodeForceCloseResult = Schema.decodeUnknownResult(Schema.fromJsonString(ForceCloseResult))

/** The force-close hash decoded; none when empty; a BusError naming the field when unreadable. */
const forceCloseFromFields = (op: string, f: Readonly<Record<string, string>>): Effect.Effect<Option.Option<ForceCloseState>, BusError> => {
  if (f["request"] === undefined) return Effect.succeed(Option.none())
  const request = decodeForceCloseRequest(f["request"])
  if (request._tag === "Failure") return Effect.fail(new BusError({ op, message: `force-close request unreadable: ${f["request"]}` }))
  const result = (role: "a" | "b") => {
    const raw = f[role]
    // Stryker disable next-line ConditionalExpression: undefined does not decode as a result, which gives undefined below
    if (raw === undefined) return undefined
    const r = decodeForceCloseResult(raw)
    // Stryker disable next-line ConditionalExpression: a failed Result has no success value: undefined either way
    return r._tag === "Success" ? r.success : undefined
  }
  const a = result("a")
  const b = result("b")
  return Effect.succeed(Option.some({ request: request.success, ...(a !== undefined ? { a } : {}), ...(b !== undefined ? { b } : {}) }))
}

const TradingStateSchema = Schema.Literals(["ACTIVE", "REDUCING", "HALTED"])
const decodeTradingState = Schema.decodeUnknownResult(TradingStateSchema)
const decodeHeartbeat = Schema.decodeUnknownResult(HeartbeatJson)
const IntFromString = Schema.toCodecStringTree(Schema.Int)
const decodeIntString = Schema.decodeUnknownResult(IntFromString)

/** The market's size decimals and symbol for the scripts' audit texts ('' : unknown). */
const unitArgsOf = (market: RedisPairStateOptions["market"]): { readonly sizeDecimals: string | number; readonly symbol: string } => {
  // Stryker disable next-line StringLiteral: with '' decimals the scripts write base units and never the symbol
  if (market === undefined) return { sizeDecimals: "", symbol: "" }
  return { sizeDecimals: market.sizeDecimals, symbol: market.symbol }
}

export class RedisPairState {
  static readonly layer = (options: RedisPairStateOptions): Layer.Layer<PairState, BusError, RedisConnection> =>
    Layer.effect(PairState, makeRedisPairState(options))
}

export const makeRedisPairState = (options: RedisPairStateOptions) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = pairStateKeys(options.prefix)
    const control = pairControlKeys(options.prefix)
    const busKeys = fillBusKeys(options.prefix)
    const unitArgs = unitArgsOf(options.market)

    const parseIntent = (op: string, fillId: string, json: string) => {
      const r = decodeIntent(json)
      return r._tag === "Success"
        ? Effect.succeed(r.success as HedgeIntent)
        : Effect.fail(new BusError({ op, message: `corrupt hedge intent ${keys.intents}[${fillId}]: ${r.failure.message}` }))
    }

    const beginHedge: PairStateShape["beginHedge"] = (args) =>
      Effect.gen(function*() {
        const [existing, json] = yield* conn.runScript(
          BEGIN_HEDGE,
          { intents: keys.intents, residual: keys.residual, fence: control.fence, audit: control.audit },
          {
            fillId: args.fillId,
            fillSeq: Math.trunc(args.fillSeq),
            signedDelta: Math.trunc(args.signedDelta),
            minBase: args.minBase,
            nowMs: Math.trunc(args.nowMs),
            ...unitArgs
          }
        )
        const intent = yield* parseIntent("beginHedge", args.fillId, json)
        return (existing === 1 ? { _tag: "Existing", intent } : { _tag: "Created", intent }) satisfies BeginHedgeResult
      })

    /** Read-modify-write of one intent, atomic by compare-and-set; `f` returns undefined for "no change". */
    const updateIntent = (
      op: string,
      fillId: string,
      f: (intent: HedgeIntent) => Effect.Effect<{ readonly next: HedgeIntent; readonly poolDelta: number } | undefined, BusError>
    ) =>
      Effect.gen(function*() {
        for (let i = 0; i < 20; i++) {
          const json = yield* conn.run(op, (c) => c.hget(keys.intents, fillId))
          if (json === null) return yield* new BusError({ op, message: `no hedge intent ${keys.intents}[${fillId}]` })
          const intent = yield* parseIntent(op, fillId, json)
          const change = yield* f(intent)
          if (change === undefined) return
          const ok = yield* conn.runScript(CAS_INTENT, { intents: keys.intents, residual: keys.residual }, {
            fillId,
            expectedJson: json,
            newJson: encodeIntent(change.next),
            poolDelta: String(Math.trunc(change.poolDelta))
          })
          if (ok === 1) return
        }
        return yield* new BusError({ op, message: `hedge intent ${fillId} kept changing under concurrent updates` })
      })

    const recordAttempt = (fillId: string, attempt: HedgeAttempt) =>
      updateIntent("recordAttempt", fillId, (intent) =>
        intent.status !== "open"
          ? Effect.fail(new BusError({ op: "recordAttempt", message: `hedge intent ${fillId} is ${intent.status}, not open` }))
          : Effect.succeed({ next: withAttempt(intent, attempt), poolDelta: 0 }))

    const finishHedge = (fillId: string, returnToPool: number) =>
      updateIntent("finishHedge", fillId, (intent) =>
        Effect.succeed(
          intent.status === "open" ? { next: { ...intent, status: "done" as const }, poolDelta: returnToPool } : undefined
        ))

    const forgetIntent = (fillId: string) => conn.runScript(FORGET_INTENT, { intents: keys.intents }, { fillId }).pipe(Effect.asVoid)

    const getIntent = (fillId: string) =>
      Effect.gen(function*() {
        const json = yield* conn.run("getIntent", (c) => c.hget(keys.intents, fillId))
        if (json === null) return Option.none<HedgeIntent>()
        return Option.some(yield* parseIntent("getIntent", fillId, json))
      })

    const residualPool = () =>
      Effect.gen(function*() {
        const raw = yield* conn.run("residualPool", (c) => c.get(keys.residual))
        if (raw === null) return 0
        const r = decodeIntString(raw)
        if (r._tag === "Failure") return yield* new BusError({ op: "residualPool", message: `corrupt ${keys.residual}: ${r.failure.message}` })
        return r.success
      })

    const openIntents = () =>
      Effect.gen(function*() {
        const all = yield* conn.run("openIntents", (c) => c.hgetall(keys.intents))
        const out: Array<HedgeIntent> = []
        for (const [fillId, json] of Object.entries(all)) {
          const intent = yield* parseIntent("openIntents", fillId, json)
          if (intent.status === "open") out.push(intent)
        }
        return out.sort((a, b) => a.fillSeq - b.fillSeq)
      })

    const tradingState = () =>
      Effect.gen(function*() {
        const raw = yield* conn.run("tradingState", (c) => c.hget(keys.state, "state"))
        if (raw === null) return "ACTIVE" as TradingState
        const r = decodeTradingState(raw)
        if (r._tag === "Failure") return yield* new BusError({ op: "tradingState", message: `corrupt ${keys.state}: ${r.failure.message}` })
        return r.success
      })

    const tradingStatus = () =>
      Effect.gen(function*() {
        const state = yield* tradingState()
        const [reason, since] = yield* conn.run("tradingStatus", (c) => c.hmget(keys.state, "reason", "since"))
        // Stryker disable next-line ConditionalExpression: HMGET answers null for a missing field, never undefined (and Number(undefined) is NaN, dropped below)
        const sinceMs = since === null || since === undefined ? undefined : Number(since)
        return {
          state,
          // Stryker disable next-line ConditionalExpression: HMGET answers a string or null, never undefined
          ...(reason !== null && reason !== undefined ? { reason } : {}),
          // Stryker disable next-line ConditionalExpression: Number.isSafeInteger(undefined) is false
          ...(sinceMs !== undefined && Number.isSafeInteger(sinceMs) ? { sinceMs } : {})
        }
      })

    const setTradingState = (state: TradingState, reason: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* conn.run("setTradingState", (c) => c.hset(keys.state, "state", state, "reason", reason, "since", String(now)))
      })

    const heartbeat = (role: "a" | "b", status: Readonly<Record<string, unknown>>, ttlMs: number) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const json = JSON.stringify({ atMs: now, status })
        yield* conn.run("heartbeat", (c) => c.set(keys.hb(role), json, "PX", Math.max(1, Math.ceil(ttlMs))))
      })

    const lastHeartbeat = (role: "a" | "b") =>
      Effect.gen(function*() {
        const raw = yield* conn.run("lastHeartbeat", (c) => c.get(keys.hb(role)))
        if (raw === null) return Option.none()
        const r = decodeHeartbeat(raw)
        if (r._tag === "Failure") {
          return yield* new BusError({ op: "lastHeartbeat", message: `corrupt heartbeat ${keys.hb(role)}: ${r.failure.message}` })
        }
        return Option.some(r.success)
      })

    const nextQuoteSeq = () => conn.run("nextQuoteSeq", (c) => c.incr(keys.quoteSeq))

    const publishQuote = (quote: Option.Option<RestingQuoteInfo>) =>
      Option.isSome(quote)
        ? conn.run("publishQuote", (c) => c.set(keys.quote, restingQuoteText(quote.value))).pipe(Effect.asVoid)
        : conn.run("publishQuote", (c) => c.del(keys.quote)).pipe(Effect.asVoid)

    const restingQuote = () =>
      Effect.gen(function*() {
        const raw = yield* conn.run("restingQuote", (c) => c.get(keys.quote))
        if (raw === null) return Option.none<RestingQuoteInfo>()
        const q = parseRestingQuote(raw)
        if (q === undefined) return yield* new BusError({ op: "restingQuote", message: `corrupt quote ${keys.quote}: ${JSON.stringify(raw.slice(0, 80))}` })
        return Option.some(q)
      })

    const claimQuoteSeq = (gate: { readonly epochId?: string | undefined }) =>
      conn.runScript(CLAIM_QUOTE_SEQ, { quoteSeq: keys.quoteSeq, state: keys.state, epoch: control.epoch }, { epochId: gate.epochId ?? "" }).pipe(
        Effect.map((reply): QuoteSeqClaim => (reply[0] === 1 ? { _tag: "Granted", seq: reply[1] } : { _tag: "Refused", reason: reply[1] }))
      )

    const epoch = () =>
      conn.run("epoch", (c) => c.hgetall(control.epoch)).pipe(Effect.map((f) => Option.fromNullishOr(epochFromFields(f))))

    const storedEpoch = (op: string, reply: ReadonlyArray<string>) => {
      const e = epochFromFields(pairsToObject(reply))
      return e === undefined ? Effect.fail(new BusError({ op, message: `no readable epoch in ${control.epoch} after ${op}` })) : Effect.succeed(e)
    }

    const replaceEpoch = (next: EpochMarker, expectedId: string | undefined) =>
      conn.runScript(REPLACE_EPOCH, { epoch: control.epoch }, { expectedId: expectedId ?? "" }, epochFields(next)).pipe(
        Effect.flatMap((reply) => storedEpoch("replaceEpoch", reply))
      )

    const adoptEpoch = (by: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const reply = yield* conn.runScript(ADOPT_EPOCH, { epoch: control.epoch, audit: control.audit }, { by, nowMs: now })
        return Option.fromNullishOr(epochFromFields(pairsToObject(reply)))
      })

    const sequenceCounters = () =>
      conn.run("sequenceCounters", (c) => c.mget(busKeys.seq, keys.quoteSeq)).pipe(
        Effect.map(([f, q]) => ({ fillSeq: intOf(f), quoteSeq: intOf(q) }))
      )

    const raiseSequences = (floors: { readonly fillSeq?: number | undefined; readonly quoteSeq?: number | undefined }) =>
      conn.runScript(RAISE_SEQUENCES, { fillSeq: busKeys.seq, quoteSeq: keys.quoteSeq }, {
        // Stryker disable next-line ConditionalExpression: the floor would be "NaN"; the script's tonumber('NaN') is nan and `cur < nan` is false, so nothing is raised, as with ''
        fillSeqFloor: floors.fillSeq === undefined ? "" : String(Math.trunc(floors.fillSeq)),
        // Stryker disable next-line ConditionalExpression: the floor would be "NaN"; the script's tonumber('NaN') is nan and `cur < nan` is false, so nothing is raised, as with ''
        quoteSeqFloor: floors.quoteSeq === undefined ? "" : String(Math.trunc(floors.quoteSeq))
      }).pipe(Effect.asVoid)

    const fences = () =>
      conn.run("fences", (c) => c.hgetall(control.fence)).pipe(
        Effect.map((f): PairFences => ({
          flattenQuoteSeq: intOf(f["flattenQuoteSeq"]) ?? 0,
          flattenFillSeq: intOf(f["flattenFillSeq"]) ?? 0,
          lossQuoteSeq: intOf(f["lossQuoteSeq"]) ?? 0,
          ...(f["flattenId"] !== undefined ? { flattenId: f["flattenId"] } : {}),
          ...(intOf(f["flattenAtMs"]) !== undefined ? { flattenAtMs: intOf(f["flattenAtMs"])! } : {})
        }))
      )

    const fenceLoss = (quoteSeq: number, levels: ReadonlyMap<string, number>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const pairs = [...levels].flatMap(([order, level]) => [order, String(Math.trunc(level))])
        yield* conn.runScript(
          FENCE_LOSS,
          { fence: control.fence, levels: busKeys.levels, seen: busKeys.seen },
          { quoteSeq: String(Math.trunc(quoteSeq)), nowMs: now },
          pairs
        )
      })

    const fenceFlatten = (id: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const [quoteSeqFence, fillSeqFence, pool, closed] = yield* conn.runScript(
          FENCE_FLATTEN,
          {
            fence: control.fence,
            quoteSeq: keys.quoteSeq,
            fillSeq: busKeys.seq,
            intents: keys.intents,
            residual: keys.residual,
            audit: control.audit
          },
          { id, nowMs: now, ...unitArgs }
        )
        return {
          quoteSeqFence: Number(quoteSeqFence),
          fillSeqFence: Number(fillSeqFence),
          poolCleared: Number(pool),
          intentsClosed: closed
        } satisfies FlattenFence
      })

    const clearResidualPool = () => conn.runScript(CLEAR_POOL, { residual: keys.residual }, {}).pipe(Effect.map((v) => Number(v)))

    const audit = (kind: string, text: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* conn.run("audit", (c) => c.xadd(control.audit, "MAXLEN", "~", AUDIT_MAX_LEN, "*", "atMs", String(now), "kind", kind, "text", text))
      })

    const auditLog = (count: number) =>
      conn.run("auditLog", (c) => c.xrevrange(control.audit, "+", "-", "COUNT", Math.max(1, Math.trunc(count)))).pipe(
        Effect.map((entries) =>
          entries.reverse().map(([, kv]): AuditEntry => {
            const f = pairsToObject(kv)
            return { atMs: intOf(f["atMs"]) ?? 0, kind: f["kind"] ?? "?", text: f["text"] ?? "" }
          })
        )
      )

    const forceClose = () =>
      conn.run("forceClose", (c) => c.hgetall(control.forceClose)).pipe(Effect.flatMap((f) => forceCloseFromFields("forceClose", f)))

    const requestForceClose = (request: ForceCloseRequest) =>
      conn.runScript(REQUEST_FORCE_CLOSE, { forceClose: control.forceClose }, { id: request.id, requestJson: JSON.stringify(request) }).pipe(
        Effect.flatMap((reply) => forceCloseFromFields("requestForceClose", pairsToObject(reply))),
        // Stryker disable next-line ObjectLiteral: unreachable: REQUEST_FORCE_CLOSE stores the request when none is stored and answers the whole hash, so a request is always there
        Effect.map((stored) => (Option.isSome(stored) ? stored.value : { request }))
      )

    const recordForceCloseResult = (id: string, role: "a" | "b", result: ForceCloseResult) =>
      conn.runScript(RECORD_FORCE_CLOSE, { forceClose: control.forceClose }, { id, role, resultJson: JSON.stringify(result) }).pipe(Effect.asVoid)

    const clearForceClose = () =>
      conn.runScript(CLEAR_FORCE_CLOSE, { forceClose: control.forceClose }, {}).pipe(
        Effect.flatMap((reply) => forceCloseFromFields("clearForceClose", pairsToObject(reply)))
      )

    const reportLoss = (role: "a" | "b", report: LossReport) =>
      conn.run("reportLoss", (c) => c.hset(control.lossReports, role, JSON.stringify(report))).pipe(Effect.asVoid)

    const lossReports = () =>
      conn.run("lossReports", (c) => c.hgetall(control.lossReports)).pipe(
        Effect.map((all) => {
          const read = (raw: string | undefined) => {
            // Stryker disable next-line ConditionalExpression: undefined does not decode as a loss report, which gives undefined below
            if (raw === undefined) return undefined
            const r = decodeLossReport(raw)
            // Stryker disable next-line ConditionalExpression: a failed Result has no success value: undefined either way
            return r._tag === "Success" ? (r.success as LossReport) : undefined
          }
          return { a: read(all["a"]), b: read(all["b"]) }
        })
      )

    return PairState.of({
      beginHedge,
      recordAttempt,
      finishHedge,
      getIntent,
      forgetIntent,
      residualPool,
      openIntents,
      tradingState,
      tradingStatus,
      setTradingState,
      heartbeat,
      lastHeartbeat,
      nextQuoteSeq,
      publishQuote,
      restingQuote,
      claimQuoteSeq,
      epoch,
      replaceEpoch,
      adoptEpoch,
      sequenceCounters,
      raiseSequences,
      fences,
      fenceLoss,
      fenceFlatten,
      clearResidualPool,
      audit,
      auditLog,
      requestForceClose,
      forceClose,
      recordForceCloseResult,
      clearForceClose,
      reportLoss,
      lossReports
    } satisfies PairStateShape)
  })
