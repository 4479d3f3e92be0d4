// The residual flush (src/hedger/residual-flush.ts) on the memory bus, state and exchange, on the
// test clock: a pool at or above the venue minimum is put on the fill stream once, in the pool's
// direction and at the book's price; a pool below it, or an empty one, is left; without a book
// the look comes again after the backoff.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { TestClock } from "effect/testing"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { FillBus } from "../../src/bus/FillBus.ts"
import { PairState, type PairStateShape } from "../../src/bus/PairState.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { FLUSH_FIRST_MS, flushDone, makeLoopState, nextWaitMs, recordFailure } from "../../src/hedger/loop-state.ts"
import { maybeFlushResidual } from "../../src/hedger/residual-flush.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"

const market = LIGHTER_BTC
const B = 2
const MID = 1_000_000

const setup = (book: "with book" | "no book" = "with book") =>
  Effect.gen(function*() {
    const ex = new MemoryExchange({ markets: [market], mid: { [market.marketId]: MID } })
    const fills = MemoryFillBus.make({ market })
    const venue = makeMemoryVenue(ex, B)
    const layer = Layer.mergeAll(
      fills.layer,
      MemoryPairState.make().layer,
      Layer.succeed(Venue, Venue.of(book === "with book" ? venue : { ...venue, orderBook: (id) => venue.orderBook(id, 1).pipe(Effect.map((b) => ({ ...b, bids: [], asks: [] }))) }))
    )
    const ctx = yield* Layer.build(layer)
    return { ctx, fills }
  })

/** Puts `signed` in the pool (a fill deferred under a minimum no size reaches). */
const poolOf = (signed: number) => (state: PairStateShape) =>
  state.beginHedge({ fillId: `f${signed}`, fillSeq: 1, signedDelta: signed, minBase: 10 ** 12, nowMs: 0 })


describe("residual flush", () => {
  it.effect("a pool at or above the minimum becomes one residual flush on the stream, in the pool's direction", () =>
    Effect.gen(function*() {
      const { ctx, fills } = yield* setup()
      yield* Effect.gen(function*() {
        const state = yield* PairState
        yield* poolOf(-30)(state)
        const loop = yield* makeLoopState
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual(fills.inspect.streamLength(), 1)
        const [entry] = yield* (yield* FillBus).readNew({ consumer: "t", count: 10, blockMs: 0 })
        assert.strictEqual(entry?._tag, "ResidualFlush")
        if (entry?._tag !== "ResidualFlush") return
        // B sells 30 to bring a pool of −30 (B must sell) to zero, at the book's bid.
        assert.strictEqual(entry.flush.hedgeSide, "sell")
        assert.strictEqual(entry.flush.size, 30)
        assert.strictEqual(entry.flush.pair, "BTC-1-2")
        assert.strictEqual(entry.flush.accountIndex, B)
        assert.isTrue(entry.flush.fillId.startsWith("residual:"))
        // Published once: nothing more is due.
        yield* TestClock.adjust("1 minute")
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual(fills.inspect.streamLength(), 1)
        assert.strictEqual((yield* Ref.get(loop.flush)).dueMonoMs, undefined)
      }).pipe(Effect.provideContext(ctx))
    }))

  it.effect("a pool B is short of (> 0) is bought at the book's ask; one it is long of (< 0) sold at the bid", () =>
    Effect.gen(function*() {
      for (const [pool, side] of [[45, "buy"], [-45, "sell"]] as const) {
        const { ctx } = yield* setup()
        yield* Effect.gen(function*() {
          yield* poolOf(pool)(yield* PairState)
          const book = yield* (yield* Venue).orderBook(market.marketId, 1)
          yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, yield* makeLoopState)
          const [entry] = yield* (yield* FillBus).readNew({ consumer: "t", count: 10, blockMs: 0 })
          assert.strictEqual(entry?._tag, "ResidualFlush")
          if (entry?._tag !== "ResidualFlush") return
          assert.strictEqual(entry.flush.hedgeSide, side)
          assert.strictEqual(entry.flush.size, 45)
          assert.strictEqual(entry.flush.referencePrice, side === "buy" ? book.asks[0]!.price : book.bids[0]!.price)
        }).pipe(Effect.provideContext(ctx))
      }
    }))

  it.effect("a bus that cannot be read is a warning and a look later, never a failure of B's loop", () =>
    Effect.gen(function*() {
      const { ctx, fills } = yield* setup()
      yield* Effect.gen(function*() {
        yield* poolOf(50)(yield* PairState)
        fills.inspect.setUnavailable(true)
        const loop = yield* makeLoopState
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.isDefined((yield* Ref.get(loop.flush)).dueMonoMs)
        fills.inspect.setUnavailable(false)
        yield* TestClock.adjust(FLUSH_FIRST_MS)
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual(fills.inspect.streamLength(), 1)
      }).pipe(Effect.provideContext(ctx))
    }))

  it.effect("a pool below the venue minimum waits for a fill in its direction; an empty pool is left", () =>
    Effect.gen(function*() {
      for (const pool of [market.minBaseAmount - 1, 0]) {
        const { ctx, fills } = yield* setup()
        yield* Effect.gen(function*() {
          if (pool !== 0) yield* poolOf(pool)(yield* PairState)
          const loop = yield* makeLoopState
          yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
          assert.strictEqual(fills.inspect.streamLength(), 0, `pool ${pool}`)
          assert.strictEqual((yield* Ref.get(loop.flush)).dueMonoMs, undefined, `pool ${pool}`)
        }).pipe(Effect.provideContext(ctx))
      }
    }))

  it.effect("without a price to judge the pool by, it looks again after the backoff, not before", () =>
    Effect.gen(function*() {
      // A pool B is short of is judged by the asks, one it is long of by the bids: neither is there.
      for (const pool of [40, -40]) {
        const { ctx, fills } = yield* setup("no book")
        yield* Effect.gen(function*() {
          yield* poolOf(pool)(yield* PairState)
          const loop = yield* makeLoopState
          yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
          const due = (yield* Ref.get(loop.flush)).dueMonoMs
          assert.isDefined(due)
          assert.strictEqual(fills.inspect.streamLength(), 0)
          assert.strictEqual(nextWaitMs(yield* Ref.get(loop.flush)), 2 * FLUSH_FIRST_MS)
        }).pipe(Effect.provideContext(ctx))
      }
    }))

  it.effect("nothing is read before a look is due (a failure makes one due after the backoff)", () =>
    Effect.gen(function*() {
      const { ctx, fills } = yield* setup()
      yield* Effect.gen(function*() {
        const loop = yield* makeLoopState
        yield* flushDone(loop)
        yield* poolOf(50)(yield* PairState)
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual(fills.inspect.streamLength(), 0)
        yield* recordFailure(loop)
        yield* TestClock.adjust(FLUSH_FIRST_MS - 1)
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual(fills.inspect.streamLength(), 0)
        yield* TestClock.adjust(1)
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual(fills.inspect.streamLength(), 1)
      }).pipe(Effect.provideContext(ctx))
    }))
})
