// The small records A and B keep about their pair in Redis and read from each other, defined once
// as Schemas: the quote A publishes for B (I5), B's force-close request and each side's result,
// what a side found after Redis lost its state, the pair's epoch, and an audit line. The bus
// (src/bus/redis/RedisPairState.ts) stores and decodes them with these; nothing is cast.
import { Schema } from "effect"
import { SideSchema } from "./messages.ts"

const NonNegInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const PosInt = Schema.Int.check(Schema.isGreaterThan(0))

/** A's quote as B must not trade through it: its side, price, client index and size. */
export const RestingQuote = Schema.Struct({
  side: SideSchema,
  price: PosInt,
  clientOrderIndex: PosInt,
  /** The quote's size (base units): a fill reaching it means the quote no longer rests. */
  base: Schema.optionalKey(PosInt)
})
export type RestingQuote = typeof RestingQuote.Type

/** On the wire: "side price clientOrderIndex [base]" (what every version has written). */
export const restingQuoteText = (q: RestingQuote): string =>
  `${q.side} ${q.price} ${q.clientOrderIndex}${q.base === undefined ? "" : ` ${q.base}`}`

const decodeRestingQuote = Schema.decodeUnknownResult(RestingQuote)

/** The quote a stored text names, or undefined when the text is not one. */
export const parseRestingQuote = (text: string): RestingQuote | undefined => {
  const m = /^(\S+) (\d+) (\d+)(?: (\d+))?$/.exec(text)
  if (m === null) return undefined
  const r = decodeRestingQuote({
    side: m[1],
    price: Number(m[2]),
    clientOrderIndex: Number(m[3]),
    ...(m[4] !== undefined ? { base: Number(m[4]) } : {})
  })
  return r._tag === "Success" ? r.success : undefined
}

/** B's request that A and B close their positions (strategy.force_close_timeout, risk.force_close_action flatten). */
export const ForceCloseRequest = Schema.Struct({
  id: Schema.String,
  reason: Schema.String,
  requestedAtMs: NonNegInt
})
export type ForceCloseRequest = typeof ForceCloseRequest.Type

/** What one side did for a force close. */
export const ForceCloseResult = Schema.Struct({
  flat: Schema.Boolean,
  /** The account's position afterwards, base units. */
  positionBase: Schema.Int,
  atMs: NonNegInt,
  text: Schema.String
})
export type ForceCloseResult = typeof ForceCloseResult.Type

/** What A or B found at the venue after Redis lost its state. */
export const LossReport = Schema.Struct({
  epochId: Schema.String,
  positionBase: Schema.Int,
  atMs: NonNegInt,
  text: Schema.String
})
export type LossReport = typeof LossReport.Type

/**
 * The pair's epoch: which incarnation of the pair's Redis state A and B trade in. Redis that comes
 * back empty or from an older snapshot no longer holds the epoch the processes remember.
 */
export const EpochMarker = Schema.Struct({
  id: Schema.String.check(Schema.isMinLength(1)),
  /** 1 for the pair's first epoch; an epoch made after a loss of Redis state is one higher than what was lost. */
  gen: PosInt,
  createdAtMs: NonNegInt,
  /**
   * When the epoch became one to trade in: at creation for a pair's first epoch; after a loss,
   * when an operator ran `bin/hedge resume` or `flatten`. Absent: the pair waits for an operator.
   */
  adoptedAtMs: Schema.optionalKey(NonNegInt),
  adoptedBy: Schema.optionalKey(Schema.String),
  /** What its creator found (for a loss: what was lost). */
  note: Schema.optionalKey(Schema.String)
})
export type EpochMarker = typeof EpochMarker.Type

/** One line of the pair's audit log (`<prefix>:audit`): flattens, cleared pools, lost and adopted epochs. */
export const AuditEntry = Schema.Struct({
  atMs: NonNegInt,
  kind: Schema.String,
  text: Schema.String
})
export type AuditEntry = typeof AuditEntry.Type
