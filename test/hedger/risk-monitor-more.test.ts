// B's risk monitor (src/hedger/risk-monitor.ts) on the TestClock, over the memory state and
// exchange: A's heartbeat absent, stale or fresh decides whether A's position counts; B's position
// unknown for a moment does not restart the reconciliation grace; a pair already stopped is not
// halted again on every look (no repeated "would halt" warnings).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, Option } from "effect"
import { TestClock } from "effect/testing"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import type { MakerBeat } from "../../src/domain/heartbeat.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import type { RiskLimits } from "../../src/domain/risk.ts"
import { makeLoopState } from "../../src/hedger/loop-state.ts"
import type { OrderWatcher } from "../../src/hedger/order-watcher.ts"
import { riskMonitor } from "../../src/hedger/risk-monitor.ts"
import type { HedgerSettings } from "../../src/hedger/settings.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"
import { Venue } from "../../src/venue/Venue.ts"

const market = LIGHTER_BTC
const OFF: RiskLimits = { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0 }

const settings = { market, clientIndexTag: 7, slippageBps: 50 } as unknown as HedgerSettings

const setup = (risk: NonNullable<HedgerSettings["risk"]>) =>
  Effect.gen(function*() {
    const ex = new MemoryExchange({ markets: [market], seed: 3, mid: { [market.marketId]: 1_000_000 } })
    const state = MemoryPairState.make()
    const alerts: Array<string> = []
    const logs: Array<string> = []
    const ctx = yield* Layer.build(Layer.mergeAll(
      state.layer,
      Layer.succeed(Venue, Venue.of(makeMemoryVenue(ex, 2))),
      Layer.succeed(Alerts, Alerts.of({ alert: (kind) => Effect.sync(() => void alerts.push(kind)) }))
    ))
    let bPosition: number | undefined = undefined
    const watcher: OrderWatcher = {
      awaitTerminal: () => Effect.succeed(Option.none()),
      latest: () => undefined,
      position: () => bPosition,
      connected: () => true
    }
    const pair = yield* PairState.pipe(Effect.provideContext(ctx))
    let beat = 0
    /** A writes a beat with this position (a new beat each call). */
    const beatA = (position: number) =>
      pair.heartbeat("a", { beat: ++beat, position, cycles: 0, fills: 0, quote: "none" } satisfies MakerBeat, 60_000)
    const loop = yield* makeLoopState
    const fiber = yield* riskMonitor(watcher, settings, risk, loop, () => undefined).pipe(
      Effect.provideContext(ctx),
      Effect.provide(Logger.layer([Logger.make((o) => void logs.push(String(o.message)))])),
      Effect.forkChild
    )
    /** Lets `ms` pass, A beating every second with `aPosition` (undefined: A silent). */
    const run = (ms: number, aPosition: number | undefined) =>
      Effect.gen(function*() {
        for (let t = 0; t < ms; t += 50) {
          if (aPosition !== undefined && t % 1000 === 0) yield* beatA(aPosition)
          yield* TestClock.adjust(50)
          yield* Effect.yieldNow
        }
      })
    return { pair, fiber, run, alerts, logs, setB: (p: number | undefined) => void (bPosition = p), beatA }
  })

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
