// One decision of A's quote loop (src/maker/quote-step.ts) on the memory exchange and bus: the
// open-long quote is a post-only buy, the close a post-only reduce-only sell; a pair that is not
// ACTIVE, a stale B or a stream that is down pulls the resting quote; a refused sequence number
// or a hedge in flight toward the quote's side places nothing.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, Option, Ref } from "effect"
import { TestClock } from "effect/testing"
import { makeFillPublisher } from "../../src/maker/fill-publisher.ts"
import { makeQuotePricer } from "../../src/maker/quote-price.ts"
import { makeQuoteResolver } from "../../src/maker/quote-resolver.ts"
import { makeQuoteStep } from "../../src/maker/quote-step.ts"
import { makeQuoteTxCap } from "../../src/maker/quote-tx-cap.ts"
import { makeSignatureRefusals } from "../../src/maker/signature-refusals.ts"
import type { MakerState } from "../../src/domain/maker-cycle.ts"
import type { MakerSettings } from "../../src/maker/settings.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { VenueError } from "../../src/venue/errors.ts"
import type { CancelRequest, VenueShape } from "../../src/venue/Venue.ts"
import { A, makeContext, market } from "./context.ts"

const stepOn = (over: Partial<MakerSettings> = {}, wrapVenue?: (v: VenueShape) => VenueShape, onLine?: (line: string, state: Ref.Ref<MakerState>) => void) =>
  Effect.gen(function*() {
    const made = yield* makeContext({ depthUnit: "levels", ...over })
    const ctx = wrapVenue === undefined ? made.ctx : { ...made.ctx, venue: wrapVenue(made.ctx.venue) }
    const publisher = yield* makeFillPublisher(ctx)
    const step = yield* makeQuoteStep(ctx, {
      pricer: yield* makeQuotePricer(ctx),
      cap: yield* makeQuoteTxCap(ctx),
      resolver: yield* makeQuoteResolver(ctx, publisher),
      refusals: yield* makeSignatureRefusals(ctx)
    })
    const lines: Array<string> = []
    const run = step.pipe(
      Effect.provideContext(made.services),
      Effect.provide(Layer.succeed(Alerts, Alerts.of({ alert: () => Effect.void }))),
      Effect.provide(Logger.layer([Logger.make((o) => {
        const line = [o.message].flat().map(String).join(" ")
        lines.push(line)
        onLine?.(line, ctx.state)
      })]))
    )
    const resting = () => made.ex.activeOrders(A, market.marketId)
    return { ...made, ctx, run, lines, resting }
  })

/** The venue, with every cancel A sends recorded in `cancels`. */
const recordCancels = (cancels: Array<CancelRequest>) => (v: VenueShape): VenueShape => ({
  ...v,
  cancel: (req) => Effect.suspend(() => (cancels.push(req), v.cancel(req)))
})

describe("one decision of A's quote loop", () => {
  it.effect("flat: a post-only buy, not reduce-only, published for B before it exists", () =>
    Effect.gen(function*() {
      const s = yield* stepOn()
      yield* s.run
      const [q] = s.resting()
      assert.isDefined(q)
      assert.deepStrictEqual([q!.side, q!.timeInForce, q!.reduceOnly, q!.initialBase], ["buy", "post-only", false, 60])
      const published = yield* s.ctx.pairState.restingQuote()
      assert.isTrue(Option.isSome(published))
      if (Option.isSome(published)) assert.strictEqual(published.value.clientOrderIndex, q!.clientOrderIndex)
      assert.strictEqual((yield* Ref.get(s.ctx.state)).quote?.state, "resting")
    }))

  it.effect("long: the close is a post-only sell that can only reduce", () =>
    Effect.gen(function*() {
      const s = yield* stepOn()
      yield* Ref.update(s.ctx.state, (st) => ({ ...st, position: 60, closingSinceMs: s.ctx.clock.monoMs() }))
      yield* s.run
      const [q] = s.resting()
      assert.deepStrictEqual([q!.side, q!.timeInForce, q!.reduceOnly], ["sell", "post-only", true])
    }))

  it.effect("a pair that is not ACTIVE pulls the resting quote and places nothing, saying why", () =>
    Effect.gen(function*() {
      const s = yield* stepOn()
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      yield* s.ctx.pairState.setTradingState("HALTED", "test")
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      assert.isTrue(s.lines.some((l) => l === "pulling quote: pair is HALTED"))
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
    }))

  it.effect("with the stream down a resting quote stays (fills are caught up later), unless the pair is halted", () =>
    Effect.gen(function*() {
      const s = yield* stepOn()
      yield* s.run
      yield* Ref.set(s.ctx.streamUp, false)
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      yield* s.ctx.pairState.setTradingState("HALTED", "test")
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      assert.isTrue(s.lines.some((l) => l === "pulling quote while the account stream is down: pair is HALTED"))
    }))

  it.effect("B's heartbeat never seen: no quote while required; B beating: quoting", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({ requireHedgerHeartbeatMs: 2_000 })
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      yield* s.ctx.pairState.heartbeat("b", { consumer: "b1", streamConnected: true, beat: 1 }, 10_000)
      yield* s.run
      yield* TestClock.adjust(500)
      yield* s.ctx.pairState.heartbeat("b", { consumer: "b1", streamConnected: true, beat: 2 }, 10_000)
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      // B stops beating: the quote is pulled once the timeout passes.
      yield* TestClock.adjust(2_500)
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      assert.isTrue(s.lines.some((l) => l === "pulling quote: hedger (B) heartbeat is stale"))
    }))

  it.effect("a hedge in flight toward the quote's side: nothing placed, said once, the published quote withdrawn", () =>
    Effect.gen(function*() {
      const s = yield* stepOn()
      // B is selling 60 (to hedge an A buy): its IOC could hit A's buy quote on the bids.
      yield* s.ctx.pairState.beginHedge({ fillId: "x:60", fillSeq: 3, signedDelta: -60, minBase: 20, nowMs: 0 })
      yield* s.run
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      assert.strictEqual(s.lines.filter((l) => l.startsWith("quote buy waits: hedge x:60")).length, 1)
      assert.isTrue(Option.isNone(yield* s.ctx.pairState.restingQuote()))
      assert.match(s.lines.find((l) => l.startsWith("quote buy waits"))!, /\(B to sell 0\.00060 BTC\) is still in flight/)
    }))

  it.effect("a quote the venue refuses is forgotten: the next decision places a new one under a new client index", () =>
    Effect.gen(function*() {
      let refuse = true
      const s = yield* stepOn({ orderRetries: 0 }, (v) => ({
        ...v,
        placeLimit: (req) => Effect.suspend(() => refuse ? Effect.fail(new VenueError({ op: "placeLimit", kind: "rejected", code: 21739, message: "margin" })) : v.placeLimit(req))
      }))
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      assert.isUndefined((yield* Ref.get(s.ctx.state)).quote)
      refuse = false
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      assert.strictEqual(s.resting()[0]!.clientOrderIndex, 2)
      assert.strictEqual((yield* Ref.get(s.ctx.state)).quote?.state, "resting")
    }))

  it.effect("a quote refused for its signature counts toward the halt (maker.halt_after_signature_refusals)", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({ orderRetries: 0, haltAfterSignatureRefusals: 2 }, (v) => ({
        ...v,
        placeLimit: () => Effect.fail(new VenueError({ op: "placeLimit", kind: "rejected", code: 21120, message: "invalid signature" }))
      }))
      yield* s.run
      assert.strictEqual(yield* s.ctx.pairState.tradingState(), "ACTIVE")
      yield* s.run
      assert.strictEqual(yield* s.ctx.pairState.tradingState(), "HALTED")
    }))

  it.effect("a send with an unknown outcome is resolved against the venue at once, not left sending", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({ orderRetries: 0, resolveQuoteMs: 1_000 }, (v) => ({
        ...v,
        placeLimit: () => Effect.fail(new VenueError({ op: "placeLimit", kind: "unknown-outcome", message: "no answer" }))
      }))
      const fiber = yield* s.run.pipe(Effect.forkChild)
      for (let i = 0; i < 30; i++) yield* TestClock.adjust(100)
      yield* Fiber.join(fiber)
      // The venue never got it: forgotten, so the next decision can place again.
      assert.isUndefined((yield* Ref.get(s.ctx.state)).quote)
    }))

  it.effect("a stale quote is re-quoted: the cancel is A's own (priority quote); a cancel for a phase change is not", () =>
    Effect.gen(function*() {
      const cancels: Array<CancelRequest> = []
      const s = yield* stepOn({}, recordCancels(cancels))
      yield* s.run
      yield* TestClock.adjust(60_000)
      yield* s.run
      assert.strictEqual(cancels.length, 1)
      assert.strictEqual(cancels[0]!.priority, "quote")
      // The stream confirms the cancel (the event handler forgets the quote); A quotes again.
      yield* Ref.update(s.ctx.state, (st) => ({ ...st, quote: undefined }))
      yield* s.run
      // A is long now (its buy filled elsewhere): the resting buy is the wrong phase.
      const [q] = s.resting()
      assert.isDefined(q)
      yield* Ref.update(s.ctx.state, (st) => ({ ...st, position: 60, closingSinceMs: s.ctx.clock.monoMs() }))
      yield* s.run
      assert.strictEqual(cancels.length, 2)
      assert.isUndefined(cancels[1]!.priority)
    }))

  it.effect("a cancel that fails: the venue's view decides — gone, the quote is forgotten; still there, it is resting again", () =>
    Effect.gen(function*() {
      for (const gone of [true, false]) {
        const s = yield* stepOn({ orderRetries: 0 }, (v) => ({
          ...v,
          cancel: () => Effect.fail(new VenueError({ op: "cancel", kind: "rejected", message: "no such order" }))
        }))
        yield* s.run
        const [q] = s.resting()
        if (gone) s.ex.fillOrder(q!.orderIndex)
        yield* TestClock.adjust(60_000)
        yield* Ref.update(s.ctx.state, (st) => (st.quote === undefined ? st : { ...st, quote: { ...st.quote, state: "resting" as const } }))
        yield* s.run
        const after = (yield* Ref.get(s.ctx.state)).quote
        if (gone) assert.isUndefined(after, "filled before the cancel")
        else assert.strictEqual(after?.state, "resting")
      }
    }))

  it.effect("the epoch: a quote only in the epoch Redis holds, said once when refused; each sequence number told to the epoch hook", () =>
    Effect.gen(function*() {
      const seqs: Array<number> = []
      let epochId = "e0"
      const s = yield* stepOn({
        epoch: { epochId: () => epochId, onQuoteSeq: (seq) => Effect.sync(() => void seqs.push(seq)), onPublished: () => Effect.void }
      })
      yield* s.ctx.pairState.replaceEpoch({ id: "e1", gen: 1, createdAtMs: 0, adoptedAtMs: 0 }, undefined)
      yield* s.run
      yield* s.run
      assert.strictEqual(s.resting().length, 0)
      assert.deepStrictEqual(seqs, [])
      assert.deepStrictEqual(s.lines.filter((l) => l.startsWith("quote buy not placed")), ["quote buy not placed: epoch e1, not e0"])
      epochId = "e1"
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      assert.deepStrictEqual(seqs, [1])
    }))

  it.effect("A's quote-tx cap: a re-quote (cancel and place: two) waits while the last minute has no room; a phase cancel never waits", () =>
    Effect.gen(function*() {
      const cancels: Array<CancelRequest> = []
      const s = yield* stepOn(
        { quoteTxPerMinute: 2, cycle: { quantity: 60, depth: 1, maxQuoteAgeMs: 1_000, requoteDriftTicks: 1_000, closeAtBestAfterMs: 0 } },
        recordCancels(cancels)
      )
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      // Stale after 1 s, but the placement used 1 of 2 slots: a re-quote needs 2.
      yield* TestClock.adjust(2_000)
      yield* s.run
      assert.strictEqual(cancels.length, 0)
      // A minute after the placement there is room again.
      yield* TestClock.adjust(59_000)
      yield* s.run
      assert.strictEqual(cancels.length, 1)
      assert.strictEqual(cancels[0]!.priority, "quote")
    }))

  it.effect("A's quote-tx cap full: a phase change's cancel still goes (it protects A, it is not a re-quote)", () =>
    Effect.gen(function*() {
      const cancels: Array<CancelRequest> = []
      const s = yield* stepOn({ quoteTxPerMinute: 1 }, recordCancels(cancels))
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      yield* Ref.update(s.ctx.state, (st) => ({ ...st, position: 60, closingSinceMs: s.ctx.clock.monoMs() }))
      yield* s.run
      assert.strictEqual(cancels.length, 1)
    }))

  it.effect("a pull leaves a quote that is not resting alone (sending or cancelling already): no second cancel", () =>
    Effect.gen(function*() {
      const cancels: Array<CancelRequest> = []
      const s = yield* stepOn({}, recordCancels(cancels))
      yield* s.run
      const [q] = s.resting()
      // The stream told A the quote's order index (the event handler's part): the cancel names it.
      yield* Ref.update(s.ctx.state, (st) => (st.quote === undefined ? st : { ...st, quote: { ...st.quote, orderIndex: q!.orderIndex } }))
      yield* s.ctx.pairState.setTradingState("HALTED", "test")
      yield* s.run
      assert.strictEqual(cancels.length, 1)
      assert.strictEqual(cancels[0]!.index, q!.orderIndex)
      assert.strictEqual((yield* Ref.get(s.ctx.state)).quote?.state, "cancelling")
      yield* s.run
      assert.strictEqual(cancels.length, 1, "already cancelling")
    }))

  it.effect("a placement refused for another reason than its signature does not count toward the halt", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({ orderRetries: 0, haltAfterSignatureRefusals: 1 }, (v) => ({
        ...v,
        placeLimit: () => Effect.fail(new VenueError({ op: "placeLimit", kind: "rejected", code: 21104, message: "invalid nonce" }))
      }))
      yield* s.run
      yield* s.run
      assert.strictEqual(yield* s.ctx.pairState.tradingState(), "ACTIVE")
      assert.isUndefined((yield* Ref.get(s.ctx.state)).quote, "forgotten: the next decision places a new one")
    }))

  it.effect("a send with an unknown outcome that did reach the venue: found there and tracked as resting, never placed twice", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({ orderRetries: 0, resolveQuoteMs: 1_000 }, (v) => ({
        ...v,
        placeLimit: (req) => v.placeLimit(req).pipe(Effect.andThen(Effect.fail(new VenueError({ op: "placeLimit", kind: "unknown-outcome", message: "no answer" }))))
      }))
      const fiber = yield* s.run.pipe(Effect.forkChild)
      for (let i = 0; i < 30; i++) yield* TestClock.adjust(100)
      yield* Fiber.join(fiber)
      const [q] = s.resting()
      const tracked = (yield* Ref.get(s.ctx.state)).quote
      assert.deepStrictEqual([tracked?.state, tracked?.orderIndex, tracked?.clientOrderIndex], ["resting", q!.orderIndex, q!.clientOrderIndex])
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
    }))

  it.effect("A's quote changed while a placement was refused (another quote, or none): A's state is left as the stream set it", () =>
    Effect.gen(function*() {
      const other = { clientOrderIndex: 9, side: "buy" as const, price: 1, base: 60, placedAtMs: 0, state: "resting" as const, orderIndex: "77" }
      for (const meanwhile of [other, undefined]) {
        let ctxState: Ref.Ref<MakerState> | undefined
        const s = yield* stepOn({ orderRetries: 0 }, (v) => ({
          ...v,
          placeLimit: () =>
            Ref.update(ctxState!, (st) => ({ ...st, quote: meanwhile })).pipe(
              Effect.andThen(Effect.fail(new VenueError({ op: "placeLimit", kind: "rejected", code: 21120, message: "invalid signature" })))
            )
        }))
        ctxState = s.ctx.state
        yield* s.run
        assert.deepStrictEqual((yield* Ref.get(s.ctx.state)).quote, meanwhile)
      }
    }))

  it.effect("the stream settled the quote before the placement's answer (filled, pulled, or already resting): not made resting again", () =>
    Effect.gen(function*() {
      for (const meanwhile of ["filled", "cancelling", "resting"] as const) {
        let ctxState: Ref.Ref<MakerState> | undefined
        const s = yield* stepOn({}, (v) => ({
          ...v,
          placeLimit: (req) =>
            v.placeLimit(req).pipe(Effect.tap(() =>
              Ref.update(ctxState!, (st) =>
                meanwhile === "filled" || st.quote === undefined
                  ? { ...st, quote: undefined }
                  : { ...st, quote: { ...st.quote, orderIndex: "5", state: meanwhile } }
              )
            ))
        }))
        ctxState = s.ctx.state
        yield* s.run
        const q = (yield* Ref.get(s.ctx.state)).quote
        if (meanwhile === "filled") assert.isUndefined(q)
        else assert.deepStrictEqual([q?.state, q?.orderIndex], [meanwhile, "5"])
      }
    }))

  it.effect("a re-quote's cancel: the quote is cancelling until the stream confirms; it names the order index once known, else the client index", () =>
    Effect.gen(function*() {
      for (const known of [false, true]) {
        const cancels: Array<CancelRequest> = []
        const s = yield* stepOn({}, recordCancels(cancels))
        yield* s.run
        const [q] = s.resting()
        if (known) yield* Ref.update(s.ctx.state, (st) => (st.quote === undefined ? st : { ...st, quote: { ...st.quote, orderIndex: q!.orderIndex } }))
        yield* TestClock.adjust(60_000)
        yield* s.run
        assert.strictEqual(cancels[0]?.index, known ? q!.orderIndex : String(q!.clientOrderIndex))
        assert.strictEqual((yield* Ref.get(s.ctx.state)).quote?.state, "cancelling")
        yield* s.run
        assert.strictEqual(cancels.length, 1, "one cancel while it is cancelling")
      }
    }))

  it.effect("a drift re-quote's cancel is A's own too (priority quote)", () =>
    Effect.gen(function*() {
      const cancels: Array<CancelRequest> = []
      const s = yield* stepOn(
        { cycle: { quantity: 60, depth: 1, maxQuoteAgeMs: 600_000, requoteDriftTicks: 10, closeAtBestAfterMs: 0, minRequoteIntervalMs: 0 } },
        recordCancels(cancels)
      )
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
      s.ex.setMid(market.marketId, 1_100_000)
      yield* TestClock.adjust(1_000)
      yield* s.run
      assert.strictEqual(cancels.length, 1)
      assert.strictEqual(cancels[0]!.priority, "quote")
    }))

  it.effect("a failed cancel and a venue that cannot say, or does not know the order: the quote is forgotten, A's position kept", () =>
    Effect.gen(function*() {
      for (const lookup of ["fails", "unknown"] as const) {
        const s = yield* stepOn({ orderRetries: 0 }, (v) => ({
          ...v,
          cancel: () => Effect.fail(new VenueError({ op: "cancel", kind: "rejected", message: "no such order" })),
          orderByClientIndex: () =>
            lookup === "fails" ? Effect.fail(new VenueError({ op: "orderByClientIndex", kind: "unavailable", message: "down" })) : Effect.succeed(Option.none())
        }))
        yield* s.run
        yield* Ref.update(s.ctx.state, (st) => ({ ...st, position: 20 }))
        yield* TestClock.adjust(600_000)
        yield* s.run
        const after = yield* Ref.get(s.ctx.state)
        assert.deepStrictEqual([after.quote, after.position], [undefined, 20], `lookup ${lookup}`)
      }
    }))

  it.effect("A's quote changed while a failed cancel was checked at the venue: A's state is left as the stream set it", () =>
    Effect.gen(function*() {
      const other = { clientOrderIndex: 9, side: "buy" as const, price: 1, base: 60, placedAtMs: 0, state: "resting" as const, orderIndex: "77" }
      for (const meanwhile of [other, undefined]) {
        let ctxState: Ref.Ref<MakerState> | undefined
        const s = yield* stepOn({ orderRetries: 0 }, (v) => ({
          ...v,
          cancel: () => Effect.fail(new VenueError({ op: "cancel", kind: "rejected", message: "no such order" })),
          orderByClientIndex: (m, coi) => v.orderByClientIndex(m, coi).pipe(Effect.tap(() => Ref.update(ctxState!, (st) => ({ ...st, quote: meanwhile }))))
        }))
        ctxState = s.ctx.state
        yield* s.run
        yield* TestClock.adjust(600_000)
        yield* s.run
        assert.deepStrictEqual((yield* Ref.get(s.ctx.state)).quote, meanwhile)
      }
    }))

  it.effect("a decision that settles a stuck quote ends there: nothing else is placed in it", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({ resolveQuoteMs: 500 })
      yield* Ref.update(s.ctx.state, (st) => ({ ...st, quote: { clientOrderIndex: 9, side: "buy" as const, price: 1, base: 60, placedAtMs: s.ctx.clock.monoMs(), state: "sending" as const } }))
      yield* TestClock.adjust(60_000)
      const fiber = yield* s.run.pipe(Effect.forkChild)
      for (let i = 0; i < 20; i++) yield* TestClock.adjust(100)
      yield* Fiber.join(fiber)
      assert.isUndefined((yield* Ref.get(s.ctx.state)).quote, "the venue never had it: forgotten")
      assert.strictEqual(s.resting().length, 0)
      yield* s.run
      assert.strictEqual(s.resting().length, 1)
    }))

  it.effect("A's quote-tx cap with no room: the book is not even read", () =>
    Effect.gen(function*() {
      let reads = 0
      const s = yield* stepOn({ quoteTxPerMinute: 1 }, (v) => ({ ...v, orderBook: (m, d) => Effect.suspend(() => (reads++, v.orderBook(m, d))) }))
      yield* s.run
      assert.strictEqual(reads, 1)
      // The placement used the one slot; the stream confirms a cancel by someone else: A must place again.
      yield* Ref.update(s.ctx.state, (st) => ({ ...st, quote: undefined }))
      yield* s.run
      assert.strictEqual(reads, 1)
      yield* TestClock.adjust(60_000)
      yield* s.run
      assert.strictEqual(reads, 2)
    }))

  it.effect("another refusal between two signature refusals ends their row (the venue took that signature), as in the cancel path", () =>
    Effect.gen(function*() {
      const errors = [
        new VenueError({ op: "placeLimit", kind: "rejected", code: 21120, message: "invalid signature" }),
        new VenueError({ op: "placeLimit", kind: "rejected", code: 21104, message: "invalid nonce" }),
        new VenueError({ op: "placeLimit", kind: "rejected", code: 21120, message: "invalid signature" })
      ]
      const s = yield* stepOn({ orderRetries: 0, haltAfterSignatureRefusals: 2 }, (v) => ({ ...v, placeLimit: () => Effect.fail(errors.shift()!) }))
      yield* s.run
      yield* s.run
      yield* s.run
      assert.strictEqual(yield* s.ctx.pairState.tradingState(), "ACTIVE")
      errors.push(new VenueError({ op: "placeLimit", kind: "rejected", code: 21120, message: "invalid signature" }))
      yield* s.run
      assert.strictEqual(yield* s.ctx.pairState.tradingState(), "HALTED")
    }))

  it.effect("a quote the stream forgets while a pull is starting: no cancelling quote is made up from nothing", () =>
    Effect.gen(function*() {
      const s = yield* stepOn({}, undefined, (line, state) => {
        // The event fiber runs between the pull's look and its update (here: as the line is logged).
        if (line.startsWith("pulling quote")) Effect.runSync(Ref.update(state, (st) => ({ ...st, quote: undefined })))
      })
      yield* s.run
      assert.strictEqual((yield* Ref.get(s.ctx.state)).quote?.state, "resting")
      yield* s.ctx.pairState.setTradingState("HALTED", "test")
      yield* s.run
      assert.isUndefined((yield* Ref.get(s.ctx.state)).quote)
    }))
})
