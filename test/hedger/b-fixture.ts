// B over the memory bus, state and exchange, on the TestClock, for the tests of B's parts
// (entry.test.ts, consume.test.ts): A's fills published as A would, the entries B reads, the
// results, refusals and duplicates its hooks report, and the alerts raised.
import { Clock, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { FillEvent, type HedgeResult } from "../../src/domain/messages.ts"
import { handleEntry } from "../../src/hedger/entry.ts"
import { makeLoopState } from "../../src/hedger/loop-state.ts"
import { makeOrderWatcher } from "../../src/hedger/order-watcher.ts"
import type { HedgerSettings } from "../../src/hedger/settings.ts"
import { A, B, hedgerSettings, market } from "../pair/harness.ts"
import { type AlertKind, Alerts } from "../../src/ops/alerts.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue, memoryAccountEvents } from "../../src/venue/memory/layers.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"

export { A, B, market } from "../pair/harness.ts"
export const PRICE = 1_000_000

export const fillEvent = (over: Partial<ConstructorParameters<typeof FillEvent>[0]> = {}) =>
  new FillEvent({
    fillId: "900:60",
    pair: "BTC:1-2",
    accountIndex: A,
    marketId: market.marketId,
    side: "buy",
    orderIndex: "900",
    clientOrderIndex: 77,
    filledBefore: 0,
    filledAfter: 60,
    size: 60,
    price: PRICE,
    venueTimestampMs: 1,
    detectedAtMs: 1,
    ...over
  })

export interface Seen {
  readonly results: Array<HedgeResult>
  readonly poison: Array<string>
  duplicates: number
}

export const setupB = (over: Partial<HedgerSettings> = {}, wrap?: (v: VenueShape) => VenueShape) =>
  Effect.gen(function*() {
    const clock = yield* Clock.clockWith(Effect.succeed)
    const ex = new MemoryExchange({ markets: [market], seed: 3, mid: { [market.marketId]: PRICE }, now: () => Math.floor(clock.currentTimeMillisUnsafe()) })
    const base = makeMemoryVenue(ex, B)
    const bus = MemoryFillBus.make({ market })
    const alerts: Array<{ readonly kind: AlertKind; readonly message: string }> = []
    const ctx = yield* Layer.build(Layer.mergeAll(
      bus.layer,
      MemoryPairState.make().layer,
      Layer.succeed(Venue, Venue.of(wrap === undefined ? base : wrap(base))),
      Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void alerts.push({ kind, message })) }))
    ))
    const seen: Seen = { results: [], poison: [], duplicates: 0 }
    // The pair's settings of the engine scenarios, with two attempts and no send retries.
    const settings: HedgerSettings = hedgerSettings({
      maxAttempts: 2,
      sendRetries: 0,
      onResult: (r) => Effect.sync(() => void seen.results.push(r)),
      onPoison: (reason) => Effect.sync(() => void seen.poison.push(reason)),
      onDuplicate: () => Effect.sync(() => void seen.duplicates++),
      ...over
    })
    const watcher = yield* makeOrderWatcher(memoryAccountEvents(ex, B))
    const loop = yield* makeLoopState
    const fillBus = yield* FillBus.pipe(Effect.provideContext(ctx))
    const state = yield* PairState.pipe(Effect.provideContext(ctx))
    /** Publishes A's fill and returns the entry B reads. */
    const deliver = (f: FillEvent) =>
      Effect.gen(function*() {
        yield* fillBus.publishFill(f)
        const entries = yield* fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
        return entries[0]!
      })
    /** Handles an entry, letting the TestClock run while it does. */
    const handle = (e: Parameters<typeof handleEntry>[0], s: HedgerSettings = settings) =>
      Effect.gen(function*() {
        const fiber = yield* handleEntry(e, watcher, s, loop).pipe(Effect.provideContext(ctx), Effect.forkChild)
        for (let i = 0; i < 400 && fiber.pollUnsafe() === undefined; i++) {
          yield* TestClock.adjust(5)
          yield* Effect.yieldNow
        }
        return yield* Fiber.join(fiber)
      })
    return { ex, bus, alerts, seen, settings, fillBus, state, loop, deliver, handle, ctx, watcher }
  })

/** Lets the TestClock run `ms` in small steps, so every fiber gets its turn. */
export const advance = (ms: number) =>
  Effect.gen(function*() {
    for (let t = 0; t < ms; t += 5) {
      yield* TestClock.adjust(5)
      yield* Effect.yieldNow
    }
  })
