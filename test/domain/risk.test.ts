import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { evaluateRisk, hedgeSlippageBreach, initialRiskState, type RiskLimits } from "../../src/domain/risk.ts"

const limits: RiskLimits = { maxPosition: 100, maxUnhedged: 60, maxUnhedgedAgeMs: 1000, maxConsecutiveFailures: 3 }
const fig = (over: Partial<Parameters<typeof evaluateRisk>[1]> = {}) => ({ market: LIGHTER_BTC, nowMs: 0, aPosition: 0, bPosition: 0, minBase: 20, consecutiveFailures: 0, ...over })

describe("risk rules", () => {
  it("a flat pair within limits breaks nothing", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 60, bPosition: -60 }), limits).breaches).toEqual([])
  })
  it("position limit on either account", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 120, bPosition: -120 }), limits).breaches).toHaveLength(2)
  })
  it("net exposure: at once above max_unhedged, or when it lasts longer than max_unhedged_age_ms", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 80 }), limits).breaches[0]).toBe("net exposure 0.00080 BTC exceeds risk.max_unhedged 0.00060 BTC")
    let s = evaluateRisk(initialRiskState, fig({ aPosition: 20, nowMs: 0 }), limits)
    expect(s.breaches).toEqual([]) // a fill in flight
    s = evaluateRisk(s.state, fig({ aPosition: 20, nowMs: 900 }), limits)
    expect(s.breaches).toEqual([])
    s = evaluateRisk(s.state, fig({ aPosition: 20, nowMs: 1001 }), limits)
    expect(s.breaches[0]).toMatch(/unhedged for 1001 ms/)
    // hedged: the clock restarts
    s = evaluateRisk(s.state, fig({ aPosition: 20, bPosition: -20, nowMs: 1100 }), limits)
    expect(s.state.unhedgedSinceMs).toBeUndefined()
  })
  it("unknown A position: only B's own limits apply", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: undefined, bPosition: -80 }), limits).breaches).toEqual([])
  })
  it("unknown B position (no snapshot yet): net and B limits wait, hedge failures still halt", () => {
    const r = evaluateRisk(initialRiskState, fig({ aPosition: 500, bPosition: undefined, consecutiveFailures: 3 }), limits)
    expect(r.breaches).toHaveLength(2)
    expect(r.breaches[0]).toBe("A's position 0.00500 BTC exceeds risk.max_position 0.00100 BTC")
    expect(r.breaches[1]).toMatch(/3 hedges in a row/)
    expect(r.state.unhedgedSinceMs).toBeUndefined()
  })
  it("consecutive hedge failures", () => {
    expect(evaluateRisk(initialRiskState, fig({ consecutiveFailures: 3 }), limits).breaches[0]).toMatch(/3 hedges in a row/)
    expect(evaluateRisk(initialRiskState, fig({ consecutiveFailures: 3 }), { ...limits, maxConsecutiveFailures: 0 }).breaches).toEqual([])
  })
})

describe("risk rules at their edges", () => {
  it("a position of exactly risk.max_position is within it; one base unit more breaks it, for A and for B, each named", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 100, bPosition: -100 }), limits).breaches).toEqual([])
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 101, bPosition: -101 }), { ...limits, maxUnhedged: 0 }).breaches).toEqual([
      "A's position 0.00101 BTC exceeds risk.max_position 0.00100 BTC",
      "B's position -0.00101 BTC exceeds risk.max_position 0.00100 BTC"
    ])
  })
  it("a net exposure of exactly risk.max_unhedged is within it", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 60 }), { ...limits, maxUnhedgedAgeMs: 0 }).breaches).toEqual([])
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 61 }), { ...limits, maxUnhedgedAgeMs: 0 }).breaches).toEqual([
      "net exposure 0.00061 BTC exceeds risk.max_unhedged 0.00060 BTC"
    ])
  })
  it("a position that is briefly unknown neither restarts nor ends the unhedged age (the rule waits for both)", () => {
    const since = { unhedgedSinceMs: 1_000 }
    expect(evaluateRisk(since, fig({ aPosition: 60, bPosition: undefined, nowMs: 5_000 }), limits).state).toEqual(since)
    expect(evaluateRisk(since, fig({ aPosition: undefined, bPosition: 0, nowMs: 5_000 }), limits).state).toEqual(since)
    // Known again and still unhedged: the age counts from the first sighting.
    expect(evaluateRisk(since, fig({ aPosition: 60, bPosition: 0, nowMs: 5_000 }), limits).breaches).toEqual([
      "net exposure 0.00060 BTC unhedged for 4000 ms (risk.max_unhedged_age_ms 1000)"
    ])
  })
  it("risk.min_free_collateral off (0) is off even for an account whose free collateral is negative", () => {
    const off = { ...limits, minFreeCollateralMicro: 0 }
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: -1, bFreeCollateralMicro: -5_000_000 }), off).breaches).toEqual([])
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: -1 }), { ...limits, minFreeCollateralMicro: 1 }).breaches).toEqual([
      "A's free collateral -0.000001 USDC is below risk.min_free_collateral 0.000001 USDC"
    ])
  })
})

describe("strategy.force_close_timeout (the previous system's meaning: A and B mismatched this long)", () => {
  const fcl: RiskLimits = { ...limits, maxUnhedgedAgeMs: 0, maxUnhedged: 0, forceCloseAfterMs: 30_000 }
  it("is due once |A + B| ≥ the venue minimum has lasted the timeout, not a millisecond before; not a breach", () => {
    let r = evaluateRisk(initialRiskState, fig({ aPosition: 60, bPosition: 0, nowMs: 1_000 }), fcl)
    expect(r.forceClose).toBeUndefined()
    r = evaluateRisk(r.state, fig({ aPosition: 60, bPosition: 0, nowMs: 30_999 }), fcl)
    expect(r.forceClose).toBeUndefined()
    r = evaluateRisk(r.state, fig({ aPosition: 60, bPosition: 0, nowMs: 31_000 }), fcl)
    expect(r.forceClose).toBe("A's position 0.00060 BTC and B's 0.00000 BTC mismatched (net 0.00060 BTC) for 30000 ms (strategy.force_close_timeout 30 s)")
    expect(r.breaches).toEqual([])
  })
  it("same direction counts (A +60, B +60), as the previous system's check did; hedged pairs never", () => {
    let r = evaluateRisk(initialRiskState, fig({ aPosition: 60, bPosition: 60, nowMs: 0 }), fcl)
    r = evaluateRisk(r.state, fig({ aPosition: 60, bPosition: 60, nowMs: 30_000 }), fcl)
    expect(r.forceClose).toMatch(/net 0\.00120 BTC/)
    let h = evaluateRisk(initialRiskState, fig({ aPosition: 60, bPosition: -60, nowMs: 0 }), fcl)
    h = evaluateRisk(h.state, fig({ aPosition: 60, bPosition: -60, nowMs: 10_000_000 }), fcl)
    expect(h.forceClose).toBeUndefined()
  })
  it("a mismatch below the venue minimum, one that heals, unknown positions, or the timeout off: never due", () => {
    let r = evaluateRisk(initialRiskState, fig({ aPosition: 19, nowMs: 0 }), fcl)
    r = evaluateRisk(r.state, fig({ aPosition: 19, nowMs: 60_000 }), fcl)
    expect(r.forceClose).toBeUndefined()
    let healed = evaluateRisk(initialRiskState, fig({ aPosition: 60, nowMs: 0 }), fcl)
    healed = evaluateRisk(healed.state, fig({ aPosition: 60, bPosition: -60, nowMs: 20_000 }), fcl)
    healed = evaluateRisk(healed.state, fig({ aPosition: 120, bPosition: -60, nowMs: 40_000 }), fcl)
    expect(healed.forceClose).toBeUndefined() // the clock restarted at 40 s
    healed = evaluateRisk(healed.state, fig({ aPosition: 120, bPosition: -60, nowMs: 70_000 }), fcl)
    expect(healed.forceClose).toMatch(/for 30000 ms/)
    const unknownA = evaluateRisk({ unhedgedSinceMs: 0 }, fig({ aPosition: undefined, bPosition: -60, nowMs: 99_000 }), fcl)
    expect(unknownA.forceClose).toBeUndefined()
    const unknownB = evaluateRisk({ unhedgedSinceMs: 0 }, fig({ aPosition: 60, bPosition: undefined, nowMs: 99_000 }), fcl)
    expect(unknownB.forceClose).toBeUndefined()
    const { forceCloseAfterMs: _, ...absent } = fcl
    for (const off of [{ ...fcl, forceCloseAfterMs: 0 }, absent]) {
      const o = evaluateRisk({ unhedgedSinceMs: 0 }, fig({ aPosition: 60, nowMs: 99_000 }), off)
      expect(o.forceClose).toBeUndefined()
      expect("forceClose" in o).toBe(false)
    }
  })
  it("due ⟺ both known, |net| ≥ minimum, and lasted ≥ the timeout (property)", () => {
    fc.assert(fc.property(
      fc.integer({ min: -200, max: 200 }), fc.integer({ min: -200, max: 200 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 60_000 }),
      (a, b, lasted, timeout) => {
        const l = { ...fcl, forceCloseAfterMs: timeout }
        const first = evaluateRisk(initialRiskState, fig({ aPosition: a, bPosition: b, nowMs: 1_000 }), l)
        const r = evaluateRisk(first.state, fig({ aPosition: a, bPosition: b, nowMs: 1_000 + lasted }), l)
        expect(r.forceClose !== undefined).toBe(Math.abs(a + b) >= 20 && lasted >= timeout)
      }
    ))
  })
})

describe("risk.min_free_collateral", () => {
  const withMin = { ...limits, minFreeCollateralMicro: 50_000_000 } // 50 USDC
  it("either account below the minimum is a breach naming the account, the key and both amounts", () => {
    const a = evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: 49_999_999, bFreeCollateralMicro: 80_000_000 }), withMin).breaches
    expect(a).toEqual(["A's free collateral 49.999999 USDC is below risk.min_free_collateral 50.000000 USDC"])
    const b = evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: 80_000_000, bFreeCollateralMicro: -1_500_000 }), withMin).breaches
    expect(b).toEqual(["B's free collateral -1.500000 USDC is below risk.min_free_collateral 50.000000 USDC"])
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: 0, bFreeCollateralMicro: 0 }), withMin).breaches).toHaveLength(2)
  })
  it("exactly the minimum is fine; unknown collateral is no breach; absent or 0 is off", () => {
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: 50_000_000, bFreeCollateralMicro: 50_000_000 }), withMin).breaches).toEqual([])
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: undefined, bFreeCollateralMicro: undefined }), withMin).breaches).toEqual([])
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: 1, bFreeCollateralMicro: 1 }), limits).breaches).toEqual([])
    expect(evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: 1 }), { ...limits, minFreeCollateralMicro: 0 }).breaches).toEqual([])
  })
  it("breach ⟺ known and below the minimum, for each account (property)", () => {
    const micro = fc.option(fc.integer({ min: -(10 ** 12), max: 10 ** 12 }), { nil: undefined })
    fc.assert(fc.property(micro, micro, fc.integer({ min: 0, max: 10 ** 12 }), (a, b, min) => {
      const r = evaluateRisk(initialRiskState, fig({ aFreeCollateralMicro: a, bFreeCollateralMicro: b }), { ...limits, minFreeCollateralMicro: min })
      const expected = min > 0 ? [a, b].filter((x) => x !== undefined && x < min).length : 0
      expect(r.breaches).toHaveLength(expected)
    }))
  })
})

describe("risk.max_hedge_slippage_bps", () => {
  const hedge = (avgPrice: number, over = {}) => ({
    market: LIGHTER_BTC,
    fillId: "562949953421312:60",
    fillPrice: 1_000_000,
    hedgeSide: "sell" as const,
    attempts: [{ side: "sell" as const, filledBase: 60, avgPrice }],
    ...over
  })
  it("a hedge beyond the limit is a breach naming the key, the fill and the figures", () => {
    const breach = hedgeSlippageBreach(hedge(996_000), 25)
    expect(breach).toBe(
      "hedge of fill 562949953421312:60 slipped 40.00 bps: B sold 0.00060 BTC at 99600.0 on average against A's fill at 100000.0 (risk.max_hedge_slippage_bps 25)"
    )
    const buy = hedgeSlippageBreach({ ...hedge(0), hedgeSide: "buy", attempts: [{ side: "buy", filledBase: 20, avgPrice: 1_002_600 }] }, 25)
    expect(buy).toContain("slipped 26.00 bps: B bought 0.00020 BTC at 100260.0 on average")
  })
  it("within the limit, improved, unmeasurable, or the limit off: no breach", () => {
    expect(hedgeSlippageBreach(hedge(997_500), 25)).toBeUndefined() // exactly 25 bps
    expect(hedgeSlippageBreach(hedge(1_001_000), 25)).toBeUndefined() // better than the fill
    expect(hedgeSlippageBreach(hedge(900_000), 0)).toBeUndefined()
    expect(hedgeSlippageBreach(hedge(900_000), undefined)).toBeUndefined()
    expect(hedgeSlippageBreach({ ...hedge(0), attempts: [] }, 25)).toBeUndefined() // deferred: nothing sent
    expect(hedgeSlippageBreach({ ...hedge(0), attempts: [{ side: "sell", filledBase: 0 }] }, 25)).toBeUndefined() // failed
  })
})
