// Encoding of bus records, shared by the Redis and in-memory implementations, so both store
// and decode exactly the same shapes. Stream entries are flat string maps: numbers travel as
// strings and are decoded with a Schema transformation (toCodecStringTree), never with casts.
import { Schema } from "effect"
import { formatBase, formatPrice, type MarketSpec } from "../domain/market.ts"
import { FillEvent, FillMessage, HedgeAttempt, HedgeResult, SideSchema } from "../domain/messages.ts"
import { hedgeSideFor } from "../domain/side.ts"
import type { BusEntry, HedgedFillRecord } from "./FillBus.ts"
import type { HedgeIntent } from "./PairState.ts"

/** A fill event as a flat string field map (what A appends, before the bus adds `fillSeq`). */
export const FillEventFields = Schema.toCodecStringTree(FillEvent)
/** A stored fill entry: every field a string, decoded to a FillMessage. */
export const FillMessageFields = Schema.toCodecStringTree(FillMessage)

const encodeFillEventFields = Schema.encodeSync(FillEventFields)
const decodeFillMessageFields = Schema.decodeUnknownResult(FillMessageFields)

export const fillEventToFields = (fill: FillEvent): Record<string, string> =>
  encodeFillEventFields(fill) as unknown as Record<string, string>

/** Decodes one stream entry; what does not decode is poison, with the Schema error as reason. */
export const decodeEntry = (
  entryId: string,
  raw: Readonly<Record<string, string>> | undefined,
  deliveries: number
): BusEntry => {
  if (raw === undefined) {
    return { _tag: "Poison", entryId, raw: {}, reason: "entry no longer in the stream (deleted or trimmed)" }
  }
  const r = decodeFillMessageFields(raw, { errors: "all" })
  return r._tag === "Success"
    ? { _tag: "Fill", entryId, fill: r.success, deliveries, raw }
    : { _tag: "Poison", entryId, raw, reason: r.failure.message }
}

/** [k1, v1, k2, v2, …] → record. */
export const pairsToRecord = (pairs: ReadonlyArray<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!
  return out
}

export const recordToPairs = (r: Readonly<Record<string, string>>): Array<string> => Object.entries(r).flat()

// ---- hedge results ----

export const HedgeResultJson = Schema.fromJsonString(HedgeResult)
export const encodeHedgeResult = Schema.encodeSync(HedgeResultJson)
export const decodeHedgeResult = Schema.decodeUnknownResult(HedgeResultJson)

/** Fields of a `<prefix>:hedges` entry: the result as JSON plus a few flat fields for redis-cli. */
export const hedgeResultFields = (entryId: string, result: HedgeResult): Record<string, string> => ({
  result: encodeHedgeResult(result),
  fillId: result.fillId,
  fillSeq: String(result.fillSeq),
  fillEntryId: entryId,
  status: result.status,
  hedgedSignedBase: String(result.hedgedSignedBase),
  residualSignedBase: String(result.residualSignedBase)
})

// ---- hedged fill identities ----

/** Value stored per fillId in `<prefix>:hedged`: "size side fillSeq entryId". */
export const hedgedRecordValue = (entryId: string, result: HedgeResult): string =>
  `${result.fillSize} ${result.aSide} ${result.fillSeq} ${entryId}`

const HedgedRecordValue = Schema.Tuple([
  Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThan(0)),
  SideSchema,
  Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThan(0)),
  Schema.String
])
const decodeHedgedRecordValue = Schema.decodeUnknownResult(HedgedRecordValue)

/** Decodes a stored value; undefined when it is not one hedgedRecordValue wrote. */
export const parseHedgedRecord = (fillId: string, value: string): HedgedFillRecord | undefined => {
  const r = decodeHedgedRecordValue(value.split(" "))
  if (r._tag === "Failure") return undefined
  const [size, side, fillSeq, entryId] = r.success
  return { fillId, size, side, fillSeq, entryId }
}

// ---- hedge intents ----

export const HedgeIntentSchema = Schema.Struct({
  fillId: Schema.String,
  fillSeq: Schema.Int,
  status: Schema.Literals(["deferred", "open", "done"]),
  targetSignedBase: Schema.Int,
  takenFromPool: Schema.Int,
  attempts: Schema.Array(HedgeAttempt),
  createdAtMs: Schema.Int
})
export const HedgeIntentJson = Schema.fromJsonString(HedgeIntentSchema)
export const encodeIntent = (intent: HedgeIntent): string => Schema.encodeSync(HedgeIntentJson)(intent)
export const decodeIntent = Schema.decodeUnknownResult(HedgeIntentJson)

export const HeartbeatJson = Schema.fromJsonString(
  Schema.Struct({ atMs: Schema.Number, status: Schema.Record(Schema.String, Schema.Unknown) })
)

/** Applies `recordAttempt`: replaces the attempt with the same number, or appends it. */
export const withAttempt = (intent: HedgeIntent, attempt: HedgeAttempt): HedgeIntent => {
  const i = intent.attempts.findIndex((a) => a.attempt === attempt.attempt)
  const attempts = i === -1
    ? [...intent.attempts, attempt].sort((a, b) => a.attempt - b.attempt)
    : intent.attempts.map((a, j) => (j === i ? attempt : a))
  return { ...intent, attempts }
}

// ---- legacy Pub/Sub mirror ----

/**
 * JSON text of the first system's message. `order_index` is written as a bare JSON integer
 * with all its digits (order indexes exceed 2^53; Python's json reads them exactly).
 */
const legacyJson = (m: {
  readonly orderIndex: string
  readonly clientOrderIndex: number
  readonly marketIndex: number
  readonly filledBase: string
  readonly avgPrice: string
  readonly side: string
  readonly timestampSec: number
}): string => {
  const orderIndex = /^\d+$/.test(m.orderIndex) ? m.orderIndex.replace(/^0+(?=\d)/, "") : JSON.stringify(m.orderIndex)
  return `{"order_index":${orderIndex},"client_order_index":${m.clientOrderIndex},"market_index":${m.marketIndex},` +
    `"filled_base_amount":${JSON.stringify(m.filledBase)},"avg_execution_price":${JSON.stringify(m.avgPrice)},` +
    `"side":${JSON.stringify(m.side)},"timestamp":${m.timestampSec}}`
}

/** Mirror of A's fill on `hedge:account_a_filled`: the fill's delta and its price. */
export const legacyAMirror = (fill: FillEvent, market: MarketSpec): string =>
  legacyJson({
    orderIndex: fill.orderIndex,
    clientOrderIndex: fill.clientOrderIndex,
    marketIndex: fill.marketId,
    filledBase: formatBase(market, fill.size),
    avgPrice: formatPrice(market, fill.price),
    side: fill.side,
    timestampSec: fill.venueTimestampMs / 1000
  })

/**
 * Mirror of B's hedge on `hedge:account_b_filled`, or undefined when B traded nothing
 * (deferred / failed: the first system only announced B's fills).
 */
export const legacyBMirror = (result: HedgeResult, market: MarketSpec): string | undefined => {
  const filled = result.attempts.filter((a) => (a.filledBase ?? 0) > 0)
  const base = filled.reduce((s, a) => s + (a.filledBase ?? 0), 0)
  if (base === 0) return undefined
  const notional = filled.reduce((s, a) => s + (a.filledBase ?? 0) * (a.avgPrice ?? a.priceCap), 0)
  const last = filled[filled.length - 1]!
  return legacyJson({
    orderIndex: last.orderIndex ?? "0",
    clientOrderIndex: last.clientOrderIndex,
    marketIndex: result.marketId,
    filledBase: formatBase(market, base),
    avgPrice: formatPrice(market, Math.round(notional / base)),
    side: hedgeSideFor(result.aSide),
    timestampSec: result.doneAtMs / 1000
  })
}

// ---- entry ids ----

/** Orders stream entry ids ("ms-seq") numerically. */
export const compareEntryIds = (a: string, b: string): number => {
  const [am = "0", as = "0"] = a.split("-")
  const [bm = "0", bs = "0"] = b.split("-")
  const d = BigInt(am) - BigInt(bm)
  if (d !== 0n) return d < 0n ? -1 : 1
  const e = BigInt(as) - BigInt(bs)
  return e === 0n ? 0 : e < 0n ? -1 : 1
}
