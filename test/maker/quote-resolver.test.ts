// Quotes A cannot know the state of from its own calls (src/maker/quote-resolver.ts), on the
// TestClock and the memory exchange: a quote stuck "sending" is asked for at the venue after
// STUCK_QUOTE_MS; one the venue has is tracked as resting; one it never got is given up after
// resolveQuoteMs and cancelled should it arrive later — A never keeps two quotes.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { makeFillPublisher } from "../../src/maker/fill-publisher.ts"
import { makeQuoteResolver, STUCK_QUOTE_MS } from "../../src/maker/quote-resolver.ts"
import { A, makeContext, market } from "./context.ts"

const sending = (coi: number, placedAtMs: number) => ({
  clientOrderIndex: coi, side: "buy" as const, price: 999_000, base: 60, placedAtMs, state: "sending" as const
})

describe("A's quote resolver", () => {
  it.effect("a quote still sending after STUCK_QUOTE_MS that the venue has is tracked as resting", () =>
    Effect.gen(function*() {
      const { ctx, ex } = yield* makeContext()
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: sending(41, ctx.clock.monoMs()) }))
      ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 41, postOnly: true, reduceOnly: false })
      assert.isFalse(yield* resolver.settleStuck)
      yield* TestClock.adjust(STUCK_QUOTE_MS - 1)
      assert.isFalse(yield* resolver.settleStuck)
      yield* TestClock.adjust(1)
      assert.isTrue(yield* resolver.settleStuck)
      const q = (yield* Ref.get(ctx.state)).quote
      assert.strictEqual(q?.state, "resting")
      assert.isDefined(q?.orderIndex)
    }))

  it.effect("a quote the venue never got is given up after resolveQuoteMs; arriving later, it is cancelled", () =>
    Effect.gen(function*() {
      const { ctx, ex } = yield* makeContext({ resolveQuoteMs: 2_000 })
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, position: 20, quote: sending(42, ctx.clock.monoMs()) }))
      const fiber = yield* resolver.resolve(42, "the send's outcome is unknown").pipe(Effect.forkChild)
      yield* TestClock.adjust(2_500)
      yield* Fiber.join(fiber)
      assert.deepStrictEqual([(yield* Ref.get(ctx.state)).quote, (yield* Ref.get(ctx.state)).position], [undefined, 20], "forgotten, A's position kept")
      // The send arrives after all: it is cancelled as soon as A sees it.
      const late = ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 42, postOnly: true, reduceOnly: false })
      const rest = ex.activeOrders(A, market.marketId).find((o) => o.clientOrderIndex === 42)!
      assert.isDefined(late)
      yield* resolver.onOrderUpdate(rest)
      assert.isUndefined(ex.activeOrders(A, market.marketId).find((o) => o.clientOrderIndex === 42))
      // A quote A did not give up is left alone.
      ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 998_000, clientOrderIndex: 43, postOnly: true, reduceOnly: false })
      yield* resolver.onOrderUpdate(ex.activeOrders(A, market.marketId).find((o) => o.clientOrderIndex === 43)!)
      assert.isDefined(ex.activeOrders(A, market.marketId).find((o) => o.clientOrderIndex === 43))
    }))

  it.effect("a quote stuck cancelling is timed from when A first saw it so; then the venue decides: gone is forgotten, resting is resting", () =>
    Effect.gen(function*() {
      for (const outcome of ["gone", "resting"] as const) {
        const { ctx, ex } = yield* makeContext()
        const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
        const orderIndex = ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 44, postOnly: true, reduceOnly: false })
        if (outcome === "gone") ex.cancel(A, market.marketId, orderIndex)
        // Placed long ago, cancelling since now: the age of the placement does not count.
        yield* TestClock.adjust(STUCK_QUOTE_MS * 3)
        yield* Ref.update(ctx.state, (s) => ({ ...s, quote: { ...sending(44, 0), orderIndex, state: "cancelling" as const } }))
        assert.isFalse(yield* resolver.settleStuck)
        yield* TestClock.adjust(STUCK_QUOTE_MS - 1)
        assert.isFalse(yield* resolver.settleStuck)
        yield* TestClock.adjust(1)
        assert.isTrue(yield* resolver.settleStuck)
        const q = (yield* Ref.get(ctx.state)).quote
        if (outcome === "gone") assert.deepStrictEqual([q, (yield* Ref.get(ctx.state)).position], [undefined, 0], "forgotten, A's position kept")
        else assert.deepStrictEqual([q?.state, q?.orderIndex], ["resting", orderIndex])
      }
    }))

  it.effect("a cancel A sends for a quote starts its clock then, not when the resolver first looks", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: { ...sending(45, 0), orderIndex: "1", state: "cancelling" as const } }))
      yield* resolver.cancelling(45)
      yield* TestClock.adjust(STUCK_QUOTE_MS)
      const fiber = yield* resolver.settleStuck.pipe(Effect.forkChild)
      yield* TestClock.adjust(6_000)
      assert.isTrue(yield* Fiber.join(fiber), "resolved on the first look: its clock started with the cancel")
    }))

  it.effect("a quote that filled while A could not tell: found done at the venue, its fill published, the quote forgotten", () =>
    Effect.gen(function*() {
      const { ctx, ex, bus } = yield* makeContext()
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: sending(46, ctx.clock.monoMs()) }))
      const orderIndex = ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 46, postOnly: true, reduceOnly: false })
      ex.fillOrder(orderIndex)
      yield* resolver.resolve(46, "test")
      assert.isUndefined((yield* Ref.get(ctx.state)).quote)
      assert.strictEqual(bus.inspect.streamLength(), 1)
      assert.strictEqual((yield* Ref.get(ctx.state)).position, 60)
    }))

  it.effect("the venue learns of the quote a moment later: asked again with backoff until resolveQuoteMs", () =>
    Effect.gen(function*() {
      const { ctx, ex } = yield* makeContext({ resolveQuoteMs: 3_000 })
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: sending(47, ctx.clock.monoMs()) }))
      const fiber = yield* resolver.resolve(47, "test").pipe(Effect.forkChild)
      yield* TestClock.adjust(700)
      ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 47, postOnly: true, reduceOnly: false })
      yield* TestClock.adjust(3_000)
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* Ref.get(ctx.state)).quote?.state, "resting")
    }))

  it.effect("settled by the stream meanwhile (resting, or another quote now): the resolver leaves A's state alone", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext({ resolveQuoteMs: 3_000 })
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      for (const settled of [{ ...sending(48, 0), state: "resting" as const, orderIndex: "9" }, sending(49, 0)]) {
        yield* Ref.update(ctx.state, (s) => ({ ...s, quote: settled }))
        const fiber = yield* resolver.resolve(48, "test").pipe(Effect.forkChild)
        yield* TestClock.adjust(5_000)
        yield* Fiber.join(fiber)
        assert.deepStrictEqual((yield* Ref.get(ctx.state)).quote, settled)
      }
    }))

  it.effect("a resting quote is never stuck", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: { ...sending(50, 0), state: "resting" as const, orderIndex: "1" } }))
      yield* TestClock.adjust(STUCK_QUOTE_MS * 5)
      assert.isFalse(yield* resolver.settleStuck)
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: undefined }))
      assert.isFalse(yield* resolver.settleStuck)
    }))

  it.effect("a quote sending since long before the resolver first looks is resolved on that first look", () =>
    Effect.gen(function*() {
      const { ctx, ex } = yield* makeContext()
      const resolver = yield* makeQuoteResolver(ctx, yield* makeFillPublisher(ctx))
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: sending(51, ctx.clock.monoMs()) }))
      ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 51, postOnly: true, reduceOnly: false })
      yield* TestClock.adjust(STUCK_QUOTE_MS)
      assert.isTrue(yield* resolver.settleStuck, "a send counts from when it was placed")
      assert.strictEqual((yield* Ref.get(ctx.state)).quote?.state, "resting")
    }))

  it.effect("settled by the stream before the resolver asks (resting, another quote, none): the venue is not asked", () =>
    Effect.gen(function*() {
      for (const settled of [{ ...sending(52, 0), state: "resting" as const, orderIndex: "9" }, sending(53, 0), undefined]) {
        const { ctx } = yield* makeContext({ resolveQuoteMs: 3_000 })
        let asked = 0
        const venue = { ...ctx.venue, orderByClientIndex: (m: number, coi: number) => Effect.suspend(() => (asked++, ctx.venue.orderByClientIndex(m, coi))) }
        const resolver = yield* makeQuoteResolver({ ...ctx, venue }, yield* makeFillPublisher(ctx))
        yield* Ref.update(ctx.state, (s) => ({ ...s, quote: settled }))
        const fiber = yield* resolver.resolve(52, "test").pipe(Effect.forkChild)
        yield* TestClock.adjust(5_000)
        yield* Fiber.join(fiber)
        assert.strictEqual(asked, 0, `settled as ${settled?.state}`)
        assert.deepStrictEqual((yield* Ref.get(ctx.state)).quote, settled)
      }
    }))

  it.effect("A's quote changed while the venue was being asked (another quote, or none): the answer for the old one leaves it alone", () =>
    Effect.gen(function*() {
      const other = { ...sending(60, 0), state: "resting" as const, orderIndex: "77" }
      for (const venueHas of ["cancelled", "resting", "nothing"] as const) {
        for (const meanwhile of [other, undefined]) {
          const { ctx, ex } = yield* makeContext({ resolveQuoteMs: 2_000 })
          yield* Ref.update(ctx.state, (s) => ({ ...s, position: 20, quote: sending(54, ctx.clock.monoMs()) }))
          if (venueHas !== "nothing") {
            const orderIndex = ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 54, postOnly: true, reduceOnly: false })
            if (venueHas === "cancelled") ex.cancel(A, market.marketId, orderIndex)
          }
          const start = ctx.clock.monoMs()
          // The stream settles the quote while the venue answers; an unknown quote is asked for
          // until resolveQuoteMs, so the change comes with the last answer.
          const venue = {
            ...ctx.venue,
            orderByClientIndex: (m: number, coi: number) =>
              ctx.venue.orderByClientIndex(m, coi).pipe(
                Effect.tap(() =>
                  venueHas !== "nothing" || ctx.clock.monoMs() - start >= 2_000 ? Ref.update(ctx.state, (s) => ({ ...s, quote: meanwhile })) : Effect.void
                )
              )
          }
          const resolver = yield* makeQuoteResolver({ ...ctx, venue }, yield* makeFillPublisher(ctx))
          const fiber = yield* resolver.resolve(54, "test").pipe(Effect.forkChild)
          yield* TestClock.adjust(5_000)
          yield* Fiber.join(fiber)
          const after = yield* Ref.get(ctx.state)
          assert.deepStrictEqual([after.quote, after.position], [meanwhile, 20], `venue has ${venueHas}, quote meanwhile ${meanwhile?.clientOrderIndex}`)
        }
      }
    }))
})
