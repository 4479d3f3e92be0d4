import { describe, expect, it } from "vitest"
import fc from "fast-check"
import {
  DecimalFormatError, formatScaled, LIGHTER_BTC, LIGHTER_ETH, notionalMicro, parseBase, parsePrice, parseScaled
} from "../../src/domain/market.ts"

describe("decimal strings ⇄ integer units", () => {
  it("converts Lighter's examples exactly", () => {
    expect(parsePrice(LIGHTER_BTC, "109463.3")).toBe(1094633)
    expect(parseBase(LIGHTER_BTC, "0.0002")).toBe(20)
    expect(parseBase(LIGHTER_ETH, "0.1")).toBe(1000)
    expect(parsePrice(LIGHTER_ETH, "4050")).toBe(405000)
    expect(formatScaled(20, 5)).toBe("0.00020")
    expect(formatScaled(1094633, 1)).toBe("109463.3")
    expect(formatScaled(0, 4)).toBe("0.0000")
    expect(formatScaled(-5, 2)).toBe("-0.05")
    expect(formatScaled(7, 0)).toBe("7")
  })

  it("accepts trailing zeros beyond the market's decimals, rejects real extra digits", () => {
    expect(parseScaled("0.000200", 5)).toBe(20)
    expect(() => parseScaled("0.000201", 5)).toThrow(/6 decimals, the market allows 5/)
  })

  it("rejects what is not a plain non-negative decimal", () => {
    for (const bad of ["", "abc", "1e5", "0x10", "1.2.3", "-1", "+1", " ", "NaN", "Infinity", "1,5", ".5"]) {
      expect(() => parseScaled(bad, 5), bad).toThrow(DecimalFormatError)
    }
    expect(parseScaled("-1.5", 1, { allowNegative: true })).toBe(-15)
    expect(() => parseScaled("99999999999999999", 2)).toThrow(/too large/)
  })

  it("round-trips every safe integer at every scale (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.integer({ min: 0, max: 8 }), (n, d) => {
        expect(parseScaled(formatScaled(n, d), d, { allowNegative: true })).toBe(n)
        const s = formatScaled(n, d)
        if (d > 0) expect(s.split(".")[1]).toHaveLength(d)
      })
    )
  })

  it("parses decimal strings without floating point error (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.integer({ min: 0, max: 8 }), (v, d) => {
        const digits = v.toString().padStart(d + 1, "0")
        const text = d === 0 ? digits : `${digits.slice(0, digits.length - d)}.${digits.slice(digits.length - d)}`
        expect(BigInt(parseScaled(text, d))).toBe(v)
      })
    )
  })

  it("notional in micro-USDC is exact", () => {
    // 0.0002 BTC at 100000.0 = 20 USDC
    expect(notionalMicro(LIGHTER_BTC, 20, 1_000_000)).toBe(20_000_000n)
    // 0.1 ETH at 3000.00 = 300 USDC
    expect(notionalMicro(LIGHTER_ETH, 1000, 300_000)).toBe(300_000_000n)
  })
})
