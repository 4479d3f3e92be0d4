// Reconciliation on B (src/hedger/reconciler.ts), with the memory state and exchange: a mismatch
// that outlasts the grace is corrected with a reduce-only order when B over-hedged (never reusing
// a client index in one run), a mismatch a reduce-only order cannot repair, or one too large, halts.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { priceCap } from "../../src/domain/hedge-plan.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { makeReconciler } from "../../src/hedger/reconciler.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { type MarketOrderRequest, Venue, type VenueShape } from "../../src/venue/Venue.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"

const market = LIGHTER_BTC
const GRACE = 10_000

const setupWith = (wrap: (v: VenueShape) => VenueShape) => Effect.gen(function*() {
  const ex = new MemoryExchange({ markets: [market], mid: { [market.marketId]: 1_000_000 } })
  const venue = wrap(makeMemoryVenue(ex, 2))
  const sent: Array<MarketOrderRequest> = []
  const alerts: Array<string> = []
  const ctx = yield* Layer.build(Layer.mergeAll(
    MemoryPairState.make().layer,
    Layer.succeed(Venue, Venue.of({ ...venue, placeMarket: (req) => Effect.sync(() => sent.push(req)).pipe(Effect.andThen(venue.placeMarket(req))) })),
    Layer.succeed(Alerts, Alerts.of({ alert: (_kind, text) => Effect.sync(() => void alerts.push(text)) }))
  ))
  const reconciler = yield* makeReconciler({ market, slippageBps: 50, clientIndexTag: 7 }, { minBase: market.minBaseAmount, graceMs: GRACE, maxCorrection: 100 })
  return { ctx, sent, alerts, reconciler }
})
const setup = setupWith((v) => v)

describe("reconciler", () => {
  it.effect("B over-hedged: watched through the grace, then one reduce-only buy of the excess", () =>
    Effect.gen(function*() {
      const { ctx, sent, alerts, reconciler } = yield* setup
      yield* Effect.gen(function*() {
        // A long 100, B short 140: B sold 40 too many; the fix is a buy of 40 that only reduces B.
        const look = (nowMs: number, aObservedAtMs: number) => reconciler.look({ nowMs, aPosition: 100, aObservedAtMs, bPosition: -140 })
        assert.strictEqual((yield* look(0, 0))._tag, "Nothing")
        assert.strictEqual((yield* look(GRACE - 1, GRACE - 1))._tag, "Nothing")
        // A's report must itself be taken a whole grace after the mismatch appeared.
        assert.strictEqual((yield* look(GRACE, GRACE - 1))._tag, "Nothing")
        assert.strictEqual(sent.length, 0)
        assert.strictEqual((yield* look(GRACE, GRACE))._tag, "Corrected")
        assert.strictEqual(sent.length, 1)
        assert.strictEqual(sent[0]!.side, "buy")
        assert.strictEqual(sent[0]!.base, 40)
        assert.isTrue(sent[0]!.reduceOnly)
        assert.match(alerts[0]!, /over-hedged by 0\.00040 BTC: correcting with a reduce-only buy of 0\.00040 BTC/)
      }).pipe(Effect.provideContext(ctx))
    }))

  it.effect("two corrections in one run never share a client index, whatever the wall clock says", () =>
    Effect.gen(function*() {
      const { ctx, sent, reconciler } = yield* setup
      yield* Effect.gen(function*() {
        for (const t of [0, GRACE, 2 * GRACE, 3 * GRACE]) yield* reconciler.look({ nowMs: t, aPosition: 100, aObservedAtMs: t, bPosition: -140 })
        assert.strictEqual(sent.length, 2)
        assert.notStrictEqual(sent[0]!.clientOrderIndex, sent[1]!.clientOrderIndex)
      }).pipe(Effect.provideContext(ctx))
    }))

  it.effect("a hedge missing on B (under-hedged) or an excess above the largest correction halts, sending nothing", () =>
    Effect.gen(function*() {
      for (const [bPosition, reason] of [[-60, /cannot repair/], [-300, /larger than the largest automatic correction 100/]] as const) {
        const { ctx, sent, reconciler } = yield* setup
        yield* Effect.gen(function*() {
          yield* reconciler.look({ nowMs: 0, aPosition: 100, aObservedAtMs: 0, bPosition })
          const out = yield* reconciler.look({ nowMs: GRACE, aPosition: 100, aObservedAtMs: GRACE, bPosition })
          assert.strictEqual(out._tag, "Halt", `B ${bPosition}`)
          if (out._tag === "Halt") assert.match(out.reason, reason)
          assert.strictEqual(sent.length, 0)
        }).pipe(Effect.provideContext(ctx))
      }
    }))

  it.effect("B under-hedged the other way round (long too much): a reduce-only sell at the bid; without a book nothing is sent", () =>
    Effect.gen(function*() {
      const { ctx, sent, reconciler } = yield* setup
      yield* Effect.gen(function*() {
        // A short 100, B long 130: B bought 30 too many; the fix sells 30, reducing B.
        for (const t of [0, GRACE]) yield* reconciler.look({ nowMs: t, aPosition: -100, aObservedAtMs: t, bPosition: 130 })
        assert.strictEqual(sent.length, 1)
        assert.deepStrictEqual([sent[0]!.side, sent[0]!.base, sent[0]!.reduceOnly], ["sell", 30, true])
        // Priced from the bid it sells into, within the slippage band.
        const book = yield* (yield* Venue).orderBook(market.marketId, 1)
        assert.strictEqual(sent[0]!.priceCap, priceCap("sell", book.bids[0]!.price, 50))
      }).pipe(Effect.provideContext(ctx))
      // Only the bids empty: a sell has no price to go by; a buy (priced from the asks) still goes.
      const noBids = yield* setupWith((v) => ({ ...v, orderBook: (id, d) => v.orderBook(id, d).pipe(Effect.map((b) => ({ ...b, bids: [] }))) }))
      yield* Effect.gen(function*() {
        for (const t of [0, GRACE]) yield* noBids.reconciler.look({ nowMs: t, aPosition: -100, aObservedAtMs: t, bPosition: 130 })
        assert.strictEqual(noBids.sent.length, 0)
        for (const t of [2 * GRACE, 3 * GRACE]) yield* noBids.reconciler.look({ nowMs: t, aPosition: 100, aObservedAtMs: t, bPosition: -140 })
        assert.strictEqual(noBids.sent.length, 1)
        const book = yield* (yield* Venue).orderBook(market.marketId, 1)
        assert.strictEqual(noBids.sent[0]!.priceCap, priceCap("buy", book.asks[0]!.price, 50))
      }).pipe(Effect.provideContext(noBids.ctx))
      const empty = yield* setupWith((v) => ({ ...v, orderBook: (id, d) => v.orderBook(id, d).pipe(Effect.map((b) => ({ ...b, bids: [], asks: [] }))) }))
      yield* Effect.gen(function*() {
        for (const t of [0, GRACE]) {
          assert.strictEqual((yield* empty.reconciler.look({ nowMs: t, aPosition: 100, aObservedAtMs: t, bPosition: -140 }))._tag, "Nothing")
        }
        assert.strictEqual(empty.sent.length, 0)
      }).pipe(Effect.provideContext(empty.ctx))
    }))

  it.effect("a mismatch below the venue minimum is no mismatch", () =>
    Effect.gen(function*() {
      const { ctx, sent, reconciler } = yield* setup
      yield* Effect.gen(function*() {
        for (const t of [0, GRACE, 2 * GRACE]) {
          assert.strictEqual((yield* reconciler.look({ nowMs: t, aPosition: 100, aObservedAtMs: t, bPosition: -100 - (market.minBaseAmount - 1) }))._tag, "Nothing")
        }
        assert.strictEqual(sent.length, 0)
      }).pipe(Effect.provideContext(ctx))
    }))

  it.effect("a correction the venue refuses: an alert that says so; the look still counts as a correction", () =>
    Effect.gen(function*() {
      const { ctx, alerts, reconciler } = yield* setupWith((v) => ({
        ...v,
        placeMarket: () => Effect.fail(new VenueError({ op: "placeMarket", kind: "rejected", code: 21739, message: "not enough margin" }))
      }))
      yield* Effect.gen(function*() {
        yield* reconciler.look({ nowMs: 0, aPosition: 100, aObservedAtMs: 0, bPosition: -140 })
        const out = yield* reconciler.look({ nowMs: GRACE, aPosition: 100, aObservedAtMs: GRACE, bPosition: -140 })
        assert.strictEqual(out._tag, "Corrected")
        assert.strictEqual(alerts.at(-1), "correction not sent: not enough margin")
      }).pipe(Effect.provideContext(ctx))
    }))
})
