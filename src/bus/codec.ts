// Encoding of bus records, shared by the Redis and in-memory implementations, so both store
// and decode exactly the same shapes. Stream entries are flat string maps: numbers travel as
// strings and are decoded with a Schema transformation (toCodecStringTree), never with casts.
import { Schema } from "effect"
import { FillEvent, FillMessage, HedgeResult, RESIDUAL_FILL_PREFIX, type ResidualFlush, ResidualFlushMessage, SideSchema } from "../domain/messages.ts"
import type { BusEntry, HedgedFillRecord } from "./FillBus.ts"
import { type HedgeIntent, HedgeIntentSchema } from "../domain/intent.ts"

/** A fill event as a flat string field map (what A appends, before the bus adds `fillSeq`). */
export const FillEventFields = Schema.toCodecStringTree(FillEvent)
/** A stored fill entry: every field a string, decoded to a FillMessage. */
export const FillMessageFields = Schema.toCodecStringTree(FillMessage)

const encodeFillEventFields = Schema.encodeSync(FillEventFields)
const decodeFillMessageFields = Schema.decodeUnknownResult(FillMessageFields)

export const fillEventToFields = (fill: FillEvent): Record<string, string> =>
  encodeFillEventFields(fill) as unknown as Record<string, string>

// A residual flush travels on the fill stream in the fields of a fill (the stream's one entry
// shape, and what earlier versions wrote): order "residual", client index 0, range (0, size], the
// A side its hedge answers, its reference price, fillId `residual:<fillSeq>` (the bus sets the id
// and the sequence number). Only this module knows that encoding.
const RESIDUAL_ORDER_INDEX = "residual"

/** A residual flush's fields on the stream, before the bus adds `fillId` and `fillSeq`. */
export const residualFlushToFields = (flush: ResidualFlush): Record<string, string> =>
  fillEventToFields(new FillEvent({
    fillId: RESIDUAL_FILL_PREFIX,
    pair: flush.pair,
    accountIndex: flush.accountIndex,
    marketId: flush.marketId,
    side: flush.hedgeSide === "buy" ? "sell" : "buy",
    orderIndex: RESIDUAL_ORDER_INDEX,
    clientOrderIndex: 0,
    filledBefore: 0,
    filledAfter: flush.size,
    size: flush.size,
    price: flush.referencePrice,
    venueTimestampMs: flush.requestedAtMs,
    detectedAtMs: flush.requestedAtMs
  }))

/** The flush a stored entry encodes, or why it is not a well-formed one. */
const flushOf = (m: FillMessage): ResidualFlushMessage | string =>
  m.fillId !== `${RESIDUAL_FILL_PREFIX}${m.fillSeq}` || m.orderIndex !== RESIDUAL_ORDER_INDEX || m.clientOrderIndex !== 0 ||
    m.filledBefore !== 0 || m.filledAfter !== m.size
    ? `malformed residual flush: fillId "${m.fillId}", order "${m.orderIndex}", client index ${m.clientOrderIndex}, ` +
      `range (${m.filledBefore}, ${m.filledAfter}], size ${m.size}, fillSeq ${m.fillSeq}`
    : new ResidualFlushMessage({
      pair: m.pair,
      accountIndex: m.accountIndex,
      marketId: m.marketId,
      hedgeSide: m.side === "buy" ? "sell" : "buy",
      size: m.size,
      referencePrice: m.price,
      requestedAtMs: m.detectedAtMs,
      fillSeq: m.fillSeq
    })

/** Decodes one stream entry; what does not decode is poison, with the reason. */
export const decodeEntry = (
  entryId: string,
  raw: Readonly<Record<string, string>> | undefined,
  deliveries: number
): BusEntry => {
  if (raw === undefined) {
    return { _tag: "Poison", entryId, raw: {}, reason: "entry no longer in the stream (deleted or trimmed)" }
  }
  const r = decodeFillMessageFields(raw, { errors: "all" })
  if (r._tag === "Failure") return { _tag: "Poison", entryId, raw, reason: r.failure.message }
  // A venue order's index is decimal and its fill's id "<order>:<level>": never taken for a flush.
  if (r.success.fillId.startsWith(RESIDUAL_FILL_PREFIX) || r.success.orderIndex === RESIDUAL_ORDER_INDEX) {
    const flush = flushOf(r.success)
    return typeof flush === "string"
      ? { _tag: "Poison", entryId, raw, reason: flush }
      : { _tag: "ResidualFlush", entryId, flush, deliveries, raw }
  }
  return { _tag: "Fill", entryId, fill: r.success, deliveries, raw }
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

export const HedgeIntentJson = Schema.fromJsonString(HedgeIntentSchema)
export const encodeIntent = (intent: HedgeIntent): string => Schema.encodeSync(HedgeIntentJson)(intent)
export const decodeIntent = Schema.decodeUnknownResult(HedgeIntentJson)

export const HeartbeatJson = Schema.fromJsonString(
  Schema.Struct({ atMs: Schema.Number, status: Schema.Record(Schema.String, Schema.Unknown) })
)


// ---- entry ids ----

/** Orders stream entry ids ("ms-seq") numerically. */
export const compareEntryIds = (a: string, b: string): number => {
  // Stryker disable next-line StringLiteral: split always gives a first part, and BigInt("") is 0n like the default "0"
  const [am = "0", as = "0"] = a.split("-")
  // Stryker disable next-line StringLiteral: split always gives a first part, and BigInt("") is 0n like the default "0"
  const [bm = "0", bs = "0"] = b.split("-")
  const d = BigInt(am) - BigInt(bm)
  if (d !== 0n) {
    // Stryker disable next-line EqualityOperator: equivalent: d is not 0 here
    return d < 0n ? -1 : 1
  }
  const e = BigInt(as) - BigInt(bs)
  if (e === 0n) return 0
  // Stryker disable next-line EqualityOperator: equivalent: e is not 0 here
  return e < 0n ? -1 : 1
}
