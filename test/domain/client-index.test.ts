import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { decodeHedgeClientIndex, hedgeClientIndex, MAX_ATTEMPT, MAX_FILL_SEQ, MAX_TAG, quoteClientIndex, tagFromPrefix } from "../../src/domain/client-index.ts"

describe("client order indexes", () => {
  it("stay within Lighter's 1 … 2^48−1 at the extremes", () => {
    expect(hedgeClientIndex(0, 1, 1)).toBe(65)
    expect(hedgeClientIndex(MAX_TAG, MAX_FILL_SEQ, MAX_ATTEMPT)).toBe(2 ** 48 - 1)
    expect(() => hedgeClientIndex(256, 1, 1)).toThrow(/tag/)
    expect(() => hedgeClientIndex(0, 0, 1)).toThrow(/fillSeq/)
    expect(() => hedgeClientIndex(0, 1, 64)).toThrow(/attempt/)
  })
  it("are deterministic and injective: decoding gives back (tag, fillSeq, attempt) (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TAG }), fc.integer({ min: 1, max: MAX_FILL_SEQ }), fc.integer({ min: 1, max: MAX_ATTEMPT }), (tag, seq, attempt) => {
        const coi = hedgeClientIndex(tag, seq, attempt)
        expect(coi).toBe(hedgeClientIndex(tag, seq, attempt))
        expect(decodeHedgeClientIndex(coi)).toEqual({ tag, fillSeq: seq, attempt })
        expect(coi).toBeGreaterThanOrEqual(1)
        expect(coi).toBeLessThanOrEqual(2 ** 48 - 1)
      })
    )
  })
  it("today's clock-seeded fill sequences fit for decades", () => {
    expect(Math.floor(Date.UTC(2100, 0) / 250)).toBeLessThan(MAX_FILL_SEQ)
  })
  it("derive a stable tag from the pair prefix and wrap quote indexes safely", () => {
    expect(tagFromPrefix("hedgeflow:BTC:1-2")).toBe(tagFromPrefix("hedgeflow:BTC:1-2"))
    expect(tagFromPrefix("x")).toBeLessThanOrEqual(255)
    expect(quoteClientIndex(1)).toBe(1)
    expect(quoteClientIndex(2 ** 48 - 1)).toBe(2 ** 48 - 1)
    expect(quoteClientIndex(2 ** 48)).toBe(1)
  })
})
