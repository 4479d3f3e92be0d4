// Money code details the exactness properties do not reach: what the errors say (they end up in
// logs and poison reasons), the inputs each function turns away, edges of the decimal parser, markets
// whose decimals do not add up to USDC's 6 for the minimum order size, and the price-band edges.
import { describe, expect, it } from "vitest"
import { effectiveMinBase, guardSelfTrade, hedgeOrderFor, priceCap, withinPriceBand } from "../../src/domain/hedge-plan.ts"
import {
  DecimalFormatError,
  formatBase,
  formatPrice,
  formatScaled,
  LIGHTER_BTC,
  LIGHTER_ETH,
  type MarketSpec,
  parseScaled
} from "../../src/domain/market.ts"
import { averagePriceTicks, hedgeSlippage, slippageExceeds } from "../../src/domain/slippage.ts"

const P = 1_000_000

describe("slippage inputs", () => {
  it("each refusal names the value and the rule", () => {
    expect(() => averagePriceTicks(LIGHTER_BTC, -1, 5n)).toThrow(/^filledBase must be an integer >= 0, got -1$/)
    expect(() => hedgeSlippage(0, [])).toThrow(/^fillPrice must be an integer >= 1, got 0$/)
    expect(() => hedgeSlippage(P, [{ side: "sell", filledBase: 2.5, avgPrice: P }])).toThrow(/^filledBase must be an integer >= 0, got 2\.5$/)
    expect(() => hedgeSlippage(P, [{ side: "sell", filledBase: 20, avgPrice: -5 }])).toThrow(/^avgPrice must be an integer >= 0, got -5$/)
    expect(() => slippageExceeds(hedgeSlippage(P, [{ side: "sell", filledBase: 20, avgPrice: P }])!, -1)).toThrow(/^limitBps must be an integer >= 0, got -1$/)
  })
  it("a negative average price is refused even on a leg that filled", () => {
    expect(() => hedgeSlippage(P, [{ side: "buy", filledBase: 10, avgPrice: -1 }])).toThrow(RangeError)
  })
  it("nothing filled has no average price, whatever the notional says", () => {
    expect(averagePriceTicks(LIGHTER_BTC, 0, 1_000_000n)).toBeUndefined()
    expect(averagePriceTicks(LIGHTER_BTC, 10, -5n)).toBeUndefined()
  })
})

describe("decimal parsing and formatting", () => {
  it("errors carry their tag, the input and the reason", () => {
    const caught = (f: () => unknown): DecimalFormatError => {
      try {
        f()
      } catch (e) {
        if (e instanceof DecimalFormatError) return e
        throw e
      }
      throw new Error("did not throw")
    }
    const e1 = caught(() => parseScaled("1e5", 2))
    expect([e1._tag, e1.input, e1.reason, e1.message]).toEqual(["DecimalFormatError", "1e5", "not a plain decimal number", "invalid decimal \"1e5\": not a plain decimal number"])
    const e2 = caught(() => parseScaled("-1", 2))
    expect([e2.reason, e2.message]).toEqual(["must not be negative", "invalid decimal \"-1\": must not be negative"])
    expect(caught(() => parseScaled("9007199254740992", 0)).reason).toBe("too large")
  })
  it("surrounding blanks are ignored", () => {
    expect(parseScaled(" 1.5\n", 1)).toBe(15)
    expect(parseScaled("\t42 ", 0)).toBe(42)
  })
  it("any number of trailing zeros is not a decimal", () => {
    expect(parseScaled("0.0002000", 5)).toBe(20)
    expect(parseScaled("3.00000000", 0)).toBe(3)
  })
  it("the largest safe integer is accepted, one more refused", () => {
    expect(parseScaled("9007199254740991", 0)).toBe(Number.MAX_SAFE_INTEGER)
    expect(parseScaled("90071992547409.91", 2)).toBe(Number.MAX_SAFE_INTEGER)
    expect(() => parseScaled("9007199254740992", 0)).toThrow(/too large/)
  })
  it("minus zero is zero", () => {
    expect(parseScaled("-0", 2, { allowNegative: true })).toBe(0)
    expect(parseScaled("-0.00", 2, { allowNegative: true })).toBe(0)
  })
  it("a number that is not a safe integer is refused; a bigint of any size is formatted", () => {
    expect(() => formatScaled(1.5, 2)).toThrow(/^formatScaled: 1\.5 is not a safe integer$/)
    expect(() => formatScaled(2 ** 53, 0)).toThrow(RangeError)
    expect(() => formatScaled(Number.NaN, 0)).toThrow(RangeError)
    expect(formatScaled(2n ** 64n, 2)).toBe("184467440737095516.16")
  })
  it("a market's amounts and prices are formatted with its own decimals", () => {
    expect(formatBase(LIGHTER_BTC, 20)).toBe("0.00020")
    expect(formatBase(LIGHTER_ETH, 50)).toBe("0.0050")
    expect(formatPrice(LIGHTER_BTC, 1_094_633)).toBe("109463.3")
    expect(formatPrice(LIGHTER_ETH, 405_000)).toBe("4050.00")
  })
  it("the listed markets are Lighter's ETH (0) and BTC (1)", () => {
    expect([LIGHTER_ETH.marketId, LIGHTER_ETH.symbol, LIGHTER_BTC.marketId, LIGHTER_BTC.symbol]).toEqual([0, "ETH", 1, "BTC"])
  })
})

describe("the smallest order B can send", () => {
  // 2 + 2 decimals: one unit at one tick is 100 micro-USDC
  const coarse: MarketSpec = { marketId: 9, symbol: "C", sizeDecimals: 2, priceDecimals: 2, minBaseAmount: 1, minQuoteAmount: 10_000_000 }
  // 5 + 3 decimals: 100 unit·ticks make one micro-USDC
  const fine: MarketSpec = { ...coarse, sizeDecimals: 5, priceDecimals: 3 }
  it("meets the minimum notional on markets whose decimals are fewer than USDC's", () => {
    // 10 USDC at 123.45: 0.09 (8.1 rounded up) → 9 units
    expect(effectiveMinBase(coarse, 12_345)).toBe(9)
    expect(effectiveMinBase(coarse, 100_000)).toBe(1)
    expect(effectiveMinBase({ ...coarse, minBaseAmount: 20 }, 12_345)).toBe(20)
  })
  it("and on markets whose decimals are more", () => {
    // 10 USDC at 100.000 = 0.10000 → 10 000 units
    expect(effectiveMinBase(fine, 100_000)).toBe(10_000)
    expect(effectiveMinBase(fine, 300_000)).toBe(3_334)
  })
  it("no price: the venue's minimum base amount", () => {
    expect(effectiveMinBase(coarse, 0)).toBe(1)
    expect(effectiveMinBase(LIGHTER_BTC, 0)).toBe(20)
  })
})

describe("price band and caps", () => {
  it("no price is within the band of a reference below one tick; one tick is its own band", () => {
    expect(withinPriceBand(0, 0)).toBe(false)
    expect(withinPriceBand(1, 0)).toBe(false)
    expect(withinPriceBand(1, 1)).toBe(true)
    expect(withinPriceBand(2, 1)).toBe(false)
  })
  it("a sell cap is never below one tick, even with a band wider than the price", () => {
    expect(priceCap("sell", 100, 20_000, 20_000)).toBe(1)
  })
  it("a zero target is refused and says so", () => {
    expect(() => hedgeOrderFor(0, P, 10)).toThrow(/^target must be a non-zero integer, got 0$/)
  })
  it("a buy capped below A's resting sell quote is left as it is", () => {
    const order = { side: "buy" as const, base: 20, priceCap: 990 }
    expect(guardSelfTrade(order, { side: "sell", price: 1_000 })).toBe(order)
    expect(guardSelfTrade({ ...order, priceCap: 1_000 }, { side: "sell", price: 1_000 })).toEqual({ ...order, priceCap: 999 })
  })
})
