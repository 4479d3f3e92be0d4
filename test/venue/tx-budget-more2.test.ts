// The shared transaction budget on Redis (src/bus/redis/tx-budget.ts): a transaction that must wait
// for a long window sleeps at most a second at a time and asks Redis again (so a budget freed
// early, e.g. the window's key gone, is seen within a second, not after the whole wait).
import { Clock, Duration, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { RedisTxBudget } from "../../src/bus/redis/tx-budget.ts"
import { TxBudget } from "../../src/venue/TxBudget.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("tx-budget-more2")

/** The live clock, except that each sleep is recorded and runs `onSleep` instead of waiting. */
const recordingClock = (live: Clock.Clock, sleeps: Array<number>, onSleep: Effect.Effect<void>): Clock.Clock => ({
  currentTimeMillisUnsafe: () => live.currentTimeMillisUnsafe(),
  currentTimeMillis: live.currentTimeMillis,
  currentTimeNanosUnsafe: () => live.currentTimeNanosUnsafe(),
  currentTimeNanos: live.currentTimeNanos,
  monotonicTimeNanosUnsafe: () => live.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: live.monotonicTimeNanos,
  sleep: (d) => Effect.sync(() => void sleeps.push(Duration.toMillis(d))).pipe(Effect.andThen(onSleep))
})

describe("RedisTxBudget waiting", () => {
  it("sleeps at most a second between asks, however long the window's wait", async () => {
    const key = `${redis.fresh("wait")}:budget`
    const sleeps: Array<number> = []
    await Effect.runPromise(
      Effect.gen(function*() {
        const budget = yield* TxBudget
        yield* budget.acquire("hedge")
        const live = yield* Clock.Clock
        // While it sleeps, the window is emptied: the next ask is counted.
        const clock = recordingClock(live, sleeps, Effect.promise(() => redis.raw.del(key)).pipe(Effect.asVoid))
        yield* budget.acquire("hedge").pipe(Effect.provideService(Clock.Clock, clock))
      }).pipe(
        Effect.provide(
          RedisTxBudget.layer({ key, txPerMinute: 1, hedgeReserve: 0, windowMs: 30_000 }).pipe(Layer.provide(RedisConnection.layerFromUrl(redis.server.url)))
        )
      )
    )
    expect(sleeps).toEqual([1000])
    expect(await redis.raw.zcard(key)).toBe(1)
  })
})
