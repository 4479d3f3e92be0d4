// B's risk monitor (src/hedger/risk-monitor.ts) on the TestClock, over the memory state and
// exchange: A's heartbeat absent, stale or fresh decides whether A's position counts; B's position
// unknown for a moment does not restart the reconciliation grace; a pair already stopped is not
// halted again on every look (no repeated "would halt" warnings).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { OFF, setup } from "./risk-monitor-fixture.ts"

describe("B's risk monitor, more", () => {
  it.effect("A has never beaten (no heartbeat at all): the rules on B's own figures still halt the pair", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, maxPosition: 50 }, intervalMs: 100, minBase: 20, reconcileGraceMs: 500 })
      t.setB(-100)
      yield* t.run(500, undefined)
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.strictEqual(s.reason, "B's position -0.00100 BTC exceeds risk.max_position 0.00050 BTC")
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("A's beat gone stale (still stored, no longer changing): A's position no longer counts; a fresh beat counts again", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, maxPosition: 50 }, intervalMs: 100, minBase: 20 })
      // Stopped by an operator while A's one beat (over the limit) is fresh: nothing halts it.
      yield* t.pair.setTradingState("REDUCING", "operator: reduce")
      yield* t.beatA(100)
      // A silent for 7 s: its beat (stored for 60 s) is stale on B's clock.
      yield* t.run(7_000, undefined)
      // Resumed: A's stale position is not judged, and B's position is not known.
      yield* t.pair.setTradingState("ACTIVE", "operator: resume")
      yield* t.run(2_000, undefined)
      assert.strictEqual(yield* t.pair.tradingState(), "ACTIVE")
      // A beats again: its fresh position is over the limit.
      yield* t.run(500, 100)
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.strictEqual(s.reason, "A's position 0.00100 BTC exceeds risk.max_position 0.00050 BTC")
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("B's position unknown for a moment does not restart the reconciliation grace", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: OFF, intervalMs: 100, minBase: 20, reconcileGraceMs: 1_000, maxCorrection: 100 })
      // A long 100, B short 60: a hedge missing on B, watched from the first look.
      t.setB(-60)
      yield* t.run(1_500, 100)
      assert.strictEqual(yield* t.pair.tradingState(), "ACTIVE", "within the grace (A's report lags)")
      t.setB(undefined)
      yield* t.run(300, 100)
      t.setB(-60)
      // Well within a grace of B's position coming back, but past the grace of the mismatch.
      yield* t.run(700, 100)
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.match(s.reason!, /^reconciliation: /)
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("a pair an operator stopped, with a breach and an unrepairable mismatch: it keeps its state, and no halt is attempted on each look", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, maxPosition: 50 }, intervalMs: 100, minBase: 20, reconcileGraceMs: 1_000, maxCorrection: 100 })
      yield* t.pair.setTradingState("REDUCING", "operator: reduce")
      t.setB(-60)
      yield* t.run(4_000, 100)
      assert.deepStrictEqual(yield* t.pair.tradingStatus().pipe(Effect.map((x) => [x.state, x.reason])), ["REDUCING", "operator: reduce"])
      assert.deepStrictEqual(t.alerts, [])
      assert.deepStrictEqual(t.logs.filter((l) => l.includes("would halt")), [])
      yield* Fiber.interrupt(t.fiber)
    }))
})
