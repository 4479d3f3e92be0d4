// One entry through B (src/hedger/entry.ts), more: a refusal's reason is cut to 200 characters in
// the halt reason and 300 in the alert (the dead-letter stream keeps it whole); a fill without a
// book to check its price against fails as the venue error of the "checkFill" step; the intent is
// looked up only for an entry delivered before or whose first client index the venue knows (a
// fresh fill costs no round trip), and such an entry with its intent is resumed, not refused; a
// slippage check that fails does not fail the (recorded) hedge; a hedge a flatten settled says so
// in the log (nothing went to the residual pool).
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Logger, Ref } from "effect"
import { BusError } from "../../src/bus/errors.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { hedgeClientIndex } from "../../src/domain/client-index.ts"
import { handleEntry } from "../../src/hedger/entry.ts"
import type { VenueError } from "../../src/venue/errors.ts"
import { advance, B, fillEvent, market, PRICE, setupB as setup } from "./b-fixture.ts"

/** B's pair state with getIntent counted, and setTradingState failing when `haltFails`. */
const instrumented = (t: Effect.Success<ReturnType<typeof setup>>, haltFails = false) => {
  const lookups: Array<string> = []
  const state = Context.get(t.ctx, PairState)
  const ctx = Context.add(t.ctx, PairState, PairState.of({
    ...state,
    getIntent: (fillId) => Effect.suspend(() => {
      lookups.push(fillId)
      return state.getIntent(fillId)
    }),
    setTradingState: (s, reason) =>
      haltFails ? Effect.fail(new BusError({ op: "setTradingState", message: "pair state down (test)" })) : state.setTradingState(s, reason)
  }))
  const handle = (e: Parameters<typeof handleEntry>[0]) =>
    Effect.gen(function*() {
      const fiber = yield* handleEntry(e, t.watcher, t.settings, t.loop).pipe(Effect.provideContext(ctx), Effect.forkChild)
      yield* advance(2_000)
      return yield* Fiber.join(fiber)
    })
  return { lookups, handle }
}

describe("a refused entry's reason", () => {
  it.effect("is kept whole in the dead-letter stream, cut to 200 characters in the halt reason and 300 in the alert", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      // An entry of no fill field at all: the reason names every one of them.
      t.bus.inspect.injectRaw({ junk: "1" })
      const [entry] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      yield* t.handle(entry!)
      const reason = t.bus.inspect.deadLetters()[0]!.reason
      assert.isAbove(reason.length, 300)
      assert.deepStrictEqual(t.seen.poison, [reason])
      assert.strictEqual((yield* t.state.tradingStatus()).reason, `fill entry ${entry!.entryId} moved to the dead-letter stream: ${reason.slice(0, 200)}`)
      assert.strictEqual(
        t.alerts.find((a) => a.kind === "poison-message")!.message,
        `fill entry ${entry!.entryId} moved to the dead-letter stream, never hedged: ${reason.slice(0, 300)}`
      )
    })))
})

describe("a fill's price check", () => {
  it.effect("without a book: the venue error of the checkFill step, nothing refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({}, (v) => ({ ...v, orderBook: (m) => Effect.succeed({ marketId: m, bids: [], asks: [], timestampMs: 0 } as never) }))
      const e = (yield* t.handle(yield* t.deliver(fillEvent())).pipe(Effect.flip)) as VenueError
      assert.strictEqual(e._tag, "VenueError")
      assert.strictEqual(e.op, "checkFill")
      assert.strictEqual(e.kind, "unavailable")
      assert.strictEqual(t.bus.inspect.deadLetters().length, 0)
    })))
})

describe("the fill's hedge intent is looked up", () => {
  it.effect("not for a fill delivered the first time whose first client index the venue does not know", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const s = instrumented(t)
      yield* s.handle(yield* t.deliver(fillEvent()))
      assert.strictEqual(t.seen.results[0]!.status, "hedged")
      assert.deepStrictEqual(s.lookups, [])
    })))

  it.effect("for a fill delivered before", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const s = instrumented(t)
      yield* t.fillBus.publishFill(fillEvent())
      yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      const [again] = yield* t.fillBus.readOwnPending("b1", 1)
      yield* s.handle(again!)
      assert.strictEqual(t.seen.results[0]!.status, "hedged")
      assert.deepStrictEqual(s.lookups, ["900:60"])
    })))

  it.effect("for a first delivery whose first client index the venue knows: with its intent, the hedge is resumed (not refused as a sequence number used twice)", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const s = instrumented(t)
      // B began this fill's hedge and sent attempt 1 (it filled), then died; the entry comes (again) as new.
      yield* t.state.beginHedge({ fillId: "900:60", fillSeq: 1, signedDelta: -60, minBase: 1, nowMs: 0 })
      t.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: 60, priceCap: PRICE - 10_000, clientOrderIndex: hedgeClientIndex(7, 1, 1), reduceOnly: false })
      yield* advance(20)
      assert.isDefined(t.watcher.latest(hedgeClientIndex(7, 1, 1)))
      const entry = yield* t.deliver(fillEvent())
      assert.strictEqual((entry as { deliveries: number }).deliveries, 1)
      yield* s.handle(entry)
      assert.deepStrictEqual(s.lookups, ["900:60"])
      assert.strictEqual(t.bus.inspect.deadLetters().length, 0)
      assert.deepStrictEqual(t.seen.poison, [])
      assert.strictEqual(t.seen.results.length, 1)
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
    })))
})

describe("a slippage check that fails", () => {
  it.effect("is logged only: the hedge stays recorded and acknowledged, the hook told", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({
        risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0, maxHedgeSlippageBps: 10 }, intervalMs: 1_000, minBase: 20 },
        slippageBps: 200
      })
      // A breach, whose halt cannot be written.
      const s = instrumented(t, true)
      yield* s.handle(yield* t.deliver(fillEvent({ price: PRICE + 10_000 })))
      assert.strictEqual(t.seen.results[0]!.status, "hedged")
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
      assert.strictEqual((yield* t.fillBus.hedgeResults()).length, 1)
      assert.strictEqual(yield* t.state.tradingState(), "ACTIVE")
    })))
})

describe("a hedge a flatten settled", () => {
  it.effect("is logged as settled by the flatten, with what B's orders did and nothing returned to the pool", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const lines: Array<string> = []
      yield* Ref.set(t.loop.failuresInARow, 1)
      // B's order is answered late; the flatten lands meanwhile.
      t.ex.nextMarketOrders(B, { kind: "delay", ms: 1_000 })
      const entry = yield* t.deliver(fillEvent())
      const fiber = yield* handleEntry(entry, t.watcher, t.settings, t.loop).pipe(
        Effect.provideContext(t.ctx),
        Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))])),
        Effect.forkChild
      )
      yield* advance(100)
      yield* t.state.fenceFlatten("F1")
      yield* advance(3_000)
      yield* Fiber.join(fiber)
      const r = t.seen.results[0]!
      assert.strictEqual(r.settledByFlatten, "F1")
      const said = lines.filter((l) => l.startsWith("fill 900:60 settled by flatten F1 while B hedged it: "))
      assert.strictEqual(said.length, 1, lines.join("\n"))
      assert.match(said[0]!, /, which the flatten closes; nothing returned to the residual pool$/)
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 1)
    })))
})
