// The client index layout in detail: the pair tag is FNV-1a of the whole prefix (checked against
// the published FNV-1a test vectors), range errors name the field, and a reconciliation
// correction takes the hedge layout with attempt 0 and the second where the fill sequence goes.
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import {
  correctionClientIndex,
  decodeHedgeClientIndex,
  hedgeClientIndex,
  MAX_ATTEMPT,
  MAX_CLIENT_ORDER_INDEX,
  MAX_FILL_SEQ,
  MAX_TAG,
  quoteClientIndex,
  tagFromPrefix
} from "../../src/domain/client-index.ts"

// The 32-bit hash folded to 8 bits: the XOR of its four bytes.
const xorBytes = (h: number) => ((h >>> 24) ^ (h >>> 16) ^ (h >>> 8) ^ h) & 0xff

describe("the pair tag", () => {
  it("is FNV-1a (32-bit) of the prefix, its bytes XOR-folded (published test vectors)", () => {
    expect(tagFromPrefix("")).toBe(xorBytes(0x811c9dc5))
    expect(tagFromPrefix("a")).toBe(xorBytes(0xe40c292c))
    expect(tagFromPrefix("foobar")).toBe(xorBytes(0xbf9cf968))
  })
  it("depends on every character of the prefix", () => {
    const tags = new Set(["hedgeflow:BTC:1-2", "hedgeflow:BTC:1-3", "hedgeflow:ETH:1-2", "a", "b", "ab", "ba"].map(tagFromPrefix))
    expect(tags.size).toBeGreaterThan(4)
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (s) => {
      const t = tagFromPrefix(s)
      expect(Number.isInteger(t) && t >= 0 && t <= MAX_TAG).toBe(true)
    }))
  })
})

describe("range errors name the field", () => {
  it("tag, fillSeq, attempt, clientOrderIndex, seq", () => {
    expect(() => hedgeClientIndex(-1, 1, 1)).toThrow(/^tag must be an integer in 0\.\.255, got -1$/)
    expect(() => hedgeClientIndex(0, MAX_FILL_SEQ + 1, 1)).toThrow(/^fillSeq must be an integer in 1\.\.17179869183, got 17179869184$/)
    expect(() => hedgeClientIndex(0, 1, 0)).toThrow(/^attempt must be an integer in 1\.\.63, got 0$/)
    expect(() => hedgeClientIndex(0, 1.5, 1)).toThrow(RangeError)
    expect(() => decodeHedgeClientIndex(0)).toThrow(/^clientOrderIndex must be an integer in 1\.\.281474976710655, got 0$/)
    expect(() => decodeHedgeClientIndex(MAX_CLIENT_ORDER_INDEX + 1)).toThrow(/^clientOrderIndex /)
    expect(() => quoteClientIndex(0)).toThrow(/^seq must be an integer in 1\.\.9007199254740991, got 0$/)
    expect(() => quoteClientIndex(2.5)).toThrow(/^seq /)
  })
})

describe("reconciliation correction indexes", () => {
  it("the pair's tag, the wall-clock second (+1) in the fill sequence's place, attempt 0", () => {
    expect(decodeHedgeClientIndex(correctionClientIndex(3, 5_000))).toEqual({ tag: 3, fillSeq: 6, attempt: 0 })
    expect(decodeHedgeClientIndex(correctionClientIndex(200, 5_999))).toEqual({ tag: 200, fillSeq: 6, attempt: 0 })
    expect(correctionClientIndex(0, 0)).toBe(64)
    expect(correctionClientIndex(MAX_TAG, (MAX_FILL_SEQ - 1) * 1000)).toBe(MAX_CLIENT_ORDER_INDEX - MAX_ATTEMPT)
    // the second wraps within the fill sequence's bits
    expect(decodeHedgeClientIndex(correctionClientIndex(7, MAX_FILL_SEQ * 1000 + 2_000))).toEqual({ tag: 7, fillSeq: 3, attempt: 0 })
  })
  it("stay in range, differ from second to second, and never equal a hedge's index (property)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: MAX_TAG }),
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.integer({ min: 1, max: MAX_FILL_SEQ }),
      fc.integer({ min: 1, max: MAX_ATTEMPT }),
      (tag, nowMs, seq, attempt) => {
        const c = correctionClientIndex(tag, nowMs)
        expect(Number.isSafeInteger(c) && c >= 1 && c <= MAX_CLIENT_ORDER_INDEX).toBe(true)
        const d = decodeHedgeClientIndex(c)
        expect(d).toEqual({ tag, fillSeq: (Math.floor(nowMs / 1000) % MAX_FILL_SEQ) + 1, attempt: 0 })
        expect(correctionClientIndex(tag, nowMs + 1000)).not.toBe(c)
        expect(c).not.toBe(hedgeClientIndex(tag, seq, attempt))
      }
    ))
  })
})
