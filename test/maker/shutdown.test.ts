// A's way out (src/maker/shutdown.ts) on the memory exchange: the resting quote is cancelled and
// what it filled is published; a quote whose cancel is not confirmed, or whose state cannot be
// read, makes the shutdown incomplete (exit code 1), saying which quote; with cancel_on_exit off
// the quote stays.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Ref } from "effect"
import { TestClock } from "effect/testing"
import { makeFillPublisher } from "../../src/maker/fill-publisher.ts"
import type { MakerSettings } from "../../src/maker/settings.ts"
import { onShutdown } from "../../src/maker/shutdown.ts"
import { ShutdownReport } from "../../src/ops/shutdown-report.ts"
import { VenueError } from "../../src/venue/errors.ts"
import type { VenueShape } from "../../src/venue/Venue.ts"
import { A, makeContext, market } from "./context.ts"

const shutDown = (over: Partial<MakerSettings>, venue?: (v: VenueShape) => VenueShape, filledJustBefore = false) =>
  Effect.gen(function*() {
    const made = yield* makeContext(over)
    const ctx = venue === undefined ? made.ctx : { ...made.ctx, venue: venue(made.ctx.venue) }
    const publisher = yield* makeFillPublisher(ctx)
    // A resting buy quote of 60 under client index 12.
    const orderIndex = made.ex.placeLimit({ accountIndex: A, marketId: market.marketId, side: "buy", base: 60, price: 999_000, clientOrderIndex: 12, postOnly: true, reduceOnly: false })
    yield* Ref.update(ctx.state, (s) => ({ ...s, quote: { clientOrderIndex: 12, side: "buy" as const, price: 999_000, base: 60, placedAtMs: 0, state: "resting" as const, orderIndex } }))
    // A fill A's stream never delivered (the stream is stopped first on the way out).
    if (filledJustBefore) made.ex.fillOrder(orderIndex)
    const incomplete: Array<string> = []
    // The scope closes at once: the finalizer runs, its waits on the test clock.
    const closing = yield* Effect.scoped(onShutdown(ctx, publisher)).pipe(
      Effect.provideService(ShutdownReport, { incomplete: (r) => Effect.sync(() => void incomplete.push(r)) }),
      Effect.forkChild
    )
    for (let i = 0; i < 40; i++) yield* TestClock.adjust(250)
    yield* Fiber.join(closing)
    return { ...made, incomplete, resting: made.ex.activeOrders(A, market.marketId) }
  })

describe("A's shutdown", () => {
  it.effect("cancels the resting quote, confirms it, and says nothing is incomplete", () =>
    Effect.gen(function*() {
      const r = yield* shutDown({})
      assert.strictEqual(r.resting.length, 0)
      assert.deepStrictEqual(r.incomplete, [])
    }))

  it.effect("a fill that landed just before the stop is published on the way out, not left for the next start", () =>
    Effect.gen(function*() {
      const r = yield* shutDown({}, undefined, true)
      assert.strictEqual(r.bus.inspect.streamLength(), 1)
      assert.strictEqual(r.resting.length, 0)
      assert.deepStrictEqual(r.incomplete, [])
    }))

  it.effect("with maker.cancel_on_exit off the quote stays, and that is not a failure", () =>
    Effect.gen(function*() {
      const r = yield* shutDown({ cancelOnExit: false })
      assert.strictEqual(r.resting.length, 1)
      assert.deepStrictEqual(r.incomplete, [])
    }))

  it.effect("a cancel the venue never confirms (the quote still open) makes the shutdown incomplete, naming the quote", () =>
    Effect.gen(function*() {
      const r = yield* shutDown({}, (v) => ({ ...v, cancel: () => Effect.succeed({ txHash: "00", acceptedAtMs: 0 }) }))
      assert.strictEqual(r.resting.length, 1)
      assert.strictEqual(r.incomplete.length, 1)
      assert.match(r.incomplete[0]!, /A's quote \(client order 12\) may still rest on the venue: its cancel was not confirmed/)
    }))

  it.effect("the cancel names the quote's order index; a quote the venue no longer knows is final, nothing incomplete", () =>
    Effect.gen(function*() {
      const cancels: Array<string> = []
      const r = yield* shutDown({}, (v) => ({
        ...v,
        cancel: (req) => Effect.suspend(() => (cancels.push(req.index), v.cancel(req))),
        orderByClientIndex: () => Effect.succeed(Option.none())
      }))
      assert.strictEqual(cancels.length, 1)
      assert.notStrictEqual(cancels[0], "12", "the order index, not the client index")
      assert.deepStrictEqual(r.incomplete, [])
    }))

  it.effect("the venue cannot be asked: the cancel is not confirmed, and the shutdown says so", () =>
    Effect.gen(function*() {
      const r = yield* shutDown({}, (v) => ({
        ...v,
        orderByClientIndex: () => Effect.fail(new VenueError({ op: "orderByClientIndex", kind: "unavailable", message: "down" }))
      }))
      assert.strictEqual(r.incomplete.length, 1)
      assert.match(r.incomplete[0]!, /A's quote \(client order 12\) may still rest on the venue/)
    }))

  it.effect("the venue never answers: after 5 s the shutdown says the quote's final state could not be read", () =>
    Effect.gen(function*() {
      const r = yield* shutDown({}, (v) => ({ ...v, orderByClientIndex: () => Effect.never }))
      assert.deepStrictEqual(r.incomplete, [
        "A's quote (client order 12): its final state could not be read, or its fills stored, within 5 s; A's next start catches up its fills"
      ])
    }))

  it.effect("no quote: nothing to cancel, nothing incomplete", () =>
    Effect.gen(function*() {
      const made = yield* makeContext({})
      let asked = 0
      const ctx = { ...made.ctx, venue: { ...made.ctx.venue, cancel: () => Effect.sync(() => (asked++, { txHash: "00", acceptedAtMs: 0 })) } }
      const incomplete: Array<string> = []
      yield* Effect.scoped(onShutdown(ctx, yield* makeFillPublisher(ctx))).pipe(
        Effect.provideService(ShutdownReport, { incomplete: (r) => Effect.sync(() => void incomplete.push(r)) })
      )
      assert.strictEqual(asked, 0)
      assert.deepStrictEqual(incomplete, [])
    }))
})
