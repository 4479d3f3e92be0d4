// A maker that stops for good (issue 8): a quote whose send has an unknown outcome used to stay
// "sending" for ever, and A placed nothing again. Now A resolves the quote against the venue by
// its client index, as B does for its hedges, and moves on. A and B run as fibers over the
// in-memory exchange; A's venue answers its first quote with "no answer" (unknown outcome).
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { isOrderActive } from "../../src/domain/events.ts"
import type { HedgeResult } from "../../src/domain/messages.ts"
import { runHedger } from "../../src/hedger/hedger.ts"
import { runMaker } from "../../src/maker/maker.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue, MemoryAccountStream, MemoryVenue } from "../../src/venue/memory/layers.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { A, B, hedgerSettings, makerSettings, market } from "./harness.ts"

/** What A's first quote send does instead of being answered. */
type FirstSend =
  /** lost on the way: the venue never sees it */
  | { readonly kind: "lost" }
  /** held up in the network: the venue gets it `ms` later, the sender never hears back */
  | { readonly kind: "late"; readonly ms: number }

const setup = (first: FirstSend) =>
  Effect.gen(function*() {
    const ex = new MemoryExchange({ seed: 42, mid: { 1: 1_000_000 } })
    const bus = Layer.mergeAll(MemoryFillBus.make({ market }).layer, MemoryPairState.make().layer)
    const context = yield* Layer.build(bus)
    const alerts = Layer.succeed(Alerts, Alerts.of({ alert: () => Effect.void }))
    const results: Array<HedgeResult> = []
    let sends = 0
    const base = makeMemoryVenue(ex, A)
    const venueA = Layer.succeed(
      Venue,
      Venue.of({
        ...base,
        placeLimit: (req) =>
          Effect.suspend(() => {
            sends++
            if (sends > 1) return base.placeLimit(req)
            if (first.kind === "late") setTimeout(() => ex.placeLimit({ ...req, accountIndex: A }), first.ms)
            return Effect.fail(new VenueError({ op: "placeLimit", kind: "unknown-outcome", message: "no answer from venue (test)" }))
          })
      })
    )
    yield* runHedger(hedgerSettings({ onResult: (r) => Effect.sync(() => void results.push(r)) })).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(MemoryVenue.layer(ex, B), MemoryAccountStream.layer(ex, B), alerts)),
      Effect.provideContext(context),
      Effect.forkChild
    )
    const maker = yield* runMaker(makerSettings({ resolveQuoteMs: 400 })).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(venueA, MemoryAccountStream.layer(ex, A), alerts)),
      Effect.provideContext(context),
      Effect.forkChild
    )
    const activeOfA = () => ex.activeOrders(A, market.marketId).filter((o) => isOrderActive(o.status))
    const waitFor = (what: string, cond: () => boolean, timeoutMs: number) =>
      Effect.gen(function*() {
        const deadline = Date.now() + timeoutMs
        while (!cond()) {
          if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out waiting for: ${what}`))
          yield* Effect.sleep("5 millis")
        }
      })
    return { ex, results, activeOfA, waitFor, maker, sends: () => sends }
  })

describe("the maker after a quote send with an unknown outcome", () => {
  it.live("a send the venue never saw: A resolves it by client index, quotes again, and its fills are hedged", () =>
    Effect.gen(function*() {
      const t = yield* setup({ kind: "lost" })
      // Today's maker waited on the "sending" quote for ever; it must quote again within seconds.
      yield* t.waitFor("A quotes again after the unknown outcome", () => t.activeOfA().length === 1, 8_000)
      expect(t.sends()).toBe(2)
      const quote = t.activeOfA()[0]!
      expect(quote.clientOrderIndex).toBe(2)
      t.ex.fillOrder(quote.orderIndex)
      yield* t.waitFor("the fill hedged", () => t.results.length === 1, 8_000)
      yield* t.waitFor("the pair flat", () => t.ex.position(A, 1).signedBase + t.ex.position(B, 1).signedBase === 0, 8_000)
      expect(t.ex.position(A, 1).signedBase).toBe(60)
      // The cycle goes on: the closing quote is placed.
      yield* t.waitFor("A's closing quote", () => t.activeOfA()[0]?.side === "sell", 8_000)
      yield* Fiber.interrupt(t.maker)
    }), 30_000)

  it.live("a send that reaches the venue after A gave it up is cancelled: A never keeps two quotes", () =>
    Effect.gen(function*() {
      const t = yield* setup({ kind: "late", ms: 1500 })
      yield* t.waitFor("A's second quote", () => t.activeOfA().some((o) => o.clientOrderIndex === 2), 8_000)
      // The first quote arrives at the venue 1.5 s after it was sent, long after A moved on.
      yield* t.waitFor("the late quote reached the venue", () => t.ex.orderByClientIndex(A, 1, 1) !== undefined, 5_000)
      yield* t.waitFor("the late quote cancelled", () => t.ex.orderByClientIndex(A, 1, 1)?.status === "canceled", 5_000)
      yield* Effect.sleep("300 millis")
      expect(t.activeOfA().map((o) => o.clientOrderIndex)).toEqual([2])
      yield* Fiber.interrupt(t.maker)
    }), 30_000)
})
