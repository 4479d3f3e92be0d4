// Flatten's closing client indexes, exhaustively at their edges: A's are recognised as closing
// orders (never published) and never collide with a quote; B's are attempt 0 and never a hedge's.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeHedgeClientIndex, hedgeClientIndex, MAX_FILL_SEQ, MAX_TAG, quoteClientIndex } from "../../src/domain/client-index.ts"
import { CLOSING_CLIENT_INDEX_MIN, closingClientIndexA, closingClientIndexB, isClosingClientIndex, MAX_CLIENT_INDEX } from "../../src/domain/closing.ts"
import { isOrderActive, isOrderTerminal, type OrderStatus } from "../../src/domain/events.ts"

describe("closing client indexes", () => {
  it("A's range is exactly [2^47, 2^48 − 1], safe integers only", () => {
    expect(CLOSING_CLIENT_INDEX_MIN).toBe(2 ** 47)
    expect(MAX_CLIENT_INDEX).toBe(2 ** 48 - 1)
    expect(isClosingClientIndex(2 ** 47)).toBe(true)
    expect(isClosingClientIndex(2 ** 47 - 1)).toBe(false)
    expect(isClosingClientIndex(2 ** 48 - 1)).toBe(true)
    expect(isClosingClientIndex(2 ** 48)).toBe(false)
    expect(isClosingClientIndex(2 ** 47 + 0.5)).toBe(false)
    expect(isClosingClientIndex(0)).toBe(false)
    expect(isClosingClientIndex(Number.NaN)).toBe(false)
  })

  it("A's closing indexes: in the range, distinct for n 1…63 of one flatten, and never a quote's", () => {
    const t = 1_796_176_342_622
    const seen = new Set<number>()
    for (let n = 1; n < 64; n++) {
      const coi = closingClientIndexA(t, n)
      expect(isClosingClientIndex(coi)).toBe(true)
      seen.add(coi)
    }
    expect(seen.size).toBe(63)
    // The same second and n gives the same index; another second another one.
    expect(closingClientIndexA(t + 999 - (t % 1000), 1)).toBe(closingClientIndexA(t, 1))
    expect(closingClientIndexA(t + 1000, 1)).not.toBe(closingClientIndexA(t, 1))
    expect(closingClientIndexA(t, 1) - CLOSING_CLIENT_INDEX_MIN).toBe((Math.floor(t / 1000) * 64 + 1) % 2 ** 36)
    expect(isClosingClientIndex(quoteClientIndex(1))).toBe(false)
    expect(isClosingClientIndex(quoteClientIndex(10_000_000))).toBe(false)
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 1, max: 63 }), (ms, n) => {
      expect(isClosingClientIndex(closingClientIndexA(ms, n))).toBe(true)
    }))
  })

  it("B's closing indexes decode as attempt 0 from the top of the sequence range: never a hedge's index", () => {
    const t = 1_796_176_342_622
    for (const tag of [0, 1, 188, MAX_TAG]) {
      for (const n of [1, 2, 63]) {
        const coi = closingClientIndexB(tag, t, n)
        const d = decodeHedgeClientIndex(coi)
        expect(d).toEqual({ tag, fillSeq: MAX_FILL_SEQ - ((Math.floor(t / 1000) % 2 ** 20) * 64 + n), attempt: 0 })
        expect(Number.isSafeInteger(coi)).toBe(true)
        expect(coi).toBeLessThanOrEqual(MAX_CLIENT_INDEX)
      }
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_TAG }), fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 63 }), fc.integer({ min: 1, max: 63 }), fc.integer({ min: 0, max: 2 ** 45 }), (tag, seq, attempt, n, ms) => {
      expect(closingClientIndexB(tag, ms, n)).not.toBe(hedgeClientIndex(tag, seq, attempt))
    }))
  })
})

describe("order statuses", () => {
  const all: ReadonlyArray<OrderStatus> = [
    "in-progress", "pending", "open", "filled", "canceled", "canceled-post-only", "canceled-reduce-only", "canceled-position-not-allowed",
    "canceled-margin-not-allowed", "canceled-too-much-slippage", "canceled-not-enough-liquidity", "canceled-self-trade", "canceled-expired",
    "canceled-oco", "canceled-child", "canceled-liquidation", "canceled-invalid-balance", "unknown"
  ]
  it("active: open, pending, in-progress; terminal: every other known status; unknown is neither", () => {
    for (const s of all) {
      const active = s === "open" || s === "pending" || s === "in-progress"
      expect(isOrderActive(s), s).toBe(active)
      expect(isOrderTerminal(s), s).toBe(!active && s !== "unknown")
    }
  })
})
