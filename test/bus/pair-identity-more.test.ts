// The pair a key prefix belongs to and the database number (src/bus/redis/pair-identity.ts),
// beyond test/bus/pair-identity.test.ts: the exact words of each refusal, the record as stored,
// an unreadable record read as none, the last database number the server has, and a server that
// refuses CONFIG (a managed Redis), where SELECT decides.
import { Effect, Redacted } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { describeIdentity, ensurePairIdentity, pairIdentityKey, readPairIdentity, verifyRedisDatabase } from "../../src/bus/redis/pair-identity.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("identity")
const aclUser = `hf-noconfig-${process.pid}`
afterAll(async () => {
  await redis.raw.call("ACL", "DELUSER", aclUser).catch(() => undefined)
})
const layer = () => RedisConnection.layer({ host: redis.server.host, port: redis.server.port, db: 0, connectTimeoutMs: 1000 })
const run = <A, E>(e: Effect.Effect<A, E, RedisConnection>) => Effect.runPromise(Effect.result(e).pipe(Effect.provide(layer())))
const messageOf = (r: { readonly _tag: string; readonly failure?: unknown }) =>
  r._tag === "Failure" ? String((r.failure as { message: string }).message) : `no failure: ${JSON.stringify(r)}`
const pair = { market: "btc", marketId: 1, accountA: 1, accountB: 2 }

describe("pair identity", () => {
  it("names a pair by market, id and accounts; the key is <prefix>:pair", () => {
    expect(describeIdentity(pair)).toBe("market btc (id 1), accounts A 1 / B 2")
    expect(pairIdentityKey("hf:x")).toBe("hf:x:pair")
  })

  it("is stored with the symbol in upper case and the time it was recorded", async () => {
    const p = redis.fresh("stored")
    const t0 = Date.now()
    expect((await run(ensurePairIdentity(p, pair)))._tag).toBe("Success")
    const stored = JSON.parse((await redis.raw.get(`${p}:pair`))!)
    expect({ ...stored, createdAtMs: 0 }).toStrictEqual({ market: "BTC", marketId: 1, accountA: 1, accountB: 2, createdAtMs: 0 })
    expect(stored.createdAtMs).toBeGreaterThanOrEqual(t0)
    const read = await run(readPairIdentity(p))
    expect(read._tag === "Success" && read.success._tag === "Some" && read.success.value.createdAtMs).toBe(stored.createdAtMs)
  })

  it("an unreadable record reads as none", async () => {
    const p = redis.fresh("unreadable")
    await redis.raw.set(`${p}:pair`, "{\"market\":1}")
    const read = await run(readPairIdentity(p))
    expect(read._tag === "Success" && read.success._tag).toBe("None")
  })

  it("something else under the key: refused, quoting 80 characters of it", async () => {
    const p = redis.fresh("junk")
    await redis.raw.set(`${p}:pair`, `junk ${"j".repeat(100)}`)
    expect(messageOf(await run(ensurePairIdentity(p, pair)))).toBe(
      `${p}:pair holds something that is not a pair identity (${JSON.stringify(`junk ${"j".repeat(75)}`)}): ` +
        `is redis.key_prefix "${p}" used by another program? Give this pair its own redis.key_prefix`
    )
  })

  it("another pair recorded without a time: refused naming both, no \"since\"", async () => {
    const p = redis.fresh("other")
    await redis.raw.set(`${p}:pair`, JSON.stringify({ market: "ETH", marketId: 0, accountA: 5, accountB: 6 }))
    expect(messageOf(await run(ensurePairIdentity(p, pair)))).toBe(
      `redis.key_prefix "${p}" belongs to another pair (market ETH (id 0), accounts A 5 / B 6), but this config is ` +
        "market btc (id 1), accounts A 1 / B 2: two pairs must never share a prefix — give each its own redis.key_prefix " +
        "(the default hedgeflow:{symbol}:{a}-{b} does that)"
    )
  })
})

describe("verifyRedisDatabase", () => {
  it("the last database the server has is accepted, the next one refused with the range", async () => {
    const databases = Number(((await redis.raw.config("GET", "databases")) as Array<string>)[1])
    expect((await run(verifyRedisDatabase(databases - 1, "T")))._tag).toBe("Success")
    const r = await run(verifyRedisDatabase(databases, "T"))
    expect(r._tag === "Failure" && (r.failure as { _tag: string })._tag).toBe("RedisDatabaseError")
    expect(messageOf(r)).toBe(
      `redis.db ${databases} (or the /${databases} of redis.url) is out of range: the Redis server at T has ${databases} databases ` +
        `(0-${databases - 1}, its \`databases\` setting); choose one of those`
    )
  })

  it("where CONFIG is refused, SELECT decides (and the connection stays on that database)", async () => {
    await redis.raw.call("ACL", "SETUSER", aclUser, "on", ">pw-1", "~*", "&*", "+@all", "-config")
    const limited = RedisConnection.layer({ host: redis.server.host, port: redis.server.port, db: 0, username: aclUser, password: Redacted.make("pw-1"), connectTimeoutMs: 1000 })
    const key = `${redis.fresh("select")}:pair`
    const ok = await Effect.runPromise(Effect.result(Effect.gen(function*() {
      yield* verifyRedisDatabase(3, "T")
      const conn = yield* RedisConnection
      yield* conn.run("set", (c) => c.set(key, "on db 3"))
    })).pipe(Effect.provide(limited)))
    expect(ok._tag).toBe("Success")
    expect(await redis.raw.get(key)).toBeNull()
    const db3 = new Redis({ host: redis.server.host, port: redis.server.port, db: 3 })
    try {
      expect(await db3.get(key)).toBe("on db 3")
      await db3.del(key)
    } finally {
      db3.disconnect()
    }
    const bad = await Effect.runPromise(Effect.result(verifyRedisDatabase(999, "T")).pipe(Effect.provide(limited)))
    expect(messageOf(bad)).toBe(
      "redis.db 999 (or the /999 of redis.url) cannot be used on the Redis server at T: SELECT 999 answered " +
        "\"ERR DB index is out of range\" (CONFIG GET databases is not allowed there, so its range is unknown)"
    )
  })
})
