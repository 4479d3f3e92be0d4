// Hedge planning: minimum sizes, price caps, the residual pool, re-hedge decisions. Pure, integers.
import { type MarketSpec, QUOTE_DECIMALS } from "./market.ts"
import type { Side } from "./side.ts"

/** Smallest size B can send at `refPrice`: the venue's minimum base amount and minimum notional. */
export const effectiveMinBase = (market: MarketSpec, refPrice: number): number => {
  // notional(base, price) in micro-USDC = base · price · 10^(6 − sizeDec − priceDec)
  const shift = QUOTE_DECIMALS - market.sizeDecimals - market.priceDecimals
  const perUnit = shift >= 0 ? BigInt(refPrice) * 10n ** BigInt(shift) : BigInt(refPrice)
  const quote = shift >= 0 ? BigInt(market.minQuoteAmount) : BigInt(market.minQuoteAmount) * 10n ** BigInt(-shift)
  const byQuote = perUnit === 0n ? 0n : (quote + perUnit - 1n) / perUnit
  return Math.max(market.minBaseAmount, Number(byQuote))
}

/** The venue's "accidental price" band: orders priced further than this from its reference are refused (21733). */
export const VENUE_PRICE_BAND_BPS = 500

/**
 * The venue's reference price from the top of the book: the mid (rounded down), else the one
 * side there is; undefined for an empty book.
 */
export const bookReferencePrice = (book: {
  readonly bids: ReadonlyArray<{ readonly price: number }>
  readonly asks: ReadonlyArray<{ readonly price: number }>
}): number | undefined => {
  const bid = book.bids[0]?.price
  const ask = book.asks[0]?.price
  if (bid !== undefined && ask !== undefined) return Math.floor((bid + ask) / 2)
  return bid ?? ask
}

/** True when `price` is within ±bandBps of `ref` (the venue's rule: |price − ref|·10⁴ ≤ band·ref), exactly. */
export const withinPriceBand = (price: number, ref: number, bandBps = VENUE_PRICE_BAND_BPS): boolean => {
  if (!Number.isSafeInteger(price) || !Number.isSafeInteger(ref) || ref < 1) return false
  const diff = BigInt(price) - BigInt(ref)
  return (diff < 0n ? -diff : diff) * 10_000n <= BigInt(bandBps) * BigInt(ref)
}

/**
 * Worst acceptable price for B's IOC: ref·(1 + slip) for a buy (rounded down), ref·(1 − slip)
 * for a sell (rounded up), kept strictly inside the venue's band of ±bandBps around ref.
 */
export const priceCap = (side: Side, refPrice: number, slippageBps: number, bandBps = 500): number => {
  if (!Number.isSafeInteger(refPrice) || refPrice < 1) throw new RangeError(`refPrice must be a positive integer, got ${refPrice}`)
  const slip = Math.max(0, Math.min(slippageBps, bandBps))
  const ref = BigInt(refPrice)
  if (side === "buy") {
    const cap = (ref * BigInt(10_000 + slip)) / 10_000n
    const bandMax = (ref * BigInt(10_000 + bandBps) - 1n) / 10_000n // strictly inside the band
    return Number(cap > bandMax ? bandMax : cap)
  }
  const cap = (ref * BigInt(10_000 - slip) + 9_999n) / 10_000n
  const bandMin = (ref * BigInt(10_000 - bandBps)) / 10_000n + 1n
  const r = cap < bandMin ? bandMin : cap
  return Number(r < 1n ? 1n : r)
}

/** The IOC for a signed target (negative = sell). */
export const hedgeOrderFor = (targetSignedBase: number, refPrice: number, slippageBps: number) => {
  if (!Number.isSafeInteger(targetSignedBase) || targetSignedBase === 0) throw new RangeError(`target must be a non-zero integer, got ${targetSignedBase}`)
  const side: Side = targetSignedBase < 0 ? "sell" : "buy"
  return { side, base: Math.abs(targetSignedBase), priceCap: priceCap(side, refPrice, slippageBps) }
}

/** What to do next for an open hedge: send the remainder, or stop and return it to the pool. */
export const planNextAttempt = (args: {
  readonly targetSignedBase: number
  readonly filledSignedSoFar: number
  readonly attemptsMade: number
  readonly maxAttempts: number
  readonly minBase: number
}): { readonly _tag: "Send"; readonly remainingSigned: number } | { readonly _tag: "Done"; readonly returnToPool: number } => {
  const remaining = args.targetSignedBase - args.filledSignedSoFar
  if (remaining === 0) return { _tag: "Done", returnToPool: 0 }
  // Overfilled in the target's direction (never expected): nothing to send, the excess goes back.
  if (Math.sign(remaining) !== Math.sign(args.targetSignedBase) && args.targetSignedBase !== 0) return { _tag: "Done", returnToPool: remaining }
  if (Math.abs(remaining) < args.minBase || args.attemptsMade >= args.maxAttempts) return { _tag: "Done", returnToPool: remaining }
  return { _tag: "Send", remainingSigned: remaining }
}

/**
 * What to do with a fill's signed hedge quantity and the residual pool (must match
 * PairState.beginHedge's Lua): fill + pool when that reaches the venue minimum (the pool is
 * emptied); else the fill alone when it reaches the minimum on its own (the pool waits for a fill
 * in its direction — otherwise a sub-minimum residual and fills that alternate in direction would
 * keep each other below the minimum and B would stop trading for good); else defer it all.
 * A residual flush (signedDelta 0) hedges the pool when it reaches the minimum.
 */
export const poolDecision = (
  pool: number,
  signedDelta: number,
  minBase: number
):
  | { readonly _tag: "Defer"; readonly newPool: number }
  | { readonly _tag: "Hedge"; readonly target: number; readonly takenFromPool: number; readonly newPool: number } =>
{
  const combined = pool + signedDelta
  if (Math.abs(combined) >= minBase) return { _tag: "Hedge", target: combined, takenFromPool: pool, newPool: 0 }
  // Only a residual that cannot be sent by itself waits; a pool at or above the minimum (left by a
  // failed hedge) nets against the fill instead, which is better than hedging both.
  if (Math.abs(signedDelta) >= minBase && Math.abs(pool) < minBase) return { _tag: "Hedge", target: signedDelta, takenFromPool: 0, newPool: pool }
  return { _tag: "Defer", newPool: combined }
}

/**
 * The in-flight hedge a new quote of A on `quoteSide` could trade with, if any: B's sell hedges
 * hit bids (A's buy quotes), B's buy hedges lift asks (A's sell quotes). An IOC whose execution is
 * delayed (speed bumps, a slow venue) can still land after A placed its next quote, so A does
 * not place one on the side an open hedge is heading for (I5); B's own guard covers quotes placed
 * before the hedge.
 */
export const conflictingHedge = <I extends { readonly fillId: string; readonly targetSignedBase: number }>(
  quoteSide: Side,
  openIntents: ReadonlyArray<I>
): I | undefined => openIntents.find((i) => (quoteSide === "buy" ? i.targetSignedBase < 0 : i.targetSignedBase > 0))

/**
 * A's published quote, unless the fill being hedged shows it is gone: a fill of that very order
 * that reaches the quote's size means nothing of it rests any more (A may not have cleared the
 * record yet — its stream can lag — and guarding against it would block the hedge for nothing).
 */
export const quoteStillResting = <Q extends { readonly clientOrderIndex: number; readonly base?: number }>(
  aQuote: Q | undefined,
  fill: { readonly clientOrderIndex: number; readonly filledAfter: number }
): Q | undefined =>
  aQuote !== undefined && aQuote.base !== undefined && aQuote.clientOrderIndex === fill.clientOrderIndex && fill.filledAfter >= aQuote.base
    ? undefined
    : aQuote

/** True when the guard had to move B's cap and the book shows the order cannot trade at it now. */
export const blockedByQuote = (
  guarded: { readonly side: Side; readonly priceCap: number },
  original: { readonly priceCap: number },
  book: { readonly bestBid: number | undefined; readonly bestAsk: number | undefined }
): boolean => {
  if (guarded.priceCap === original.priceCap) return false
  return guarded.side === "sell"
    ? book.bestBid === undefined || book.bestBid < guarded.priceCap
    : book.bestAsk === undefined || book.bestAsk > guarded.priceCap
}

/**
 * Keeps B's price cap one tick short of A's resting quote, so the hedge can never trade with
 * A's own order (I5): B sells into bids (A's buy quote rests there), B buys from asks.
 */
export const guardSelfTrade = <O extends { readonly side: Side; readonly priceCap: number }>(
  order: O,
  aQuote: { readonly side: Side; readonly price: number } | undefined
): O => {
  if (aQuote === undefined) return order
  if (order.side === "sell" && aQuote.side === "buy" && order.priceCap <= aQuote.price) return { ...order, priceCap: aQuote.price + 1 }
  if (order.side === "buy" && aQuote.side === "sell" && order.priceCap >= aQuote.price) return { ...order, priceCap: Math.max(1, aQuote.price - 1) }
  return order
}
