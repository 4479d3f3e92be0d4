// B's risk monitor on the TestClock over the memory state and exchange: the setup shared by
// test/hedger/risk-monitor.test.ts and risk-monitor-more.test.ts.
import { Effect, Layer, Logger, Option } from "effect"
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

export const market = LIGHTER_BTC
export const OFF: RiskLimits = { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0 }

export const settings = { market, clientIndexTag: 7, slippageBps: 50 } as unknown as HedgerSettings

/** The monitor on its own fiber, A's beats and B's position set by the test, alert kinds and log lines recorded. */
export const setup = (risk: NonNullable<HedgerSettings["risk"]>) =>
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
    return { ex, state, pair, fiber, run, alerts, logs, setB: (p: number | undefined) => void (bPosition = p), beatA }
  })
