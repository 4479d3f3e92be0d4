// The residual flush (src/hedger/residual-flush.ts): an empty pool ends the looks at once, even
// when the book has no price (nothing to price, nothing to wait for), and never reads the book.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { makeLoopState } from "../../src/hedger/loop-state.ts"
import { maybeFlushResidual } from "../../src/hedger/residual-flush.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"

const market = LIGHTER_BTC

describe("residual flush, an empty pool", () => {
  it.effect("with no price in the book: no look is left due, nothing is published, the book is not read", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ markets: [market], mid: { [market.marketId]: 1_000_000 } })
      const fills = MemoryFillBus.make({ market })
      const venue = makeMemoryVenue(ex, 2)
      let bookReads = 0
      const ctx = yield* Layer.build(Layer.mergeAll(
        fills.layer,
        MemoryPairState.make().layer,
        Layer.succeed(Venue, Venue.of({
          ...venue,
          orderBook: (id) => Effect.sync(() => void bookReads++).pipe(Effect.andThen(venue.orderBook(id, 1)), Effect.map((b) => ({ ...b, bids: [], asks: [] })))
        }))
      ))
      yield* Effect.gen(function*() {
        const loop = yield* makeLoopState
        assert.isDefined((yield* Ref.get(loop.flush)).dueMonoMs, "a look is due on start")
        yield* maybeFlushResidual({ market, pair: "BTC-1-2" }, loop)
        assert.strictEqual((yield* Ref.get(loop.flush)).dueMonoMs, undefined)
        assert.strictEqual(fills.inspect.streamLength(), 0)
        assert.strictEqual(bookReads, 0)
      }).pipe(Effect.provideContext(ctx))
    }))
})
