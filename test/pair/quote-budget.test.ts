// Re-quoting that fits a Standard account's budget (issue "drop-in compatibility", part 3).
// A and B run as fibers over the in-memory exchange on Effect's TestClock, sharing one tx budget
// (MemoryTxBudget: the Redis window's rule on the test clock), with the venue's own limits checked
// afterwards by the simulator's rolling-minute limiter (src/sim/ratelimit.ts):
// - an hour of quoting in a restless market, with fills, by the default policy: every transaction
//   of A and B together passes a Standard account's 60 a minute, A's alone its cap of 20, the order
//   list is read at most 12 times a minute, and nothing ever waited for the budget; the policy
//   before this change, run the same way, does not fit (the test can fail);
// - a burst of fills is hedged at once, without waiting on A's quotes: thirty with A on the default
//   policy, and the reserve's ten even with A quoting as hard as the shared budget lets it.
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { isOrderActive } from "../../src/domain/events.ts"
import type { HedgeResult } from "../../src/domain/messages.ts"
import { runHedger } from "../../src/hedger/hedger.ts"
import { runMaker, type MakerSettings } from "../../src/maker/maker.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { RateLimiter } from "../../src/sim/ratelimit.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue, MemoryAccountStream } from "../../src/venue/memory/layers.ts"
import { MemoryTxBudget, withTxBudget } from "../../src/venue/TxBudget.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"
import { A, B, hedgerSettings, makerSettings, market } from "./harness.ts"

const BTC = market.marketId
const STANDARD_TX_PER_MINUTE = 60
const HEDGE_RESERVE = 10

interface Tx {
  readonly who: "A" | "B"
  readonly op: "placeLimit" | "placeMarket" | "cancel" | "cancelAll"
  readonly atMs: number
}

/** Records every transaction the venue receives (after the budget let it through), on the test clock. */
const recording = (v: VenueShape, who: "A" | "B", clock: Clock.Clock, txs: Array<Tx>): VenueShape => {
  const note = (op: Tx["op"]) => Effect.sync(() => void txs.push({ who, op, atMs: clock.currentTimeMillisUnsafe() }))
  return {
    ...v,
    placeLimit: (r) => note("placeLimit").pipe(Effect.andThen(v.placeLimit(r))),
    placeMarket: (r) => note("placeMarket").pipe(Effect.andThen(v.placeMarket(r))),
    cancel: (r) => note("cancel").pipe(Effect.andThen(v.cancel(r))),
    cancelAll: () => note("cancelAll").pipe(Effect.andThen(v.cancelAll()))
  }
}

/** The policy this change replaced: drift 3 ticks checked every 1 s poll, no minimum life, no cap of A's own, levels. */
const previousPolicy: Partial<MakerSettings> = {
  cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 30_000, requoteDriftTicks: 3, closeAtBestAfterMs: 0 },
  pollIntervalMs: 1_000,
  depthUnit: "levels"
}

/** The defaults of docs/CONFIG.md: depth in orders read every 5 s at most, drift after 10 s, 20 quote txs a minute. */
const defaultPolicy: Partial<MakerSettings> = {
  cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 30_000, requoteDriftTicks: 3, closeAtBestAfterMs: 0, minRequoteIntervalMs: 10_000 },
  pollIntervalMs: 1_000,
  depthUnit: "orders",
  bookOrdersRefreshMs: 5_000,
  quoteTxPerMinute: 20,
  sharedTxBudget: { txPerMinute: STANDARD_TX_PER_MINUTE, hedgeReserve: HEDGE_RESERVE }
}

interface PairOptions {
  readonly maker: Partial<MakerSettings>
}

/** A and B over one exchange, bus and budget, on the test clock. */
const startPair = (o: PairOptions) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const ex = new MemoryExchange({ seed: 7, mid: { [BTC]: 1_000_000 }, now: () => clock.currentTimeMillisUnsafe() })
    // A book whose levels hold several orders: depth 5 in orders is not depth 5 in levels.
    ex.setBookShape(BTC, { ordersPerLevel: [2, 1, 3, 1, 2, 2, 1, 3] })
    const budget = MemoryTxBudget.make({ txPerMinute: STANDARD_TX_PER_MINUTE, hedgeReserve: HEDGE_RESERVE })
    const txs: Array<Tx> = []
    const results: Array<HedgeResult> = []
    const bus = yield* Layer.build(Layer.mergeAll(MemoryFillBus.make({ market }).layer, MemoryPairState.make().layer))
    const alerts = Layer.succeed(Alerts, Alerts.of({ alert: () => Effect.void }))
    const venueOf = (who: "A" | "B", account: number) => {
      return Layer.succeed(Venue, Venue.of(withTxBudget(recording(makeMemoryVenue(ex, account), who, clock, txs), budget.service)))
    }
    const hedger = yield* runHedger(hedgerSettings({
      onResult: (r) => Effect.sync(() => void results.push(r)),
      // process.ts's intervals, not the scenario harness's fast ones: an hour on the test clock.
      blockMs: 1_000,
      claimEveryMs: 15_000,
      claimIdleMs: 30_000,
      heartbeatMs: 1_000,
      outcomeTimeoutMs: 3_000,
      sendRetryBaseMs: 100
    })).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(venueOf("B", B), MemoryAccountStream.layer(ex, B), alerts)),
      Effect.provideContext(bus),
      Effect.forkChild
    )
    const maker = yield* runMaker(makerSettings({ heartbeatMs: 1_000, ...o.maker })).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(venueOf("A", A), MemoryAccountStream.layer(ex, A), alerts)),
      Effect.provideContext(bus),
      Effect.forkChild
    )
    const restingQuote = () => ex.activeOrders(A, BTC)[0]
    const stop = Effect.gen(function*() {
      yield* Fiber.interrupt(maker)
      yield* Fiber.interrupt(hedger)
    })
    return { ex, budget, txs, results, restingQuote, stop, clock }
  })

type Pair = Effect.Success<ReturnType<typeof startPair>>

/**
 * Runs the market for `seconds` on the test clock: a random walk of up to ±`ticks` ticks a second
 * (10: the target moves past the 3-tick drift most seconds), and a fill of A's quote every 45 s.
 */
const runMarket = (p: Pair, seconds: number, ticks = 10) =>
  Effect.gen(function*() {
    for (let s = 1; s <= seconds; s++) {
      p.ex.walk(BTC, ticks)
      if (s % 45 === 0) {
        const q = p.restingQuote()
        if (q !== undefined && isOrderActive(q.status)) p.ex.fillOrder(q.orderIndex)
      }
      yield* TestClock.adjust("1 second")
    }
  })

/** Transactions the venue's rolling minute (the simulator's limiter) refuses at `limit`. */
const refusedAt = (times: ReadonlyArray<number>, limit: number): number => {
  const rl = new RateLimiter()
  return times.filter((t) => !rl.take("address", 1, limit, t)).length
}

/** The most entries in any rolling minute. */
const peakPerMinute = (times: ReadonlyArray<number>): number => {
  let peak = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 60_000) j++
    peak = Math.max(peak, i - j + 1)
  }
  return peak
}

const net = (ex: MemoryExchange) => ex.position(A, BTC).signedBase + ex.position(B, BTC).signedBase

describe("re-quoting within a Standard account's budget (TestClock)", () => {
  it.effect("an hour of quoting and hedging by the default policy: within 60 tx/min, A within its 20, the order list within 12 reads/min, nothing waited", () =>
    Effect.gen(function*() {
      const p = yield* startPair({ maker: defaultPolicy })
      yield* runMarket(p, 3_600)
      yield* runMarket(p, 5) // the last fill's hedge settles
      yield* p.stop
      const all = p.txs.map((t) => t.atMs)
      const aTimes = p.txs.filter((t) => t.who === "A").map((t) => t.atMs)
      const bTimes = p.txs.filter((t) => t.who === "B").map((t) => t.atMs)
      const reads = p.ex.bookOrdersReads.map((r) => r.atMs)
      const hedged = p.results.filter((r) => r.status === "hedged").length
      const measured = {
        txs: all.length,
        aTxs: aTimes.length,
        bTxs: bTimes.length,
        peakPerMinute: peakPerMinute(all),
        aPeakPerMinute: peakPerMinute(aTimes),
        orderListReads: reads.length,
        readsPeakPerMinute: peakPerMinute(reads),
        fills: p.results.length,
        hedged,
        budgetWaits: p.budget.log.waits.length
      }
      console.log(`default policy, 1 h: ${JSON.stringify(measured)}`)
      // The venue's limit, A and B together, and A's own cap.
      expect(refusedAt(all, STANDARD_TX_PER_MINUTE)).toBe(0)
      expect(refusedAt(aTimes, 20)).toBe(0)
      // Room to spare: under half of a Standard minute at its busiest.
      expect(measured.peakPerMinute).toBeLessThanOrEqual(30)
      // The order list: only when a decision needs it, at most every 5 s.
      expect(refusedAt(reads, 12)).toBe(0)
      expect(reads.length).toBeGreaterThan(100)
      // Neither quotes nor hedges ever waited for the shared budget.
      expect(p.budget.log.waits).toEqual([])
      // It traded: fills every 45 s, each hedged, the pair flat at the end.
      expect(p.results.length).toBeGreaterThanOrEqual(60)
      expect(hedged).toBe(p.results.length)
      expect(net(p.ex)).toBe(0)
    }), 120_000)

  it.effect("the policy before this change does not fit: over 20 quote transactions a minute, quotes waiting for the budget", () =>
    Effect.gen(function*() {
      const p = yield* startPair({ maker: previousPolicy })
      yield* runMarket(p, 600)
      yield* p.stop
      const aTimes = p.txs.filter((t) => t.who === "A").map((t) => t.atMs)
      const quoteWaits = p.budget.log.waits.filter((w) => w.priority === "quote")
      console.log(
        `previous policy, 10 min: ${JSON.stringify({ aTxs: aTimes.length, aPeakPerMinute: peakPerMinute(aTimes), quoteWaits: quoteWaits.length, longestQuoteWaitMs: Math.max(0, ...quoteWaits.map((w) => w.waitedMs)) })}`
      )
      expect(refusedAt(aTimes, 20)).toBeGreaterThan(0)
      // Only the shared budget held it back: quotes waited (the 28 s waits seen live).
      expect(quoteWaits.length).toBeGreaterThan(0)
    }), 120_000)
})

describe("a burst of fills is hedged without waiting on A's quotes (TestClock)", () => {
  /** A quoting as hard as the shared budget lets it: no minimum life, no cap of its own, re-quoting on any drift twice a second. */
  const greedy: Partial<MakerSettings> = {
    cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 30_000, requoteDriftTicks: 0, closeAtBestAfterMs: 0, minRequoteIntervalMs: 0 },
    pollIntervalMs: 500,
    depthUnit: "levels",
    quoteTxPerMinute: 0
  }

  /** Lets A quote for a minute, then fills its quote in `n` parts at once; returns B's budget waits and how long the hedges took. */
  const burst = (o: PairOptions, n: number) =>
    Effect.gen(function*() {
      // A quote of n × the minimum size, so that the burst is n hedges.
      const p = yield* startPair({ ...o, maker: { ...o.maker, cycle: { ...o.maker.cycle!, quantity: n * market.minBaseAmount } } })
      yield* runMarket(p, 60)
      let q = p.restingQuote()
      for (let i = 0; i < 30 && q === undefined; i++) {
        yield* TestClock.adjust("100 millis")
        q = p.restingQuote()
      }
      if (q === undefined) return yield* Effect.die(new Error("A never quoted"))
      const before = p.budget.log.waits.length
      const resultsBefore = p.results.length
      const at = p.clock.currentTimeMillisUnsafe()
      // Ten fills of the venue's minimum size (each one hedged on its own; smaller ones are pooled by B).
      for (let i = 0; i < n; i++) p.ex.fillOrder(q.orderIndex, market.minBaseAmount)
      for (let i = 0; i < 100 && (p.results.length < resultsBefore + n || net(p.ex) !== 0); i++) yield* TestClock.adjust("100 millis")
      const hedgedAt = p.clock.currentTimeMillisUnsafe()
      const hedgeWaits = p.budget.log.waits.slice(before).filter((w) => w.priority === "hedge")
      const hedgeTxs = p.txs.filter((t) => t.who === "B" && t.op === "placeMarket" && t.atMs >= at)
      const quoteTxsLastMinute = p.txs.filter((t) => t.who === "A" && t.atMs > at - 60_000).length
      yield* p.stop
      return { results: p.results.length - resultsBefore, hedgeWaits, hedgeTxs, quoteTxsLastMinute, tookMs: hedgedAt - at, net: net(p.ex) }
    })

  it.effect("A by the default policy (at most 20 a minute): thirty fills, thirty hedges at once", () =>
    Effect.gen(function*() {
      const r = yield* burst({ maker: defaultPolicy }, 30)
      console.log(`burst, default policy: ${JSON.stringify({ ...r, hedgeTxs: r.hedgeTxs.length })}`)
      expect(r.results).toBe(30)
      expect(r.hedgeTxs).toHaveLength(30)
      expect(r.hedgeWaits).toEqual([])
      expect(r.tookMs).toBeLessThan(1_000)
      expect(r.net).toBe(0)
    }), 60_000)

  it.effect("A quoting as hard as the shared budget lets it (50 a minute): the reserve (10) still hedges a burst of ten without a wait", () =>
    Effect.gen(function*() {
      const r = yield* burst({ maker: greedy }, HEDGE_RESERVE)
      console.log(`burst, greedy maker: ${JSON.stringify({ ...r, hedgeTxs: r.hedgeTxs.length })}`)
      // A really did fill the quotes' share of the window.
      expect(r.quoteTxsLastMinute).toBeGreaterThanOrEqual(STANDARD_TX_PER_MINUTE - HEDGE_RESERVE - 2)
      expect(r.results).toBe(10)
      expect(r.hedgeWaits).toEqual([])
      expect(r.tookMs).toBeLessThan(1_000)
      expect(r.net).toBe(0)
    }), 60_000)
})
