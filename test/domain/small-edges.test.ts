// Edges of the small pure rules: the clock-skew window (its exact edge, a clock that does not start
// at 0, its sample bound), a cycle counted once, the quote-tx cap when corrective cancels already
// pushed the log over it or a re-quote needs the whole cap, and what a bad depth is told.
import { describe, expect, it } from "vitest"
import { priceAtLevelDepth } from "../../src/domain/book-depth.ts"
import { initialSkewState, judgeSkew, type SkewState } from "../../src/domain/clock-skew.ts"
import { countCycles } from "../../src/domain/cycles.ts"
import type { OrderBookTop } from "../../src/domain/events.ts"
import { quoteTxRoom } from "../../src/domain/quote-pacing.ts"

describe("clock-skew window", () => {
  const o = { windowMs: 10_000, boundMs: 2_000 }
  it("starts empty and unskewed", () => {
    expect(initialSkewState).toStrictEqual({ samples: [], skewed: false })
  })
  it("a sample exactly windowMs old still counts; one a millisecond older does not", () => {
    const T0 = 5_000_000
    const s = judgeSkew(initialSkewState, { atMs: T0, diffMs: -3_000 }, o).state
    const atEdge = judgeSkew(s, { atMs: T0 + 10_000, diffMs: 50 }, o)
    expect([atEdge.estimateMs, atEdge.change, atEdge.state.samples.length]).toEqual([-3_000, undefined, 2])
    const past = judgeSkew(s, { atMs: T0 + 10_001, diffMs: 50 }, o)
    expect([past.estimateMs, past.change, past.state.samples.length]).toEqual([50, "recovered", 1])
  })
  it("keeps the window's samples on a clock far from 0", () => {
    let s: SkewState = initialSkewState
    for (let i = 0; i < 5; i++) s = judgeSkew(s, { atMs: 1_790_000_000_000 + i * 1_000, diffMs: 100 - i }, o).state
    expect(s.samples.map((x) => x.diffMs)).toEqual([100, 99, 98, 97, 96])
  })
  it("keeps at most the last 1 000 samples, however many the window holds", () => {
    let s = judgeSkew(initialSkewState, { atMs: 0, diffMs: -9_000 }, { windowMs: 1e9, boundMs: 2_000 }).state
    for (let i = 1; i <= 999; i++) s = judgeSkew(s, { atMs: i, diffMs: 10 }, { windowMs: 1e9, boundMs: 2_000 }).state
    expect(s.samples).toHaveLength(1_000)
    expect(s.skewed).toBe(true)
    const v = judgeSkew(s, { atMs: 1_000, diffMs: 10 }, { windowMs: 1e9, boundMs: 2_000 })
    expect(v.state.samples).toHaveLength(1_000)
    expect([v.estimateMs, v.change]).toEqual([10, "recovered"])
  })
})

describe("cycles", () => {
  it("a cycle counts once: what follows it counts only after the quantity is reached again", () => {
    expect(countCycles([20, -20, 10, -10], 20)).toBe(1)
    expect(countCycles([20, -20, -5, 5], 20)).toBe(1)
    expect(countCycles([-10, 10], 20)).toBe(0)
  })
})

describe("quote-tx cap", () => {
  it("what needs no slot goes, even when corrective cancels put the log over the cap", () => {
    const log = [0, 1, 2, 3, 4]
    expect(quoteTxRoom(log, 10, 4, 0)).toEqual({ ok: true })
    expect(quoteTxRoom(log, 10, 4, 1)).toEqual({ ok: false, used: 5, cap: 4, waitMs: 59_991 })
  })
  it("a re-quote that needs the whole cap waits for every entry to leave, not forever", () => {
    expect(quoteTxRoom([1_000], 2_000, 2, 2)).toEqual({ ok: false, used: 1, cap: 2, waitMs: 59_000 })
    expect(quoteTxRoom([], 2_000, 2, 2)).toEqual({ ok: true })
  })
})

describe("depth", () => {
  const book: OrderBookTop = { marketId: 1, bids: [{ price: 99, size: 1 }], asks: [{ price: 101, size: 1 }], timestampMs: 0 }
  it("a depth below 1 or not whole is refused and says so", () => {
    expect(() => priceAtLevelDepth(book, "buy", 0)).toThrow(/^depth must be an integer >= 1, got 0$/)
    expect(() => priceAtLevelDepth(book, "sell", 1.5)).toThrow(/^depth must be an integer >= 1, got 1\.5$/)
  })
})
