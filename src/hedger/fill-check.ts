// Is this fill ours, and plausible? B hedges a fill only when it belongs to B's pair (pair id,
// market, A's account), is well-formed (its id names its own order and range), and is no larger
// than a configured multiple of the quote size; its price is checked against the book separately
// (priceRefusal). A residual flush must be B's own, of this pair. Anything else is refused: dead
// letter, alert, halt — never hedged. Pure.
import { VENUE_PRICE_BAND_BPS, withinPriceBand } from "../domain/hedge-plan.ts"
import { formatBase, formatPrice, type MarketSpec } from "../domain/market.ts"
import { type FillMessage, makeFillId, type ResidualFlushMessage } from "../domain/messages.ts"

export interface FillExpectations {
  /** The pair's name (config pair.name): A puts it on every fill. */
  readonly pair: string
  /** The pair's market: its id is checked; sizes and prices in the reasons are in its units. */
  readonly market: MarketSpec
  /** A's account index: every fill of A carries it. */
  readonly aAccountIndex: number
  /** B's account index: the residual flushes B puts on the stream itself carry it. */
  readonly bAccountIndex: number
  /** Largest plausible fill of A in base units (hedge.max_fill_multiple × the quote size). */
  readonly maxFillBase: number
}

/** Why B refuses to hedge `fill` (one line, for the dead letter and the alert), or undefined. */
export const refuseFill = (fill: FillMessage, x: FillExpectations): string | undefined => {
  if (fill.pair !== x.pair) return `not this pair's fill: pair "${fill.pair}", expected "${x.pair}"`
  if (fill.marketId !== x.market.marketId) return `not this pair's fill: market ${fill.marketId}, expected ${x.market.marketId}`
  if (fill.filledAfter - fill.filledBefore !== fill.size) {
    return `malformed fill: size ${fill.size} is not filledAfter ${fill.filledAfter} − filledBefore ${fill.filledBefore}`
  }
  if (fill.accountIndex !== x.aAccountIndex) return `not this pair's fill: account ${fill.accountIndex}, expected A's ${x.aAccountIndex}`
  if (fill.fillId !== makeFillId(fill.orderIndex, fill.filledAfter)) {
    return `malformed fill: fillId "${fill.fillId}" is not "<orderIndex>:<filledAfter>" of order "${fill.orderIndex}" filled to ${fill.filledAfter}`
  }
  if (fill.size > x.maxFillBase) {
    const base = (n: number) => `${formatBase(x.market, n)} ${x.market.symbol}`
    return `implausible fill: size ${base(fill.size)} is above hedge.max_fill_multiple × the quote size (${base(x.maxFillBase)})`
  }
  return undefined
}

/** Why B refuses a residual flush (not this pair's, or not B's own), or undefined. */
export const refuseFlush = (flush: ResidualFlushMessage, x: FillExpectations): string | undefined => {
  if (flush.pair !== x.pair) return `not this pair's residual flush: pair "${flush.pair}", expected "${x.pair}"`
  if (flush.marketId !== x.market.marketId) return `not this pair's residual flush: market ${flush.marketId}, expected ${x.market.marketId}`
  // B's own request to hedge the pool: it adds nothing to the pool, its price is the reference.
  if (flush.accountIndex !== x.bAccountIndex) return `not this pair's residual flush: account ${flush.accountIndex}, expected B's ${x.bAccountIndex}`
  return undefined
}

/** Why B refuses a fill priced outside the venue's band around the book's reference, or undefined. */
export const priceRefusal = (fill: { readonly price: number }, ref: number, market: MarketSpec, bandBps = VENUE_PRICE_BAND_BPS): string | undefined =>
  withinPriceBand(fill.price, ref, bandBps)
    ? undefined
    : `implausible price: ${formatPrice(market, fill.price)} is outside the venue's ±${bandBps / 100} % band around the book's ${formatPrice(market, ref)}`
