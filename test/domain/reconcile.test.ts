import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { initialReconcileState, reconcile } from "../../src/domain/reconcile.ts"

const base = { nowMs: 0, aObservedAtMs: 0, aPosition: 60, bPosition: -60, inFlightSigned: 0, residualPool: 0, minBase: 20, graceMs: 1000, maxCorrection: 100 }

describe("reconciliation", () => {
  it("a flat pair, or one whose difference is pending hedges, is fine", () => {
    expect(reconcile(initialReconcileState, base).action._tag).toBe("Ok")
    expect(reconcile(initialReconcileState, { ...base, bPosition: 0, inFlightSigned: -60 }).action._tag).toBe("Ok")
    expect(reconcile(initialReconcileState, { ...base, bPosition: -50, residualPool: -10 }).action._tag).toBe("Ok")
  })
  it("B over-hedged beyond the grace period: a reduce-only correction on B", () => {
    let r = reconcile(initialReconcileState, { ...base, bPosition: -100 })
    expect(r.action).toEqual({ _tag: "Watch", mismatch: -40 })
    r = reconcile(r.state, { ...base, bPosition: -100, nowMs: 999 })
    expect(r.action._tag).toBe("Watch")
    // A's position measured before the grace period ended cannot decide
    r = reconcile(r.state, { ...base, bPosition: -100, nowMs: 1000, aObservedAtMs: 900 })
    expect(r.action._tag).toBe("Watch")
    r = reconcile(r.state, { ...base, bPosition: -100, nowMs: 1100, aObservedAtMs: 1050 })
    expect(r.action).toEqual({ _tag: "Correct", side: "buy", base: 40, mismatch: -40 })
  })
  it("a hedge missing (B would have to grow) halts instead", () => {
    let r = reconcile(initialReconcileState, { ...base, bPosition: -20 })
    r = reconcile(r.state, { ...base, bPosition: -20, nowMs: 2000, aObservedAtMs: 2000 })
    expect(r.action._tag).toBe("Halt")
  })
  it("a correction larger than the bound halts", () => {
    let r = reconcile(initialReconcileState, { ...base, bPosition: -300, maxCorrection: 100 })
    r = reconcile(r.state, { ...base, bPosition: -300, maxCorrection: 100, nowMs: 5000, aObservedAtMs: 5000 })
    expect(r.action._tag).toBe("Halt")
  })
  it("a mismatch that keeps changing is hedging in progress, not yet a mismatch", () => {
    let r = reconcile(initialReconcileState, { ...base, bPosition: -100 })
    r = reconcile(r.state, { ...base, bPosition: -120, nowMs: 1500 })
    expect(r.action._tag).toBe("Watch")
  })
  it("a correction always brings the pair flat and never grows B (property)", () => {
    fc.assert(fc.property(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -500, max: 500 }), (a, b) => {
      const r = reconcile({ mismatch: a + b, sinceMs: 0 }, { ...base, aPosition: a, bPosition: b, nowMs: 10_000, aObservedAtMs: 10_000, maxCorrection: 1000 })
      if (r.action._tag === "Correct") {
        const after = b + (r.action.side === "buy" ? r.action.base : -r.action.base)
        expect(a + after).toBe(0)
        expect(Math.abs(after)).toBeLessThan(Math.abs(b))
      }
    }))
  })
})
