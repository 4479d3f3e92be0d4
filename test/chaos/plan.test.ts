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
        if (f.kind === "redis-empty") expect(f.operatorAfterMs >= 2000 && f.operatorAfterMs <= 5000).toBe(true)
        if (f.kind === "duplicate-fill") expect(f.back >= 0 && f.back <= 30).toBe(true)
        if (f.kind === "flatten-mid-run") expect(f.resumeAfterMs >= 2000 && f.resumeAfterMs <= 5000).toBe(true)
      }
    }
  })

  it("has the operator faults: Redis restarted empty (once at least with a fill pending), a copied fill entry, a flatten", () => {
    expect(FAULT_KINDS).toEqual(expect.arrayContaining(["redis-empty", "duplicate-fill", "flatten-mid-run"]))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2000 }), (seed, fills) => {
        const plan = planFaults(seed, fills)
        expect(plan.some((p) => p.fault.kind === "redis-empty" && p.fault.pendingFill)).toBe(true)
      }),
      { numRuns: 200 }
    )
    // Extra ones draw it: across seeds both variants occur, and copies of the newest entry and of older ones.
    const all = Array.from({ length: 40 }, (_, seed) => planFaults(seed, 2000)).flat().map((p) => p.fault)
    const empties = all.filter((f) => f.kind === "redis-empty")
    expect(empties.some((f) => !f.pendingFill)).toBe(true)
    const copies = all.filter((f) => f.kind === "duplicate-fill")
    expect(copies.some((f) => f.back === 0) && copies.some((f) => f.back > 0)).toBe(true)
    expect(describeFault({ kind: "redis-empty", operatorAfterMs: 3000, pendingFill: true })).toMatch(/B killed, a fill of A pending.*NO data/)
  })

  it("refuses a fill count that is not a positive integer", () => {
    expect(() => planFaults(1, 0)).toThrow(/fills/)
    expect(() => planFaults(1, 1.5)).toThrow(/fills/)
  })
})
