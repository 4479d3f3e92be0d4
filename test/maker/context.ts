// A MakerContext over the memory exchange and memory bus, for tests of the maker's parts on
// their own (the whole of A runs in test/pair).
import { Effect, Layer, Ref } from "effect"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { FillTracker } from "../../src/domain/fills.ts"
import type { MakerState } from "../../src/domain/maker-cycle.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { clocks } from "../../src/ops/time.ts"
import type { MakerContext, MakerSettings } from "../../src/maker/settings.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"

export const A = 1
export const market = LIGHTER_BTC

export const settingsFor = (over: Partial<MakerSettings> = {}): MakerSettings => ({
  pair: "BTC:1-2",
  market,
  cycle: { quantity: 60, depth: 1, maxQuoteAgeMs: 60_000, requoteDriftTicks: 1_000, closeAtBestAfterMs: 0 },
  pollIntervalMs: 10,
  cancelOnExit: true,
  cancelOrphansOnStart: false,
  requireHedgerHeartbeatMs: 0,
  heartbeatMs: 200,
  orderRetries: 0,
  ...over
})

/** A's context on fresh memory layers; the exchange, bus and state are returned for checks. */
export const makeContext = (over: Partial<MakerSettings> = {}) =>
  Effect.gen(function*() {
    const ex = new MemoryExchange({ seed: 1, mid: { 1: 1_000_000 } })
    const bus = MemoryFillBus.make({ market })
    const state = MemoryPairState.make()
    const services = yield* Layer.build(Layer.mergeAll(bus.layer, state.layer))
    const venue = makeMemoryVenue(ex, A)
    const fillBus = yield* FillBus.pipe(Effect.provideContext(services))
    const pairState = yield* PairState.pipe(Effect.provideContext(services))
    const ctx: MakerContext = {
      settings: settingsFor(over),
      venue,
      bus: fillBus,
      pairState,
      clock: yield* clocks,
      marketId: market.marketId,
      tracker: new FillTracker({ pair: "BTC:1-2", accountIndex: A, published: new Map() }),
      state: yield* Ref.make<MakerState>({ position: 0, cycles: 0, closingSinceMs: undefined }),
      streamUp: yield* Ref.make(true),
      publishedQuote: yield* Ref.make<number | undefined>(undefined)
    }
    return { ctx, ex, bus, services }
  })
