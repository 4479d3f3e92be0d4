// B's order watcher (src/hedger/order-watcher.ts): the latest state of each of B's orders by
// client index, never overwritten by a stale update; waiters answered by the terminal update of
// the order they accept (an older done order of another intent under the same client index is
// not its outcome; without `accept`, any done order known under the index answers at once);
// positions and the stream's state as reported. Events come from a queue the test feeds, on the
// TestClock.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Queue, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { AccountEvent, OrderUpdate } from "../../src/domain/events.ts"
import { makeOrderWatcher } from "../../src/hedger/order-watcher.ts"

const update = (over: Partial<OrderUpdate>): OrderUpdate => ({
  _tag: "OrderUpdate", accountIndex: 2, marketId: 1, orderIndex: "900", clientOrderIndex: 65, side: "sell", kind: "market",
  timeInForce: "immediate-or-cancel", reduceOnly: false, price: 990_000, initialBase: 60, filledBase: 0, remainingBase: 60,
  filledQuoteMicro: 0n, status: "open", updatedAtMs: 1, ...over
})

const setup = Effect.gen(function*() {
  const q = yield* Queue.unbounded<AccountEvent>()
  const seen: Array<AccountEvent> = []
  const watcher = yield* makeOrderWatcher(Stream.fromQueue(q), (e) => Effect.sync(() => void seen.push(e)))
  const send = (...es: ReadonlyArray<AccountEvent>) =>
    Effect.gen(function*() {
      for (const e of es) yield* Queue.offer(q, e)
      // let the watcher's fiber take them
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    })
  return { watcher, send, seen }
})

describe("B's order watcher", () => {
  it.effect("keeps the latest state per client index; a stale update never overwrites a terminal state or a higher fill", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      yield* send(update({ filledBase: 20, remainingBase: 40 }))
      assert.strictEqual(watcher.latest(65)?.filledBase, 20)
      yield* send(update({ filledBase: 10, remainingBase: 50 })) // out of order: lower fill
      assert.strictEqual(watcher.latest(65)?.filledBase, 20)
      yield* send(update({ filledBase: 60, remainingBase: 0, status: "filled" }))
      yield* send(update({ filledBase: 60, remainingBase: 0, status: "open" })) // stale: after terminal
      assert.strictEqual(watcher.latest(65)?.status, "filled")
      // Another order under the same index (another intent) replaces it: it is the latest there is.
      yield* send(update({ orderIndex: "901", filledBase: 0, status: "open" }))
      assert.strictEqual(watcher.latest(65)?.orderIndex, "901")
      // Client index 0 (an order without one) is not remembered.
      yield* send(update({ clientOrderIndex: 0, orderIndex: "902" }))
      assert.isUndefined(watcher.latest(0))
    })))

  it.effect("a waiter is answered by the terminal update of the order it accepts, and times out otherwise", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      const mine = (u: OrderUpdate) => u.initialBase === 60
      const waiting = yield* watcher.awaitTerminal(65, 1_000, mine).pipe(Effect.forkChild)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      yield* send(update({ initialBase: 25, status: "filled", filledBase: 25, remainingBase: 0 })) // another order with this index: not it
      yield* send(update({ status: "open" }))
      yield* send(update({ status: "filled", filledBase: 60, remainingBase: 0 }))
      const got = yield* Fiber.join(waiting)
      assert.isTrue(Option.isSome(got))
      if (Option.isSome(got)) assert.strictEqual(got.value.initialBase, 60)
      // Known and terminal already: answered at once.
      assert.isTrue(Option.isSome(yield* watcher.awaitTerminal(65, 0, mine)))
      // Nothing comes: none after the timeout.
      const never = yield* watcher.awaitTerminal(77, 300).pipe(Effect.forkChild)
      yield* TestClock.adjust(300)
      assert.isTrue(Option.isNone(yield* Fiber.join(never)))
    })))

  it.effect("reports positions and the stream's state, and hands every event on", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send, seen } = yield* setup
      assert.isFalse(watcher.connected())
      assert.isUndefined(watcher.position(1))
      yield* send({ _tag: "StreamConnected", reconnect: false })
      assert.isTrue(watcher.connected())
      yield* send({ _tag: "PositionUpdate", accountIndex: 2, marketId: 1, signedBase: -60, avgEntryPrice: 1_000_000 })
      assert.strictEqual(watcher.position(1), -60)
      yield* send({ _tag: "StreamDisconnected", reason: "test" })
      assert.isFalse(watcher.connected())
      assert.deepStrictEqual(seen.map((e) => e._tag), ["StreamConnected", "PositionUpdate", "StreamDisconnected"])
    })))

  it.effect("a cancel after a partial fill (same order, same fill, a terminal status) is the order's outcome", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      const waiting = yield* watcher.awaitTerminal(65, 1_000).pipe(Effect.forkChild)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      yield* send(update({ filledBase: 20, remainingBase: 40 }))
      yield* send(update({ filledBase: 20, remainingBase: 0, status: "canceled-not-enough-liquidity" }))
      assert.strictEqual(watcher.latest(65)?.status, "canceled-not-enough-liquidity")
      const got = yield* Fiber.join(waiting)
      assert.strictEqual(Option.getOrThrow(got).status, "canceled-not-enough-liquidity")
      assert.strictEqual(Option.getOrThrow(got).filledBase, 20)
    })))

  it.effect("a waiter is answered by a terminal update only: not by the open one before it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      const any = yield* watcher.awaitTerminal(65, 1_000).pipe(Effect.forkChild)
      const mine = yield* watcher.awaitTerminal(65, 1_000, (u) => u.initialBase === 60).pipe(Effect.forkChild)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      yield* send(update({ status: "open" }))
      assert.isUndefined(any.pollUnsafe())
      assert.isUndefined(mine.pollUnsafe())
      yield* send(update({ status: "filled", filledBase: 60, remainingBase: 0 }))
      assert.strictEqual(Option.getOrThrow(yield* Fiber.join(any)).status, "filled")
      assert.strictEqual(Option.getOrThrow(yield* Fiber.join(mine)).status, "filled")
    })))

  it.effect("an order known to be done already is answered at once, without waiting", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      yield* send(update({ status: "filled", filledBase: 60, remainingBase: 0 }))
      const at = yield* watcher.awaitTerminal(65, 1_000).pipe(Effect.forkChild)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      const exit = at.pollUnsafe()
      assert.isDefined(exit, "answered without the clock moving")
    })))

  it.effect("trades and positions leave the stream's state as it is", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      yield* send({ _tag: "StreamConnected", reconnect: false })
      yield* send({
        _tag: "TradeEvent", accountIndex: 2, marketId: 1, tradeId: "t1", orderIndex: "900", clientOrderIndex: 65, side: "sell", isMaker: false,
        size: 60, price: 990_000, counterpartyAccountIndex: 9, timestampMs: 1
      } as AccountEvent)
      yield* send({ _tag: "PositionUpdate", accountIndex: 2, marketId: 1, signedBase: -60, avgEntryPrice: 1_000_000 })
      assert.isTrue(watcher.connected())
    })))

  it.effect("remembers the 10 000 latest orders; an order updated again counts as recent", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      yield* send(...Array.from({ length: 10_000 }, (_, i) => update({ clientOrderIndex: i + 1, orderIndex: String(i + 1) })))
      assert.isDefined(watcher.latest(1), "10 000 fit")
      // Order 1 moves on: it is recent now, and the next new order pushes out order 2, the oldest.
      yield* send(update({ clientOrderIndex: 1, orderIndex: "1", filledBase: 10, remainingBase: 50 }))
      yield* send(update({ clientOrderIndex: 10_001, orderIndex: "10001" }))
      assert.isDefined(watcher.latest(1))
      assert.isUndefined(watcher.latest(2))
      assert.isDefined(watcher.latest(10_001))
    })))
})

describe("B's order watcher: an order it knows already", () => {
  it.effect("a done order of another intent under the index does not answer the waiter; its own order does", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      // An older order (another intent) with this client index, filled, is what the watcher knows.
      yield* send(update({ orderIndex: "800", initialBase: 25, filledBase: 25, remainingBase: 0, status: "filled" }))
      const mine = (u: OrderUpdate) => u.orderIndex === "900"
      const waiting = yield* watcher.awaitTerminal(65, 1_000, mine).pipe(Effect.forkChild)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      assert.isUndefined(waiting.pollUnsafe(), "not answered by the other intent's order")
      yield* send(update({ orderIndex: "900", filledBase: 60, remainingBase: 0, status: "filled" }))
      const got = Option.getOrThrow(yield* Fiber.join(waiting))
      assert.strictEqual(got.orderIndex, "900")
      assert.strictEqual(got.initialBase, 60)
    })))

  it.effect("without `accept`, the done order known under the index is the answer, at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const { watcher, send } = yield* setup
      yield* send(update({ filledBase: 60, remainingBase: 0, status: "filled" }))
      const got = yield* watcher.awaitTerminal(65, 0)
      assert.strictEqual(Option.getOrThrow(got).orderIndex, "900")
      assert.strictEqual(Option.getOrThrow(got).status, "filled")
    })))
})
