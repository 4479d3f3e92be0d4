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
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: sending(42, ctx.clock.monoMs()) }))
      const fiber = yield* resolver.resolve(42, "the send's outcome is unknown").pipe(Effect.forkChild)
      yield* TestClock.adjust(2_500)
      yield* Fiber.join(fiber)
      assert.isUndefined((yield* Ref.get(ctx.state)).quote)
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
})
