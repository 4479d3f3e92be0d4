// B's risk monitor (src/hedger/risk-monitor.ts) on the TestClock, over the memory state and
// exchange, with A's heartbeat written by the test and B's position set by it: the limits halt
// an ACTIVE pair with the breach; reconciliation looks only at a fresh beat of A's and halts when
// it cannot repair; a stopped pair keeps its own reason; a failed look is logged and the monitor
// goes on.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { OFF, setup } from "./risk-monitor-fixture.ts"

describe("B's risk monitor", () => {
  it.effect("a limit breached: an ACTIVE pair halts with the breach; a pair an operator stopped keeps its reason", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, maxPosition: 50 }, intervalMs: 100, minBase: 20 })
      t.setB(-100)
      yield* t.run(300, 100)
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.strictEqual(s.reason, "A's position 0.00100 BTC exceeds risk.max_position 0.00050 BTC; B's position -0.00100 BTC exceeds risk.max_position 0.00050 BTC")

      const op = yield* setup({ limits: { ...OFF, maxPosition: 50 }, intervalMs: 100, minBase: 20 })
      yield* op.pair.setTradingState("REDUCING", "operator: reduce")
      op.setB(-100)
      yield* op.run(300, 100)
      assert.deepStrictEqual(yield* op.pair.tradingStatus().pipe(Effect.map((x) => [x.state, x.reason])), ["REDUCING", "operator: reduce"])
      yield* Fiber.interrupt(t.fiber)
      yield* Fiber.interrupt(op.fiber)
    }))

  it.effect("within the limits and matched, nothing happens", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, maxPosition: 500 }, intervalMs: 100, minBase: 20, reconcileGraceMs: 500 })
      t.setB(-100)
      yield* t.run(3_000, 100)
      assert.strictEqual(yield* t.pair.tradingState(), "ACTIVE")
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("A and B mismatched past the grace, B short of its hedge (no reduce-only repair): halted by reconciliation", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: OFF, intervalMs: 100, minBase: 20, reconcileGraceMs: 1_000, maxCorrection: 100 })
      t.setB(-60)
      yield* t.run(500, 100)
      assert.strictEqual(yield* t.pair.tradingState(), "ACTIVE", "within the grace")
      yield* t.run(3_000, 100)
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.match(s.reason!, /^reconciliation: /)
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("no reconciliation without a fresh beat of A's, nor without B's position, nor with the grace 0", () =>
    Effect.gen(function*() {
      // A beat once and fell silent: after 5 s its position is not known, so no mismatch is judged...
      const t = yield* setup({ limits: OFF, intervalMs: 100, minBase: 20, reconcileGraceMs: 1_000, maxCorrection: 100 })
      t.setB(-60)
      yield* t.beatA(100)
      yield* t.run(8_000, undefined)
      assert.strictEqual(yield* t.pair.tradingState(), "ACTIVE")
      // ...until A beats again: the monitor kept looking.
      yield* t.run(4_000, 100)
      assert.strictEqual(yield* t.pair.tradingState(), "HALTED")
      yield* Fiber.interrupt(t.fiber)

      const noB = yield* setup({ limits: OFF, intervalMs: 100, minBase: 20, reconcileGraceMs: 1_000, maxCorrection: 100 })
      yield* noB.run(4_000, 100)
      assert.strictEqual(yield* noB.pair.tradingState(), "ACTIVE")
      yield* Fiber.interrupt(noB.fiber)

      const noGrace = yield* setup({ limits: OFF, intervalMs: 100, minBase: 20, reconcileGraceMs: 0, maxCorrection: 100 })
      noGrace.setB(-60)
      yield* noGrace.run(4_000, 100)
      assert.strictEqual(yield* noGrace.pair.tradingState(), "ACTIVE")
      yield* Fiber.interrupt(noGrace.fiber)
    }))

  it.effect("a beat that is not A's tells no position: nothing reconciled", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: OFF, intervalMs: 100, minBase: 20, reconcileGraceMs: 500, maxCorrection: 100 })
      t.setB(-60)
      for (let i = 0; i < 40; i++) {
        yield* t.pair.heartbeat("a", { beat: i, waiting: "for an operator" }, 60_000)
        yield* TestClock.adjust(100)
        yield* Effect.yieldNow
      }
      assert.strictEqual(yield* t.pair.tradingState(), "ACTIVE")
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("the pair's state unreadable for a while: each look fails and is logged, and the monitor goes on", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, maxPosition: 50 }, intervalMs: 100, minBase: 20 })
      t.setB(-100)
      t.state.inspect.setUnavailable(true)
      yield* t.run(1_000, undefined)
      t.state.inspect.setUnavailable(false)
      yield* t.run(500, 100)
      assert.strictEqual(yield* t.pair.tradingState(), "HALTED")
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("mismatched past strategy.force_close_timeout: a force close is requested (flatten by default); while it runs, nothing is reconciled", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, forceCloseAfterMs: 1_000 }, intervalMs: 100, minBase: 20, reconcileGraceMs: 2_000, maxCorrection: 100 })
      // B over-hedged by 40: reconciliation would correct it after 2 s, but the force close comes
      // first (after 1 s) and takes over.
      t.setB(-140)
      yield* t.run(5_000, 100)
      const fc = yield* t.pair.forceClose()
      assert.isTrue(Option.isSome(fc))
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.match(s.reason!, /^force close FC\S+: /)
      assert.deepStrictEqual(t.ex.marketOrdersReceived, [], "no correction while the force close runs")
      yield* Fiber.interrupt(t.fiber)
    }))

  it.effect("risk.force_close_action halt: the pair halts once with the reason, nothing is closed", () =>
    Effect.gen(function*() {
      const t = yield* setup({ limits: { ...OFF, forceCloseAfterMs: 1_000 }, intervalMs: 100, minBase: 20, forceCloseAction: "halt" })
      t.setB(-60)
      yield* t.run(3_000, 100)
      assert.isTrue(Option.isNone(yield* t.pair.forceClose()))
      const s = yield* t.pair.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.match(s.reason!, /^strategy\.force_close_timeout: /)
      yield* Fiber.interrupt(t.fiber)
    }))
})
