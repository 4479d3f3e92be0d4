import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { describeFault, FAULT_KINDS, planFaults } from "../../src/chaos/plan.ts"

describe("chaos fault plan", () => {
  it("is the same for the same seed, and differs between seeds", () => {
    expect(planFaults(7, 500)).toEqual(planFaults(7, 500))
    expect(planFaults(7, 500)).not.toEqual(planFaults(8, 500))
  })

  it("has every fault kind at least once, in order of fill count, within 5 %..85 % of the run", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2000 }), (seed, fills) => {
        const plan = planFaults(seed, fills)
        for (const k of FAULT_KINDS) expect(plan.some((p) => p.fault.kind === k)).toBe(true)
        expect(plan.length).toBe(FAULT_KINDS.length + Math.floor(fills / 40))
        for (let i = 1; i < plan.length; i++) expect(plan[i]!.atFill).toBeGreaterThanOrEqual(plan[i - 1]!.atFill)
        for (const p of plan) {
          expect(p.atFill).toBeGreaterThanOrEqual(1)
          expect(p.atFill).toBeLessThanOrEqual(Math.max(1, Math.floor(fills * 0.85), Math.floor(fills * 0.05)))
          expect(describeFault(p.fault).startsWith(p.fault.kind)).toBe(true)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("draws parameters within their documented ranges", () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const { fault: f } of planFaults(seed, 400)) {
        if (f.kind === "kill-a" || f.kind === "kill-b") expect(f.restartAfterMs).toBeGreaterThanOrEqual(300)
        if (f.kind === "redis-down") expect(f.downMs).toBeGreaterThanOrEqual(2000)
        if (f.kind === "b-delay") expect(f.ms).toBeLessThanOrEqual(6500)
        if (f.kind === "b-partial") expect(f.fractionPct >= 30 && f.fractionPct <= 70).toBe(true)
      }
    }
  })

  it("refuses a fill count that is not a positive integer", () => {
    expect(() => planFaults(1, 0)).toThrow(/fills/)
    expect(() => planFaults(1, 1.5)).toThrow(/fills/)
  })
})
