import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { countCycles } from "../../src/domain/cycles.ts"

describe("completed open/close cycles (循环次数)", () => {
  it("counts a return to flat only after the quantity was reached", () => {
    expect(countCycles([], 20)).toBe(0)
    expect(countCycles([20, -20], 20)).toBe(1)
    expect(countCycles([10, 10, -5, -15], 20)).toBe(1) // partial fills both ways
    expect(countCycles([10, -10], 20)).toBe(0) // never reached the quantity
    expect(countCycles([20, -10], 20)).toBe(0) // not closed yet
    expect(countCycles([20, -20, 20, -20, 20], 20)).toBe(2)
    expect(countCycles([20, -25], 20)).toBe(1) // an overshoot below flat still closes the cycle
  })

  it("n full cycles of any split count n", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 20 }), (q, nParts) => {
      const fills: Array<number> = []
      for (const parts of nParts) {
        // q split into `parts` positive pieces (the last takes the rest), bought then sold.
        const piece = Math.max(1, Math.floor(q / parts))
        const buys = Array.from({ length: parts - 1 }, () => piece).filter((_, i) => (i + 1) * piece < q)
        buys.push(q - buys.reduce((a, b) => a + b, 0))
        fills.push(...buys, ...buys.map((b) => -b))
      }
      expect(countCycles(fills, q)).toBe(nParts.length)
    }))
  })
})
