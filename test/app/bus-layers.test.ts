// The operator's commands' bus (src/app/bus-layers.ts busLayers) checks the Redis database first,
// as main-a and main-b do: a database the server does not have is refused with the server's
// range, where ioredis alone would have worked on db 0's keys.
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { busLayers } from "../../src/app/bus-layers.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("bus-layers")

const stateOn = (db: number) =>
  Effect.runPromiseExit(
    Effect.gen(function*() {
      return yield* (yield* PairState).tradingState()
    }).pipe(Effect.provide(busLayers({ redisUrl: `${redis.server.url}/${db}`, prefix: redis.fresh(`db${db}`), market: LIGHTER_BTC })))
  )

describe("busLayers", () => {
  it("a database the server does not have is refused, naming its range; one it has works", async () => {
    const [, databases] = await redis.raw.config("GET", "databases") as [string, string]
    const missing = await stateOn(Number(databases))
    expect(Exit.isFailure(missing)).toBe(true)
    expect(String(Exit.isFailure(missing) ? missing.cause : "")).toContain(
      `redis.db ${databases} (or the /${databases} of redis.url) is out of range: the Redis server at`
    )
    const present = await stateOn(1)
    expect(Exit.isSuccess(present) ? present.value : present).toBe("ACTIVE")
  })
})
