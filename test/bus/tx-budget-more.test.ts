// The shared transaction budget on Redis (src/bus/redis/tx-budget.ts) beyond
// test/venue/tx-budget.test.ts: a one-minute window by default, each transaction a member of its
// own, and a budget Redis cannot answer for never blocks a transaction.
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { RedisTxBudget } from "../../src/bus/redis/tx-budget.ts"
import { TxBudget } from "../../src/venue/TxBudget.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("tx-budget")
/** A key of its own for one test, deleted when the file ends. */
const keyFor = (name: string) => `${redis.fresh(name)}:budget`
const acquireOn = (key: string, times: number, o: { readonly windowMs?: number } = {}) =>
  Effect.runPromise(
    TxBudget.use((b) => Effect.forEach(Array.from({ length: times }), () => b.acquire("hedge"), { discard: true })).pipe(
      Effect.provide(RedisTxBudget.layer({ key, txPerMinute: 10, hedgeReserve: 2, ...o }).pipe(Layer.provide(RedisConnection.layerFromUrl(redis.server.url))))
    )
  )

describe("RedisTxBudget", () => {
  it("counts each transaction in a one-minute window by default", async () => {
    const key = keyFor("default")
    await acquireOn(key, 3)
    expect(await redis.raw.zcard(key)).toBe(3)
    const pttl = await redis.raw.pttl(key)
    expect(pttl).toBeGreaterThan(55_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
  })

  it("a window of the options", async () => {
    const key = keyFor("window")
    await acquireOn(key, 1, { windowMs: 5_000 })
    expect(await redis.raw.pttl(key)).toBeLessThanOrEqual(5_000)
  })

  it("when Redis cannot answer for the budget, the transaction goes ahead", async () => {
    const key = keyFor("broken")
    await redis.raw.set(key, "not a sorted set")
    await acquireOn(key, 2)
    expect(await redis.raw.get(key)).toBe("not a sorted set")
  })
})
