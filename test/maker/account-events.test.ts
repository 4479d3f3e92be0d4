// A's account stream, event by event (src/maker/account-events.ts): the quote follows the venue's
// reports of it; the stream's state gates quoting; fills are published; a completed open/close
// cycle is said (循环次数); the quote published for B is withdrawn once it is gone.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Option, Ref } from "effect"
import type { OrderUpdate } from "../../src/domain/events.ts"
import type { MakerState } from "../../src/domain/maker-cycle.ts"
import { makeEventHandler, trackQuote } from "../../src/maker/account-events.ts"
import { makeFillPublisher } from "../../src/maker/fill-publisher.ts"
import { makeContext, market } from "./context.ts"

const quote = { clientOrderIndex: 5, side: "buy" as const, price: 999_000, base: 60, placedAtMs: 0, state: "sending" as const }
const update = (over: Partial<OrderUpdate>): OrderUpdate => ({
  _tag: "OrderUpdate", accountIndex: 1, marketId: 1, orderIndex: "700", clientOrderIndex: 5, side: "buy", kind: "limit",
  timeInForce: "post-only", reduceOnly: false, price: 999_000, initialBase: 60, filledBase: 0, remainingBase: 60,
  filledQuoteMicro: 0n, status: "open", updatedAtMs: 1, ...over
})
const state = (q: MakerState["quote"]): MakerState => ({ position: 0, cycles: 0, closingSinceMs: undefined, ...(q === undefined ? {} : { quote: q }) })

describe("A's quote as the venue reports it", () => {
  it("an update of the quote makes it resting with its order index; a terminal one forgets it; a cancel stays a cancel", () => {
    assert.deepStrictEqual(trackQuote(state(quote), update({})).quote, { ...quote, orderIndex: "700", state: "resting" })
    assert.isUndefined(trackQuote(state(quote), update({ status: "filled", filledBase: 60, remainingBase: 0 })).quote)
    assert.isUndefined(trackQuote(state(quote), update({ status: "canceled" })).quote)
    assert.strictEqual(trackQuote(state({ ...quote, state: "cancelling" }), update({})).quote?.state, "cancelling")
    // Another order's update leaves it alone; so does any update when A has no quote.
    assert.deepStrictEqual(trackQuote(state(quote), update({ clientOrderIndex: 6 })).quote, quote)
    assert.isUndefined(trackQuote(state(undefined), update({})).quote)
  })
})

describe("A's event handler", () => {
  it.effect("the stream's state gates quoting; a fill is published; a finished cycle is said once", () => {
    const lines: Array<string> = []
    return Effect.gen(function*() {
      const { ctx, bus } = yield* makeContext()
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      yield* Ref.set(ctx.streamUp, false)
      yield* handle({ _tag: "StreamConnected", reconnect: false })
      assert.isTrue(yield* Ref.get(ctx.streamUp))
      yield* handle({ _tag: "StreamDisconnected", reason: "socket closed" })
      assert.isFalse(yield* Ref.get(ctx.streamUp))
      assert.isTrue(lines.includes("account stream of A disconnected: socket closed"))
      yield* handle({ _tag: "StreamConnected", reconnect: true })
      assert.isTrue(lines.includes("account stream of A reconnected; catching up from the snapshot"))
      // A's quote fills: the fill is published, A is long.
      yield* Ref.set(ctx.state, state({ ...quote, state: "resting", orderIndex: "281474976710700" }))
      yield* handle(update({ orderIndex: "281474976710700", filledBase: 60, remainingBase: 0, status: "filled" }))
      assert.strictEqual(bus.inspect.streamLength(), 1)
      assert.strictEqual((yield* Ref.get(ctx.state)).position, 60)
      assert.isUndefined((yield* Ref.get(ctx.state)).quote)
      // An update of another market is not A's business.
      yield* handle(update({ marketId: 7, orderIndex: "281474976710701", filledBase: 60, remainingBase: 0, status: "filled" }))
      assert.strictEqual(bus.inspect.streamLength(), 1)
      // The close fills: one cycle, said once.
      yield* Ref.update(ctx.state, (s) => ({ ...s, quote: { ...quote, clientOrderIndex: 9, side: "sell" as const, state: "resting" as const, orderIndex: "281474976710702" } }))
      yield* handle(update({ clientOrderIndex: 9, side: "sell", orderIndex: "281474976710702", filledBase: 60, remainingBase: 0, status: "filled" }))
      yield* handle({ _tag: "StreamConnected", reconnect: false })
      assert.strictEqual(lines.filter((l) => l.startsWith("cycle 1 complete: A opened and closed 0.00060 BTC (循环次数 1 since this start)")).length, 1)
    }).pipe(Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))])))
  })

  it.effect("the quote published for B is withdrawn once A's quote is another or gone, not before", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      yield* ctx.pairState.publishQuote(Option.some({ side: "buy", price: 999_000, clientOrderIndex: 5, base: 60 }))
      yield* Ref.set(ctx.publishedQuote, 5)
      yield* Ref.set(ctx.state, state({ ...quote, state: "resting" }))
      yield* handle({ _tag: "StreamConnected", reconnect: false })
      assert.isTrue(Option.isSome(yield* ctx.pairState.restingQuote()))
      yield* Ref.set(ctx.state, state(undefined))
      yield* handle({ _tag: "StreamConnected", reconnect: false })
      assert.isTrue(Option.isNone(yield* ctx.pairState.restingQuote()))
      assert.isUndefined(yield* Ref.get(ctx.publishedQuote))
    }))

  it.effect("the quote published for B is withdrawn when A's quote is another one", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      yield* ctx.pairState.publishQuote(Option.some({ side: "buy", price: 999_000, clientOrderIndex: 5, base: 60 }))
      yield* Ref.set(ctx.publishedQuote, 5)
      yield* Ref.set(ctx.state, state({ ...quote, clientOrderIndex: 6, state: "resting" }))
      yield* handle({ _tag: "StreamConnected", reconnect: false })
      assert.isTrue(Option.isNone(yield* ctx.pairState.restingQuote()))
    }))

  it.effect("events that are not position reports leave A's position alone (another market's, the stream's own)", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      yield* Ref.set(ctx.state, { ...state(undefined), position: 20 })
      yield* handle({ _tag: "StreamDisconnected", reason: "test" })
      yield* handle({ _tag: "StreamConnected", reconnect: true })
      yield* handle({ _tag: "PositionUpdate", accountIndex: 1, marketId: market.marketId + 1, signedBase: 500, avgEntryPrice: 0 })
      assert.strictEqual((yield* Ref.get(ctx.state)).position, 20)
    }))

  it.effect("A's trades are fills too (this market only); the venue's position report sets A's position (this market only)", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const { ctx, bus } = yield* makeContext({ onAccountEvent: (e) => Effect.sync(() => void seen.push(e._tag)) })
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      const trade = (marketId: number, tradeId: string) => ({
        _tag: "TradeEvent" as const, accountIndex: 1, marketId, tradeId, orderIndex: "281474976710800", clientOrderIndex: 5, side: "buy" as const,
        isMaker: true, size: 20, price: 999_000, counterpartyAccountIndex: 9, timestampMs: 1
      })
      yield* handle(trade(7, "t0"))
      assert.strictEqual(bus.inspect.streamLength(), 0, "another market's trade")
      yield* handle(trade(1, "t1"))
      assert.strictEqual(bus.inspect.streamLength(), 1)
      yield* handle({ _tag: "PositionUpdate", accountIndex: 1, marketId: 7, signedBase: 500, avgEntryPrice: 1 })
      const before = (yield* Ref.get(ctx.state)).position
      assert.notStrictEqual(before, 500)
      yield* handle({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 60, avgEntryPrice: 999_000 })
      assert.strictEqual((yield* Ref.get(ctx.state)).position, 60)
      assert.deepStrictEqual(seen, ["TradeEvent", "TradeEvent", "PositionUpdate", "PositionUpdate"])
    }))

  it.effect("only the stream's own events change its state: an order update while it is down leaves it down", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      yield* handle({ _tag: "StreamDisconnected", reason: "x" })
      yield* handle(update({ clientOrderIndex: 77, orderIndex: "281474976710900" }))
      yield* handle({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 0, avgEntryPrice: 1 })
      assert.isFalse(yield* Ref.get(ctx.streamUp))
    }))

  it.effect("an update of A's quote is also shown to the quote resolver", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const shown: Array<string> = []
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: (u) => Effect.sync(() => void shown.push(u.orderIndex)) })
      yield* handle(update({ orderIndex: "281474976711000" }))
      yield* handle(update({ marketId: 7, orderIndex: "281474976711001" }))
      assert.deepStrictEqual(shown, ["281474976711000"])
    }))

  it.effect("nothing published for B: nothing to withdraw, whatever A's quote", () =>
    Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const handle = yield* makeEventHandler(ctx, yield* makeFillPublisher(ctx), { onOrderUpdate: () => Effect.void })
      // B's view holds a quote A did not publish in this run (its previous run's): left to A's next placement.
      yield* ctx.pairState.publishQuote(Option.some({ side: "buy", price: 999_000, clientOrderIndex: 3, base: 60 }))
      yield* handle({ _tag: "StreamConnected", reconnect: false })
      assert.isTrue(Option.isSome(yield* ctx.pairState.restingQuote()))
    }))
})
