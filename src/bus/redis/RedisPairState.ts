// PairState on Redis.
//   <prefix>:intents     hash fillId → intent JSON
//   <prefix>:residual    signed integer, the residual pool
//   <prefix>:state       hash { state, reason, since }
//   <prefix>:hb:a|b      heartbeat JSON { atMs, status }, PX ttl
//   <prefix>:quote-seq   counter
// beginHedge is one Lua script. Updates of an existing intent (recordAttempt, finishHedge) are
// compare-and-set Lua scripts: the new JSON is written only if the stored JSON is still the one
// it was computed from, so no JSON is ever re-encoded inside Lua (cjson loses digits past 14).
import { Clock, Effect, Layer, Option, Schema } from "effect"
import type { HedgeAttempt } from "../../domain/messages.ts"
import { decodeIntent, encodeIntent, HeartbeatJson, withAttempt } from "../codec.ts"
import { BusError } from "../errors.ts"
import { type BeginHedgeResult, type HedgeIntent, PairState, type PairStateShape, type RestingQuoteInfo, type TradingState } from "../PairState.ts"
import { luaScript, RedisConnection } from "./connection.ts"

export interface RedisPairStateOptions {
  readonly prefix: string
}

export const pairStateKeys = (prefix: string) => ({
  intents: `${prefix}:intents`,
  residual: `${prefix}:residual`,
  state: `${prefix}:state`,
  hb: (role: "a" | "b") => `${prefix}:hb:${role}`,
  quoteSeq: `${prefix}:quote-seq`,
  quote: `${prefix}:a-quote`
})

// KEYS intents, residual. ARGV fillId, fillSeq, signedDelta, minBase, nowMs.
// Returns {1, json} existing | {0, json} created.
const BEGIN_HEDGE = luaScript(
  "beginHedge",
  `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {1, existing} end
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
)

// KEYS intents, residual. ARGV fillId, expectedJson, newJson, poolDelta. 1 written | 0 changed meanwhile.
const CAS_INTENT = luaScript(
  "casIntent",
  `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] ~= '0' then redis.call('INCRBY', KEYS[2], ARGV[4]) end
return 1
`
)

// KEYS intents. ARGV fillId. Deletes the intent unless it is still open.
const FORGET_INTENT = luaScript(
  "forgetIntent",
  `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if string.find(cur, '"status":"open"', 1, true) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`
)

const TradingStateSchema = Schema.Literals(["ACTIVE", "REDUCING", "HALTED"])
const decodeTradingState = Schema.decodeUnknownResult(TradingStateSchema)
const decodeHeartbeat = Schema.decodeUnknownResult(HeartbeatJson)
const IntFromString = Schema.toCodecStringTree(Schema.Int)
const decodeIntString = Schema.decodeUnknownResult(IntFromString)

export class RedisPairState {
  static readonly layer = (options: RedisPairStateOptions): Layer.Layer<PairState, BusError, RedisConnection> =>
    Layer.effect(PairState, makeRedisPairState(options))
}

export const makeRedisPairState = (options: RedisPairStateOptions) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = pairStateKeys(options.prefix)

    const parseIntent = (op: string, fillId: string, json: string) => {
      const r = decodeIntent(json)
      return r._tag === "Success"
        ? Effect.succeed(r.success as HedgeIntent)
        : Effect.fail(new BusError({ op, message: `corrupt hedge intent ${keys.intents}[${fillId}]: ${r.failure.message}` }))
    }

    const beginHedge: PairStateShape["beginHedge"] = (args) =>
      Effect.gen(function*() {
        const reply = (yield* conn.evalScript(BEGIN_HEDGE, [keys.intents, keys.residual], [
          args.fillId,
          Math.trunc(args.fillSeq),
          Math.trunc(args.signedDelta),
          args.minBase,
          Math.trunc(args.nowMs)
        ])) as [number, string]
        const intent = yield* parseIntent("beginHedge", args.fillId, reply[1])
        return (reply[0] === 1 ? { _tag: "Existing", intent } : { _tag: "Created", intent }) satisfies BeginHedgeResult
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
          const ok = yield* conn.evalScript(CAS_INTENT, [keys.intents, keys.residual], [
            fillId,
            json,
            encodeIntent(change.next),
            String(Math.trunc(change.poolDelta))
          ])
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

    const forgetIntent = (fillId: string) => conn.evalScript(FORGET_INTENT, [keys.intents], [fillId]).pipe(Effect.asVoid)

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
        const sinceMs = since === null || since === undefined ? undefined : Number(since)
        return {
          state,
          ...(reason !== null && reason !== undefined ? { reason } : {}),
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
      conn
        .run("publishQuote", (c) =>
          Option.isSome(quote)
            ? c.set(keys.quote, `${quote.value.side} ${quote.value.price} ${quote.value.clientOrderIndex}${quote.value.base === undefined ? "" : ` ${quote.value.base}`}`).then(() => 1)
            : c.del(keys.quote))
        .pipe(Effect.asVoid)

    const restingQuote = () =>
      Effect.gen(function*() {
        const raw = yield* conn.run("restingQuote", (c) => c.get(keys.quote))
        if (raw === null) return Option.none<RestingQuoteInfo>()
        const m = /^(buy|sell) (\d+) (\d+)(?: (\d+))?$/.exec(raw)
        if (m === null) return yield* new BusError({ op: "restingQuote", message: `corrupt quote ${keys.quote}: ${JSON.stringify(raw.slice(0, 80))}` })
        return Option.some<RestingQuoteInfo>({
          side: m[1] as "buy" | "sell",
          price: Number(m[2]),
          clientOrderIndex: Number(m[3]),
          ...(m[4] !== undefined ? { base: Number(m[4]) } : {})
        })
      })

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
      restingQuote
    } satisfies PairStateShape)
  })
