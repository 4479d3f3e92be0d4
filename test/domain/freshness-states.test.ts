// The heartbeat watch, state by state: what the reader knows before any look, after an expired
// record (nothing: no beat, no lower bound), and how that lower bound feeds the reconciliation
// (src/domain/reconcile.ts), which must never decide on a beat it cannot date.
import { describe, expect, it } from "vitest"
import { beatFresh, beatToken, initialBeatWatch, observeBeat } from "../../src/domain/freshness.ts"
import { initialReconcileState, reconcile } from "../../src/domain/reconcile.ts"

describe("the watch's states", () => {
  it("before any look: no beat, not fresh, no lower bound", () => {
    expect(initialBeatWatch).toStrictEqual({ token: undefined, seenAtMs: undefined, writtenAfterMs: -Infinity, lookedAtMs: undefined })
    expect(beatFresh(initialBeatWatch, 0, 5_000)).toBe(false)
  })

  it("a new beat: seen now, written after the previous look", () => {
    const w = observeBeat(observeBeat(initialBeatWatch, "1/1", 100), "1/2", 600)
    expect(w).toStrictEqual({ token: "1/2", seenAtMs: 600, writtenAfterMs: 100, lookedAtMs: 600 })
  })

  it("the same beat again: only the look moves", () => {
    const w = observeBeat(observeBeat(observeBeat(initialBeatWatch, "1/1", 100), "1/2", 600), "1/2", 900)
    expect(w).toStrictEqual({ token: "1/2", seenAtMs: 600, writtenAfterMs: 100, lookedAtMs: 900 })
  })

  it("an expired record: everything about the beat is forgotten but the look", () => {
    let w = observeBeat(initialBeatWatch, "1/1", 100)
    w = observeBeat(w, "1/2", 600)
    w = observeBeat(w, undefined, 1_100)
    expect(w).toStrictEqual({ token: undefined, seenAtMs: undefined, writtenAfterMs: -Infinity, lookedAtMs: 1_100 })
    expect(beatFresh(w, 1_100, 5_000)).toBe(false)
    // still none on the next look
    w = observeBeat(w, undefined, 1_600)
    expect(w).toStrictEqual({ token: undefined, seenAtMs: undefined, writtenAfterMs: -Infinity, lookedAtMs: 1_600 })
    // the same beat coming back is a new sighting, written after the last empty look
    w = observeBeat(w, "1/2", 2_100)
    expect(w).toStrictEqual({ token: "1/2", seenAtMs: 2_100, writtenAfterMs: 1_600, lookedAtMs: 2_100 })
  })

  it("freshness is measured from the sighting, strictly within the limit", () => {
    const w = observeBeat(initialBeatWatch, "1/1", 1_000)
    expect(beatFresh(w, 1_000, 1)).toBe(true)
    expect(beatFresh(w, 5_999, 5_000)).toBe(true)
    expect(beatFresh(w, 6_000, 5_000)).toBe(false)
  })
})

describe("an undatable beat never lets the reconciliation decide", () => {
  const input = { aPosition: 60, bPosition: -100, inFlightSigned: 0, residualPool: 0, minBase: 20, graceMs: 1_000, maxCorrection: 100 }
  it("neither a beat seen on the first look, nor an expired record, dates A's measurement", () => {
    for (const w of [
      initialBeatWatch,
      observeBeat(initialBeatWatch, "1/1", 0),
      observeBeat(observeBeat(observeBeat(initialBeatWatch, "1/1", 0), undefined, 0), undefined, 0)
    ]) {
      let r = reconcile(initialReconcileState, { ...input, nowMs: 0, aObservedAtMs: w.writtenAfterMs })
      r = reconcile(r.state, { ...input, nowMs: 60_000, aObservedAtMs: w.writtenAfterMs })
      expect(r.action).toEqual({ _tag: "Watch", mismatch: -40 })
    }
  })
})

describe("tokens", () => {
  it("are the stamp and the beat counter; a record without a counter is told apart by its stamp alone", () => {
    expect(beatToken({ atMs: 1_700_000_000_000, status: { beat: 42 } })).toBe("1700000000000/42")
    expect(beatToken({ atMs: 5, status: {} })).toBe(beatToken({ atMs: 5, status: { beat: null } }))
    expect(beatToken({ atMs: 5, status: { beat: 7 } })).toBe(beatToken({ atMs: 5, status: { beat: "7" } }))
  })
})
