// The price of A's next quote (src/maker/quote-price.ts) on the memory exchange and the TestClock:
// the order list is read at most every maker.book_orders_refresh_ms; a failing read is said once
// and its recovery once; a list price that crosses the live book is not used; levels need no list.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import { priceAtLevelDepth } from "../../src/domain/book-depth.ts"
import { makeQuotePricer } from "../../src/maker/quote-price.ts"
import type { VenueShape } from "../../src/venue/Venue.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { makeContext, market } from "./context.ts"

const need = { side: "buy" as const, depth: 2, best: false }

const withLines = <A, E, R>(body: (lines: Array<string>) => Effect.Effect<A, E, R>) => {
  const lines: Array<string> = []
  return body(lines).pipe(Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))])))
}

describe("the price of A's next quote", () => {
  it.effect("the order list is read at most every refresh (5 s unless set), and only when asked", () =>
    Effect.forEach([{ bookOrdersRefreshMs: 5_000 }, {}], (over) => Effect.gen(function*() {
      const { ctx, ex } = yield* makeContext(over)
      const pricer = yield* makeQuotePricer(ctx)
      const book = yield* ctx.venue.orderBook(market.marketId, 5)
      const now = () => ctx.clock.monoMs()
      const first = yield* pricer.priceFor(need, book, now())
      assert.strictEqual(first?._tag, "Price")
      yield* TestClock.adjust(4_999)
      yield* pricer.priceFor(need, book, now())
      assert.strictEqual(ex.bookOrdersReads.length, 1)
      yield* TestClock.adjust(1)
      yield* pricer.priceFor(need, book, now())
      assert.strictEqual(ex.bookOrdersReads.length, 2)
      // The best price needs no list: the live book's first level.
      const best = yield* pricer.priceFor({ ...need, best: true }, book, now())
      assert.deepStrictEqual(best, priceAtLevelDepth(book, "buy", 2))
      assert.strictEqual(ex.bookOrdersReads.length, 2)
    }), { discard: true }))

  it.effect("a list too short for market.depth is answered as short (the caller says so), not as a price", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const pricer = yield* makeQuotePricer(ctx)
      const book = yield* ctx.venue.orderBook(market.marketId, 5)
      const short = yield* pricer.priceFor({ side: "buy", depth: 500, best: false }, book, ctx.clock.monoMs())
      assert.strictEqual(short?._tag, "Short")
    }))

  it.effect("a failing read is said once and prices nothing; its recovery is said once", () =>
    withLines((lines) =>
      Effect.gen(function*() {
        let failing = true
        const { ctx } = yield* makeContext({ bookOrdersRefreshMs: 2_000 })
        const real = ctx.venue
        const venue: VenueShape = {
          ...real,
          orderBookOrders: (id, limit) =>
            failing ? Effect.fail(new VenueError({ op: "orderBookOrders", kind: "unavailable", message: "503" })) : real.orderBookOrders!(id, limit)
        }
        const pricer = yield* makeQuotePricer({ ...ctx, venue })
        const book = yield* real.orderBook(market.marketId, 5)
        for (let i = 0; i < 3; i++) {
          assert.isUndefined(yield* pricer.priceFor(need, book, ctx.clock.monoMs()))
          yield* TestClock.adjust(2_000)
        }
        assert.strictEqual(lines.filter((l) => l.startsWith("cannot read the venue's order list")).length, 1)
        failing = false
        assert.strictEqual((yield* pricer.priceFor(need, book, ctx.clock.monoMs()))?._tag, "Price")
        assert.strictEqual(lines.filter((l) => l === "the venue's order list (orderBookOrders) can be read again").length, 1)
      })
    ))

  it.effect("a list price that crosses the live book (the list is older) is not used, said once per wait", () =>
    withLines((lines) =>
      Effect.gen(function*() {
        const { ctx } = yield* makeContext({ bookOrdersRefreshMs: 2_000 })
        const pricer = yield* makeQuotePricer(ctx)
        const book = yield* ctx.venue.orderBook(market.marketId, 5)
        // The live book moved down: its best ask is now at or below the list's bid price.
        const moved = { ...book, asks: [{ price: book.bids[1]!.price, size: 1 }, ...book.asks] }
        assert.isUndefined(yield* pricer.priceFor(need, moved, ctx.clock.monoMs()))
        assert.isUndefined(yield* pricer.priceFor(need, moved, ctx.clock.monoMs()))
        assert.strictEqual(lines.filter((l) => l.includes("crosses the live book")).length, 1)
        assert.strictEqual((yield* pricer.priceFor(need, book, ctx.clock.monoMs()))?._tag, "Price")
        // Crossing again after a price that did not is said again.
        assert.isUndefined(yield* pricer.priceFor(need, moved, ctx.clock.monoMs()))
        assert.strictEqual(lines.filter((l) => l.includes("crosses the live book")).length, 2)
      })
    ))

  it.effect("maker.depth_unit levels prices from the live book and never reads the list", () =>
    Effect.gen(function*() {
      const { ctx, ex } = yield* makeContext({ depthUnit: "levels" })
      const pricer = yield* makeQuotePricer(ctx)
      const book = yield* ctx.venue.orderBook(market.marketId, 5)
      assert.deepStrictEqual(yield* pricer.priceFor(need, book, ctx.clock.monoMs()), priceAtLevelDepth(book, "buy", 2))
      assert.strictEqual(ex.bookOrdersReads.length, 0)
    }))
})
