// A's fills onto the bus (src/maker/fill-publisher.ts): each stored once and counted, A's state
// moved by it; a flatten's closing orders and fenced orders are left out and said once per order.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Ref } from "effect"
import { CLOSING_CLIENT_INDEX_MIN } from "../../src/domain/closing.ts"
import { FillEvent, makeFillId } from "../../src/domain/messages.ts"
import { makeFillPublisher } from "../../src/maker/fill-publisher.ts"
import { makeContext } from "./context.ts"

const fill = (orderIndex: string, filledAfter: number, clientOrderIndex = 7) =>
  new FillEvent({
    fillId: makeFillId(orderIndex, filledAfter),
    pair: "BTC:1-2",
    accountIndex: 1,
    marketId: 1,
    side: "buy",
    orderIndex,
    clientOrderIndex,
    filledBefore: 0,
    filledAfter,
    size: filledAfter,
    price: 1_000_000,
    venueTimestampMs: 1,
    detectedAtMs: 1
  })

describe("A's fill publisher", () => {
  it.effect("a fill is stored once, counted once and moves A's position; a copy is not", () =>
    Effect.gen(function*() {
      const { ctx, bus } = yield* makeContext()
      const p = yield* makeFillPublisher(ctx)
      yield* p.publish(fill("281474976710700", 60))
      yield* p.publish(fill("281474976710700", 60))
      assert.strictEqual(yield* p.published, 1)
      assert.strictEqual(bus.inspect.streamLength(), 1)
      assert.strictEqual((yield* Ref.get(ctx.state)).position, 60)
    }))

  it.effect("a flatten's closing order is never published, and said once per order", () => {
    const lines: Array<string> = []
    return Effect.gen(function*() {
      const { ctx, bus } = yield* makeContext()
      const p = yield* makeFillPublisher(ctx)
      yield* p.publish(fill("281474976710701", 20, CLOSING_CLIENT_INDEX_MIN + 5))
      yield* p.publish(fill("281474976710701", 40, CLOSING_CLIENT_INDEX_MIN + 5))
      assert.strictEqual(bus.inspect.streamLength(), 0)
      assert.strictEqual(yield* p.published, 0)
      assert.strictEqual(lines.filter((l) => l.includes("not published: a closing order of bin/hedge flatten")).length, 1)
    }).pipe(Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))])))
  })

  it.effect("a fill the bus fences off (a flatten settled its quote): not counted, A's position kept, no hook told", () =>
    Effect.gen(function*() {
      const told: Array<string> = []
      const made = yield* makeContext({
        onFill: (f) => Effect.sync(() => void told.push(`fill ${f.fillId}`)),
        epoch: { epochId: () => undefined, onQuoteSeq: () => Effect.void, onPublished: (f, seq) => Effect.sync(() => void told.push(`epoch ${f.fillId} ${seq}`)) }
      })
      const fenced = { ...made.ctx, bus: { ...made.ctx.bus, publishFill: () => Effect.succeed({ fillSeq: 0, entryId: "", duplicate: false, fenced: "flatten F1 settled it" }) } }
      const p = yield* makeFillPublisher(fenced)
      yield* p.publish(fill("281474976710702", 60))
      assert.strictEqual(yield* p.published, 0)
      assert.strictEqual((yield* Ref.get(made.ctx.state)).position, 0)
      assert.deepStrictEqual(told, [])
      // A published fill tells both hooks, with its sequence number.
      const q = yield* makeFillPublisher(made.ctx)
      yield* q.publish(fill("281474976710703", 60))
      assert.deepStrictEqual(told, ["epoch 281474976710703:60 1", "fill 281474976710703:60"])
    }))

  it.effect("orders left out are remembered up to 1000, the oldest forgotten first: each said once while remembered", () => {
    const lines: Array<string> = []
    return Effect.gen(function*() {
      const { ctx } = yield* makeContext()
      const p = yield* makeFillPublisher(ctx)
      const order = (k: number) => String(281474976720000 + k)
      const closing = (k: number) => fill(order(k), 20, CLOSING_CLIENT_INDEX_MIN + 5)
      for (let k = 1; k <= 1001; k++) yield* p.publish(closing(k))
      // Order 1 was forgotten when order 1001 came; order 2 is still remembered.
      yield* p.publish(closing(2))
      yield* p.publish(closing(1))
      const said = (k: number) => lines.filter((l) => l.includes(`of order ${order(k)} `)).length
      assert.deepStrictEqual([said(1), said(2), said(1001)], [2, 1, 1])
    }).pipe(Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))])))
  })
})
