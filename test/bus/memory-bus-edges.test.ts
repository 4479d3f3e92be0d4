// The in-memory fill bus on the TestClock: sequence numbers start from the clock (4 per second,
// as on Redis, so they never repeat after a loss of state), and a blocking read that wakes into
// an outage fails like the operation it is.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { ResidualFlush } from "../../src/domain/messages.ts"
import { fillEvent, newOrderIndex } from "./contract.ts"

const flush = new ResidualFlush({ pair: "BTC:1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 20, referencePrice: 1, requestedAtMs: 1 })

describe("memory fill bus", () => {
  it.effect("the first sequence number is the clock's quarter seconds plus one; the rest follow", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("10 seconds")
      const bus = yield* FillBus
      const order = newOrderIndex()
      const a = yield* bus.publishFill(fillEvent({ orderIndex: order, filledAfter: 20 }))
      assert.strictEqual(a.fillSeq, 41)
      const f = yield* bus.publishResidualFlush(flush)
      assert.strictEqual(f.fillSeq, 42)
      assert.strictEqual(f.duplicate, false)
      // A duplicate names the order's last published fill.
      const dup = yield* bus.publishFill(fillEvent({ orderIndex: order, filledAfter: 20 }))
      assert.deepStrictEqual(dup, { duplicate: true, fillSeq: 41, entryId: a.entryId })
      const [first, second] = yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })
      assert.deepStrictEqual([first?._tag, second?._tag], ["Fill", "ResidualFlush"])
      if (second?._tag === "ResidualFlush") assert.strictEqual(second.flush.fillId, "residual:42")
    }).pipe(Effect.provide(MemoryFillBus.layer())))

  it.effect("a residual flush first: the same clock start", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("2500 millis")
      const f = yield* FillBus.use((b) => b.publishResidualFlush(flush))
      assert.strictEqual(f.fillSeq, 11)
    }).pipe(Effect.provide(MemoryFillBus.layer())))

  it.effect("a blocking read woken into an outage fails as readNew; one that times out returns nothing", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const quiet = yield* Effect.forkChild(bus.readNew({ consumer: "b", count: 10, blockMs: 1_000 }))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(quiet), [])

        const waiting = yield* Effect.forkChild(Effect.flip(bus.readNew({ consumer: "b", count: 10, blockMs: 60_000 })))
        yield* TestClock.adjust("10 millis")
        // The store goes down, then an entry arrives (the test's hook appends past the outage).
        inspect.setUnavailable(true)
        inspect.injectRaw({ fillId: "x" })
        yield* TestClock.adjust("10 millis")
        const e = yield* Fiber.join(waiting)
        assert.strictEqual(e.op, "readNew")
      }).pipe(Effect.provide(layer))
    }))
})
