import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { backoffMs, jitteredBackoffMs } from "../../src/domain/backoff.ts"

describe("the one exponential backoff", () => {
  it("doubles from the base and stops at the cap", () => {
    const b = { baseMs: 200, maxMs: 10_000 }
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((n) => backoffMs(b, n))).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000])
  })

  it("never below the base nor above the cap; jitter stays within ±20 %", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: -5, max: 2000 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (base, k, attempt, r) => {
      const b = { baseMs: base, maxMs: base * k }
      const d = backoffMs(b, attempt)
      expect(d).toBeGreaterThanOrEqual(base)
      expect(d).toBeLessThanOrEqual(b.maxMs)
      const j = jitteredBackoffMs(b, attempt, r)
      expect(j).toBeGreaterThanOrEqual(d * 0.8 - 1e-9)
      expect(j).toBeLessThan(d * 1.2 + 1e-9)
    }))
  })
})
