// One fill hedged on B over the memory state and exchange, on the TestClock: the settings, fill
// and setup shared by test/hedger/hedge-fill.test.ts and hedge-fill-more.test.ts.
import { Clock, Effect, Layer } from "effect"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { hedgeClientIndex } from "../../src/domain/client-index.ts"
import { LIGHTER_BTC, type MarketSpec } from "../../src/domain/market.ts"
import type { HedgeSubject } from "../../src/domain/messages.ts"
import { type HedgeSettings, hedgeFill } from "../../src/hedger/hedge-fill.ts"
import { makeOrderWatcher } from "../../src/hedger/order-watcher.ts"
import { type AlertKind, Alerts } from "../../src/ops/alerts.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue, memoryAccountEvents } from "../../src/venue/memory/layers.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"

export const market = LIGHTER_BTC
export const B = 2
export const TAG = 7
export const PRICE = 1_000_000
export const FILL = "1:77:60"

export const settings: HedgeSettings = {
  market,
  clientIndexTag: TAG,
  slippageBps: 50,
  maxAttempts: 3,
  outcomeTimeoutMs: 300,
  sendRetries: 2,
  sendRetryBaseMs: 5
}

/** A's buy fill of `size` at PRICE: B sells. */
export const fillOf = (over: Partial<HedgeSubject> = {}): HedgeSubject => ({
  fillId: FILL,
  fillSeq: 5,
  pair: "BTC:1-2",
  marketId: market.marketId,
  side: "buy",
  size: 60,
  price: PRICE,
  clientOrderIndex: 77,
  filledAfter: 60,
  detectedAtMs: 0,
  residual: false,
  ...over
})

export const indexOf = (fillSeq: number, attempt: number) => hedgeClientIndex(TAG, fillSeq, attempt)

export interface Setup {
  /** Changes B's venue (a send refused or lost, a book of the test's choosing). */
  readonly wrap?: (v: VenueShape, ex: MemoryExchange) => VenueShape
  /** Other markets the exchange lists beside BTC, with their mid prices. */
  readonly others?: ReadonlyArray<{ readonly market: MarketSpec; readonly mid: number }>
}

/** B's venue (counting its order lookups), pair state, alerts and order watcher. */
export const setup = (options: Setup = {}) =>
  Effect.gen(function*() {
    const clock = yield* Clock.clockWith(Effect.succeed)
    const others = options.others ?? []
    const ex = new MemoryExchange({
      markets: [...others.map((o) => o.market), market],
      seed: 3,
      mid: Object.fromEntries([...others.map((o) => [o.market.marketId, o.mid] as const), [market.marketId, PRICE]]),
      now: () => Math.floor(clock.currentTimeMillisUnsafe())
    })
    const base = makeMemoryVenue(ex, B)
    const wrapped = options.wrap === undefined ? base : options.wrap(base, ex)
    const counts = { lookups: 0 }
    const venue: VenueShape = {
      ...wrapped,
      orderByClientIndex: (m, coi) => Effect.suspend(() => (counts.lookups++, wrapped.orderByClientIndex(m, coi)))
    }
    const alerts: Array<{ readonly kind: AlertKind; readonly message: string }> = []
    const ctx = yield* Layer.build(Layer.mergeAll(
      MemoryPairState.make().layer,
      Layer.succeed(Venue, Venue.of(venue)),
      Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void alerts.push({ kind, message })) }))
    ))
    const watcher = yield* makeOrderWatcher(memoryAccountEvents(ex, B))
    const state = yield* PairState.pipe(Effect.provideContext(ctx))
    const hedge = (fill: HedgeSubject, s: HedgeSettings = settings) => hedgeFill(fill, watcher, s, 1).pipe(Effect.provideContext(ctx))
    return { ex, alerts, state, watcher, hedge, ctx, counts }
  })
