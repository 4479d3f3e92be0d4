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
})
