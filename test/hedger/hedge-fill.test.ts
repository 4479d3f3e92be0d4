// One fill hedged on B (src/hedger/hedge-fill.ts), on its own, over the memory state and
// exchange and on the TestClock: what is sent (side, size, cap, client index), what the result
// and the intent record, the self-trade guard's wait for A's quote, a client index another order
// already holds, a send refused for its signature, a send whose outcome is unknown (the order
// found, never seen, or another intent's), and a redelivered fill resuming its intent.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { BusError } from "../../src/bus/errors.ts"
import { PairState } from "../../src/bus/PairState.ts"
import type { OrderBookTop } from "../../src/domain/events.ts"
import { priceCap } from "../../src/domain/hedge-plan.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"
import { FillInFlight, hedgeFill } from "../../src/hedger/hedge-fill.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { advance } from "./b-fixture.ts"
import { B, fillOf, indexOf, market, PRICE, settings, setup } from "./hedge-fill-fixture.ts"

describe("hedging one fill", () => {
  it.effect("A bought: one IOC sell of the fill's size, capped at the slippage band, recorded with its outcome", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(50)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      const sent = t.ex.marketOrdersReceived[0]!
      assert.deepStrictEqual(
        { side: sent.side, base: sent.base, cap: sent.priceCap, coi: sent.clientOrderIndex, reduceOnly: sent.reduceOnly },
        { side: "sell", base: 60, cap: priceCap("sell", PRICE, 50), coi: indexOf(5, 1), reduceOnly: false }
      )
      assert.strictEqual(r.status, "hedged")
      assert.strictEqual(r.targetSignedBase, -60)
      assert.strictEqual(r.hedgedSignedBase, -60)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(r.receivedAtMs, 1)
      assert.strictEqual(r.attempts.length, 1)
      const a = r.attempts[0]!
      const order = t.ex.orderByClientIndex(B, market.marketId, indexOf(5, 1))!
      assert.strictEqual(a.filledBase, 60)
      assert.strictEqual(a.orderIndex, order.orderIndex)
      assert.isDefined(a.avgPrice)
      assert.isAtMost(a.avgPrice!, PRICE)
      assert.isAtLeast(a.avgPrice!, a.priceCap)
      assert.isDefined(a.filledQuoteMicro)
      assert.isUndefined(a.error)
      // The intent is done and the pool empty.
      const intent = yield* t.state.getIntent("1:77:60")
      assert.strictEqual(Option.getOrThrow(intent).status, "done")
      assert.strictEqual(yield* t.state.residualPool(), 0)
    })))

  it.effect("A sold: B buys, capped above the fill's price", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const fiber = yield* t.hedge(fillOf({ side: "sell" })).pipe(Effect.forkChild)
      yield* advance(50)
      const r = yield* Fiber.join(fiber)
      const sent = t.ex.marketOrdersReceived[0]!
      assert.strictEqual(sent.side, "buy")
      assert.strictEqual(sent.priceCap, priceCap("buy", PRICE, 50))
      assert.strictEqual(r.hedgedSignedBase, 60)
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("an IOC half filled: the rest is sent as attempt 2; what three attempts leave goes back to the pool (partial)", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 }, { kind: "partial", fraction: 0 }, { kind: "partial", fraction: 0 })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(200)
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => [o.base, o.clientOrderIndex]), [[60, indexOf(5, 1)], [30, indexOf(5, 2)], [30, indexOf(5, 3)]])
      assert.strictEqual(r.status, "partial")
      // An IOC that filled nothing has no price and no notional.
      assert.isUndefined(r.attempts[1]!.avgPrice)
      assert.isUndefined(r.attempts[1]!.filledQuoteMicro)
      assert.isDefined(r.attempts[1]!.orderIndex)
      assert.strictEqual(r.hedgedSignedBase, -30)
      assert.strictEqual(r.residualSignedBase, -30)
      assert.strictEqual(yield* t.state.residualPool(), -30)
      // Nothing filled at all: failed.
      t.ex.nextMarketOrders(B, { kind: "partial", fraction: 0 }, { kind: "partial", fraction: 0 }, { kind: "partial", fraction: 0 })
      const f2 = yield* t.hedge(fillOf({ fillId: "1:78:60", fillSeq: 6, clientOrderIndex: 78 })).pipe(Effect.forkChild)
      yield* advance(200)
      const r2 = yield* Fiber.join(f2)
      assert.strictEqual(r2.status, "failed")
      assert.strictEqual(r2.hedgedSignedBase, 0)
      // The pool's -30 joined this intent: its target was -90, all of it returned.
      assert.strictEqual(r2.targetSignedBase, -90)
      assert.strictEqual(r2.residualSignedBase, -90)
    })))

  it.effect("below the venue minimum: deferred, nothing sent, the size waits in the pool", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const r = yield* t.hedge(fillOf({ size: 5, filledAfter: 5, fillId: "1:77:5" }))
      assert.strictEqual(r.status, "deferred")
      assert.strictEqual(r.targetSignedBase, 0)
      assert.strictEqual(r.hedgedSignedBase, 0)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      assert.strictEqual(yield* t.state.residualPool(), -5)
    })))

  it.effect("a residual flush adds nothing to the pool: it hedges what the pool holds", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.hedge(fillOf({ size: 15, filledAfter: 15, fillId: "1:77:15" })) // deferred: pool -15
      yield* t.hedge(fillOf({ size: 15, filledAfter: 30, fillId: "1:77:30", fillSeq: 6 })) // pool -30: hedged
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      assert.strictEqual(t.ex.marketOrdersReceived[0]!.base, 30)
    })))
})

describe("the self-trade guard waits for A's quote", () => {
  /** B's book: A's own buy quote is the best bid. */
  const bookWith = (bestBid: number): OrderBookTop => ({
    marketId: market.marketId,
    bids: [{ price: bestBid, size: 60 }],
    asks: [{ price: PRICE + 10, size: 60 }],
    timestampMs: 0
  } as unknown as OrderBookTop)

  const guarded = (getBook: () => OrderBookTop) =>
    setup({ wrap: (v) => ({ ...v, orderBook: () => Effect.sync(getBook) }) })

  // A's buy quote above B's cap: selling down to the cap would trade with A's own order.
  const QUOTE = PRICE - 100
  const cap = priceCap("sell", PRICE, 50)

  /** A's buy quote at QUOTE published (`quoteIndex`: its client index), then B's hedge of A's fill started. */
  const hedgeBehindQuote = (t: Effect.Success<ReturnType<typeof setup>>, quoteIndex = 90) =>
    Effect.gen(function*() {
      yield* t.state.publishQuote(Option.some({ side: "buy", price: QUOTE, clientOrderIndex: quoteIndex, base: 60 }))
      return yield* t.hedge(fillOf()).pipe(Effect.forkChild)
    })

  /** The caps of the orders B sent, once its hedge is done. */
  const capsSent = (t: Effect.Success<ReturnType<typeof setup>>, fiber: Fiber.Fiber<unknown, unknown>) =>
    Effect.gen(function*() {
      yield* Fiber.join(fiber)
      return t.ex.marketOrdersReceived.map((o) => o.priceCap)
    })

  it.effect("the quote goes away while B waits: B sends with its own cap", () =>
    Effect.scoped(Effect.gen(function*() {
      const book = bookWith(QUOTE)
      const t = yield* guarded(() => book)
      const fiber = yield* hedgeBehindQuote(t)
      yield* advance(1_000)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0, "nothing sent while A's quote blocks the way")
      yield* t.state.publishQuote(Option.none())
      yield* advance(200)
      assert.deepStrictEqual(yield* capsSent(t, fiber), [cap])
    })))

  it.effect("the quote stays: after 3 s B sends anyway, capped one tick short of A's quote", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* guarded(() => bookWith(QUOTE))
      const fiber = yield* hedgeBehindQuote(t)
      yield* advance(2_900)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      yield* advance(300)
      assert.deepStrictEqual(yield* capsSent(t, fiber), [QUOTE + 1])
    })))

  it.effect("someone else bids above A's quote: B sends at once, capped one tick short of A's quote", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* guarded(() => bookWith(QUOTE + 1))
      const fiber = yield* hedgeBehindQuote(t)
      yield* advance(20)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1, "sent without waiting")
      assert.deepStrictEqual(yield* capsSent(t, fiber), [QUOTE + 1])
    })))

  it.effect("no book at all counts as blocked: B waits the 3 s, then sends capped", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({ wrap: (v) => ({ ...v, orderBook: () => Effect.fail(new VenueError({ op: "orderBook", kind: "unavailable", message: "down" })) }) })
      const fiber = yield* hedgeBehindQuote(t)
      yield* advance(2_900)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      yield* advance(300)
      assert.deepStrictEqual(yield* capsSent(t, fiber), [QUOTE + 1])
    })))

  it.effect("the quote A's own fill completed is not in the way: sent at once with B's cap", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* guarded(() => bookWith(QUOTE))
      // The fill reached the quote's whole size (filledAfter 60 of 60): it rests no more.
      const fiber = yield* hedgeBehindQuote(t, 77)
      yield* advance(20)
      assert.deepStrictEqual(yield* capsSent(t, fiber), [cap])
    })))
})

describe("client indexes are never reused", () => {
  it.effect("an index another order already holds is not sent: alarm, halt, and the next attempt goes out under its own index", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      // An old order of another intent holds attempt 1's index (a sequence number used twice).
      t.ex.placeLimit({ accountIndex: B, marketId: market.marketId, side: "buy", base: 20, price: 900_000, clientOrderIndex: indexOf(5, 1), postOnly: true, reduceOnly: false })
      yield* advance(10)
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(100)
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => o.clientOrderIndex), [indexOf(5, 2)])
      assert.strictEqual(r.attempts.length, 2)
      assert.strictEqual(r.attempts[0]!.filledBase, 0)
      assert.match(r.attempts[0]!.error!, new RegExp(`client index ${indexOf(5, 1)} \\(fillSeq 5, attempt 1\\) is already taken by order \\S+ \\(buy 20, open\\): not sent`))
      assert.strictEqual(r.status, "hedged")
      assert.strictEqual(yield* t.state.tradingState(), "HALTED")
      assert.isTrue(t.alerts.some((a) => a.kind === "halted" && /client index conflict on fill 1:77:60/.test(a.message)))
      // Recorded before anything else: the intent holds the refused attempt.
      const intent = Option.getOrThrow(yield* t.state.getIntent("1:77:60"))
      assert.strictEqual(intent.attempts[0]!.error, r.attempts[0]!.error)
    })))

  it.effect("a conflict while the pair is stopped already: an alert that names the state, the state kept", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.setTradingState("REDUCING", "operator")
      t.ex.placeLimit({ accountIndex: B, marketId: market.marketId, side: "buy", base: 20, price: 900_000, clientOrderIndex: indexOf(5, 1), postOnly: true, reduceOnly: false })
      yield* advance(10)
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(100)
      yield* Fiber.join(fiber)
      assert.strictEqual(yield* t.state.tradingState(), "REDUCING")
      const alert = t.alerts.find((a) => a.kind === "halted")
      assert.isDefined(alert)
      assert.match(alert!.message, /client index conflict on fill 1:77:60 \(pair REDUCING already\)/)
    })))
})

describe("a send that fails", () => {
  it.effect("refused for its signature: not retried, the attempt fails with the code, the next attempt is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      let sends = 0
      const t = yield* setup({
        wrap: (v) => ({
          ...v,
          placeMarket: (req) =>
            Effect.suspend(() =>
              ++sends === 1 ? Effect.fail(new VenueError({ op: "placeMarket", kind: "rejected", code: 21120, message: "invalid signature" })) : v.placeMarket(req)
            )
        })
      })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(100)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(sends, 2, "the refused send is not sent again")
      assert.strictEqual(r.attempts[0]!.error, "rejected 21120: invalid signature")
      assert.strictEqual(r.attempts[0]!.filledBase, 0)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => o.clientOrderIndex), [indexOf(5, 2)])
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("a retryable failure is sent again under the same index, up to sendRetries times; then the attempt fails", () =>
    Effect.scoped(Effect.gen(function*() {
      let calls = 0
      const t = yield* setup({
        wrap: (v) => ({
          ...v,
          placeMarket: (req) =>
            Effect.suspend(() => {
              calls++
              return req.clientOrderIndex === indexOf(5, 1)
                ? Effect.fail(new VenueError({ op: "placeMarket", kind: "rate-limited", code: 23000, message: "Too Many Requests!" }))
                : v.placeMarket(req)
            })
        })
      })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(500)
      const r = yield* Fiber.join(fiber)
      // 1 + sendRetries (2) sends of attempt 1, then attempt 2.
      assert.strictEqual(calls, 4)
      assert.strictEqual(r.attempts[0]!.error, "rate-limited 23000: Too Many Requests!")
      assert.strictEqual(r.attempts[1]!.filledBase, 60)
    })))

  it.effect("a rejection without a code says so without one", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({
        wrap: (v) => ({ ...v, placeMarket: () => Effect.fail(new VenueError({ op: "placeMarket", kind: "rejected", message: "nope" })) })
      })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(100)
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(r.attempts.map((a) => a.error), ["rejected: nope", "rejected: nope", "rejected: nope"])
      assert.strictEqual(r.status, "failed")
      assert.strictEqual(r.residualSignedBase, -60)
    })))
})

describe("a send whose outcome is unknown is resolved, never sent again blindly", () => {
  it.effect("the order reached the venue: its fill is the attempt's outcome", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, { kind: "ack-lost" })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(2_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      assert.strictEqual(r.attempts.length, 1)
      assert.strictEqual(r.attempts[0]!.filledBase, 60)
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("the venue never saw it: the attempt is recorded as never reached, and the next one is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, { kind: "lost" })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(5_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.attempts[0]!.error, "never reached the venue")
      assert.strictEqual(r.attempts[0]!.filledBase, 0)
      assert.strictEqual(r.attempts[1]!.filledBase, 60)
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("an order of another side or size under the index is another intent's: alarmed, not adopted", () =>
    Effect.gen(function*() {
      for (const [side, base, price] of [["buy", 25, 900_000], ["sell", 25, 1_100_000], ["buy", 60, 900_000]] as const) {
        yield* Effect.scoped(Effect.gen(function*() {
          const t = yield* setup({
            wrap: (v, ex) => ({
              ...v,
              placeMarket: (req) =>
                req.clientOrderIndex === indexOf(5, 1)
                  ? Effect.sync(() =>
                    // Another order holds the index at the venue (placed behind B's back), and the send's answer is lost.
                    ex.placeLimit({ accountIndex: B, marketId: market.marketId, side, base, price, clientOrderIndex: req.clientOrderIndex, postOnly: true, reduceOnly: false })
                  ).pipe(Effect.andThen(Effect.fail(new VenueError({ op: "placeMarket", kind: "unknown-outcome", message: "no answer" }))))
                  : v.placeMarket(req)
            })
          })
          const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
          yield* advance(5_000)
          const r = yield* Fiber.join(fiber)
          assert.match(r.attempts[0]!.error!, new RegExp(`belongs to another order \\S+ \\(${side} ${base}, open\\) at the venue: its outcome is not adopted`))
          assert.strictEqual(r.attempts[0]!.filledBase, 0)
          assert.isUndefined(r.attempts[0]!.orderIndex)
          assert.strictEqual(yield* t.state.tradingState(), "HALTED")
          assert.strictEqual(r.attempts[1]!.filledBase, 60)
        }))
      }
    }))

  it.effect("the order is still resting when B asks: B keeps asking until it is done, and takes its fill", () =>
    Effect.scoped(Effect.gen(function*() {
      let lookups = 0
      let resting: string | undefined
      const t = yield* setup({
        wrap: (v, ex) => ({
          ...v,
          placeMarket: (req) =>
            Effect.sync(() => {
              // The venue holds the order (a slow match) and the answer is lost.
              resting = ex.placeLimit({ accountIndex: B, marketId: market.marketId, side: req.side, base: req.base, price: PRICE + 5_000, clientOrderIndex: req.clientOrderIndex, postOnly: true, reduceOnly: false })
            }).pipe(Effect.andThen(Effect.fail(new VenueError({ op: "placeMarket", kind: "unknown-outcome", message: "no answer" })))),
          orderByClientIndex: (m, coi) => Effect.suspend(() => (lookups++, v.orderByClientIndex(m, coi)))
        })
      })
      // The stream does not tell B (it is down): only the venue's lookup can.
      t.ex.dropStream(B)
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(700)
      assert.isAtLeast(lookups, 2, "asked again while the order was active")
      t.ex.fillOrder(resting!)
      yield* advance(3_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.attempts.length, 1)
      assert.strictEqual(r.attempts[0]!.filledBase, 60)
      assert.strictEqual(r.attempts[0]!.orderIndex, resting)
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("an order the venue shows pending or in progress is still active: asked again until it is done", () =>
    Effect.scoped(Effect.gen(function*() {
      const statuses = ["pending", "in-progress", "open"] as const
      let lookups = 0
      const t = yield* setup({
        wrap: (v) => ({
          ...v,
          placeMarket: (req) => v.placeMarket(req).pipe(Effect.andThen(Effect.fail(new VenueError({ op: "placeMarket", kind: "unknown-outcome", message: "no answer" })))),
          orderByClientIndex: (m, coi) =>
            v.orderByClientIndex(m, coi).pipe(Effect.map((o) => {
              const status = statuses[lookups++]
              return status === undefined || Option.isNone(o) ? o : Option.some({ ...o.value, status, filledBase: 0 })
            }))
        })
      })
      t.ex.dropStream(B)
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(5_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(lookups, 4, "pending, in progress, open: each asked again; then done")
      assert.strictEqual(r.attempts[0]!.filledBase, 60)
    })))

  it.effect("an order that stays active is asked after at most 6 times; then the hedge fails and the entry stays pending", () =>
    Effect.scoped(Effect.gen(function*() {
      let lookups = 0
      const t = yield* setup({
        wrap: (v, ex) => ({
          ...v,
          placeMarket: (req) =>
            Effect.sync(() =>
              ex.placeLimit({ accountIndex: B, marketId: market.marketId, side: req.side, base: req.base, price: PRICE + 5_000, clientOrderIndex: req.clientOrderIndex, postOnly: true, reduceOnly: false })
            ).pipe(Effect.andThen(Effect.fail(new VenueError({ op: "placeMarket", kind: "unknown-outcome", message: "no answer" })))),
          orderByClientIndex: (m, coi) => Effect.suspend(() => (lookups++, v.orderByClientIndex(m, coi)))
        })
      })
      t.ex.dropStream(B)
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.flip, Effect.forkChild)
      yield* advance(30_000)
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(lookups, 7)
      assert.strictEqual(e._tag, "VenueError")
      assert.strictEqual((e as VenueError).message, "order still active")
      assert.strictEqual((e as VenueError).op, "resolve")
    })))

  it.effect("answered on the stream: the venue is not asked", () =>
    Effect.scoped(Effect.gen(function*() {
      let lookups = 0
      const t = yield* setup({ wrap: (v) => ({ ...v, orderByClientIndex: (m, coi) => Effect.suspend(() => (lookups++, v.orderByClientIndex(m, coi))) }) })
      t.ex.nextMarketOrders(B, { kind: "ack-lost" })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(2_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(lookups, 0)
    })))

  it.effect("accepted, then never seen anywhere: the attempt says so and the next one is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({
        wrap: (v) => ({
          ...v,
          // The venue says it took the order, and then has no trace of it.
          placeMarket: (req) => req.clientOrderIndex === indexOf(5, 1) ? Effect.succeed({ txHash: "00", acceptedAtMs: 0 }) : v.placeMarket(req)
        })
      })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(5_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.attempts[0]!.error, "accepted but never seen")
      assert.strictEqual(r.attempts[0]!.filledBase, 0)
      assert.strictEqual(r.attempts[1]!.filledBase, 60)
    })))
})

describe("a flatten while B hedges", () => {
  it.effect("the flatten closes the intent while B's order is out: what B did is kept, nothing goes to the pool, the result names the flatten", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 }, { kind: "delay", ms: 1_000 })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(100)
      // Attempt 1 half filled; attempt 2 is out for 1 s: the flatten comes now.
      assert.strictEqual(t.ex.marketOrdersReceived.length, 2)
      yield* t.state.fenceFlatten("F1")
      yield* advance(2_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.settledByFlatten, "F1")
      assert.strictEqual(r.attempts.length, 2)
      assert.strictEqual(r.hedgedSignedBase, -60)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(r.status, "hedged")
      assert.strictEqual(yield* t.state.residualPool(), 0)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 2, "no third attempt")
    })))

  it.effect("closed by a flatten before the next attempt is recorded: it is never sent; short of the target, the result is partial", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      t.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 })
      // The flatten lands after attempt 1 is recorded done, while B looks at A's quote for attempt 2.
      let looks = 0
      const flattening = {
        ...t.state,
        restingQuote: () => (++looks === 2 ? t.state.fenceFlatten("F2").pipe(Effect.andThen(t.state.restingQuote())) : t.state.restingQuote())
      }
      const fiber = yield* hedgeFill(fillOf(), t.watcher, settings, 1).pipe(Effect.provideService(PairState, flattening), Effect.provideContext(t.ctx), Effect.forkChild)
      yield* advance(2_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(looks, 2)
      assert.strictEqual(r.settledByFlatten, "F2")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      assert.strictEqual(r.attempts.length, 1)
      assert.strictEqual(r.hedgedSignedBase, -30)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(r.status, "partial")
      assert.strictEqual(yield* t.state.residualPool(), 0)
    })))

  it.effect("B restarts after a flatten closed its intent: the unresolved attempt is asked of the venue, for the record; nothing is sent or pooled", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: "1:77:60", fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      const cap = priceCap("sell", PRICE, 50)
      yield* t.state.recordAttempt("1:77:60", new HedgeAttempt({ attempt: 1, clientOrderIndex: indexOf(5, 1), side: "sell", base: 60, priceCap: cap, sentAtMs: 0 }))
      yield* t.state.recordAttempt("1:77:60", new HedgeAttempt({ attempt: 2, clientOrderIndex: indexOf(5, 2), side: "sell", base: 60, priceCap: cap, sentAtMs: 0, filledBase: 0, error: "rejected 21739: x" }))
      t.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 })
      t.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: 60, priceCap: cap, clientOrderIndex: indexOf(5, 1), reduceOnly: false })
      yield* t.state.fenceFlatten("F3")
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(3_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.settledByFlatten, "F3")
      assert.strictEqual(r.attempts[0]!.filledBase, 30)
      assert.strictEqual(r.attempts[1]!.error, "rejected 21739: x", "an attempt with an outcome is kept as recorded")
      assert.strictEqual(r.hedgedSignedBase, -30)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(r.status, "partial")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1)
      assert.strictEqual(yield* t.state.residualPool(), 0)
    })))

  it.effect("without a flatten, a record that fails fails the hedge (the entry stays pending)", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const failing = { ...t.state, recordAttempt: () => Effect.fail(new BusError({ op: "recordAttempt", message: "Redis down" })) }
      const e = yield* hedgeFill(fillOf(), t.watcher, settings, 1).pipe(Effect.provideService(PairState, failing), Effect.provideContext(t.ctx), Effect.flip)
      assert.strictEqual(e._tag, "BusError")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0, "not sent before it was recorded")
    })))
})

describe("a fill delivered again", () => {
  it.effect("another entry with the same fill id but another sequence number: FillInFlight, nothing sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: "1:77:60", fillSeq: 4, signedDelta: -60, minBase: 1, nowMs: 0 })
      const e = yield* t.hedge(fillOf()).pipe(Effect.flip)
      assert.instanceOf(e, FillInFlight)
      assert.strictEqual((e as FillInFlight).intentFillSeq, 4)
      assert.strictEqual((e as FillInFlight).message, "fill 1:77:60 (fillSeq 5) is already being hedged under fillSeq 4")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
    })))

  it.effect("an open intent with an attempt sent before a crash: resolved at the venue, not sent again", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: "1:77:60", fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      const cap = priceCap("sell", PRICE, 50)
      yield* t.state.recordAttempt("1:77:60", new HedgeAttempt({ attempt: 1, clientOrderIndex: indexOf(5, 1), side: "sell", base: 60, priceCap: cap, sentAtMs: 0 }))
      // B sent it and died: the venue filled it.
      t.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: 60, priceCap: cap, clientOrderIndex: indexOf(5, 1), reduceOnly: false })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(2_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1, "resolved, not sent again")
      assert.strictEqual(r.attempts.length, 1)
      assert.strictEqual(r.attempts[0]!.filledBase, 60)
      assert.strictEqual(r.status, "hedged")
      // The outcome is recorded on the intent.
      const intent = Option.getOrThrow(yield* t.state.getIntent("1:77:60"))
      assert.strictEqual(intent.attempts[0]!.filledBase, 60)
      assert.strictEqual(intent.status, "done")
    })))

  it.effect("resuming an open intent: attempts with an outcome are kept as recorded, never asked again", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: "1:77:60", fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      // Attempt 1 refused, attempt 2 filled 20 (by the record; the venue of this test never saw them).
      yield* t.state.recordAttempt("1:77:60", new HedgeAttempt({ attempt: 1, clientOrderIndex: indexOf(5, 1), side: "sell", base: 60, priceCap: 1, sentAtMs: 0, filledBase: 0, error: "rejected 21739: x" }))
      yield* t.state.recordAttempt("1:77:60", new HedgeAttempt({ attempt: 2, clientOrderIndex: indexOf(5, 2), side: "sell", base: 60, priceCap: 1, sentAtMs: 0, filledBase: 20 }))
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      yield* advance(2_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.attempts[0]!.error, "rejected 21739: x")
      assert.strictEqual(r.attempts[1]!.filledBase, 20)
      // Attempt 3 sends the rest.
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => [o.clientOrderIndex, o.base]), [[indexOf(5, 3), 40]])
      assert.strictEqual(r.hedgedSignedBase, -60)
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("an intent finished before a crash but not acknowledged: the result is rebuilt from it, nothing sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: "1:77:60", fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      yield* t.state.recordAttempt("1:77:60", new HedgeAttempt({ attempt: 1, clientOrderIndex: indexOf(5, 1), side: "sell", base: 60, priceCap: 1, sentAtMs: 0, filledBase: 40 }))
      yield* t.state.finishHedge("1:77:60", -20)
      const r = yield* t.hedge(fillOf())
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      assert.strictEqual(r.status, "partial")
      assert.strictEqual(r.hedgedSignedBase, -40)
      assert.strictEqual(r.residualSignedBase, -20)
    })))
})
