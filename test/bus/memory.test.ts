import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { contractSuite, fillEvent, hedgeResultFor, newOrderIndex } from "./contract.ts"

contractSuite("memory", () =>
  Effect.sync(() => {
    const bus = MemoryFillBus.make()
    const state = MemoryPairState.make()
    return {
      layer: Layer.mergeAll(bus.layer, state.layer),
      injectRaw: (fields) => Effect.sync(() => bus.inspect.injectRaw(fields)),
      deadLetters: () => Effect.sync(() => bus.inspect.deadLetters()),
      putRawIntent: (fillId, json) => Effect.sync(() => state.inspect.putRawIntent(fillId, json)),
      loseEverything: () => Effect.sync(() => bus.inspect.loseEverything())
    }
  }))

describe("memory bus: Clock and test hooks", () => {
  it.effect("claimStale honours idle time on Effect's Clock (TestClock)", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const [e] = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 0 })
        assert.strictEqual(e?._tag, "Fill")
        yield* TestClock.adjust("29 seconds")
        assert.strictEqual((yield* bus.claimStale("b2", 30_000, 10)).length, 0)
        yield* TestClock.adjust("1 second")
        const claimed = yield* bus.claimStale("b2", 30_000, 10)
        assert.strictEqual(claimed.length, 1)
        assert.deepStrictEqual(inspect.pending().map((p) => [p.consumer, p.deliveries]), [["b2", 2]])
        if (claimed[0]?._tag === "Fill") yield* bus.completeFill(claimed[0].entryId, hedgeResultFor(claimed[0].fill))
        assert.strictEqual(yield* bus.pendingCount(), 0)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("readNew waits for blockMs on the Clock", () =>
    Effect.gen(function*() {
      const { layer } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const fiber = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 1000 }).pipe(Effect.forkChild)
        yield* TestClock.adjust("999 millis")
        assert.isUndefined(fiber.pollUnsafe())
        yield* TestClock.adjust("1 millis")
        const exit = fiber.pollUnsafe()
        assert.isDefined(exit)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("heartbeats expire on the Clock; trading state keeps reason and since", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryPairState.make()
      yield* Effect.gen(function*() {
        const state = yield* PairState
        yield* state.heartbeat("a", { quoting: true }, 3000)
        yield* TestClock.adjust("2999 millis")
        assert.isTrue(Option.isSome(yield* state.lastHeartbeat("a")))
        yield* TestClock.adjust("1 millis")
        assert.isTrue(Option.isNone(yield* state.lastHeartbeat("a")))
        yield* state.setTradingState("REDUCING", "B heartbeat lost")
        assert.deepStrictEqual(inspect.tradingStateRecord(), { state: "REDUCING", reason: "B heartbeat lost", sinceMs: 3000 })
      }).pipe(Effect.provide(layer))
    }))

  it.effect("an entry deleted while pending is poison and can be dead-lettered", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const p = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 0 })
        inspect.deleteEntry(p.entryId)
        const [e] = yield* bus.readOwnPending("b1", 10)
        assert.strictEqual(e?._tag, "Poison")
        if (e?._tag === "Poison") yield* bus.deadLetter(e.entryId, e.raw, e.reason)
        assert.strictEqual(yield* bus.pendingCount(), 0)
        assert.strictEqual(inspect.deadLetters().length, 1)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("hedged fill identities are bounded: only the newest maxHedged are kept", () =>
    Effect.gen(function*() {
      const { layer } = MemoryFillBus.make({ maxHedged: 3 })
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        for (let i = 0; i < 5; i++) yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const read = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 0 })
        for (const e of read) if (e._tag === "Fill") yield* bus.completeFill(e.entryId, hedgeResultFor(e.fill))
        const kept = []
        for (const e of read) if (e._tag === "Fill") kept.push(Option.isSome(yield* bus.hedgedFill(e.fill.fillId)))
        assert.deepStrictEqual(kept, [false, false, true, true, true])
      }).pipe(Effect.provide(layer))
    }))

  it.effect("simulated outage: operations fail with BusError", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      inspect.setUnavailable(true)
      const e = yield* FillBus.use((bus) => bus.pendingCount()).pipe(Effect.provide(layer), Effect.flip)
      assert.strictEqual(e._tag, "BusError")
    }))
})
