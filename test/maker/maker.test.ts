// Process A's own duties besides quoting (src/maker/maker.ts), on the TestClock over the memory
// bus and exchange: its heartbeat (a counter that moves, A's position, cycles, fills, the quote's
// state, free collateral only while known; kept for three beats), the restart alert, orphan
// quotes of an earlier run cancelled only when asked, a restart holding a long position closing
// first, and a venue that cannot list orders refused for depth_unit orders.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { runMaker } from "../../src/maker/maker.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { makeMemoryVenue, MemoryAccountStream, MemoryVenue } from "../../src/venue/memory/layers.ts"
import { AccountStream } from "../../src/venue/AccountStream.ts"
import type { VenueError } from "../../src/venue/errors.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { processDutyTests } from "../pair/process-duties.ts"
import { A, makeHarness, makerSettings, market } from "../pair/harness.ts"

const harness = () => makeHarness(Layer.mergeAll(MemoryFillBus.make({ market }).layer, MemoryPairState.make().layer), {}, { virtualTime: true })

const activeOfA = (h: Effect.Success<ReturnType<typeof harness>>) => h.ex.activeOrders(A, market.marketId)

describe("process A", () => {
  it.effect("beats every heartbeatMs with a counter, its position, cycles, fills and the quote's state; the last beat lasts three beats", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const a = yield* h.startMaker({ heartbeatMs: 200 })
      yield* h.waitFor("A's quote", () => activeOfA(h).length === 1)
      yield* h.sleep(250)
      const beat = (yield* h.heartbeatStatus("a"))!
      assert.deepStrictEqual({ ...beat, beat: undefined }, { beat: undefined, position: 0, cycles: 0, fills: 0, quote: "resting" })
      assert.isAbove(beat["beat"] as number, 1)
      yield* h.sleep(200)
      assert.strictEqual((yield* h.heartbeatStatus("a"))!["beat"], (beat["beat"] as number) + 1)
      // A's quote fills: position and fills in the next beat.
      h.ex.fillOrder(activeOfA(h)[0]!.orderIndex)
      yield* h.sleep(250)
      const after = (yield* h.heartbeatStatus("a"))!
      assert.strictEqual(after["position"], 60)
      assert.strictEqual(after["fills"], 1)
      assert.isFalse("freeCollateralMicro" in after, "left out while unknown")
      yield* Fiber.interrupt(a)
      yield* h.sleep(400)
      assert.isTrue(yield* h.alive("a"))
      yield* h.sleep(300)
      assert.isFalse(yield* h.alive("a"))
    }))

  it.effect("a beat while A has no quote (the pair is halted) says quote none", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.setTradingState("HALTED", "test")
      const a = yield* h.startMaker({ heartbeatMs: 200 })
      yield* h.sleep(250)
      assert.strictEqual((yield* h.heartbeatStatus("a"))!["quote"], "none")
      assert.strictEqual(activeOfA(h).length, 0)
      yield* Fiber.interrupt(a)
    }))

  it.effect("with freeCollateralEveryMs, the beat carries A's free collateral", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      h.ex.setFreeCollateral(A, 123_456_789)
      const a = yield* h.startMaker({ heartbeatMs: 200, freeCollateralEveryMs: 1_000 })
      yield* h.sleep(500)
      assert.strictEqual((yield* h.heartbeatStatus("a"))!["freeCollateralMicro"], 123_456_789)
      yield* Fiber.interrupt(a)
    }))

  it.effect("started again while its last beat is there: a restart alert saying how long ago A was alive; none the first time", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      // Far from the clock's origin: how long ago is a difference of two wall times.
      yield* TestClock.adjust(100_000)
      const first = yield* h.startMaker({ heartbeatMs: 1_000 })
      yield* h.sleep(10)
      assert.deepStrictEqual(h.alerts.filter((x) => x.kind === "process-restart"), [])
      yield* Fiber.interrupt(first)
      yield* h.sleep(1_500)
      const again = yield* h.startMaker({ heartbeatMs: 1_000 })
      yield* h.sleep(10)
      const restart = h.alerts.filter((x) => x.kind === "process-restart")
      assert.strictEqual(restart.length, 1)
      assert.match(restart[0]!.message, /^maker \(A\) restarted \(A was alive 15\d\d ms ago\)$/)
      yield* Fiber.interrupt(again)
    }))

  it.effect("orphan quotes of an earlier run: cancelled at start when cancelOrphansOnStart, left alone otherwise", () =>
    Effect.gen(function*() {
      for (const cancel of [true, false]) {
        const h = yield* harness()
        h.ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 900_000, clientOrderIndex: 999, postOnly: true, reduceOnly: false })
        const a = yield* h.startMaker({ cancelOrphansOnStart: cancel })
        yield* h.waitFor("A's own quote", () => activeOfA(h).some((o) => o.clientOrderIndex !== 999))
        assert.strictEqual(activeOfA(h).some((o) => o.clientOrderIndex === 999), !cancel, `cancelOrphansOnStart ${cancel}`)
        yield* Fiber.interrupt(a)
      }
    }))

  it.effect("a restart holding a long position (the whole quantity, or part of it) closes it first; a partly filled opening keeps buying", () =>
    Effect.gen(function*() {
      for (const filled of [60, 20]) {
        const h = yield* harness()
        const a = yield* h.startMaker()
        yield* h.waitFor("A's quote", () => activeOfA(h).length === 1)
        const first = activeOfA(h)[0]!
        assert.strictEqual(first.side, "buy")
        h.ex.fillOrder(first.orderIndex, filled)
        if (filled === 60) {
          yield* h.waitFor("the closing quote", () => activeOfA(h)[0]?.side === "sell")
        } else {
          yield* h.sleep(500)
          // Opening goes on until the whole quantity is bought: the same buy order rests, 40 left.
          assert.deepStrictEqual(activeOfA(h).map((o) => [o.side, o.orderIndex]), [["buy", first.orderIndex]])
        }
        yield* Fiber.interrupt(a)
        yield* h.sleep(100)
        assert.strictEqual(activeOfA(h).length, 0, "cancelled on exit")
        // Long at the restart: the position is closed before anything is opened again.
        const again = yield* h.startMaker()
        yield* h.waitFor("A's quote after the restart", () => activeOfA(h).length === 1)
        assert.deepStrictEqual([activeOfA(h)[0]!.side, activeOfA(h)[0]!.remainingBase], ["sell", filled], `long ${filled}`)
        yield* Fiber.interrupt(again)
      }
    }))

  it.effect("A reads its free collateral only with freeCollateralEveryMs, once per period", () =>
    Effect.gen(function*() {
      for (const [every, expected] of [[undefined, 0], [0, 0], [1_000, 3]] as const) {
        const h = yield* harness()
        let reads = 0
        const read = h.ex.freeCollateralOf.bind(h.ex)
        h.ex.freeCollateralOf = (account: number) => {
          if (account === A) reads++
          return read(account)
        }
        const a = yield* h.startMaker(every === undefined ? {} : { freeCollateralEveryMs: every })
        yield* h.sleep(2_500)
        assert.strictEqual(reads, expected, `freeCollateralEveryMs ${every}`)
        yield* Fiber.interrupt(a)
      }
    }))

  it.effect("market.depth counted in orders (the default) on a venue that cannot list them: refused at start with what to set; levels start", () =>
    Effect.gen(function*() {
      for (const depthUnit of ["orders", undefined, "levels"] as const) {
        const h = yield* harness()
        const { orderBookOrders: _, ...noOrders } = makeMemoryVenue(h.ex, A)
        const run = yield* runMaker(makerSettings(depthUnit === undefined ? {} : { depthUnit })).pipe(
          Effect.scoped,
          Effect.provide(Layer.mergeAll(
            Layer.succeed(Venue, Venue.of(noOrders)),
            MemoryAccountStream.layer(h.ex, A),
            Layer.succeed(Alerts, Alerts.of({ alert: () => Effect.void })),
            MemoryFillBus.make({ market }).layer,
            MemoryPairState.make().layer
          )),
          Effect.timeoutOption("1 second"),
          Effect.result,
          Effect.forkChild
        )
        yield* h.sleep(500)
        const quoted = activeOfA(h).length
        yield* h.sleep(600)
        const r = yield* Fiber.join(run)
        if (depthUnit === "levels") {
          assert.isTrue(r._tag === "Success", "levels need no order list: A runs")
          assert.strictEqual(quoted, 1, "and quotes")
        } else {
          assert.isTrue(r._tag === "Failure", `depth unit ${depthUnit}`)
          if (r._tag === "Failure") {
            assert.strictEqual((r.failure as VenueError).op, "orderBookOrders")
            assert.include((r.failure as VenueError).message, "set maker.depth_unit: levels")
          }
        }
      }
    }))

  it.effect("A never quotes blind: before its account stream is up, nothing is placed", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const a = yield* runMaker(makerSettings({ depthUnit: "levels" })).pipe(
        Effect.scoped,
        Effect.provide(Layer.mergeAll(
          MemoryVenue.layer(h.ex, A),
          Layer.succeed(AccountStream, AccountStream.of({ accountIndex: A, events: Stream.never })),
          Layer.succeed(Alerts, Alerts.of({ alert: () => Effect.void })),
          MemoryFillBus.make({ market }).layer,
          MemoryPairState.make().layer
        )),
        Effect.forkChild
      )
      yield* h.sleep(2_000)
      assert.strictEqual(activeOfA(h).length, 0)
      yield* Fiber.interrupt(a)
    }))

  processDutyTests("a", (h, over) => h.startMaker(over), "A (maker)")
})
