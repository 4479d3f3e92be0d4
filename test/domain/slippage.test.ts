import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { LIGHTER_BTC, LIGHTER_ETH, type MarketSpec, notionalMicro } from "../../src/domain/market.ts"
import { averagePriceTicks, type HedgeLeg, hedgeSlippage, slippageCentiBps, slippageExceeds } from "../../src/domain/slippage.ts"

const P = 1_000_000 // 100000.0 on BTC
const leg = (side: "buy" | "sell", filledBase: number | undefined, avgPrice: number | undefined): HedgeLeg => ({ side, filledBase, avgPrice })
const bps = (fill: number, legs: ReadonlyArray<HedgeLeg>) => slippageCentiBps(hedgeSlippage(fill, legs)!)

describe("hedge slippage (integers only)", () => {
  it("a sell hedge is worse below the fill price, a buy hedge above it", () => {
    expect(bps(P, [leg("sell", 60, 999_000)])).toBe(1_000n) // 10.00 bps
    expect(bps(P, [leg("buy", 60, 1_001_000)])).toBe(1_000n)
    expect(bps(P, [leg("sell", 60, 999_999)])).toBe(1n) // 0.01 bps
  })

  it("the same price is zero; a better price is negative (improvement)", () => {
    expect(bps(P, [leg("sell", 60, P)])).toBe(0n)
    expect(bps(P, [leg("buy", 60, P)])).toBe(0n)
    expect(bps(P, [leg("sell", 60, 1_002_000)])).toBe(-2_000n)
    expect(bps(P, [leg("buy", 60, 998_000)])).toBe(-2_000n)
    expect(slippageExceeds(hedgeSlippage(P, [leg("sell", 60, 1_002_000)])!, 0)).toBe(false)
  })

  it("the limit is exact: at the limit passes, one tick beyond it breaks it", () => {
    expect(slippageExceeds(hedgeSlippage(P, [leg("sell", 20, 995_000)])!, 50)).toBe(false) // exactly 50 bps
    expect(slippageExceeds(hedgeSlippage(P, [leg("sell", 20, 994_999)])!, 50)).toBe(true)
    expect(slippageExceeds(hedgeSlippage(P, [leg("buy", 20, 1_005_000)])!, 50)).toBe(false)
    expect(slippageExceeds(hedgeSlippage(P, [leg("buy", 20, 1_005_001)])!, 50)).toBe(true)
    // 50.005 bps truncates to 50.00 for display, yet it is beyond 50
    const s = hedgeSlippage(2_000_000, [leg("sell", 1, 1_989_999)])!
    expect(slippageCentiBps(s)).toBe(5_000n)
    expect(slippageExceeds(s, 50)).toBe(true)
  })

  it("weights legs by their filled size; legs without a known price or fill do not count", () => {
    // 30 at 10 bps worse + 30 at the fill price = 5 bps over 60
    const s = hedgeSlippage(P, [leg("sell", 30, 999_000), leg("sell", 30, P), leg("sell", 0, undefined), leg("sell", 20, undefined), leg("sell", 10, 0)])!
    expect(s.base).toBe(60)
    expect(s.avgPrice).toBe(999_500)
    expect(slippageCentiBps(s)).toBe(500n)
    expect(hedgeSlippage(P, [])).toBeUndefined()
    expect(hedgeSlippage(P, [leg("buy", 0, undefined), leg("buy", undefined, undefined), leg("buy", 20, undefined)])).toBeUndefined()
  })

  it("refuses floats and nonsense instead of computing with them", () => {
    expect(() => hedgeSlippage(P, [leg("sell", 20, 999_999.5)])).toThrow(RangeError)
    expect(() => hedgeSlippage(1_000_000.5, [leg("sell", 20, P)])).toThrow(RangeError)
    expect(() => hedgeSlippage(P, [leg("sell", 0.5, P)])).toThrow(RangeError)
    expect(() => hedgeSlippage(0, [leg("sell", 20, P)])).toThrow(RangeError)
    expect(() => hedgeSlippage(P, [leg("sell", -20, P)])).toThrow(RangeError)
    expect(() => slippageExceeds(hedgeSlippage(P, [leg("sell", 20, P)])!, 0.5)).toThrow(RangeError)
  })

  it("handles the largest sizes and prices the venue allows without losing digits", () => {
    const s = hedgeSlippage(2 ** 32 - 1, [leg("sell", 2 ** 48 - 1, 2 ** 32 - 2)])!
    expect(s.worseTickBase).toBe(BigInt(2 ** 48 - 1))
    expect(slippageExceeds(s, 0)).toBe(true)
    expect(slippageExceeds(s, 1)).toBe(false)
  })
})

const side = fc.constantFrom("buy" as const, "sell" as const)
const price = fc.integer({ min: 1, max: 2 ** 32 - 1 })
const size = fc.integer({ min: 1, max: 2 ** 48 - 1 })

describe("hedge slippage properties", () => {
  it("sign: worse is positive, better negative, equal zero, for both sides", () => {
    fc.assert(fc.property(side, price, price, size, (s, fill, avg, base) => {
      const c = bps(fill, [leg(s, base, avg)])
      const worse = s === "sell" ? fill - avg : avg - fill
      expect(typeof c).toBe("bigint")
      if (worse === 0) expect(c).toBe(0n)
      else if (c !== 0n) expect(c > 0n).toBe(worse > 0) // below 0.01 bps it shows as 0
      // the exact comparison agrees with the sign of the difference
      expect(slippageExceeds(hedgeSlippage(fill, [leg(s, base, avg)])!, 0)).toBe(worse > 0)
    }))
  })

  it("a sell d ticks below the fill costs the same as a buy d ticks above it", () => {
    fc.assert(fc.property(fc.integer({ min: 1_000, max: 2 ** 31 }), fc.integer({ min: -999, max: 999 }), size, (fill, d, base) => {
      expect(bps(fill, [leg("sell", base, fill - d)])).toBe(bps(fill, [leg("buy", base, fill + d)]))
    }))
  })

  it("the limit check is exact: breach ⟺ 10000·(worse) > limit·fill, and monotone in the limit", () => {
    fc.assert(fc.property(side, price, price, size, fc.integer({ min: 0, max: 100_000 }), (s, fill, avg, base, limit) => {
      const sl = hedgeSlippage(fill, [leg(s, base, avg)])!
      const worse = BigInt(s === "sell" ? fill - avg : avg - fill)
      expect(slippageExceeds(sl, limit)).toBe(worse * 10_000n > BigInt(limit) * BigInt(fill))
      if (slippageExceeds(sl, limit + 1)) expect(slippageExceeds(sl, limit)).toBe(true)
      // what is shown never overstates: centi-bps truncated toward zero
      const c = slippageCentiBps(sl)
      const abs = (x: bigint) => (x < 0n ? -x : x)
      expect(abs(c) * BigInt(fill) <= abs(worse) * 1_000_000n).toBe(true)
    }))
  })

  it("no slippage and price improvement never breach any limit", () => {
    fc.assert(fc.property(side, price, fc.integer({ min: 0, max: 10_000 }), size, fc.integer({ min: 0, max: 10_000 }), (s, fill, better, base, limit) => {
      const avg = s === "sell" ? fill + better : Math.max(1, fill - better)
      expect(slippageExceeds(hedgeSlippage(fill, [leg(s, base, avg)])!, limit)).toBe(false)
      expect(slippageCentiBps(hedgeSlippage(fill, [leg(s, base, avg)])!) <= 0n).toBe(true)
    }))
  })

  it("splitting a leg into parts at the same price changes nothing; the average lies between the legs' prices", () => {
    fc.assert(fc.property(side, price, price, price, fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 40 }), (s, fill, p1, p2, b1, b2) => {
      const whole = hedgeSlippage(fill, [leg(s, b1 + b2, p1)])!
      const parts = hedgeSlippage(fill, [leg(s, b1, p1), leg(s, b2, p1)])!
      expect(parts).toEqual(whole)
      const mixed = hedgeSlippage(fill, [leg(s, b1, p1), leg(s, b2, p2)])!
      expect(Number.isSafeInteger(mixed.avgPrice)).toBe(true)
      expect(mixed.avgPrice).toBeGreaterThanOrEqual(Math.min(p1, p2))
      expect(mixed.avgPrice).toBeLessThanOrEqual(Math.max(p1, p2))
    }))
  })
})

describe("average execution price in ticks", () => {
  it("from the cumulative notional, in whole ticks, with the market's decimals", () => {
    expect(averagePriceTicks(LIGHTER_BTC, 60, notionalMicro(LIGHTER_BTC, 60, 999_999))).toBe(999_999)
    expect(averagePriceTicks(LIGHTER_ETH, 50, notionalMicro(LIGHTER_ETH, 50, 300_001))).toBe(300_001)
    // an IOC across two levels: 30 @ 999 999 + 10 @ 999 990 = 999 996.75 → 999 997
    const q = notionalMicro(LIGHTER_BTC, 30, 999_999) + notionalMicro(LIGHTER_BTC, 10, 999_990)
    expect(averagePriceTicks(LIGHTER_BTC, 40, q)).toBe(999_997)
    expect(averagePriceTicks(LIGHTER_BTC, 0, 0n)).toBeUndefined()
    expect(averagePriceTicks(LIGHTER_BTC, 20, 0n)).toBeUndefined()
    // markets whose decimals do not add up to USDC's 6
    const coarse: MarketSpec = { ...LIGHTER_BTC, sizeDecimals: 2, priceDecimals: 2 } // 1 tick·unit = 100 micro
    expect(averagePriceTicks(coarse, 3, notionalMicro(coarse, 3, 12_345))).toBe(12_345)
    const fine: MarketSpec = { ...LIGHTER_BTC, sizeDecimals: 6, priceDecimals: 2 } // notional floors to micro
    expect(averagePriceTicks(fine, 1_000_000, notionalMicro(fine, 1_000_000, 12_345))).toBe(12_345)
  })

  it("round-trips any single price exactly on Lighter's markets, and stays within the levels it averages (property)", () => {
    fc.assert(fc.property(fc.constantFrom(LIGHTER_BTC, LIGHTER_ETH), price, price, fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 40 }), (m, p1, p2, b1, b2) => {
      expect(averagePriceTicks(m, b1, notionalMicro(m, b1, p1))).toBe(p1)
      const avg = averagePriceTicks(m, b1 + b2, notionalMicro(m, b1, p1) + notionalMicro(m, b2, p2))!
      expect(Number.isSafeInteger(avg)).toBe(true)
      expect(avg).toBeGreaterThanOrEqual(Math.min(p1, p2))
      expect(avg).toBeLessThanOrEqual(Math.max(p1, p2))
    }))
  })
})
