// B's order watcher (src/hedger/order-watcher.ts), more: an order the watcher already knows to be
// done answers a waiter at once only when it is the order the waiter accepts (an older order of
// another intent under the same client index is not its outcome); without `accept`, any terminal
// order known under the index answers at once.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Queue, Stream } from "effect"
import type { AccountEvent, OrderUpdate } from "../../src/domain/events.ts"
import { makeOrderWatcher } from "../../src/hedger/order-watcher.ts"

const update = (over: Partial<OrderUpdate>): OrderUpdate => ({
  _tag: "OrderUpdate", accountIndex: 2, marketId: 1, orderIndex: "900", clientOrderIndex: 65, side: "sell", kind: "market",
  timeInForce: "immediate-or-cancel", reduceOnly: false, price: 990_000, initialBase: 60, filledBase: 0, remainingBase: 60,
  filledQuoteMicro: 0n, status: "open", updatedAtMs: 1, ...over
})

const setup = Effect.gen(function*() {
  const q = yield* Queue.unbounded<AccountEvent>()
  const watcher = yield* makeOrderWatcher(Stream.fromQueue(q))
  const send = (...es: ReadonlyArray<AccountEvent>) =>
    Effect.gen(function*() {
      for (const e of es) yield* Queue.offer(q, e)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    })
  return { watcher, send }
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
