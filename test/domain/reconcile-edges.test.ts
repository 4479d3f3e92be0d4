// Reconciliation at its edges: the minimum, the grace period (on both times, from a clock whose
// origin is not 0), a mismatch that changes, a correction that exactly flattens B or exactly
// reaches the bound, the side of a correction, and what a halt says.
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { initialReconcileState, reconcile, type ReconcileInput, type ReconcileState } from "../../src/domain/reconcile.ts"

// A monotonic clock's origin is arbitrary: start far from 0.
const T0 = 1_000_000
const base: ReconcileInput = { nowMs: T0, aObservedAtMs: T0, aPosition: 60, bPosition: -60, inFlightSigned: 0, residualPool: 0, minBase: 20, graceMs: 1000, maxCorrection: 100 }

/** First sees the input at T0, then looks again `afterMs` later with A measured `aAfterMs` after T0. */
const after = (i: Partial<ReconcileInput>, afterMs: number, aAfterMs = afterMs) => {
  const first = reconcile(initialReconcileState, { ...base, ...i })
  return reconcile(first.state, { ...base, ...i, nowMs: T0 + afterMs, aObservedAtMs: T0 + aAfterMs })
}

describe("the minimum", () => {
  it("a mismatch below the minimum is fine; one of exactly the minimum is watched", () => {
    expect(reconcile(initialReconcileState, { ...base, bPosition: -79 }).action).toEqual({ _tag: "Ok" })
    expect(reconcile(initialReconcileState, { ...base, bPosition: -41 }).action).toEqual({ _tag: "Ok" })
    expect(reconcile(initialReconcileState, { ...base, bPosition: -80 }).action).toEqual({ _tag: "Watch", mismatch: -20 })
    expect(reconcile(initialReconcileState, { ...base, bPosition: -40 }).action).toEqual({ _tag: "Watch", mismatch: 20 })
  })
  it("an Ok forgets any mismatch being watched", () => {
    const watched = reconcile(initialReconcileState, { ...base, bPosition: -100 })
    const ok = reconcile(watched.state, { ...base, nowMs: T0 + 500 })
    expect(ok.state).toStrictEqual({ mismatch: 0, sinceMs: undefined })
    expect(initialReconcileState).toStrictEqual({ mismatch: 0, sinceMs: undefined })
  })
})

describe("the grace period", () => {
  it("starts when a mismatch is first seen, whatever the clock's origin", () => {
    const first = reconcile(initialReconcileState, { ...base, bPosition: -100 })
    expect(first).toEqual({ state: { mismatch: -40, sinceMs: T0 }, action: { _tag: "Watch", mismatch: -40 } })
    // A's report, even if measured long after, cannot decide at first sight
    const late = reconcile(initialReconcileState, { ...base, bPosition: -100, aObservedAtMs: T0 + 50_000, nowMs: T0 + 50_000 })
    expect(late.action._tag).toBe("Watch")
    expect(late.state.sinceMs).toBe(T0 + 50_000)
  })
  it("decides once exactly the grace has passed on both times, not a millisecond before on either", () => {
    expect(after({ bPosition: -100 }, 1000).action).toEqual({ _tag: "Correct", side: "buy", base: 40, mismatch: -40 })
    expect(after({ bPosition: -100 }, 999, 1000).action._tag).toBe("Watch")
    expect(after({ bPosition: -100 }, 1000, 999).action._tag).toBe("Watch")
    expect(after({ bPosition: -100 }, 500, 500).action._tag).toBe("Watch")
    // B's own clock must show the grace too, whatever time A's measurement carries
    expect(after({ bPosition: -100 }, 999, 5_000).action._tag).toBe("Watch")
  })
  it("a changed mismatch starts a new grace period", () => {
    const first = reconcile(initialReconcileState, { ...base, bPosition: -100 })
    const changed = reconcile(first.state, { ...base, bPosition: -120, nowMs: T0 + 1500, aObservedAtMs: T0 + 1500 })
    expect(changed).toEqual({ state: { mismatch: -60, sinceMs: T0 + 1500 }, action: { _tag: "Watch", mismatch: -60 } })
    const later = reconcile(changed.state, { ...base, bPosition: -120, nowMs: T0 + 2499, aObservedAtMs: T0 + 2499 })
    expect(later.action._tag).toBe("Watch")
    expect(later.state.sinceMs).toBe(T0 + 1500)
    expect(reconcile(later.state, { ...base, bPosition: -120, nowMs: T0 + 2500, aObservedAtMs: T0 + 2500 }).action).toEqual({ _tag: "Correct", side: "buy", base: 60, mismatch: -60 })
  })
})

describe("corrections", () => {
  it("one that brings B exactly to flat is a correction", () => {
    // A flat, B short 60 that nothing accounts for: B buys its 60 back
    expect(after({ aPosition: 0, bPosition: -60 }, 1000).action).toEqual({ _tag: "Correct", side: "buy", base: 60, mismatch: -60 })
    expect(after({ aPosition: 0, bPosition: 60 }, 1000).action).toEqual({ _tag: "Correct", side: "sell", base: 60, mismatch: 60 })
  })
  it("B long and over-hedged sells", () => {
    expect(after({ aPosition: -60, bPosition: 100 }, 1000).action).toEqual({ _tag: "Correct", side: "sell", base: 40, mismatch: 40 })
  })
  it("exactly the largest correction is made; one more halts", () => {
    expect(after({ bPosition: -160 }, 1000).action).toEqual({ _tag: "Correct", side: "buy", base: 100, mismatch: -100 })
    const r = after({ bPosition: -161 }, 1000).action
    expect(r).toEqual({ _tag: "Halt", mismatch: -101, reason: "mismatch -101 is larger than the largest automatic correction 100" })
  })
  it("a correction resets the watch", () => {
    expect(after({ bPosition: -100 }, 1000).state).toStrictEqual({ mismatch: 0, sinceMs: undefined })
  })
  it("a halt says what is unhedged, pending hedges included, and keeps watching the same mismatch", () => {
    const r = after({ aPosition: 100, bPosition: -20, inFlightSigned: -30, residualPool: -10 }, 1000)
    expect(r.action).toEqual({
      _tag: "Halt",
      mismatch: 40,
      reason: "A 100 + B -20 (+ pending -40) leaves 40 unhedged, which a reduce-only order on B cannot repair"
    })
    expect(r.state).toEqual({ mismatch: 40, sinceMs: T0 })
  })
  it("side and size always undo the mismatch (property)", () => {
    fc.assert(fc.property(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -500, max: 500 }), fc.integer({ min: -100, max: 100 }), (a, b, pending) => {
      const i = { aPosition: a, bPosition: b, inFlightSigned: pending, maxCorrection: 1000 }
      const r = after(i, 1000)
      const mismatch = a + b + pending
      if (r.action._tag === "Correct") {
        expect(r.action.mismatch).toBe(mismatch)
        expect(r.action.base).toBe(Math.abs(mismatch))
        expect(r.action.side).toBe(mismatch < 0 ? "buy" : "sell")
      } else if (Math.abs(mismatch) >= base.minBase) {
        expect(r.action._tag).toBe("Halt")
        // only a correction that would not reduce B halts here
        const fix = -mismatch
        expect(b === 0 || Math.sign(fix) === Math.sign(b) || Math.abs(fix) > Math.abs(b)).toBe(true)
      } else {
        expect(r.action).toEqual({ _tag: "Ok" })
      }
    }))
  })
})

describe("state carried between looks", () => {
  it("a state that watched another mismatch does not lend it its start", () => {
    const s: ReconcileState = { mismatch: -40, sinceMs: T0 - 10_000 }
    const r = reconcile(s, { ...base, bPosition: -90, nowMs: T0, aObservedAtMs: T0 })
    expect(r).toEqual({ state: { mismatch: -30, sinceMs: T0 }, action: { _tag: "Watch", mismatch: -30 } })
  })
})
