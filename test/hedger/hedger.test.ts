// Process B's own duties besides hedging (src/hedger/hedger.ts), on the TestClock over the memory
// bus and exchange: its heartbeat (consumer, the stream's state now, a counter that moves, kept
// for three beats), the restart alert with how long ago B was last alive, and B's free
// collateral read only when its limit is on.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { processDutyTests } from "../pair/process-duties.ts"
import { makeHarness, market } from "../pair/harness.ts"

const harness = (exOptions: Parameters<typeof makeHarness>[1] = {}) =>
  makeHarness(Layer.mergeAll(MemoryFillBus.make({ market }).layer, MemoryPairState.make().layer), exOptions, { virtualTime: true })

describe("process B", () => {
  it.effect("beats every heartbeatMs: its consumer, whether its stream is up now, and a counter; the last beat lasts three beats", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const b = yield* h.startHedger({ heartbeatMs: 200, consumer: "b7" })
      yield* h.sleep(50)
      const first = yield* h.heartbeatStatus("b")
      assert.deepStrictEqual(first, { consumer: "b7", streamConnected: true, beat: 1 })
      yield* h.sleep(200)
      assert.strictEqual((yield* h.heartbeatStatus("b"))?.["beat"], 2)
      // The stream drops: the next beat says so.
      h.ex.dropStream(2)
      yield* h.sleep(200)
      assert.strictEqual((yield* h.heartbeatStatus("b"))?.["streamConnected"], false)
      // B stops: its last beat is still there for (just under) three beats, then gone.
      yield* Fiber.interrupt(b)
      yield* h.sleep(400)
      assert.isTrue(yield* h.alive("b"))
      yield* h.sleep(300)
      assert.isFalse(yield* h.alive("b"))
    }))

  it.effect("started again while its last beat is still there: a restart alert that says how long ago B was alive", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      // Far from the clock's origin: how long ago is a difference of two wall times.
      yield* TestClock.adjust(100_000)
      const first = yield* h.startHedger({ heartbeatMs: 1_000 })
      yield* h.sleep(10)
      yield* Fiber.interrupt(first)
      assert.deepStrictEqual(h.alerts.filter((a) => a.kind === "process-restart"), [])
      yield* h.sleep(1_500)
      const again = yield* h.startHedger({ heartbeatMs: 1_000 })
      yield* h.sleep(10)
      const restart = h.alerts.filter((a) => a.kind === "process-restart")
      assert.strictEqual(restart.length, 1)
      assert.match(restart[0]!.message, /^hedger b1 restarted \(B was alive 15\d\d ms ago\)$/)
      yield* Fiber.interrupt(again)
    }))

  it.effect("B's free collateral is read only when risk.min_free_collateral is on, every freeCollateralEveryMs", () =>
    Effect.gen(function*() {
      const limits = { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0 }
      for (const [min, expected] of [[0, 0], [1_000, 3]] as const) {
        const h = yield* harness()
        let reads = 0
        const read = h.ex.freeCollateralOf.bind(h.ex)
        h.ex.freeCollateralOf = (account: number) => {
          if (account === 2) reads++
          return read(account)
        }
        const b = yield* h.startHedger({
          risk: { limits: { ...limits, minFreeCollateralMicro: min }, intervalMs: 100, minBase: 20, freeCollateralEveryMs: 1_000 }
        })
        yield* h.sleep(2_500)
        assert.strictEqual(reads, expected, `min ${min}`)
        yield* Fiber.interrupt(b)
      }
    }))

  it.effect("without a previous beat there is no restart alert", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const b = yield* h.startHedger()
      yield* h.sleep(50)
      assert.isTrue(Option.isNone(Option.fromUndefinedOr(h.alerts.find((a) => a.kind === "process-restart"))))
      yield* Fiber.interrupt(b)
    }))

  processDutyTests("b", (h, over) => h.startHedger(over), "B (hedger b1)")
})
