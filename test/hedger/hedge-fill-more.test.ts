// More of one fill hedged on B (src/hedger/hedge-fill.ts), over the memory state and exchange and
// on the TestClock: an order of another market under the attempt's client index, an order that
// shows on the stream only after the venue's lookup, one-sided books under the self-trade guard,
// a redelivered fill whose open intent holds attempts with and without an outcome, and fills a
// flatten closed (or fenced before B began them).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import type { OrderBookTop } from "../../src/domain/events.ts"
import { priceCap } from "../../src/domain/hedge-plan.ts"
import { LIGHTER_ETH } from "../../src/domain/market.ts"
import { HedgeAttempt, type HedgeSubject } from "../../src/domain/messages.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { hedgeFill } from "../../src/hedger/hedge-fill.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { advance } from "./b-fixture.ts"
import { B, FILL, fillOf, indexOf, market, PRICE, type Setup, settings, setup as setupBase } from "./hedge-fill-fixture.ts"

const noAnswer = () => new VenueError({ op: "placeMarket", kind: "unknown-outcome", message: "no answer" })

/** The exchange lists ETH as well as BTC here (an order of another market under the attempt's index). */
const setup = (options: Setup = {}) => setupBase({ ...options, others: [{ market: LIGHTER_ETH, mid: 300_000 }] })

type T = Effect.Success<ReturnType<typeof setup>>

/** Runs B's hedge of `fill` to its end on the TestClock. */
const hedgeToEnd = (t: T, fill: HedgeSubject = fillOf()) =>
  Effect.gen(function*() {
    const fiber = yield* t.hedge(fill).pipe(Effect.forkChild)
    yield* advance(5_000)
    return yield* Fiber.join(fiber)
  })

const cap = priceCap("sell", PRICE, 50)

/** Attempt `n` of FILL (fillSeq 5): a sell of `base` at B's cap, with what the record says of its outcome. */
const recorded = (n: number, over: { readonly base?: number; readonly filledBase?: number; readonly error?: string } = {}) =>
  new HedgeAttempt({ attempt: n, clientOrderIndex: indexOf(5, n), side: "sell", base: over.base ?? 60, priceCap: cap, sentAtMs: 0, ...over })

describe("an order found under the attempt's client index", () => {
  it.effect("an order of another market under the index is not the attempt's: the attempt never reached the venue, the next one is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({
        wrap: (v, ex) => ({
          ...v,
          placeMarket: (req) =>
            req.clientOrderIndex === indexOf(5, 1)
              ? Effect.sync(() =>
                // An ETH sell of the same size holds the index (and fills), and the BTC send's answer is lost.
                ex.placeMarket({ accountIndex: B, marketId: LIGHTER_ETH.marketId, side: req.side, base: req.base, priceCap: 1, clientOrderIndex: req.clientOrderIndex, reduceOnly: false })
              ).pipe(Effect.andThen(Effect.fail(noAnswer())))
              : v.placeMarket(req)
        })
      })
      const r = yield* hedgeToEnd(t)
      assert.strictEqual(r.attempts.length, 2)
      assert.strictEqual(r.attempts[0]!.error, "never reached the venue")
      assert.strictEqual(r.attempts[0]!.filledBase, 0)
      assert.isUndefined(r.attempts[0]!.orderIndex, "the ETH order is not adopted")
      assert.strictEqual(r.attempts[1]!.filledBase, 60)
      assert.strictEqual(r.hedgedSignedBase, -60)
      assert.strictEqual(r.status, "hedged")
      // B's BTC position is the second attempt's.
      assert.strictEqual(t.ex.position(B, market.marketId).signedBase, -60)
    })))

  it.effect("the order reaches the stream only after the venue's lookup found nothing: the last look on the stream takes its fill, nothing sent again", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup({
        wrap: (v) => ({
          ...v,
          // The send's answer is lost before the order reached the venue's books.
          placeMarket: (req) => req.clientOrderIndex === indexOf(5, 1) ? Effect.fail(noAnswer()) : v.placeMarket(req)
        })
      })
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      // The stream is silent for the outcome timeout, then the venue's lookup finds nothing.
      yield* advance(400)
      assert.strictEqual(t.counts.lookups, 1)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      // Now the order executes at the venue, and B's stream reports it.
      t.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: 60, priceCap: cap, clientOrderIndex: indexOf(5, 1), reduceOnly: false })
      yield* advance(5_000)
      const r = yield* Fiber.join(fiber)
      const order = t.ex.orderByClientIndex(B, market.marketId, indexOf(5, 1))!
      assert.strictEqual(r.attempts.length, 1)
      assert.strictEqual(r.attempts[0]!.filledBase, 60)
      assert.strictEqual(r.attempts[0]!.orderIndex, order.orderIndex)
      assert.isUndefined(r.attempts[0]!.error)
      assert.strictEqual(r.status, "hedged")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 1, "no second attempt")
      assert.strictEqual(t.alerts.length, 0)
      assert.strictEqual(yield* t.state.tradingState(), "ACTIVE")
    })))
})

describe("the self-trade guard with a one-sided book", () => {
  // A's buy quote above B's cap: selling down to the cap would trade with A's own order.
  const QUOTE = PRICE - 100
  const book = (bids: OrderBookTop["bids"], asks: OrderBookTop["asks"]): OrderBookTop =>
    ({ marketId: market.marketId, bids, asks, timestampMs: 0 }) as unknown as OrderBookTop

  const behindQuote = (b: OrderBookTop) =>
    Effect.gen(function*() {
      const t = yield* setup({ wrap: (v) => ({ ...v, orderBook: () => Effect.succeed(b) }) })
      yield* t.state.publishQuote(Option.some({ side: "buy", price: QUOTE, clientOrderIndex: 90, base: 60 }))
      const fiber = yield* t.hedge(fillOf()).pipe(Effect.forkChild)
      return { t, fiber }
    })

  it.effect("no bids at all: blocked, B waits, then sends capped one tick short of A's quote", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fiber, t } = yield* behindQuote(book([], [{ price: PRICE + 10, size: 60 }] as unknown as OrderBookTop["asks"]))
      yield* advance(1_000)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0, "nothing sent while blocked")
      yield* advance(5_000)
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => o.priceCap), [QUOTE + 1])
      assert.strictEqual(r.attempts.length, 1)
    })))

  it.effect("no asks, and a bid above A's quote: B sends at once, capped one tick short of A's quote", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fiber, t } = yield* behindQuote(book([{ price: QUOTE + 1, size: 60 }] as unknown as OrderBookTop["bids"], []))
      yield* advance(20)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => o.priceCap), [QUOTE + 1], "sent without waiting")
      yield* advance(1_000)
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.attempts.length, 1)
    })))
})

describe("a redelivered fill resumes its open intent", () => {
  it.effect("an attempt recorded without an outcome that the venue never saw: recorded as never reached the venue, the next one is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: FILL, fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      yield* t.state.recordAttempt(FILL, recorded(1))
      const r = yield* hedgeToEnd(t)
      assert.strictEqual(r.attempts[0]!.error, "never reached the venue")
      assert.strictEqual(r.attempts[0]!.filledBase, 0)
      assert.strictEqual(r.attempts[1]!.filledBase, 60)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => o.clientOrderIndex), [indexOf(5, 2)])
      const intent = Option.getOrThrow(yield* t.state.getIntent(FILL))
      assert.strictEqual(intent.attempts[0]!.error, "never reached the venue")
      assert.strictEqual(r.status, "hedged")
    })))

  it.effect("an attempt recorded with an error but no fill amount has its outcome: kept as recorded, never asked of the venue", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: FILL, fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      yield* t.state.recordAttempt(FILL, recorded(1, { error: "rejected 21739: x" }))
      const r = yield* hedgeToEnd(t)
      assert.strictEqual(t.counts.lookups, 0)
      assert.strictEqual(r.attempts[0]!.error, "rejected 21739: x")
      assert.isUndefined(r.attempts[0]!.filledBase)
      assert.strictEqual(r.attempts[1]!.filledBase, 60)
      assert.deepStrictEqual(t.ex.marketOrdersReceived.map((o) => o.clientOrderIndex), [indexOf(5, 2)])
      assert.strictEqual(r.status, "hedged")
    })))
})

describe("a fill a flatten settled", () => {
  it.effect("B restarts after a flatten closed its intent: only the attempt without an outcome is asked of the venue; the others are kept as recorded", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: FILL, fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      // Attempt 1 filled 20 and attempt 2 was refused (by the record; this venue never saw them);
      // attempt 3 was recorded, and B died before its outcome — it never reached the venue.
      yield* t.state.recordAttempt(FILL, recorded(1, { filledBase: 20 }))
      yield* t.state.recordAttempt(FILL, recorded(2, { base: 40, error: "rejected 21739: x" }))
      yield* t.state.recordAttempt(FILL, recorded(3, { base: 40 }))
      yield* t.state.fenceFlatten("F4")
      const r = yield* hedgeToEnd(t)
      assert.strictEqual(r.settledByFlatten, "F4")
      assert.strictEqual(t.counts.lookups, 1, "only attempt 3 is asked of the venue")
      assert.strictEqual(r.attempts[0]!.filledBase, 20)
      assert.isUndefined(r.attempts[0]!.error)
      assert.strictEqual(r.attempts[1]!.error, "rejected 21739: x")
      assert.isUndefined(r.attempts[1]!.filledBase)
      assert.strictEqual(r.attempts[2]!.error, "never reached the venue")
      assert.strictEqual(r.attempts[2]!.filledBase, 0)
      assert.strictEqual(r.hedgedSignedBase, -20)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(r.status, "partial")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      assert.strictEqual(yield* t.state.residualPool(), 0)
    })))

  it.effect("a flatten fence read without the flatten's id: the result still says a flatten settled it", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      yield* t.state.beginHedge({ fillId: FILL, fillSeq: 5, signedDelta: -60, minBase: 1, nowMs: 0 })
      yield* t.state.recordAttempt(FILL, recorded(1, { filledBase: 30 }))
      yield* t.state.fenceFlatten("F5")
      const noId = {
        ...t.state,
        fences: () => t.state.fences().pipe(Effect.map(({ flattenId: _, ...f }) => f))
      }
      const r = yield* hedgeFill(fillOf(), t.watcher, settings, 1).pipe(Effect.provideService(PairState, noId), Effect.provideContext(t.ctx))
      assert.strictEqual(r.settledByFlatten, "a flatten")
      assert.strictEqual(r.hedgedSignedBase, -30)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(r.status, "partial")
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
    })))

  it.effect("a deferred fill delivered again after a flatten: still deferred, and not reported as closed by the flatten", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* setup()
      const small = fillOf({ size: 5, filledAfter: 5 })
      const first = yield* t.hedge(small)
      assert.strictEqual(first.status, "deferred")
      assert.strictEqual(yield* t.state.residualPool(), -5)
      // The flatten fences fills up to this one's sequence number and clears the pool.
      yield* t.state.fenceFlatten("F6")
      const r = yield* t.hedge(small)
      assert.strictEqual(r.status, "deferred")
      assert.isUndefined(r.settledByFlatten)
      assert.strictEqual(r.targetSignedBase, 0)
      assert.strictEqual(r.hedgedSignedBase, 0)
      assert.strictEqual(r.residualSignedBase, 0)
      assert.strictEqual(t.ex.marketOrdersReceived.length, 0)
      assert.strictEqual(t.counts.lookups, 0)
    })))
})
