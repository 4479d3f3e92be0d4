import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { blockedByQuote, conflictingHedge, effectiveMinBase, guardSelfTrade, hedgeOrderFor, planNextAttempt, poolDecision, priceCap, quoteStillResting } from "../../src/domain/hedge-plan.ts"
import { LIGHTER_BTC, LIGHTER_ETH } from "../../src/domain/market.ts"

describe("hedge planning", () => {
  it("minimum size: the larger of the venue's base minimum and its 10 USDC notional minimum", () => {
    expect(effectiveMinBase(LIGHTER_BTC, 1_000_000)).toBe(20) // 0.0002 BTC = 20 USDC ≥ 10
    expect(effectiveMinBase(LIGHTER_BTC, 200_000)).toBe(50) // at 20000.0 USDC, 10 USDC = 0.0005 BTC
    expect(effectiveMinBase(LIGHTER_ETH, 100_000)).toBe(100) // 1000.00 → 10 USDC = 0.0100 ETH
  })

  it("caps the price by the slippage, on the right side", () => {
    expect(priceCap("buy", 1_000_000, 50)).toBe(1_005_000)
    expect(priceCap("sell", 1_000_000, 50)).toBe(995_000)
    expect(hedgeOrderFor(-20, 1_000_000, 50)).toEqual({ side: "sell", base: 20, priceCap: 995_000 })
    expect(hedgeOrderFor(35, 1_000_000, 50)).toEqual({ side: "buy", base: 35, priceCap: 1_005_000 })
    expect(() => hedgeOrderFor(0, 1, 1)).toThrow(RangeError)
  })

  it("never puts a cap outside the venue's 5% band, whatever the slippage (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("buy" as const, "sell" as const), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 100_000 }), (side, ref, slip) => {
        const cap = priceCap(side, ref, slip)
        expect(Number.isSafeInteger(cap)).toBe(true)
        expect(cap).toBeGreaterThanOrEqual(1)
        if (side === "buy") {
          expect(cap).toBeGreaterThanOrEqual(ref)
          expect(cap * 10_000).toBeLessThan(ref * 10_500 + 10_000)
        } else {
          expect(cap).toBeLessThanOrEqual(ref)
          expect(cap * 10_000).toBeGreaterThan(ref * 9_500 - 10_000)
        }
      })
    )
  })

  it("pools sub-minimum quantities and hedges the whole pool once it reaches the minimum", () => {
    expect(poolDecision(0, -10, 20)).toEqual({ _tag: "Defer", newPool: -10 })
    expect(poolDecision(-10, -15, 20)).toEqual({ _tag: "Hedge", target: -25, takenFromPool: -10, newPool: 0 })
    expect(poolDecision(-10, 10, 20)).toEqual({ _tag: "Defer", newPool: 0 })
    expect(poolDecision(15, -40, 20)).toEqual({ _tag: "Hedge", target: -25, takenFromPool: 15, newPool: 0 })
    // A fill of the minimum against a pool of the other sign: hedged alone, the pool waits.
    expect(poolDecision(14, -20, 20)).toEqual({ _tag: "Hedge", target: -20, takenFromPool: 0, newPool: 14 })
    expect(poolDecision(-6, 20, 20)).toEqual({ _tag: "Hedge", target: 20, takenFromPool: 0, newPool: -6 })
    // A pool at or above the minimum (a failed hedge) nets against the fill instead.
    expect(poolDecision(20, -20, 20)).toEqual({ _tag: "Defer", newPool: 0 })
    expect(poolDecision(25, -20, 20)).toEqual({ _tag: "Defer", newPool: 5 })
    // A residual flush (delta 0) hedges the pool once it reaches the minimum, and leaves it otherwise.
    expect(poolDecision(-30, 0, 20)).toEqual({ _tag: "Hedge", target: -30, takenFromPool: -30, newPool: 0 })
    expect(poolDecision(-12, 0, 20)).toEqual({ _tag: "Defer", newPool: -12 })
  })

  it("pool rule: nothing created or lost, a fill of the minimum is never deferred, the pool stays below the minimum", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -5000, max: 5000 }), fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 60 }), (min, start, deltas) => {
        // `start`: any pool, as a failed hedge can leave one of any size
        let pool = start
        for (const delta of deltas) {
          const d = poolDecision(pool, delta, min)
          const hedged = d._tag === "Hedge" ? d.target : 0
          expect(hedged + d.newPool).toBe(pool + delta)
          if (Math.abs(delta) >= min && Math.abs(pool) < min) expect(d._tag).toBe("Hedge")
          if (Math.abs(pool + delta) >= min) expect(d).toEqual({ _tag: "Hedge", target: pool + delta, takenFromPool: pool, newPool: 0 })
          if (d._tag === "Hedge") expect(Math.abs(d.target)).toBeGreaterThanOrEqual(min)
          expect(Math.abs(d.newPool)).toBeLessThan(min)
          pool = d.newPool
        }
      })
    )
  })

  it("re-hedges the remainder until it is below the minimum or attempts run out", () => {
    const base = { targetSignedBase: -60, maxAttempts: 3, minBase: 20 }
    expect(planNextAttempt({ ...base, filledSignedSoFar: 0, attemptsMade: 0 })).toEqual({ _tag: "Send", remainingSigned: -60 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: -30, attemptsMade: 1 })).toEqual({ _tag: "Send", remainingSigned: -30 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: -45, attemptsMade: 2 })).toEqual({ _tag: "Done", returnToPool: -15 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: -30, attemptsMade: 3 })).toEqual({ _tag: "Done", returnToPool: -30 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: -60, attemptsMade: 1 })).toEqual({ _tag: "Done", returnToPool: 0 })
  })
})

describe("self-trade guard (I5)", () => {
  it("keeps B's cap one tick short of A's resting quote on the side B trades into", () => {
    const sell = { side: "sell" as const, base: 20, priceCap: 995_000 }
    expect(guardSelfTrade(sell, { side: "buy", price: 999_995 })).toEqual({ ...sell, priceCap: 999_996 })
    expect(guardSelfTrade(sell, { side: "buy", price: 990_000 })).toEqual(sell) // cap already short of it
    expect(guardSelfTrade(sell, { side: "sell", price: 1_000_005 })).toEqual(sell) // other side of the book
    const buy = { side: "buy" as const, base: 20, priceCap: 1_005_000 }
    expect(guardSelfTrade(buy, { side: "sell", price: 1_000_005 })).toEqual({ ...buy, priceCap: 1_000_004 })
    expect(guardSelfTrade(buy, undefined)).toEqual(buy)
  })

  it("a quote whose own fill reached its size no longer rests; any other quote does", () => {
    const q = { side: "buy" as const, price: 1000, clientOrderIndex: 7, base: 20 }
    expect(quoteStillResting(q, { clientOrderIndex: 7, filledAfter: 20 })).toBeUndefined()
    expect(quoteStillResting(q, { clientOrderIndex: 7, filledAfter: 10 })).toBe(q) // partly filled: the rest rests
    expect(quoteStillResting(q, { clientOrderIndex: 8, filledAfter: 20 })).toBe(q) // another order
    expect(quoteStillResting({ side: "buy" as const, price: 1000, clientOrderIndex: 7 }, { clientOrderIndex: 7, filledAfter: 20 })).toBeDefined() // size unknown
    expect(quoteStillResting(undefined, { clientOrderIndex: 7, filledAfter: 20 })).toBeUndefined()
  })

  it("blockedByQuote: only when the guard moved the cap and the book cannot meet it", () => {
    const wanted = { side: "sell" as const, priceCap: 990 }
    const guarded = { side: "sell" as const, priceCap: 1001 }
    expect(blockedByQuote(wanted, wanted, { bestBid: 995, bestAsk: 996 })).toBe(false)
    expect(blockedByQuote(guarded, wanted, { bestBid: 1000, bestAsk: 1002 })).toBe(true)
    expect(blockedByQuote(guarded, wanted, { bestBid: 1003, bestAsk: 1004 })).toBe(false)
    expect(blockedByQuote(guarded, wanted, { bestBid: undefined, bestAsk: 1004 })).toBe(true)
    const buyWanted = { side: "buy" as const, priceCap: 1010 }
    const buyGuarded = { side: "buy" as const, priceCap: 999 }
    expect(blockedByQuote(buyGuarded, buyWanted, { bestBid: 998, bestAsk: 1000 })).toBe(true)
    expect(blockedByQuote(buyGuarded, buyWanted, { bestBid: 997, bestAsk: 999 })).toBe(false)
  })

  it("conflictingHedge: a buy quote waits for open sell hedges, a sell quote for open buy hedges", () => {
    const sell = { fillId: "s", targetSignedBase: -20 }
    const buy = { fillId: "b", targetSignedBase: 20 }
    expect(conflictingHedge("buy", [buy, sell])).toBe(sell)
    expect(conflictingHedge("sell", [sell, buy])).toBe(buy)
    expect(conflictingHedge("buy", [buy])).toBeUndefined()
    expect(conflictingHedge("sell", [sell])).toBeUndefined()
    expect(conflictingHedge("buy", [])).toBeUndefined()
  })
})
