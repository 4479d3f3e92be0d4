// One decision of A's quote loop (src/maker/quote-step.ts) on the memory exchange and bus: the
// open-long quote is a post-only buy, the close a post-only reduce-only sell; a pair that is not
// ACTIVE, a stale B or a stream that is down pulls the resting quote; a refused sequence number
// or a hedge in flight toward the quote's side places nothing.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, Ref } from "effect"
import { TestClock } from "effect/testing"
import { makeFillPublisher } from "../../src/maker/fill-publisher.ts"
import { makeQuotePricer } from "../../src/maker/quote-price.ts"
import { makeQuoteResolver } from "../../src/maker/quote-resolver.ts"
import { makeQuoteStep } from "../../src/maker/quote-step.ts"
import { makeQuoteTxCap } from "../../src/maker/quote-tx-cap.ts"
import { makeSignatureRefusals } from "../../src/maker/signature-refusals.ts"
import type { MakerSettings } from "../../src/maker/settings.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { A, makeContext, market } from "./context.ts"

const stepOn = (over: Partial<MakerSettings> = {}) =>
  Effect.gen(function*() {
    const made = yield* makeContext({ depthUnit: "levels", ...over })
    const { ctx } = made
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
      Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))]))
    )
    const resting = () => made.ex.activeOrders(A, market.marketId)
    return { ...made, run, lines, resting }
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
})
