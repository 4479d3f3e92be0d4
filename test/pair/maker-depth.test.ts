// `--depth N` in the running maker (issue "drop-in compatibility", part 2), on the TestClock over
// the in-memory exchange, whose synthetic levels hold several resting orders each:
// - A quotes at the price of the N-th resting order of its side (the previous system's meaning),
//   not the N-th level, and never re-prices against its own quote;
// - with fewer than N orders it places nothing and logs why once, again only when that changes,
//   and quotes as soon as the book is deep enough (logged once);
// - the order list is read only when a decision needs a price, at most every book_orders_refresh_ms;
// - levels when asked for (maker.depth_unit: levels), strict as well;
// - a venue that cannot list orders is refused at start.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger } from "effect"
import { TestClock } from "effect/testing"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { runMaker, type MakerSettings } from "../../src/maker/maker.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { RateLimiter } from "../../src/sim/ratelimit.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue, MemoryAccountStream } from "../../src/venue/memory/layers.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"
import { A, makerSettings, market } from "./harness.ts"

const BTC = market.marketId
const MID = 1_000_000

const policy = (over: Partial<MakerSettings> = {}): Partial<MakerSettings> => ({
  cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 30_000, requoteDriftTicks: 3, closeAtBestAfterMs: 0, minRequoteIntervalMs: 10_000 },
  pollIntervalMs: 1_000,
  heartbeatMs: 1_000,
  depthUnit: "orders",
  bookOrdersRefreshMs: 5_000,
  quoteTxPerMinute: 20,
  ...over
})

/** A alone (no B needed: requireHedgerHeartbeatMs 0) on the test clock, its log lines kept. */
const startA = (ex: MemoryExchange, over: Partial<MakerSettings> = {}, venue: (v: VenueShape) => VenueShape = (v) => v) =>
  Effect.gen(function*() {
    const lines: Array<{ readonly level: string; readonly message: string }> = []
    const logger = Logger.make((o) => void lines.push({ level: o.logLevel, message: [o.message].flat().map(String).join(" ") }))
    const bus = yield* Layer.build(Layer.mergeAll(MemoryFillBus.make({ market }).layer, MemoryPairState.make().layer))
    const fiber = yield* runMaker(makerSettings(policy(over))).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        Layer.succeed(Venue, Venue.of(venue(makeMemoryVenue(ex, A)))),
        MemoryAccountStream.layer(ex, A),
        Layer.succeed(Alerts, Alerts.of({ alert: () => Effect.void })),
        Logger.layer([logger])
      )),
      Effect.provideContext(bus),
      Effect.forkChild
    )
    return { lines, fiber, quote: () => ex.activeOrders(A, BTC)[0] }
  })

const seconds = (n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* TestClock.adjust("1 second")
  })

describe("--depth N counts resting orders (TestClock)", () => {
  it.effect("quotes at the 5th order (3 + 2 orders on the first two levels: the second level), not the 5th level", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      ex.setBookShape(BTC, { ordersPerLevel: [3, 2, 1, 4] })
      const a = yield* startA(ex)
      yield* seconds(2)
      expect(a.quote()).toMatchObject({ side: "buy", price: MID - 2, initialBase: 60 })
      expect(a.lines.some((l) => l.message.includes("quotes at the 5th resting order of its side (market.depth 5, maker.depth_unit orders"))).toBe(true)
      // The closing sell reads the asks the same way.
      ex.fillOrder(a.quote()!.orderIndex)
      yield* seconds(2)
      expect(a.quote()).toMatchObject({ side: "sell", price: MID + 2, initialBase: 60 })
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("levels when asked for: the 5th price level", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      ex.setBookShape(BTC, { ordersPerLevel: [3, 2, 1, 4] })
      const a = yield* startA(ex, { depthUnit: "levels" })
      yield* seconds(2)
      expect(a.quote()).toMatchObject({ side: "buy", price: MID - 5 })
      expect(ex.bookOrdersReads).toEqual([]) // levels come from the live book: no REST read
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("its own quote is not counted: never re-priced against itself, and back to the 5th order when the book thins ahead of it", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      ex.setBookShape(BTC, { ordersPerLevel: 1 })
      const a = yield* startA(ex, { cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 60_000, requoteDriftTicks: 0, closeAtBestAfterMs: 0, minRequoteIntervalMs: 10_000 } })
      yield* seconds(2)
      const first = a.quote()!
      expect(first.price).toBe(MID - 5)
      yield* seconds(20)
      expect(a.quote()?.orderIndex).toBe(first.orderIndex)
      // The best bid goes: A's quote is now the 4th order of the others plus itself. Counted, it
      // would still be "the 5th order" and stay; not counted, the 5th order is a tick deeper.
      ex.setBookShape(BTC, { ordersPerLevel: [0, 1, 1, 1, 1, 1, 1, 1] })
      yield* seconds(8)
      expect(a.quote()).toMatchObject({ side: "buy", price: MID - 6 })
      expect(a.quote()?.orderIndex).not.toBe(first.orderIndex)
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("fewer than N orders: no quote, one line saying why, one line when the book is deep enough again", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      // 4 levels of bids: 4 in levels, but only 1 + 0 + 2 + 0 = 3 orders.
      ex.setBookShape(BTC, { levels: 4, ordersPerLevel: [1, 0, 2, 0] })
      const a = yield* startA(ex)
      yield* seconds(60)
      expect(a.quote()).toBeUndefined()
      const why = a.lines.filter((l) => l.message.startsWith("no buy quote"))
      expect(why).toEqual([{
        level: "Warn",
        message: "no buy quote: market.depth 5 needs the 5th order of the bids, but there are only 3 (A's own quote not counted); waiting until there are 5 (maker.depth_unit orders)"
      }])
      // Read at most every 5 s while it waits (13 in 60 s, counting the first at 0 s).
      expect(ex.bookOrdersReads.length).toBeLessThanOrEqual(13)
      expect(ex.bookOrdersReads.length).toBeGreaterThanOrEqual(11)
      // 4 orders: still short, the same situation: no new line.
      ex.setBookShape(BTC, { ordersPerLevel: [1, 1, 2, 0] })
      yield* seconds(10)
      expect(a.lines.filter((l) => l.message.startsWith("no buy quote"))).toHaveLength(1)
      // Deep enough: it quotes at the 5th order, and says so once.
      ex.setBookShape(BTC, { levels: 6, ordersPerLevel: [1, 1, 2, 0, 1, 1] })
      yield* seconds(6)
      expect(a.quote()).toMatchObject({ side: "buy", price: MID - 5 })
      expect(a.lines.filter((l) => l.message === "market.depth 5: the book has enough orders again; quoting")).toHaveLength(1)
      yield* seconds(20)
      expect(a.lines.filter((l) => l.message.includes("enough orders again"))).toHaveLength(1)
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("levels are strict too: fewer than N levels, no quote (no fallback to the deepest)", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      ex.setBookShape(BTC, { levels: 3 })
      const a = yield* startA(ex, { depthUnit: "levels" })
      yield* seconds(20)
      expect(a.quote()).toBeUndefined()
      expect(a.lines.filter((l) => l.message.startsWith("no buy quote")).map((l) => l.message)).toEqual([
        "no buy quote: market.depth 5 needs the 5th price level of the bids, but there are only 3; waiting until there are 5 (maker.depth_unit levels)"
      ])
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("reads the order list only when a decision needs a price: not while the quote is younger than the re-quote interval", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      const a = yield* startA(ex)
      yield* seconds(2)
      expect(a.quote()).toBeDefined()
      const afterPlacing = ex.bookOrdersReads.length
      expect(afterPlacing).toBe(1)
      yield* seconds(7) // the quote is 8-9 s old: no decision needs a price
      expect(ex.bookOrdersReads.length).toBe(afterPlacing)
      yield* seconds(20) // 10 s to 29 s: drift checks, one read every 5 s at most
      expect(ex.bookOrdersReads.length - afterPlacing).toBeGreaterThanOrEqual(3)
      expect(ex.bookOrdersReads.length - afterPlacing).toBeLessThanOrEqual(5)
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("a failing read is logged once and places nothing; the next read (5 s later) recovers", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      let failing = true
      const a = yield* startA(ex, {}, (v) => ({
        ...v,
        orderBookOrders: (m, limit) => failing ? Effect.fail(new VenueError({ op: "orderBookOrders", kind: "rate-limited", code: 23000, message: "Too Many Requests!" })) : v.orderBookOrders!(m, limit)
      }))
      yield* seconds(12)
      expect(a.quote()).toBeUndefined()
      expect(a.lines.filter((l) => l.message.startsWith("cannot read the venue's order list")).map((l) => l.message)).toEqual([
        "cannot read the venue's order list (orderBookOrders): Too Many Requests!; no quote is placed or re-priced until it can (next try in 5000 ms)"
      ])
      failing = false
      yield* seconds(6)
      expect(a.quote()).toBeDefined()
      expect(a.lines.filter((l) => l.message === "the venue's order list (orderBookOrders) can be read again")).toHaveLength(1)
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("at its quote-tx cap A waits, says so once per wait, and never sends more than the cap in any minute", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 3, mid: { [BTC]: MID } })
      const sent: Array<number> = []
      const a = yield* startA(
        ex,
        {
          cycle: { quantity: 60, depth: 5, maxQuoteAgeMs: 30_000, requoteDriftTicks: 0, closeAtBestAfterMs: 0, minRequoteIntervalMs: 0 },
          depthUnit: "levels",
          quoteTxPerMinute: 6
        },
        (v) => ({
          ...v,
          placeLimit: (r) => Effect.andThen(Effect.clockWith((c) => Effect.sync(() => void sent.push(c.currentTimeMillisUnsafe()))), v.placeLimit(r)),
          cancel: (r) => Effect.andThen(Effect.clockWith((c) => Effect.sync(() => void sent.push(c.currentTimeMillisUnsafe()))), v.cancel(r))
        })
      )
      for (let i = 0; i < 300; i++) {
        ex.walk(BTC, 10)
        yield* TestClock.adjust("1 second")
      }
      const limiter = new RateLimiter()
      expect(sent.filter((t) => !limiter.take("A", 1, 6, t))).toEqual([])
      expect(sent.length).toBeGreaterThanOrEqual(5 * 5) // it used its cap, minute after minute
      const waits = a.lines.filter((l) => l.message.startsWith("quote waits: A sent"))
      expect(waits.length).toBeGreaterThanOrEqual(4)
      expect(waits.length).toBeLessThanOrEqual(sent.length / 2) // once per wait, not once per poll
      expect(waits[0]!.message).toMatch(/^quote waits: A sent \d quote transactions in the last minute \(maker\.quote_tx_per_minute 6\); room again in \d+ s$/)
      yield* Fiber.interrupt(a.fiber)
    }))

  it.effect("a venue that cannot list orders is refused at start with maker.depth_unit: orders", () =>
    Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { [BTC]: MID } })
      const a = yield* startA(ex, {}, ({ orderBookOrders: _, ...rest }) => rest)
      const exit = yield* Fiber.await(a.fiber)
      expect(exit._tag).toBe("Failure")
      expect(String(exit)).toContain("set maker.depth_unit: levels")
    }))
})
