// A key prefix belongs to one pair (src/bus/redis/pair-identity.ts): the first start records the
// pair's market and accounts under `<prefix>:pair`; the same pair is let through, another pair or
// something else under that key is refused naming both; the database number must exist.
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { ensurePairIdentity, pairIdentityKey, readPairIdentity, verifyRedisDatabase } from "../../src/bus/redis/pair-identity.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.close()
})

const run = <A, E>(e: Effect.Effect<A, E, RedisConnection>) => Effect.runPromise(Effect.result(e).pipe(Effect.provide(RedisConnection.layerFromUrl(redis.url))))
const pair = { market: "btc", marketId: 1, accountA: 1, accountB: 2 }

describe("the pair a key prefix belongs to", () => {
  it("is recorded at the first start, let through for the same pair, and refused for another, naming both", async () => {
    const prefix = redis.prefix("identity")
    expect((await run(readPairIdentity(prefix)))._tag).toBe("Success")
    expect((await run(ensurePairIdentity(prefix, pair)))._tag).toBe("Success")
    const read = await run(readPairIdentity(prefix))
    expect(read._tag === "Success" && read.success._tag === "Some" ? [read.success.value.market, read.success.value.accountB] : read).toEqual(["BTC", 2])
    // The same pair (the symbol in any case) starts again.
    expect((await run(ensurePairIdentity(prefix, { ...pair, market: "BTC" })))._tag).toBe("Success")
    for (const other of [{ ...pair, accountB: 3 }, { ...pair, accountA: 7 }, { ...pair, market: "ETH" }, { ...pair, marketId: 0 }]) {
      const r = await run(ensurePairIdentity(prefix, other))
      expect(r._tag, JSON.stringify(other)).toBe("Failure")
      if (r._tag === "Failure") {
        expect(r.failure._tag).toBe("PairIdentityError")
        expect(String((r.failure as { message: string }).message)).toMatch(/belongs to another pair \(market BTC \(id 1\), accounts A 1 \/ B 2 since .*\), but this config is market/)
      }
    }
  })

  it("something else under the key is refused as not a pair identity", async () => {
    const prefix = redis.prefix("identity-junk")
    await run(Effect.gen(function*() {
      const conn = yield* RedisConnection
      yield* conn.run("set", (c) => c.set(pairIdentityKey(prefix), "not json"))
    }))
    const r = await run(ensurePairIdentity(prefix, pair))
    expect(r._tag).toBe("Failure")
    if (r._tag === "Failure") expect(String((r.failure as { message: string }).message)).toMatch(/holds something that is not a pair identity/)
  })

  it("a database number the server does not have is refused with its range", async () => {
    expect((await run(verifyRedisDatabase(0, "test")))._tag).toBe("Success")
    const r = await run(verifyRedisDatabase(999, "test"))
    expect(r._tag).toBe("Failure")
    if (r._tag === "Failure") expect(String((r.failure as { message: string }).message)).toMatch(/redis\.db 999 .* (out of range|cannot be used)/)
  })
})
