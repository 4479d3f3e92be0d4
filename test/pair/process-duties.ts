// Duties A and B share besides trading, tested the same way for each (test/maker/maker.test.ts,
// test/hedger/hedger.test.ts), on the TestClock over the memory bus and exchange: beats go on after
// the pair's state was unreachable, a clock off the venue's is alerted when
// risk.max_clock_skew_ms is set, and a force close is answered within forceClosePollMs.
import { assert, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer } from "effect"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { A, B, type Harness, makeHarness, market } from "./harness.ts"

/** What both programs take for these duties. */
export interface DutySettings {
  readonly heartbeatMs?: number
  readonly clockSkew?: { readonly maxSkewMs: number; readonly everyMs?: number; readonly windowMs?: number }
  readonly forceClosePollMs?: number
}

/** The harness with its pair state's handle (to make it unreachable for a while). */
export const harnessWithState = (exOptions: Parameters<typeof makeHarness>[1] = {}) =>
  Effect.gen(function*() {
    const state = MemoryPairState.make()
    const h = yield* makeHarness(Layer.mergeAll(MemoryFillBus.make({ market }).layer, state.layer), exOptions, { virtualTime: true })
    return { h, state }
  })

/**
 * Registers the shared tests for one program: `start` starts it on the harness, `role` is its
 * heartbeat's, `who` how the skew alert names it ("B (hedger b1)").
 */
export const processDutyTests = (
  role: "a" | "b",
  start: (h: Harness, over: DutySettings) => Effect.Effect<Fiber.Fiber<unknown, unknown>>,
  who: string
) => {
  it.effect("a beat that cannot be written is a warning; the beats go on once the state is back", () =>
    Effect.gen(function*() {
      const { h, state } = yield* harnessWithState()
      const p = yield* start(h, { heartbeatMs: 200 })
      yield* h.sleep(300)
      state.inspect.setUnavailable(true)
      yield* h.sleep(1_000)
      state.inspect.setUnavailable(false)
      // Its last beat has expired meanwhile.
      const before = (yield* h.heartbeatStatus(role))?.["beat"] as number | undefined
      assert.isUndefined(before)
      yield* h.sleep(500)
      assert.isAbove((yield* h.heartbeatStatus(role))?.["beat"] as number, 1)
      yield* Fiber.interrupt(p)
    }))

  it.effect("risk.max_clock_skew_ms: a clock a minute off the venue's is alerted, naming whose; 0 does not look", () =>
    Effect.gen(function*() {
      for (const maxSkewMs of [1_000, 0]) {
        const clock = yield* Clock.clockWith(Effect.succeed)
        // The venue's clock is a minute behind this host's.
        const { h } = yield* harnessWithState({ now: () => Math.floor(clock.currentTimeMillisUnsafe()) - 60_000 })
        const p = yield* start(h, { clockSkew: { maxSkewMs, everyMs: 100, windowMs: 500 } })
        yield* h.sleep(1_500)
        const skew = h.alerts.filter((a) => a.kind === "clock-skew")
        if (maxSkewMs === 0) assert.deepStrictEqual(skew, [])
        else assert.isTrue((skew[0]?.message ?? "").startsWith(`${who}'s clock is 60000 ms ahead of the venue's (risk.max_clock_skew_ms 1000)`), skew[0]?.message)
        yield* Fiber.interrupt(p)
      }
    }))

  it.effect("a force close is answered within forceClosePollMs (1 s by default): the program closes its own position reduce-only", () =>
    Effect.gen(function*() {
      // A holds the pair's long leg, B its short one.
      const account = role === "a" ? A : B
      const opened = role === "a" ? "buy" : "sell"
      for (const [pollMs, notYetAt, answeredBy] of [[100, undefined, 250], [undefined, 500, 1_200]] as const) {
        const { h } = yield* harnessWithState()
        h.ex.placeMarket({ accountIndex: account, marketId: market.marketId, side: opened, base: 60, priceCap: opened === "buy" ? 10_000_000 : 1, clientOrderIndex: 5, reduceOnly: false })
        const p = yield* start(h, pollMs === undefined ? {} : { forceClosePollMs: pollMs })
        yield* h.sleep(50)
        yield* h.pairState.requestForceClose({ id: "FC1", reason: "test", requestedAtMs: 0 })
        const closes = () => h.ex.marketOrdersReceived.filter((o) => o.accountIndex === account && o.reduceOnly)
        if (notYetAt !== undefined) {
          yield* h.sleep(notYetAt)
          assert.strictEqual(closes().length, 0, `not yet at ${notYetAt} ms`)
        }
        yield* h.sleep(answeredBy - (notYetAt ?? 0))
        assert.strictEqual(closes().length, 1, `by ${answeredBy} ms (poll ${pollMs})`)
        assert.strictEqual(closes()[0]!.side, opened === "buy" ? "sell" : "buy")
        assert.strictEqual(closes()[0]!.base, 60)
        yield* Fiber.interrupt(p)
      }
    }))

  it.effect("without risk.max_clock_skew_ms, or with 0, the venue's clock is never sampled (no book read after the start while the pair is halted)", () =>
    Effect.gen(function*() {
      for (const clockSkew of [undefined, { maxSkewMs: 0, everyMs: 100 }]) {
        const { h } = yield* harnessWithState()
        yield* h.setTradingState("HALTED", "test")
        let reads = 0
        const book = h.ex.book.bind(h.ex)
        h.ex.book = (...args: Parameters<typeof book>) => (reads++, book(...args))
        const p = yield* start(h, clockSkew === undefined ? {} : { clockSkew })
        // What the start itself reads (B looks at the book once) is not a sample.
        yield* h.sleep(500)
        const atStart = reads
        yield* h.sleep(3_000)
        assert.strictEqual(reads - atStart, 0, `clockSkew ${JSON.stringify(clockSkew)}`)
        yield* Fiber.interrupt(p)
      }
    }))

  it.effect("the pair's state unreachable at start (its last beat cannot be read): the program starts, and beats once it is back", () =>
    Effect.gen(function*() {
      const { h, state } = yield* harnessWithState()
      state.inspect.setUnavailable(true)
      const p = yield* start(h, { heartbeatMs: 200 })
      yield* h.sleep(300)
      state.inspect.setUnavailable(false)
      yield* h.sleep(500)
      assert.isAbove((yield* h.heartbeatStatus(role))?.["beat"] as number, 0)
      yield* Fiber.interrupt(p)
    }))
}
