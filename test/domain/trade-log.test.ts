import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { isSelfTrade, replayNet, signedFor, tallyPair } from "../../src/domain/trade-log.ts"

const A = 1
const B = 2
const X = 0 // the rest of the market
const t = (bid: number, ask: number, size: number, timestampMs = 0) => ({ bidAccountId: bid, askAccountId: ask, size, timestampMs })

describe("the pair's trade log", () => {
  it("signs legs, counts fills and volume, and finds A↔B self-trades", () => {
    const log = [t(A, X, 20), t(X, B, 20), t(X, A, 20), t(B, X, 20), t(A, B, 5)]
    expect(signedFor(log[0]!, A)).toBe(20)
    expect(signedFor(log[0]!, B)).toBe(0)
    expect(isSelfTrade(log[4]!, A, B)).toBe(true)
    expect(isSelfTrade(t(B, A, 1), A, B)).toBe(true)
    expect(isSelfTrade(t(A, A, 1), A, B)).toBe(false)
    expect(tallyPair(log, A, B)).toEqual({
      fillsA: 3, fillsB: 3, volumeA: 45, volumeB: 45, netA: 5, netB: -5, selfTrades: 1, legsA: [20, -20, 5]
    })
  })

  it("A's own orders crossing move nothing and leave no leg", () => {
    expect(tallyPair([t(A, A, 7)], A, B)).toMatchObject({ fillsA: 1, netA: 0, legsA: [] })
  })

  it("replays the net: its largest size, the longest stretch at or above the minimum, one still open at the end", () => {
    const log = [t(A, X, 20, 0), t(X, B, 20, 1_000), t(A, X, 20, 2_000), t(X, B, 10, 5_000), t(X, B, 10, 9_000), t(A, X, 20, 10_000)]
    const seen: Array<number> = []
    const r = replayNet(log, A, B, 20, (_t, before) => void seen.push(before))
    expect(seen).toEqual([0, 20, 0, 20, 10, 0])
    expect(r).toEqual({ maxAbsNet: 20, longestUnhedgedMs: 3_000, openSinceMs: 10_000, finalNet: 20 })
  })

  it("the net replay ends where the tallies end: final net = A's net + B's net", () => {
    const trade = fc.record({
      bidAccountId: fc.constantFrom(A, B, X),
      askAccountId: fc.constantFrom(A, B, X),
      size: fc.integer({ min: 1, max: 1_000 }),
      timestampMs: fc.integer({ min: 0, max: 10_000 })
    })
    fc.assert(fc.property(fc.array(trade, { maxLength: 40 }), (log) => {
      const tally = tallyPair(log, A, B)
      expect(replayNet(log, A, B, 1).finalNet).toBe(tally.netA + tally.netB)
      expect(tally.legsA.reduce((s, x) => s + x, 0)).toBe(tally.netA)
    }))
  })
})
