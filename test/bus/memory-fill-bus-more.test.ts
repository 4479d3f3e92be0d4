// More of the in-memory fill bus, each case as the Redis bus behaves (RedisFillBus.ts): a range
// the bus cuts only when it overlaps the order's level, entries deleted from the stream (never
// delivered; reported and dropped by claimStale; dead-lettered though no longer pending), the
// claim count, a read that does not block, the newest hedged identities, results since an id,
// and the test hooks (deleteEntry, streamLength, loseEverything).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { type BusEntry, FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { FillEvent } from "../../src/domain/messages.ts"
import { fillEvent, hedgeResultFor, newOrderIndex } from "./contract.ts"

const fillOf = (e: BusEntry | undefined) => {
  if (e?._tag !== "Fill") throw new Error(`expected a fill, got ${e?._tag}`)
  return e
}

describe("memory fill bus: ranges", () => {
  it.effect("a fill above the order's level (a gap) is appended as given, not stretched down to the level", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      const o = newOrderIndex()
      yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 0, filledAfter: 20 }))
      const gap = yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 30, filledAfter: 50 }))
      assert.isFalse(gap.duplicate)
      const entries = (yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })).map(fillOf)
      assert.deepStrictEqual(entries.map((e) => [e.fill.filledBefore, e.fill.filledAfter, e.fill.size]), [[0, 20, 20], [30, 50, 20]])
      assert.deepStrictEqual([...(yield* bus.publishedLevels())], [[o, 50]])
    }).pipe(Effect.provide(MemoryFillBus.layer())))

  it.effect("a fill starting exactly at the order's level is appended exactly as A gave it", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      const o = newOrderIndex()
      yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 0, filledAfter: 20 }))
      // Its size is A's to state; only a range overlapping the level is rewritten (as the Redis script).
      const ev = new FillEvent({ ...fillEvent({ orderIndex: o, filledBefore: 20, filledAfter: 50 }), size: 25 })
      yield* bus.publishFill(ev)
      const entries = (yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })).map(fillOf)
      assert.deepStrictEqual(entries.map((e) => [e.fill.filledBefore, e.fill.filledAfter, e.fill.size]), [[0, 20, 20], [20, 50, 25]])
    }).pipe(Effect.provide(MemoryFillBus.layer())))
})

describe("memory fill bus: entries deleted from the stream", () => {
  it.effect("an entry deleted before any read is never delivered nor pending", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const p1 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const p2 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        inspect.deleteEntry(p1.entryId)
        const entries = yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })
        assert.deepStrictEqual(entries.map((e) => [e._tag, e.entryId]), [["Fill", p2.entryId]])
        assert.strictEqual(yield* bus.pendingCount(), 1)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("claimStale reports an entry deleted while pending after the claimed ones, drops it, and it can be dead-lettered", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const p1 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const p2 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 0 })
        inspect.deleteEntry(p1.entryId)
        yield* TestClock.adjust("1 second")
        const claimed = yield* bus.claimStale("b2", 1000, 10)
        assert.deepStrictEqual(claimed.map((e) => [e._tag, e.entryId]), [["Fill", p2.entryId], ["Poison", p1.entryId]])
        const poison = claimed[1]!
        if (poison._tag !== "Poison") return assert.fail("expected poison")
        assert.strictEqual(poison.reason, "entry no longer in the stream (deleted or trimmed)")
        assert.deepStrictEqual(poison.raw, {})
        // Dropped from the pending list (as XAUTOCLAIM does): only the claimed fill is pending.
        assert.deepStrictEqual(inspect.pending().map((p) => [p.entryId, p.consumer, p.deliveries]), [[p2.entryId, "b2", 2]])
        // No longer pending and gone from the stream: still dead-lettered (as DEAD_LETTER on Redis).
        yield* bus.deadLetter(poison.entryId, poison.raw, poison.reason)
        assert.deepStrictEqual(inspect.deadLetters(), [{ entryId: p1.entryId, reason: poison.reason, raw: {} }])
        // An id the stream never held is recorded too; one acknowledged but still in the stream is not.
        yield* bus.deadLetter("999-0", { x: "1" }, "unknown")
        yield* bus.completeFill(p2.entryId, hedgeResultFor(fillOf(claimed[0]).fill))
        yield* bus.deadLetter(p2.entryId, {}, "late")
        assert.deepStrictEqual(inspect.deadLetters().map((d) => d.entryId), [p1.entryId, "999-0"])
      }).pipe(Effect.provide(layer))
    }))
})

describe("memory fill bus: reads", () => {
  it.effect("claimStale takes at most count entries, oldest first", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const ids: Array<string> = []
        for (let i = 0; i < 3; i++) ids.push((yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))).entryId)
        yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 0 })
        yield* TestClock.adjust("1 second")
        const first = yield* bus.claimStale("b2", 1000, 2)
        assert.deepStrictEqual(first.map((e) => e.entryId), ids.slice(0, 2))
        assert.deepStrictEqual(inspect.pending().map((p) => p.consumer), ["b2", "b2", "b1"])
        const rest = yield* bus.claimStale("b2", 1000, 10)
        assert.deepStrictEqual(rest.map((e) => e.entryId), ids.slice(2))
      }).pipe(Effect.provide(layer))
    }))

  // On the live clock: a wait of 0 ms would still be a timer; XREADGROUP without BLOCK answers at once.
  it.live("readNew with blockMs 0 on an empty stream answers at once, without waiting on the clock", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      const reader = yield* Effect.forkChild(bus.readNew({ consumer: "b", count: 10, blockMs: 0 }))
      yield* Effect.yieldNow
      const exit = reader.pollUnsafe()
      assert.isDefined(exit)
      assert.deepStrictEqual(yield* Fiber.join(reader), [])
    }).pipe(Effect.provide(MemoryFillBus.layer())))
})

describe("memory fill bus: results and hedged identities", () => {
  it.effect("a fill completed again under another entry becomes the newest identity kept", () =>
    Effect.gen(function*() {
      const { layer } = MemoryFillBus.make({ maxHedged: 2 })
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        for (let i = 0; i < 4; i++) yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const [e1, e2, e3, e4] = (yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })).map(fillOf)
        yield* bus.completeFill(e1!.entryId, hedgeResultFor(e1!.fill))
        yield* bus.completeFill(e2!.entryId, hedgeResultFor(e2!.fill))
        // e3 carried a copy of e1's fill: its completion refreshes e1's identity (ZADD on Redis).
        yield* bus.completeFill(e3!.entryId, hedgeResultFor(e1!.fill))
        yield* bus.completeFill(e4!.entryId, hedgeResultFor(e4!.fill))
        const kept = Option.getOrThrow(yield* bus.hedgedFill(e1!.fill.fillId))
        assert.strictEqual(kept.entryId, e3!.entryId)
        assert.isTrue(Option.isNone(yield* bus.hedgedFill(e2!.fill.fillId)))
        assert.isTrue(Option.isSome(yield* bus.hedgedFill(e4!.fill.fillId)))
      }).pipe(Effect.provide(layer))
    }))

  it.effect("hedgeResults since an id returns only the results recorded after it", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() })) // 1-0
      yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() })) // 2-0
      const [a, b] = (yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })).map(fillOf)
      // The memory store numbers results on the same counter as fills: these are 3-0 and 4-0.
      yield* bus.completeFill(a!.entryId, hedgeResultFor(a!.fill))
      yield* bus.completeFill(b!.entryId, hedgeResultFor(b!.fill))
      assert.deepStrictEqual((yield* bus.hedgeResults()).map((r) => r.fillId), [a!.fill.fillId, b!.fill.fillId])
      assert.deepStrictEqual((yield* bus.hedgeResults("2-0")).map((r) => r.fillId), [a!.fill.fillId, b!.fill.fillId])
      assert.deepStrictEqual((yield* bus.hedgeResults("3-0")).map((r) => r.fillId), [b!.fill.fillId])
      assert.deepStrictEqual(yield* bus.hedgeResults("4-0"), [])
    }).pipe(Effect.provide(MemoryFillBus.layer())))
})

describe("memory fill bus: test hooks", () => {
  it.effect("deleteEntry of an id the stream never held is harmless; streamLength counts entries with content", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        assert.strictEqual(inspect.streamLength(), 0)
        const p1 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        inspect.injectRaw({ garbage: "yes" })
        assert.strictEqual(inspect.streamLength(), 3)
        inspect.deleteEntry("999-0")
        assert.strictEqual(inspect.streamLength(), 3)
        inspect.deleteEntry(p1.entryId)
        assert.strictEqual(inspect.streamLength(), 2)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("loseEverything forgets entries, levels, pending, results and dead letters; a blocked reader still wakes", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const o = newOrderIndex()
        yield* bus.publishFill(fillEvent({ orderIndex: o }))
        yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const [e1, e2] = (yield* bus.readNew({ consumer: "b", count: 10, blockMs: 0 })).map(fillOf)
        yield* bus.completeFill(e1!.entryId, hedgeResultFor(e1!.fill))
        yield* bus.deadLetter(e2!.entryId, e2!.raw, "test")
        const reader = yield* Effect.forkChild(bus.readNew({ consumer: "b", count: 10, blockMs: 60_000 }))
        yield* TestClock.adjust("10 millis")
        inspect.loseEverything()
        assert.strictEqual(inspect.streamLength(), 0)
        assert.deepStrictEqual(inspect.deadLetters(), [])
        assert.strictEqual(yield* bus.pendingCount(), 0)
        assert.strictEqual((yield* bus.publishedLevels()).size, 0)
        assert.deepStrictEqual(yield* bus.hedgeResults(), [])
        assert.isTrue(Option.isNone(yield* bus.hedgedFill(e1!.fill.fillId)))
        // The order's level is gone too: its fill is new again.
        const again = yield* bus.publishFill(fillEvent({ orderIndex: o }))
        assert.isFalse(again.duplicate)
        const got = yield* Fiber.join(reader)
        assert.deepStrictEqual(got.map((e) => e.entryId), [again.entryId])
      }).pipe(Effect.provide(layer))
    }))
})
