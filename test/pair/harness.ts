// Runs A (maker) and B (hedger) as fibers over a MemoryExchange and a given bus, and gives
// tests what they need to check the invariants from the venue's own records.
import { Clock, Context, Duration, Effect, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { LIGHTER_BTC, type MarketSpec } from "../../src/domain/market.ts"
import type { FillEvent, HedgeResult } from "../../src/domain/messages.ts"
import { signedBase } from "../../src/domain/side.ts"
import { FillBus } from "../../src/bus/FillBus.ts"
import { type HedgeIntent, PairState, type PairStateShape, type TradingState } from "../../src/bus/PairState.ts"
import { Alerts, type AlertKind } from "../../src/ops/alerts.ts"
import type { HostClock } from "../../src/ops/time.ts"
import { runHedger, type HedgerSettings } from "../../src/hedger/hedger.ts"
import { runMaker, type MakerSettings } from "../../src/maker/maker.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { MemoryAccountStream, MemoryVenue } from "../../src/venue/memory/layers.ts"

export const A = 1
export const B = 2
export const market: MarketSpec = LIGHTER_BTC

export const makerSettings = (over: Partial<MakerSettings> = {}): MakerSettings => ({
  pair: "BTC:1-2",
  market,
  cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 60_000, requoteDriftTicks: 1_000, closeAtBestAfterMs: 0 },
  pollIntervalMs: 10,
  cancelOnExit: true,
  cancelOrphansOnStart: true,
  requireHedgerHeartbeatMs: 0,
  heartbeatMs: 200,
  orderRetries: 2,
  ...over
})

export const hedgerSettings = (over: Partial<HedgerSettings> = {}): HedgerSettings => ({
  // Interrupting B's fiber here models a crash (kill -9): its hedge in flight is cut off at once.
  stopGraceMs: 0,
  pair: "BTC:1-2",
  aAccountIndex: A,
  // 10 × the maker's quote of 60
  maxFillBase: 600,
  market,
  consumer: "b1",
  clientIndexTag: 7,
  slippageBps: 50,
  maxAttempts: 3,
  outcomeTimeoutMs: 300,
  sendRetries: 3,
  sendRetryBaseMs: 5,
  batch: 8,
  blockMs: 50,
  claimIdleMs: 200,
  claimEveryMs: 100,
  heartbeatMs: 200,
  ...over
})

export type Bus = Layer.Layer<FillBus | PairState, unknown>

export interface Harness {
  readonly ex: MemoryExchange
  /** The pair's state on the bus under test (what A and B read and write). */
  readonly pairState: PairStateShape
  /** Starts A; with `host`, A runs on that host's clock (its wall clock offset; src/ops/time.ts). */
  readonly startMaker: (over?: Partial<MakerSettings>, host?: HostClock) => Effect.Effect<Fiber.Fiber<unknown, unknown>>
  /** Starts B; with `host`, B runs on that host's clock (its wall clock offset; src/ops/time.ts). */
  readonly startHedger: (over?: Partial<HedgerSettings>, host?: HostClock) => Effect.Effect<Fiber.Fiber<unknown, unknown>>
  readonly fills: Array<FillEvent>
  /** The sequence number the bus gave a fill A published. */
  readonly fillSeqOf: (fillId: string) => number
  readonly results: Array<HedgeResult>
  /** Σ signed position change of an account from the exchange's trade log. */
  readonly tradedSigned: (account: number) => number
  /** The exchange's net position of the pair (A + B). */
  readonly net: () => number
  /**
   * Waits until `cond` holds, failing after `timeoutMs` with `what`: real time (monotonic: a test
   * may step the wall clock), or with virtual time the test clock, moved on 5 ms at a time.
   */
  readonly waitFor: (what: string, cond: () => boolean, timeoutMs?: number) => Effect.Effect<void, Error>
  /** Alerts A and B raised, oldest first. */
  readonly alerts: Array<{ readonly kind: AlertKind; readonly message: string }>
  /** The pair's trading state as stored on the bus. */
  readonly tradingState: () => Effect.Effect<TradingState, unknown>
  readonly setTradingState: (state: TradingState, reason: string) => Effect.Effect<void, unknown>
  /** A flatten's fence (bin/hedge flatten, step 3): fills up to now settled, open intents closed. */
  readonly fenceFlatten: (id: string) => Effect.Effect<{ readonly intentsClosed: ReadonlyArray<string> }, unknown>
  readonly residualPool: () => Effect.Effect<number, unknown>
  readonly intent: (fillId: string) => Effect.Effect<Option.Option<HedgeIntent>, unknown>
  readonly openIntents: () => Effect.Effect<ReadonlyArray<HedgeIntent>, unknown>
  /** Whether a process's heartbeat is present (it has started). */
  readonly alive: (role: "a" | "b") => Effect.Effect<boolean, unknown>
  /** A process's heartbeat status, when present. */
  readonly heartbeatStatus: (role: "a" | "b") => Effect.Effect<Readonly<Record<string, unknown>> | undefined, unknown>
  /** Fill entries delivered to B and not acknowledged. */
  readonly pendingCount: () => Effect.Effect<number, unknown>
  /** Polls an effectful condition until it holds, failing after `timeoutMs` (real or virtual time, as waitFor). */
  readonly waitForEffect: (what: string, cond: Effect.Effect<boolean, unknown>, timeoutMs?: number) => Effect.Effect<void, unknown>
  /** Lets `duration` pass: real time, or the test clock moved on 5 ms at a time. */
  readonly sleep: (duration: Duration.Input) => Effect.Effect<void>
}

/**
 * Virtual time: A and B, the memory bus and the memory exchange wait only through Effect's
 * Clock, so a scenario can run on the TestClock — the same steps, timers and timeouts, in a
 * fraction of the real time (and without the scheduling noise of a loaded machine). A scenario
 * with real I/O (Redis) runs in real time.
 */
export interface HarnessOptions {
  readonly virtualTime?: boolean
}

const STEP_MS = 5

/** Moves the test clock on by `ms` in small steps, letting every fiber run in between. */
const advance = (ms: number) =>
  Effect.gen(function*() {
    for (let t = 0; t < ms; t += STEP_MS) {
      yield* TestClock.adjust(Math.min(STEP_MS, ms - t))
      yield* Effect.yieldNow
    }
  })

export const makeHarness = (bus: Bus, exOptions: ConstructorParameters<typeof MemoryExchange>[0] = {}, options: HarnessOptions = {}) =>
  Effect.gen(function*() {
    // The exchange stamps orders and trades by the test's clock (the TestClock on virtual time).
    const clock = yield* Clock.clockWith(Effect.succeed)
    const ex = new MemoryExchange({ seed: 42, mid: { 1: 1_000_000 }, now: () => Math.floor(clock.currentTimeMillisUnsafe()), ...exOptions })
    const fills: Array<FillEvent> = []
    const fillSeqs = new Map<string, number>()
    const results: Array<HedgeResult> = []
    const alerts: Array<{ kind: AlertKind; message: string }> = []
    const context = yield* Layer.build(bus)
    const pairState = Context.get(context, PairState)
    const fillBus = Context.get(context, FillBus)
    const alertsLayer = Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void alerts.push({ kind, message })) }))
    const onHost = <X, E, R>(host: HostClock | undefined) => (eff: Effect.Effect<X, E, R>) => (host === undefined ? eff : host.provide(eff))
    const startMaker = (over: Partial<MakerSettings> = {}, host?: HostClock) =>
      runMaker(makerSettings({ onFill: (f, seq) => Effect.sync(() => void (fills.push(f), fillSeqs.set(f.fillId, seq))), ...over })).pipe(
        Effect.scoped,
        Effect.provide(Layer.mergeAll(MemoryVenue.layer(ex, A), MemoryAccountStream.layer(ex, A), alertsLayer)),
        Effect.provideContext(context),
        onHost(host),
        Effect.forkChild
      ) as Effect.Effect<Fiber.Fiber<unknown, unknown>>
    const startHedger = (over: Partial<HedgerSettings> = {}, host?: HostClock) =>
      runHedger(hedgerSettings({ onResult: (r) => Effect.sync(() => void results.push(r)), ...over })).pipe(
        Effect.scoped,
        Effect.provide(Layer.mergeAll(MemoryVenue.layer(ex, B), MemoryAccountStream.layer(ex, B), alertsLayer)),
        Effect.provideContext(context),
        onHost(host),
        Effect.forkChild
      ) as Effect.Effect<Fiber.Fiber<unknown, unknown>>
    const tradedSigned = (account: number) =>
      ex.trades.reduce(
        (s, t) => s + (t.buyAccount === account ? signedBase("buy", t.size) : 0) + (t.sellAccount === account ? signedBase("sell", t.size) : 0),
        0
      )
    const virtual = options.virtualTime === true
    const sleep = (d: Duration.Input) => (virtual ? advance(Duration.toMillis(Duration.fromInputUnsafe(d))) : Effect.sleep(d))
    /** Until `cond` holds; on virtual time also bounded by real time, should virtual time stop moving. */
    const pollUntil = <E>(what: string, cond: Effect.Effect<boolean, E>, timeoutMs: number) =>
      Effect.gen(function*() {
        const deadline = performance.now() + timeoutMs
        const realDeadline = performance.now() + Math.max(timeoutMs, 60_000)
        let waited = 0
        while (!(yield* cond)) {
          const late = virtual ? waited > timeoutMs || performance.now() > realDeadline : performance.now() > deadline
          if (late) return yield* Effect.fail(new Error(`timed out waiting for: ${what}`))
          yield* sleep(STEP_MS)
          waited += STEP_MS
        }
      })
    const waitFor = (what: string, cond: () => boolean, timeoutMs = 10_000) => pollUntil(what, Effect.sync(cond), timeoutMs)
    const harness: Harness = {
      ex,
      pairState,
      startMaker,
      startHedger,
      fills,
      fillSeqOf: (fillId) => fillSeqs.get(fillId) ?? 0,
      results,
      tradedSigned,
      net: () => ex.position(A, market.marketId).signedBase + ex.position(B, market.marketId).signedBase,
      waitFor,
      alerts,
      tradingState: () => pairState.tradingState(),
      setTradingState: (state, reason) => pairState.setTradingState(state, reason),
      fenceFlatten: (id) => pairState.fenceFlatten(id),
      residualPool: () => pairState.residualPool(),
      intent: (fillId) => pairState.getIntent(fillId),
      openIntents: () => pairState.openIntents(),
      alive: (role) => Effect.map(pairState.lastHeartbeat(role), Option.isSome),
      heartbeatStatus: (role) => Effect.map(pairState.lastHeartbeat(role), (o) => (Option.isSome(o) ? o.value.status : undefined)),
      pendingCount: () => fillBus.pendingCount(),
      waitForEffect: (what, cond, timeoutMs = 10_000) => pollUntil(what, cond, timeoutMs),
      sleep
    }
    return harness
  })
