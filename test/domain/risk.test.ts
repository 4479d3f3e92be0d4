import { describe, expect, it } from "vitest"
import { evaluateRisk, initialRiskState, type RiskLimits } from "../../src/domain/risk.ts"

const limits: RiskLimits = { maxPosition: 100, maxUnhedged: 60, maxUnhedgedAgeMs: 1000, maxConsecutiveFailures: 3 }
const fig = (over: Partial<Parameters<typeof evaluateRisk>[1]> = {}) => ({ nowMs: 0, aPosition: 0, bPosition: 0, minBase: 20, consecutiveFailures: 0, ...over })

describe("risk rules", () => {
  it("a flat pair within limits breaks nothing", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 60, bPosition: -60 }), limits).breaches).toEqual([])
  })
  it("position limit on either account", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 120, bPosition: -120 }), limits).breaches).toHaveLength(2)
  })
  it("net exposure: at once above max_unhedged, or when it lasts longer than max_unhedged_age_ms", () => {
    expect(evaluateRisk(initialRiskState, fig({ aPosition: 80 }), limits).breaches[0]).toMatch(/max_unhedged 60/)
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
  it("consecutive hedge failures", () => {
    expect(evaluateRisk(initialRiskState, fig({ consecutiveFailures: 3 }), limits).breaches[0]).toMatch(/3 hedges in a row/)
    expect(evaluateRisk(initialRiskState, fig({ consecutiveFailures: 3 }), { ...limits, maxConsecutiveFailures: 0 }).breaches).toEqual([])
  })
})
