// The pure time rules: heartbeat freshness judged on the reader's monotonic clock (never the
// writer's stamp against the reader's clock), and the clock-skew estimate from venue timestamps.
import { describe, expect, it } from "vitest"
import { initialSkewState, judgeSkew, type SkewState } from "../../src/domain/clock-skew.ts"
import { beatFresh, beatToken, initialBeatWatch, observeBeat } from "../../src/domain/freshness.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { evaluateRisk, initialRiskState } from "../../src/domain/risk.ts"

describe("heartbeat freshness (src/domain/freshness.ts)", () => {
  it("fresh while the beat keeps changing, whatever the writer's stamps say", () => {
    // The writer's clock is an hour behind, then steps back another hour: only changes count.
    const stamps = [1_000_000, 1_001_000, 1_002_000, -2_598_000, -2_597_000]
    let w = initialBeatWatch
    let t = 50
    for (const [i, atMs] of stamps.entries()) {
      w = observeBeat(w, beatToken({ atMs, status: { beat: i + 1 } }), t)
      expect(beatFresh(w, t, 5_000)).toBe(true)
      t += 1_000
    }
  })

  it("stale once the beat stops changing for the limit; gone at once when the record expires", () => {
    let w = observeBeat(initialBeatWatch, "1/1", 0)
    w = observeBeat(w, "1/1", 4_000)
    expect(beatFresh(w, 4_999, 5_000)).toBe(true)
    w = observeBeat(w, "1/1", 5_000)
    expect(beatFresh(w, 5_000, 5_000)).toBe(false)
    w = observeBeat(w, "2/2", 5_100)
    expect(beatFresh(w, 5_100, 5_000)).toBe(true)
    w = observeBeat(w, undefined, 5_200)
    expect(beatFresh(w, 5_200, 5_000)).toBe(false)
  })

  it("a beat was written after the last look that still saw the previous one (none on the first look)", () => {
    let w = observeBeat(initialBeatWatch, "a", 100)
    expect(w.writtenAfterMs).toBe(-Infinity)
    w = observeBeat(w, "a", 600)
    w = observeBeat(w, "b", 1_100)
    expect([w.seenAtMs, w.writtenAfterMs]).toEqual([1_100, 600])
    w = observeBeat(w, undefined, 1_600)
    w = observeBeat(w, "c", 2_100)
    expect(w.writtenAfterMs).toBe(1_600)
  })

  it("the token changes with the stamp or the beat counter", () => {
    expect(beatToken({ atMs: 5, status: { beat: 1 } })).not.toBe(beatToken({ atMs: 5, status: { beat: 2 } }))
    expect(beatToken({ atMs: 5, status: {} })).not.toBe(beatToken({ atMs: 6, status: {} }))
  })
})

describe("clock skew against the venue (src/domain/clock-skew.ts)", () => {
  const o = { windowMs: 10_000, boundMs: 2_000 }
  const feed = (diffs: ReadonlyArray<number>, start: SkewState = initialSkewState, t0 = 0) => {
    let state = start
    const changes: Array<string> = []
    let estimate = 0
    diffs.forEach((diffMs, i) => {
      const v = judgeSkew(state, { atMs: t0 + i * 1_000, diffMs }, o)
      state = v.state
      estimate = v.estimateMs
      if (v.change !== undefined) changes.push(v.change)
    })
    return { state, changes, estimate }
  }

  it("transit time never reads as skew: the smallest difference in the window is the estimate", () => {
    const r = feed([40, 3_500, 60, 2_900, 45])
    expect(r.estimate).toBe(40)
    expect(r.changes).toEqual([])
  })

  it("beyond the bound either way: one change when it starts, one when it recovers", () => {
    const behind = feed([-3_600_000, -3_600_010, -3_599_990])
    expect(behind.changes).toEqual(["skewed"])
    expect(behind.estimate).toBe(-3_600_010)
    // Fixed: the old samples leave the window, then it recovers, once.
    const fixed = feed(Array.from({ length: 14 }, () => 30), behind.state, 3_000)
    expect(fixed.changes).toEqual(["recovered"])
    const ahead = feed([2_500, 2_450, 2_600])
    expect(ahead.changes).toEqual(["skewed"])
    expect(ahead.estimate).toBe(2_450)
  })

  it("at the bound is within it", () => {
    expect(feed([2_000, -2_000]).changes).toEqual([])
    expect(feed([2_001]).changes).toEqual(["skewed"])
  })
})

describe("the unhedged-age rule counts only differences of its clock", () => {
  it("same verdicts whatever the clock's origin (a monotonic clock's is arbitrary)", () => {
    const limits = { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 1_000, maxConsecutiveFailures: 0 }
    for (const origin of [0, 1_790_000_000_000, -5_000_000]) {
      let s = initialRiskState
      const at = (ms: number) => evaluateRisk(s, { market: LIGHTER_BTC, nowMs: origin + ms, aPosition: 60, bPosition: 0, minBase: 20, consecutiveFailures: 0 }, limits)
      let r = at(0)
      s = r.state
      r = at(1_000)
      s = r.state
      expect(r.breaches).toEqual([])
      r = at(1_001)
      expect(r.breaches).toEqual(["net exposure 0.00060 BTC unhedged for 1001 ms (risk.max_unhedged_age_ms 1000)"])
    }
  })
})
