// What a hedge cost against the fill it hedged, in integers. Prices are ticks, sizes base units;
// products go through bigint (2^48 base × 2^32 ticks overflows a double), never floats.
import { type MarketSpec, QUOTE_DECIMALS } from "./market.ts"
import type { Side } from "./side.ts"

const assertInt = (what: string, n: number, min: number): void => {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`)
}

/** Integer division rounded to the nearest, halves away from zero (den > 0). */
const divRound = (num: bigint, den: bigint): bigint => (num >= 0n ? (2n * num + den) / (2n * den) : -((2n * -num + den) / (2n * den)))

/**
 * Average execution price in ticks of an order from its cumulative notional (micro-USDC) and
 * filled size, rounded to the nearest tick. An IOC that walked several levels averages to a
 * fraction of a tick; the nearest tick is within 0.5 tick of it (≤ 0.01 bps on BTC at 100k).
 * undefined when nothing filled.
 */
export const averagePriceTicks = (market: MarketSpec, filledBase: number, filledQuoteMicro: bigint): number | undefined => {
  assertInt("filledBase", filledBase, 0)
  if (filledBase === 0 || filledQuoteMicro <= 0n) return undefined
  // notional(base, price) in micro-USDC = base · price · 10^(6 − sizeDec − priceDec)
  const shift = market.sizeDecimals + market.priceDecimals - QUOTE_DECIMALS
  const num = shift >= 0 ? filledQuoteMicro * 10n ** BigInt(shift) : filledQuoteMicro
  const den = shift >= 0 ? BigInt(filledBase) : BigInt(filledBase) * 10n ** BigInt(-shift)
  return Number(divRound(num, den))
}

/** One order B sent for a hedge, as far as its outcome is known. */
export interface HedgeLeg {
  readonly side: Side
  readonly filledBase?: number | undefined
  readonly avgPrice?: number | undefined
}

export interface HedgeSlippage {
  /** Base units of B's hedge whose price is known. */
  readonly base: number
  /** B's size-weighted average price, rounded to the nearest tick (for messages). */
  readonly avgPrice: number
  /** Σ filled × ticks worse than the fill price (negative when B did better than A's fill). */
  readonly worseTickBase: bigint
  /** fillPrice × base: what `worseTickBase` is measured against. */
  readonly refTickBase: bigint
}

/**
 * How far B's executions were worse than A's fill price, weighted by size: a sell hedge
 * (A bought) is worse below the fill price, a buy hedge (A sold) above it. Legs that filled
 * nothing, or whose average price is unknown (absent or 0), do not count. undefined when no leg counts.
 */
export const hedgeSlippage = (fillPrice: number, legs: ReadonlyArray<HedgeLeg>): HedgeSlippage | undefined => {
  assertInt("fillPrice", fillPrice, 1)
  let base = 0
  let worse = 0n
  let notional = 0n
  for (const leg of legs) {
    const filled = leg.filledBase ?? 0
    assertInt("filledBase", filled, 0)
    if (leg.avgPrice !== undefined) assertInt("avgPrice", leg.avgPrice, 0)
    // 0 is no price at all: the leg cannot be measured, like one without avgPrice.
    if (filled === 0 || leg.avgPrice === undefined || leg.avgPrice === 0) continue
    const diff = leg.side === "sell" ? BigInt(fillPrice) - BigInt(leg.avgPrice) : BigInt(leg.avgPrice) - BigInt(fillPrice)
    worse += diff * BigInt(filled)
    notional += BigInt(leg.avgPrice) * BigInt(filled)
    base += filled
  }
  if (base === 0) return undefined
  return { base, avgPrice: Number(divRound(notional, BigInt(base))), worseTickBase: worse, refTickBase: BigInt(fillPrice) * BigInt(base) }
}

/** Slippage in hundredths of a basis point, truncated toward zero (negative = price improvement). */
export const slippageCentiBps = (s: HedgeSlippage): bigint => (s.worseTickBase * 1_000_000n) / s.refTickBase

/** Exactly whether the slippage is strictly worse than `limitBps` (no rounding on the way). */
export const slippageExceeds = (s: HedgeSlippage, limitBps: number): boolean => {
  assertInt("limitBps", limitBps, 0)
  return s.worseTickBase * 10_000n > BigInt(limitBps) * s.refTickBase
}
