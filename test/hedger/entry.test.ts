// One entry of the fill stream through B (src/hedger/entry.ts), over the memory bus, state and
// exchange, on the TestClock: poison and refused entries go to the dead-letter stream with their
// reason (halt first, then the alert and the hook); duplicates are acknowledged and never hedged;
// a fill is hedged, recorded and acknowledged in one step; failures count, alert and halt at the
// limit; a success resets the count; a slippage breach halts.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Ref } from "effect"
import { TestClock } from "effect/testing"
import { hedgeClientIndex } from "../../src/domain/client-index.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { handleEntry } from "../../src/hedger/entry.ts"
import { A, advance, B, fillEvent, market, PRICE, setupB as setup } from "./b-fixture.ts"

/** The stream fields of fill 900:60 re-added by hand under a new entry id and fillSeq 9 (a replay). */
const replayedFill = (side: "buy" | "sell" = "buy", size = 60): Record<string, string> =>
  Object.fromEntries(Object.entries({
    fillId: "900:60", pair: "BTC:1-2", accountIndex: A, marketId: market.marketId, side, orderIndex: "900", clientOrderIndex: 77,
    filledBefore: 60 - size, filledAfter: 60, size, price: PRICE, venueTimestampMs: 1, detectedAtMs: 1, fillSeq: 9
  }).map(([k, v]) => [k, String(v)]))

describe("an entry B will not hedge", () => {
  it.effect("poison: halted first, moved to the dead-letter stream with its reason, alerted, the hook told; nothing sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.bus.inspect.injectRaw({ junk: "1" })
      const [entry] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      assert.strictEqual(entry!._tag, "Poison")
      yield* t.handle(entry!)
      assert.strictEqual(yield* t.state.tradingState(), "HALTED")
      const dead = t.bus.inspect.deadLetters()
      assert.strictEqual(dead.length, 1)
      assert.strictEqual(dead[0]!.entryId, entry!.entryId)
      assert.strictEqual(dead[0]!.reason, entry!._tag === "Poison" ? entry!.reason : "")
      assert.deepStrictEqual(dead[0]!.raw, { junk: "1" })
      assert.deepStrictEqual(t.seen.poison, [dead[0]!.reason])
      const poisonAlert = t.alerts.find((a) => a.kind === "poison-message")
      assert.isDefined(poisonAlert)
      assert.include(poisonAlert!.message, `fill entry ${entry!.entryId} moved to the dead-letter stream, never hedged: `)
      const halt = (yield* t.state.tradingStatus()).reason!
      assert.include(halt, `fill entry ${entry!.entryId} moved to the dead-letter stream: `)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
    })))

  it.effect("a fill of another pair, a fill larger than the bound: refused with the reason, never hedged", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const [f, why] of [
        [fillEvent({ pair: "ETH:1-2" }), /pair/],
        [fillEvent({ fillId: "900:700", filledAfter: 700, size: 700 }), /700/]
      ] as const) {
        const t = yield* setup()
        yield* t.handle(yield* t.deliver(f))
        assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
        assert.strictEqual(t.bus.inspect.deadLetters().length, 1)
        assert.match(t.seen.poison[0]!, why)
        assert.strictEqual(yield* t.state.tradingState(), "HALTED")
      }
    })))

  it.effect("a price far from the book is refused; without a book the entry is not judged (a venue error, looked at again)", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.handle(yield* t.deliver(fillEvent({ price: PRICE * 2 })))
      assert.strictEqual(t.bus.inspect.deadLetters().length, 1)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)

      const noBook = yield* setup({}, (v) => ({ ...v, orderBook: () => Effect.fail(new VenueError({ op: "orderBook", kind: "unavailable", message: "down" })) }))
      const e = yield* noBook.handle(yield* noBook.deliver(fillEvent())).pipe(Effect.flip)
      assert.strictEqual(e._tag, "VenueError")
      const empty = yield* setup({}, (v) => ({ ...v, orderBook: (m) => Effect.succeed({ marketId: m, bids: [], asks: [], timestampMs: 0 } as never) }))
      const e2 = yield* empty.handle(yield* empty.deliver(fillEvent())).pipe(Effect.flip)
      assert.strictEqual(e2._tag, "VenueError")
      assert.include((e2 as VenueError).message, "no order book to check fill 900:60's price against")
      assert.strictEqual(empty.bus.inspect.deadLetters().length, 0)
      assert.strictEqual(yield* empty.fillBus.pendingCount(), 1, "still pending")
      assert.strictEqual(yield* empty.state.tradingState(), "ACTIVE")
    })))
})

describe("a fill B hedged already", () => {
  it.effect("a copy under a new entry id: acknowledged as a duplicate, the hook told, nothing sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.handle(yield* t.deliver(fillEvent()))
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      // The same fill again, as a replayed stream entry (A's published level kept it off otherwise).
      const copyId = t.bus.inspect.injectRaw(replayedFill())
      const [copy] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      assert.strictEqual(copy!.entryId, copyId)
      assert.strictEqual(copy!._tag, "Fill")
      yield* t.handle(copy!)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      assert.strictEqual(t.seen.duplicates, 1)
      assert.strictEqual(t.seen.results.length, 1)
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
      assert.strictEqual(yield* t.state.tradingState(), "ACTIVE")
    })))

  it.effect("a copy that says another side or size than the hedged fill: refused, not acknowledged as a duplicate", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.handle(yield* t.deliver(fillEvent()))
      for (const [side, size] of [["sell", 60], ["buy", 40]] as const) {
        t.bus.inspect.injectRaw(replayedFill(side, size))
        const [copy] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
        yield* t.handle(copy!)
      }
      assert.strictEqual(t.seen.duplicates, 0)
      assert.strictEqual(t.bus.inspect.deadLetters().length, 2)
      assert.match(t.seen.poison[0]!, /conflicts with the hedged fill 900:60 \(A buy 60, fillSeq 1, entry \S+\): this entry says A sell 60/)
      assert.match(t.seen.poison[1]!, /this entry says A buy 40/)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
    })))

  it.effect("a copy of a fill whose hedge is in flight under another sequence number: a duplicate", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      // The intent of fillSeq 1 exists (B was hedging it when it died); the copy says fillSeq 9.
      yield* t.state.beginHedge({ fillId: "900:60", fillSeq: 1, signedDelta: -60, minBase: 1, nowMs: 0 })
      t.bus.inspect.injectRaw(replayedFill())
      const [copy] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      // First delivery of this entry, and the venue knows no order of its index: no intent is looked up,
      // so the hedge itself finds the other intent and says FillInFlight: still a duplicate.
      yield* t.handle(copy!)
      assert.strictEqual(t.seen.duplicates, 1)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
    })))

  it.effect("the first client index of the fill's sequence number already belongs to an order of another intent: refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.placeLimit({ accountIndex: B, marketId: market.marketId, side: "sell", base: 25, price: PRICE + 500, clientOrderIndex: hedgeClientIndex(7, 1, 1), postOnly: true, reduceOnly: false })
      yield* TestClock.adjust(5)
      yield* t.handle(yield* t.deliver(fillEvent()))
      assert.match(t.seen.poison[0]!, new RegExp(`client index ${hedgeClientIndex(7, 1, 1)} of fillSeq 1 already belongs to order \\S+ \\(sell 25\\) of another intent: a sequence number used twice`))
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
    })))
})

describe("a fill B hedges", () => {
  it.effect("hedged: the result recorded and the entry acknowledged in one step, the intent forgotten, the hook told", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.handle(yield* t.deliver(fillEvent()))
      assert.strictEqual(t.seen.results.length, 1)
      const r = t.seen.results[0]!
      assert.strictEqual(r.status, "hedged")
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
      const recorded = yield* t.fillBus.hedgeResults()
      assert.strictEqual(recorded.length, 1)
      assert.strictEqual(recorded[0]!.fillId, "900:60")
      assert.isTrue(Option.isSome(yield* t.fillBus.hedgedFill("900:60")))
      yield* TestClock.adjust(5)
      assert.isTrue(Option.isNone(yield* t.state.getIntent("900:60")), "forgotten once acknowledged")
      assert.strictEqual(t.alerts.length, 0)
    })))

  it.effect("failed hedges count in a row: an alert each, and the pair halts at risk.max_consecutive_failures", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({
        risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 2 }, intervalMs: 1_000, minBase: 20 }
      })
      t.ex.nextMarketOrders(B, ...Array.from({ length: 4 }, () => ({ kind: "reject" as const, code: 21739 })))
      yield* t.handle(yield* t.deliver(fillEvent()))
      assert.strictEqual(t.seen.results[0]!.status, "failed")
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 1)
      const retries = t.alerts.filter((a) => a.kind === "hedge-retries-exhausted")
      assert.strictEqual(retries.length, 1)
      assert.strictEqual(retries[0]!.message, "fill 900:60: failed after 2 attempt(s); 0.00060 BTC returned to the residual pool (for B to sell)")
      assert.strictEqual(yield* t.state.tradingState(), "ACTIVE", "one failure is below the limit")
      yield* t.handle(yield* t.deliver(fillEvent({ fillId: "901:60", orderIndex: "901", clientOrderIndex: 78 })))
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 2)
      assert.strictEqual(yield* t.state.tradingState(), "HALTED")
      assert.include((yield* t.state.tradingStatus()).reason!, "2 hedges in a row failed (risk.max_consecutive_failures 2)")
      // The pool's 60 joined the second fill's intent: 120 returned.
      assert.include(t.alerts.filter((a) => a.kind === "hedge-retries-exhausted")[1]!.message, "0.00120 BTC returned to the residual pool (for B to sell)")
    })))

  it.effect("without a limit, failures never halt; a hedged fill resets the count", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, ...Array.from({ length: 2 }, () => ({ kind: "reject" as const, code: 21739 })))
      yield* t.handle(yield* t.deliver(fillEvent()))
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 1)
      assert.strictEqual(yield* t.state.tradingState(), "ACTIVE")
      // The pool's 60 joins the next fill's intent; it is hedged in full.
      yield* t.handle(yield* t.deliver(fillEvent({ fillId: "901:60", orderIndex: "901", clientOrderIndex: 78 })))
      assert.strictEqual(t.seen.results[1]!.status, "hedged")
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 0)
    })))

  it.effect("a partial hedge also counts as a failure", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 }, { kind: "partial", fraction: 0 })
      yield* t.handle(yield* t.deliver(fillEvent({ side: "sell" })))
      assert.strictEqual(t.seen.results[0]!.status, "partial")
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 1)
      assert.strictEqual(
        t.alerts.find((a) => a.kind === "hedge-retries-exhausted")!.message,
        "fill 900:60: partial after 2 attempt(s); 0.00030 BTC returned to the residual pool (for B to buy)"
      )
    })))

  it.effect("a deferred fill is neither a failure nor a success", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* Ref.set(t.loop.failuresInARow, 1)
      yield* t.handle(yield* t.deliver(fillEvent({ fillId: "900:5", filledAfter: 5, size: 5 })))
      assert.strictEqual(t.seen.results[0]!.status, "deferred")
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 1)
      assert.strictEqual(t.alerts.length, 0)
    })))

  it.effect("a hedge that executed worse than risk.max_hedge_slippage_bps halts the pair", () =>
    Effect.scoped(Effect.gen(function*() {
      // The exchange fills B's sell 1 tick band below mid; a fill reported 1 % above mid makes that 1 % worse.
      const t = yield* setup({
        risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0, maxHedgeSlippageBps: 10 }, intervalMs: 1_000, minBase: 20 },
        slippageBps: 200
      })
      yield* t.handle(yield* t.deliver(fillEvent({ price: PRICE + 10_000 })))
      assert.strictEqual(t.seen.results[0]!.status, "hedged")
      assert.strictEqual(yield* t.state.tradingState(), "HALTED")
      assert.match((yield* t.state.tradingStatus()).reason!, /slippage/)
      // Within the bound: no halt.
      const ok = yield* setup({
        risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0, maxHedgeSlippageBps: 10 }, intervalMs: 1_000, minBase: 20 }
      })
      yield* ok.handle(yield* ok.deliver(fillEvent()))
      assert.strictEqual(yield* ok.state.tradingState(), "ACTIVE")
    })))

  it.effect("a fill redelivered while its hedge is open is resumed, even when the price has moved far since (it was checked on its first delivery)", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.fillBus.publishFill(fillEvent())
      const [first] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      // B began the hedge and died before sending.
      yield* t.state.beginHedge({ fillId: "900:60", fillSeq: 1, signedDelta: -60, minBase: 1, nowMs: 0 })
      t.ex.setMid(market.marketId, PRICE * 2)
      const [again] = yield* t.fillBus.readOwnPending("b1", 1)
      assert.strictEqual(again!.entryId, first!.entryId)
      assert.strictEqual((again as { deliveries: number }).deliveries, 2)
      yield* t.handle(again!)
      assert.strictEqual(t.bus.inspect.deadLetters().length, 0)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      assert.strictEqual(t.seen.results[0]!.fillId, "900:60")
    })))

  it.effect("without hooks (no console, no metrics) duplicates and results are handled all the same", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const { onDuplicate: _d, onResult: _r, onPoison: _p, ...bare } = t.settings
      const entry = yield* t.deliver(fillEvent())
      yield* t.handle(entry, bare)
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
      t.bus.inspect.injectRaw(replayedFill())
      const [copy] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      yield* t.handle(copy!, bare)
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
      t.bus.inspect.injectRaw({ junk: "1" })
      const [poison] = yield* t.fillBus.readNew({ consumer: "b1", count: 1, blockMs: 0 })
      yield* t.handle(poison!, bare)
      assert.strictEqual(t.bus.inspect.deadLetters().length, 1)
    })))

  it.effect("a hedge a flatten settled is neither a failure nor a success of B", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* Ref.set(t.loop.failuresInARow, 1)
      // B's order is answered late; the flatten lands meanwhile.
      t.ex.nextMarketOrders(B, { kind: "delay", ms: 1_000 })
      const entry = yield* t.deliver(fillEvent())
      const fiber = yield* handleEntry(entry, t.watcher, t.settings, t.loop).pipe(Effect.provideContext(t.ctx), Effect.forkChild)
      yield* advance(100)
      yield* t.state.fenceFlatten("F1")
      yield* advance(3_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(t.seen.results[0]!.settledByFlatten, "F1")
      assert.strictEqual(yield* Ref.get(t.loop.failuresInARow), 1)
      assert.strictEqual(t.alerts.filter((a) => a.kind === "hedge-retries-exhausted").length, 0)
    })))
})
