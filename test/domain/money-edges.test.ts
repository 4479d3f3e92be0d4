// The money paths' edges, pinned exactly (issue 8: tests that bite where money is). Each case
// below was a mutant that survived `npm run mutate:domain`: a boundary (>= vs >), a rounding
// direction, an in-flight quantity left out, a guard at equal prices.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { HedgeIntent } from "../../src/bus/PairState.ts"
import { computeExposure } from "../../src/domain/exposure.ts"
import {
  blockedByQuote, bookReferencePrice, conflictingHedge, effectiveMinBase, guardSelfTrade, planNextAttempt, poolDecision, priceCap,
  quoteStillResting, withinPriceBand
} from "../../src/domain/hedge-plan.ts"
import { isValidBaseAmount, isValidPrice, LIGHTER_BTC, LIGHTER_ETH, MAX_BASE_AMOUNT, MAX_PRICE, type MarketSpec } from "../../src/domain/market.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"
import { signedBase } from "../../src/domain/side.ts"

/** ceil(minQuote / notional of one base unit), in exact integers: the reference for effectiveMinBase. */
const minBaseByQuote = (m: MarketSpec, price: number): bigint => {
  const e = m.sizeDecimals + m.priceDecimals - 6 // notional(base, price) = base·price / 10^e micro-USDC
  const num = BigInt(m.minQuoteAmount) * (e > 0 ? 10n ** BigInt(e) : 1n)
  const den = BigInt(price) * (e < 0 ? 10n ** BigInt(-e) : 1n)
  return (num + den - 1n) / den
}
/** A market whose decimals add up to more than the quote's 6 (the other branch of the scaling). */
const FINE: MarketSpec = { marketId: 9, symbol: "FINE", sizeDecimals: 6, priceDecimals: 4, minBaseAmount: 1, minQuoteAmount: 10_000_000 }

describe("effectiveMinBase rounds up: never a hedge below the venue's notional minimum", () => {
  it("equals max(minBase, ⌈minQuote / unit notional⌉) exactly, for every price and market (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(LIGHTER_BTC, LIGHTER_ETH, FINE), fc.integer({ min: 1, max: 2 ** 32 - 1 }), (m, price) => {
        const expected = Math.max(m.minBaseAmount, Number(minBaseByQuote(m, price)))
        expect(effectiveMinBase(m, price)).toBe(expected)
      }),
      { numRuns: 2000 }
    )
  })
  it("a price where the notional minimum is not a whole number of units rounds up", () => {
    // BTC at 30 000.0: 10 USDC = 0.000333… BTC → 34 units (33 would be 9.9 USDC)
    expect(effectiveMinBase(LIGHTER_BTC, 300_000)).toBe(34)
    expect(effectiveMinBase(FINE, 3)).toBe(33_333_333_334) // 10 USDC at 0.0003: 33 333.333334 FINE
  })
})

describe("the venue's price band and reference", () => {
  it("withinPriceBand: ±5 % inclusive, exactly at the edges; bad inputs are outside", () => {
    expect(withinPriceBand(10_500, 10_000)).toBe(true)
    expect(withinPriceBand(10_501, 10_000)).toBe(false)
    expect(withinPriceBand(9_500, 10_000)).toBe(true)
    expect(withinPriceBand(9_499, 10_000)).toBe(false)
    expect(withinPriceBand(10_000, 10_000, 0)).toBe(true)
    expect(withinPriceBand(10_001, 10_000, 0)).toBe(false)
    expect(withinPriceBand(100, 0)).toBe(false)
    expect(withinPriceBand(1.5, 1)).toBe(false)
    expect(withinPriceBand(1, 1.5)).toBe(false)
  })
  it("bookReferencePrice: the mid rounded down, else the one side there is, else nothing", () => {
    expect(bookReferencePrice({ bids: [{ price: 100 }], asks: [{ price: 103 }] })).toBe(101)
    expect(bookReferencePrice({ bids: [{ price: 100 }], asks: [] })).toBe(100)
    expect(bookReferencePrice({ bids: [], asks: [{ price: 103 }] })).toBe(103)
    expect(bookReferencePrice({ bids: [], asks: [] })).toBeUndefined()
  })
})

describe("priceCap: the slippage cap, strictly inside the band", () => {
  it("exact values: buy rounds down, sell rounds up; a slippage past the band is clamped one tick inside", () => {
    expect(priceCap("buy", 10_001, 50)).toBe(10_051) // 10 001 · 1.005 = 10 051.005
    expect(priceCap("sell", 10_001, 50)).toBe(9_951) // 10 001 · 0.995 = 9 950.995
    expect(priceCap("buy", 10_000, 900)).toBe(10_499) // band max 10 500 is not allowed: strictly inside
    expect(priceCap("sell", 10_000, 900)).toBe(9_501)
    expect(priceCap("sell", 1, 50)).toBe(1)
    expect(() => priceCap("buy", 0, 50)).toThrow(RangeError)
    expect(() => priceCap("buy", 1.5, 50)).toThrow(/refPrice must be a positive integer/)
  })
})

describe("the residual pool rule at its boundary", () => {
  const reference = (pool: number, delta: number, min: number) => {
    const combined = pool + delta
    if (Math.abs(combined) >= min) return { _tag: "Hedge", target: combined, takenFromPool: pool, newPool: 0 }
    if (Math.abs(delta) >= min && Math.abs(pool) < min) return { _tag: "Hedge", target: delta, takenFromPool: 0, newPool: pool }
    return { _tag: "Defer", newPool: combined }
  }
  it("a pool of exactly the minimum is hedged (by a flush, or with a fill)", () => {
    expect(poolDecision(-20, 0, 20)).toEqual({ _tag: "Hedge", target: -20, takenFromPool: -20, newPool: 0 })
    expect(poolDecision(20, 0, 20)).toEqual({ _tag: "Hedge", target: 20, takenFromPool: 20, newPool: 0 })
    expect(poolDecision(-19, 0, 20)).toEqual({ _tag: "Defer", newPool: -19 })
    expect(poolDecision(5, 15, 20)).toEqual({ _tag: "Hedge", target: 20, takenFromPool: 5, newPool: 0 })
    // a fill of exactly the minimum against a sub-minimum opposite residual is hedged alone
    expect(poolDecision(5, -20, 20)).toEqual({ _tag: "Hedge", target: -20, takenFromPool: 0, newPool: 5 })
    expect(poolDecision(20, -20, 20)).toEqual({ _tag: "Defer", newPool: 0 })
  })
  it("agrees with the rule written out, for every pool, fill and minimum (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -100, max: 100 }), fc.integer({ min: -100, max: 100 }), fc.integer({ min: 1, max: 60 }), (pool, delta, min) => {
        expect(poolDecision(pool, delta, min)).toEqual(reference(pool, delta, min))
      }),
      { numRuns: 3000 }
    )
  })
})

describe("planNextAttempt", () => {
  const base = { targetSignedBase: -60, attemptsMade: 1, maxAttempts: 3, minBase: 20 }
  it("sends a remainder of exactly the minimum; returns a smaller one, or anything after the last attempt", () => {
    expect(planNextAttempt({ ...base, filledSignedSoFar: -40 })).toEqual({ _tag: "Send", remainingSigned: -20 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: -41 })).toEqual({ _tag: "Done", returnToPool: -19 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: -60 })).toEqual({ _tag: "Done", returnToPool: 0 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: 0, attemptsMade: 3 })).toEqual({ _tag: "Done", returnToPool: -60 })
    expect(planNextAttempt({ ...base, filledSignedSoFar: 0, attemptsMade: 2 })).toEqual({ _tag: "Send", remainingSigned: -60 })
    // overfilled: nothing to send, the excess (opposite sign) goes back
    expect(planNextAttempt({ ...base, filledSignedSoFar: -80 })).toEqual({ _tag: "Done", returnToPool: 20 })
  })
})

describe("the self-trade guard (I5) at equal prices", () => {
  it("a cap that would meet A's quote exactly is moved one tick short of it", () => {
    expect(guardSelfTrade({ side: "sell", priceCap: 100 }, { side: "buy", price: 100 })).toEqual({ side: "sell", priceCap: 101 })
    expect(guardSelfTrade({ side: "buy", priceCap: 100 }, { side: "sell", price: 100 })).toEqual({ side: "buy", priceCap: 99 })
    expect(guardSelfTrade({ side: "sell", priceCap: 101 }, { side: "buy", price: 100 })).toEqual({ side: "sell", priceCap: 101 })
    expect(guardSelfTrade({ side: "buy", priceCap: 99 }, { side: "sell", price: 100 })).toEqual({ side: "buy", priceCap: 99 })
    // a quote on the same side as the hedge is never in its way
    expect(guardSelfTrade({ side: "buy", priceCap: 100 }, { side: "buy", price: 100 })).toEqual({ side: "buy", priceCap: 100 })
    expect(guardSelfTrade({ side: "sell", priceCap: 100 }, { side: "sell", price: 100 })).toEqual({ side: "sell", priceCap: 100 })
    expect(guardSelfTrade({ side: "buy", priceCap: 1 }, { side: "sell", price: 1 })).toEqual({ side: "buy", priceCap: 1 })
  })
  it("blockedByQuote: only a moved cap that the book cannot reach blocks, equality included", () => {
    expect(blockedByQuote({ side: "sell", priceCap: 101 }, { priceCap: 101 }, { bestBid: 50, bestAsk: 200 })).toBe(false)
    expect(blockedByQuote({ side: "sell", priceCap: 101 }, { priceCap: 99 }, { bestBid: 101, bestAsk: 200 })).toBe(false)
    expect(blockedByQuote({ side: "sell", priceCap: 101 }, { priceCap: 99 }, { bestBid: 100, bestAsk: 200 })).toBe(true)
    expect(blockedByQuote({ side: "sell", priceCap: 101 }, { priceCap: 99 }, { bestBid: undefined, bestAsk: 200 })).toBe(true)
    expect(blockedByQuote({ side: "buy", priceCap: 99 }, { priceCap: 101 }, { bestBid: 1, bestAsk: 99 })).toBe(false)
    expect(blockedByQuote({ side: "buy", priceCap: 99 }, { priceCap: 101 }, { bestBid: 1, bestAsk: 100 })).toBe(true)
    expect(blockedByQuote({ side: "buy", priceCap: 99 }, { priceCap: 101 }, { bestBid: 1, bestAsk: undefined })).toBe(true)
  })
  it("conflictingHedge: a buy quote meets sell hedges only, a sell quote buy hedges only; a zero target meets neither", () => {
    const sell = { fillId: "s", targetSignedBase: -20 }
    const buy = { fillId: "b", targetSignedBase: 20 }
    const zero = { fillId: "z", targetSignedBase: 0 }
    expect(conflictingHedge("buy", [zero, buy, sell])).toBe(sell)
    expect(conflictingHedge("sell", [zero, sell, buy])).toBe(buy)
    expect(conflictingHedge("buy", [zero, buy])).toBeUndefined()
    expect(conflictingHedge("sell", [zero, sell])).toBeUndefined()
  })
  it("quoteStillResting: a fill of that very quote reaching its size means it is gone", () => {
    const q = { clientOrderIndex: 7, base: 20 }
    expect(quoteStillResting(q, { clientOrderIndex: 7, filledAfter: 20 })).toBeUndefined()
    expect(quoteStillResting(q, { clientOrderIndex: 7, filledAfter: 19 })).toBe(q)
    expect(quoteStillResting(q, { clientOrderIndex: 8, filledAfter: 20 })).toBe(q)
    expect(quoteStillResting({ clientOrderIndex: 7 }, { clientOrderIndex: 7, filledAfter: 20 })).toEqual({ clientOrderIndex: 7 })
    expect(quoteStillResting(undefined, { clientOrderIndex: 7, filledAfter: 20 })).toBeUndefined()
  })
})

describe("exposure counts what in-flight attempts already filled", () => {
  const attempt = (side: "buy" | "sell", base: number, filledBase?: number) =>
    new HedgeAttempt({ attempt: 1, clientOrderIndex: 1, side, base, priceCap: 100, sentAtMs: 0, ...(filledBase !== undefined ? { filledBase } : {}) })
  const intent = (status: HedgeIntent["status"], target: number, attempts: HedgeAttempt[]): HedgeIntent =>
    ({ fillId: `f${target}`, fillSeq: 1, status, targetSignedBase: target, takenFromPool: 0, attempts, createdAtMs: 0 })
  it("in flight = open targets minus what their attempts filled (signed); deferred and done intents are not in flight", () => {
    // A bought 60; B's open intent −60 has sold 40 so far (one attempt filled 40, one unknown)
    const e = computeExposure({
      aPosition: 60,
      bPosition: -40,
      openIntents: [intent("open", -60, [attempt("sell", 60, 40), attempt("sell", 20)]), intent("done", -20, []), intent("deferred", -5, [])],
      residualPool: 0
    })
    expect(e).toEqual({ aPosition: 60, bPosition: -40, net: 20, inFlightSigned: -20, residualPool: 0, uncovered: 0 })
    // a buy attempt's fill counts positive
    const up = computeExposure({ aPosition: -30, bPosition: 10, openIntents: [intent("open", 30, [attempt("buy", 30, 10)])], residualPool: 0 })
    expect(up.inFlightSigned).toBe(20)
    expect(up.uncovered).toBe(0)
    // what nothing explains shows as uncovered, pool included
    const gap = computeExposure({ aPosition: 20, bPosition: 0, openIntents: [], residualPool: -5 })
    expect(gap).toEqual({ aPosition: 20, bPosition: 0, net: 20, inFlightSigned: 0, residualPool: -5, uncovered: 15 })
  })
})

describe("units", () => {
  it("signedBase: buys are positive, sells negative", () => {
    expect(signedBase("buy", 20)).toBe(20)
    expect(signedBase("sell", 20)).toBe(-20)
  })
  it("the venue's integer ranges, at their edges", () => {
    expect(MAX_BASE_AMOUNT).toBe(281_474_976_710_655)
    expect(MAX_PRICE).toBe(4_294_967_295)
    expect([isValidBaseAmount(1), isValidBaseAmount(MAX_BASE_AMOUNT), isValidBaseAmount(0), isValidBaseAmount(MAX_BASE_AMOUNT + 1), isValidBaseAmount(1.5)])
      .toEqual([true, true, false, false, false])
    expect([isValidPrice(1), isValidPrice(MAX_PRICE), isValidPrice(0), isValidPrice(MAX_PRICE + 1), isValidPrice(2.5)]).toEqual([true, true, false, false, false])
  })
})
