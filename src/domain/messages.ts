// Messages that cross process boundaries (Redis), with their Schemas.
// Every field is decoded at the edge: a message that does not decode is poison.
import { Schema } from "effect"
import { MAX_FILL_SEQ } from "./client-index.ts"

export const SideSchema = Schema.Literals(["buy", "sell"])

const SafeInt = Schema.Int
const NonNegInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const PosInt = Schema.Int.check(Schema.isGreaterThan(0))

// The venue's ranges (Lighter): base amounts and client order indexes fit 48 bits, prices 32
// bits, account indexes 48 bits, market ids 16 bits. Every field of a fill that feeds an id or a
// computation is range-checked when it is decoded, so an out-of-range value is poison (a dead
// letter), never a RangeError deep in the hedge path.
export const MAX_BASE = 2 ** 48 - 1
export const MAX_PRICE = 2 ** 32 - 1
export const MAX_ACCOUNT_INDEX = 2 ** 48 - 1
export const MAX_MARKET_ID = 2 ** 16 - 1
const between = (min: number, max: number) => Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max }))
const BaseAmount = between(0, MAX_BASE)
const PosBaseAmount = between(1, MAX_BASE)
const ShortString = (max: number) => Schema.String.check(Schema.isBetweenLength(1, max))

/**
 * A fill of account A, as A detected it: the quantity range (filledBefore, filledAfter]
 * of one order. `fillId` = `${orderIndex}:${filledAfter}` is unique per order range, and
 * A's publish is idempotent per order level, so a range is never published twice.
 */
export class FillEvent extends Schema.Class<FillEvent>("FillEvent")({
  fillId: ShortString(80),
  pair: ShortString(64),
  accountIndex: between(0, MAX_ACCOUNT_INDEX),
  marketId: between(0, MAX_MARKET_ID),
  side: SideSchema,
  orderIndex: ShortString(40),
  clientOrderIndex: between(0, MAX_BASE),
  filledBefore: BaseAmount,
  filledAfter: PosBaseAmount,
  /** filledAfter − filledBefore, in base units. */
  size: PosBaseAmount,
  /** Execution price of this delta in ticks (trade price, or the quote price). */
  price: between(1, MAX_PRICE),
  tradeId: Schema.optional(Schema.String.check(Schema.isMaxLength(128))),
  /** Venue's timestamp of the execution (ms). */
  venueTimestampMs: NonNegInt,
  /** When A saw the frame that carried it (ms, A's clock). */
  detectedAtMs: NonNegInt
}) {}

export const makeFillId = (orderIndex: string, filledAfter: number): string => `${orderIndex}:${filledAfter}`

/** Hedge results of residual flushes carry the fillId `residual:<fillSeq>`. */
export const RESIDUAL_FILL_PREFIX = "residual:"
export const isResidualFlush = (x: { readonly fillId: string }): boolean => x.fillId.startsWith(RESIDUAL_FILL_PREFIX)

/**
 * B's own request to hedge the residual pool, put on the fill stream (so it has the stream's
 * crash safety, in order with the fills) when a failed or partial hedge left the pool at or above
 * the venue minimum and no fill of A may come to carry it. It adds nothing to the pool: it hedges
 * what is there when it is taken up. `size` and `hedgeSide` describe the pool when it was
 * requested; `referencePrice` is the book's price then.
 */
export class ResidualFlush extends Schema.Class<ResidualFlush>("ResidualFlush")({
  pair: ShortString(64),
  /** B's account: only B puts residual flushes on the stream. */
  accountIndex: between(0, MAX_ACCOUNT_INDEX),
  marketId: between(0, MAX_MARKET_ID),
  /** What B trades to bring the pool to zero (a pool > 0 is bought). */
  hedgeSide: SideSchema,
  size: PosBaseAmount,
  referencePrice: between(1, MAX_PRICE),
  /** When B requested it (ms, B's clock): a record. */
  requestedAtMs: NonNegInt
}) {}

/** A residual flush as stored on the bus, with the pair-wide sequence number the bus gave it. */
export class ResidualFlushMessage extends Schema.Class<ResidualFlushMessage>("ResidualFlushMessage")({
  ...ResidualFlush.fields,
  fillSeq: between(1, MAX_FILL_SEQ)
}) {
  /** Its identity in intents and results. */
  get fillId(): string {
    return `${RESIDUAL_FILL_PREFIX}${this.fillSeq}`
  }
}

/** A fill as stored on the bus: the event plus the pair-wide sequence number the bus gave it. */
export class FillMessage extends Schema.Class<FillMessage>("FillMessage")({
  ...FillEvent.fields,
  /**
   * 1, 2, 3 … per pair; assigned atomically with the append. Hedge client ids derive from it, so
   * it must fit the 34 bits the client index gives it (MAX_FILL_SEQ).
   */
  fillSeq: between(1, MAX_FILL_SEQ)
}) {}

/**
 * What B hedges, whatever put it on the stream: A's fill, or B's own residual flush. `side` and
 * `size` are the A side and amount the hedge answers (B trades the opposite side); `price` is
 * the fill's price, or the flush's reference price.
 */
export interface HedgeSubject {
  readonly fillId: string
  readonly fillSeq: number
  readonly pair: string
  readonly marketId: number
  readonly side: "buy" | "sell"
  readonly size: number
  readonly price: number
  /** A's order's client index and the level the fill reached (the self-trade guard ignores a quote its own fill completed); 0 and `size` for a flush. */
  readonly clientOrderIndex: number
  readonly filledAfter: number
  /** When it was seen (a fill) or requested (a flush), ms: a record. */
  readonly detectedAtMs: number
  /** A residual flush: it adds nothing to the pool, it hedges what the pool holds. */
  readonly residual: boolean
}

export const subjectOfFill = (f: FillMessage): HedgeSubject => ({
  fillId: f.fillId,
  fillSeq: f.fillSeq,
  pair: f.pair,
  marketId: f.marketId,
  side: f.side,
  size: f.size,
  price: f.price,
  clientOrderIndex: f.clientOrderIndex,
  filledAfter: f.filledAfter,
  detectedAtMs: f.detectedAtMs,
  residual: false
})

export const subjectOfFlush = (f: ResidualFlushMessage): HedgeSubject => ({
  fillId: f.fillId,
  fillSeq: f.fillSeq,
  pair: f.pair,
  marketId: f.marketId,
  // The A side whose hedge is the flush's direction: B buys to answer an A sell.
  side: f.hedgeSide === "buy" ? "sell" : "buy",
  size: f.size,
  price: f.referencePrice,
  clientOrderIndex: 0,
  filledAfter: f.size,
  detectedAtMs: f.requestedAtMs,
  residual: true
})

export const HedgeStatus = Schema.Literals([
  /** the whole fill (plus any pooled residual) was hedged */
  "hedged",
  /** below the venue minimum: pooled with later fills, no order sent yet */
  "deferred",
  /** some quantity could not be hedged after all attempts; it went back to the residual pool */
  "partial",
  /** nothing could be hedged; the quantity went back to the residual pool */
  "failed"
])
export type HedgeStatus = typeof HedgeStatus.Type

/** One order B sent for a hedge. */
export class HedgeAttempt extends Schema.Class<HedgeAttempt>("HedgeAttempt")({
  attempt: PosInt,
  clientOrderIndex: PosInt,
  side: SideSchema,
  base: PosInt,
  priceCap: PosInt,
  sentAtMs: NonNegInt,
  /** Filled amount once known; undefined while the outcome is unknown. */
  filledBase: Schema.optional(NonNegInt),
  avgPrice: Schema.optional(NonNegInt),
  /** The order's filled notional in micro-USDC as the venue reported it (for the real average price). */
  filledQuoteMicro: Schema.optional(NonNegInt),
  orderIndex: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String)
}) {}

/** What B did for one fill: appended to `<prefix>:hedges` before the fill is acknowledged. */
export class HedgeResult extends Schema.Class<HedgeResult>("HedgeResult")({
  fillId: Schema.String,
  fillSeq: PosInt,
  pair: Schema.String,
  marketId: NonNegInt,
  aSide: SideSchema,
  fillSize: PosInt,
  /** Signed quantity B aimed to trade (fill hedge plus pooled residual; negative = sell). */
  targetSignedBase: SafeInt,
  /** Signed quantity B actually traded. */
  hedgedSignedBase: SafeInt,
  /** Signed quantity returned to the residual pool. */
  residualSignedBase: SafeInt,
  status: HedgeStatus,
  attempts: Schema.Array(HedgeAttempt),
  /**
   * The flatten that closed this fill's intent while B hedged it (its id): what B's orders did is
   * recorded; the rest was closed by the flatten, never returned to the pool, never alerted.
   */
  settledByFlatten: Schema.optionalKey(Schema.String),
  fillDetectedAtMs: NonNegInt,
  receivedAtMs: NonNegInt,
  doneAtMs: NonNegInt
}) {}
