// The shared transaction budget (I7) on a real Redis: two processes' budgets on one key,
// quotes stop at the reserve, hedges still get through.
import { Context, Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { RedisTxBudget } from "../../src/bus/redis/tx-budget.ts"
import { TxBudget } from "../../src/venue/TxBudget.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.close()
})

const budgetOf = (key: string) =>
  RedisTxBudget.layer({ key, txPerMinute: 6, hedgeReserve: 2, windowMs: 1500 }).pipe(Layer.provide(RedisConnection.layerFromUrl(redis.url)))

/** Tries to acquire within `ms`; true when it got through. */
const within = (b: TxBudget["Service"], p: "hedge" | "quote", ms: number) =>
  b.acquire(p).pipe(Effect.timeoutOption(ms), Effect.map((o) => o._tag === "Some"))

describe("shared transaction budget", () => {
  it("quotes stop at the reserve, hedges use it, both processes count in one window", async () => {
    const key = redis.prefix("budget")
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        // Two budgets on separate connections, as A and B in their own processes.
        const a = Context.get(yield* Layer.build(budgetOf(key)), TxBudget)
        const b = Context.get(yield* Layer.build(budgetOf(key)), TxBudget)
        const quotes = [yield* within(a, "quote", 50), yield* within(a, "quote", 50), yield* within(a, "quote", 50), yield* within(a, "quote", 50)]
        const fifthQuote = yield* within(a, "quote", 100) // 4 used = limit 6 − reserve 2
        const hedges = [yield* within(b, "hedge", 50), yield* within(b, "hedge", 50)]
        const thirdHedge = yield* within(b, "hedge", 100) // window full
        const later = yield* within(a, "quote", 3000) // the window slides: quotes flow again
        return { quotes, fifthQuote, hedges, thirdHedge, later }
      }).pipe(Effect.scoped)
    )
    expect(result.quotes).toEqual([true, true, true, true])
    expect(result.fifthQuote).toBe(false)
    expect(result.hedges).toEqual([true, true])
    expect(result.thirdHedge).toBe(false)
    expect(result.later).toBe(true)
  }, 20_000)

  it("a limit of 0 means no budget at all", async () => {
    const ok = await Effect.runPromise(
      Effect.gen(function*() {
        const b = yield* Effect.service(TxBudget)
        for (let i = 0; i < 100; i++) yield* b.acquire("quote")
        return true
      }).pipe(Effect.provide(RedisTxBudget.layer({ key: "unused", txPerMinute: 0, hedgeReserve: 0 }).pipe(Layer.provide(RedisConnection.layerFromUrl(redis.url)))))
    )
    expect(ok).toBe(true)
  })
})
