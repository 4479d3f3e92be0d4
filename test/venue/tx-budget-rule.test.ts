// The shared transaction budget keeps hedges ahead of A's quoting (DESIGN I7): its rule (the
// Redis script's, as a pure function), its in-process twin on the test clock, and which
// transactions count as quotes — A's placements and its re-quote cancels — and which as hedges
// (B's orders, cancel-all, cancels that protect), on the in-memory budget and on a real Redis.
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"
import { RedisTxBudget } from "../../src/bus/redis/tx-budget.ts"
import { budgetWaitMs, MemoryTxBudget, TxBudget, type TxPriority, txPriorityOf, withTxBudget } from "../../src/venue/TxBudget.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

const W = { windowMs: 60_000, limit: 6, reserve: 2 }

describe("the budget rule", () => {
  it("quotes fill the window up to limit − reserve, hedges up to the limit; the wait is until the entry that must leave has left", () => {
    expect(budgetWaitMs([], 0, { ...W, priority: "quote" })).toBe(0)
    expect(budgetWaitMs([1, 2, 3], 10, { ...W, priority: "quote" })).toBe(0)
    expect(budgetWaitMs([1, 2, 3, 4], 10, { ...W, priority: "quote" })).toBe(60_000 + 1 - 10)
    expect(budgetWaitMs([1, 2, 3, 4], 10, { ...W, priority: "hedge" })).toBe(0)
    expect(budgetWaitMs([1, 2, 3, 4, 5], 10, { ...W, priority: "hedge" })).toBe(0)
    expect(budgetWaitMs([1, 2, 3, 4, 5, 6], 10, { ...W, priority: "hedge" })).toBe(60_000 + 1 - 10)
    // Quotes wait for the third-oldest: with 6 in the window, 3 must leave for a quote.
    expect(budgetWaitMs([6, 5, 4, 3, 2, 1], 10, { ...W, priority: "quote" })).toBe(60_000 + 3 - 10)
    // Entries older than the window do not count (an entry at now − window has left).
    expect(budgetWaitMs([0, 0, 0, 0, 0, 0], 60_000, { ...W, priority: "quote" })).toBe(0)
    expect(budgetWaitMs([1, 1, 1, 1], 60_000, { ...W, priority: "quote" })).toBe(1)
    // No room for quotes at all: they wait a whole window.
    expect(budgetWaitMs([], 0, { windowMs: 60_000, limit: 2, reserve: 2, priority: "quote" })).toBe(60_000)
  })

  it("a placement is a quote; everything else a hedge unless it says otherwise", () => {
    expect(txPriorityOf("placeLimit")).toBe("quote")
    expect(txPriorityOf("placeMarket")).toBe("hedge")
    expect(txPriorityOf("cancel")).toBe("hedge")
    expect(txPriorityOf("cancelAll")).toBe("hedge")
    expect(txPriorityOf("cancel", "quote")).toBe("quote")
  })
})

describe("withTxBudget: what each transaction draws", () => {
  it.effect("A's placements and re-quote cancels are quotes; B's orders, cancel-all and other cancels are hedges", () =>
    Effect.gen(function*() {
      const drawn: Array<TxPriority> = []
      const budget = TxBudget.of({ acquire: (p) => Effect.sync(() => void drawn.push(p)) })
      const ex = new MemoryExchange({ seed: 1 })
      const v = withTxBudget(makeMemoryVenue(ex, 1), budget)
      yield* v.placeLimit({ marketId: 1, side: "buy", base: 20, price: 999_990, clientOrderIndex: 1, postOnly: true, reduceOnly: false })
      yield* v.cancel({ marketId: 1, index: "1", priority: "quote" })
      yield* v.placeLimit({ marketId: 1, side: "buy", base: 20, price: 999_990, clientOrderIndex: 2, postOnly: true, reduceOnly: false })
      yield* v.cancel({ marketId: 1, index: "2" })
      yield* v.placeMarket({ marketId: 1, side: "sell", base: 20, priceCap: 1, clientOrderIndex: 3, reduceOnly: false })
      yield* v.cancelAll()
      expect(drawn).toEqual(["quote", "quote", "quote", "hedge", "hedge", "hedge"])
      expect(ex.trades).toHaveLength(1)
    }))
})

describe("MemoryTxBudget on the test clock", () => {
  it.effect("quotes stop at the reserve and wait for the window to slide; hedges still get the reserve at once", () =>
    Effect.gen(function*() {
      const b = MemoryTxBudget.make({ txPerMinute: 6, hedgeReserve: 2 })
      for (let i = 0; i < 4; i++) yield* b.service.acquire("quote")
      const fifth = yield* b.service.acquire("quote").pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      expect(fifth.pollUnsafe()).toBeUndefined()
      // The reserve is the hedges': both go at once while the quote waits.
      yield* b.service.acquire("hedge")
      yield* b.service.acquire("hedge")
      expect(b.log.waits).toEqual([])
      yield* TestClock.adjust("59 seconds")
      yield* Fiber.join(fifth)
      expect(b.log.waits).toEqual([{ priority: "quote", waitedMs: 60_000 }])
      expect(b.log.sent.map((s) => s.priority)).toEqual(["quote", "quote", "quote", "quote", "hedge", "hedge", "quote"])
    }))

  it.effect("0 a minute is no budget", () =>
    Effect.gen(function*() {
      const b = MemoryTxBudget.make({ txPerMinute: 0, hedgeReserve: 0 })
      for (let i = 0; i < 500; i++) yield* b.service.acquire("quote")
      expect(b.log.sent).toEqual([])
    }))
})

describe("on the shared Redis window", () => {
  let redis: TestRedis
  beforeAll(async () => {
    redis = await startTestRedis()
  })
  afterAll(async () => {
    await redis?.close()
  })

  it("A's re-quote cancels stop at the reserve like its placements; a cancel that protects (and B's hedge) still goes", async () => {
    const key = redis.prefix("budget-priority")
    const layer = RedisTxBudget.layer({ key, txPerMinute: 6, hedgeReserve: 2, windowMs: 60_000 }).pipe(Layer.provide(RedisConnection.layerFromUrl(redis.url)))
    const got = await Effect.runPromise(
      Effect.gen(function*() {
        const budget = Context.get(yield* Layer.build(layer), TxBudget)
        const ex = new MemoryExchange({ seed: 1 })
        const a = withTxBudget(makeMemoryVenue(ex, 1), budget)
        const within = <A, E>(e: Effect.Effect<A, E>) => e.pipe(Effect.timeoutOption(300), Effect.map((o) => o._tag === "Some"))
        const q = (coi: number) => a.placeLimit({ marketId: 1, side: "buy", base: LIGHTER_BTC.minBaseAmount, price: 999_990, clientOrderIndex: coi, postOnly: true, reduceOnly: false })
        const steps = [
          yield* within(q(1)),
          yield* within(a.cancel({ marketId: 1, index: "1", priority: "quote" })),
          yield* within(q(2)),
          yield* within(a.cancel({ marketId: 1, index: "2", priority: "quote" })),
          // the quotes' share (6 − 2) is used up: neither a re-quote cancel nor a placement gets through
          yield* within(a.cancel({ marketId: 1, index: "3", priority: "quote" })),
          yield* within(q(3)),
          // a protective cancel and a hedge use the reserve
          yield* within(a.cancel({ marketId: 1, index: "4" })),
          yield* within(a.placeMarket({ marketId: 1, side: "sell", base: LIGHTER_BTC.minBaseAmount, priceCap: 1, clientOrderIndex: 9, reduceOnly: false }))
        ]
        return steps
      }).pipe(Effect.scoped)
    )
    expect(got).toEqual([true, true, true, true, false, false, true, true])
  }, 20_000)
})
