// The pair identity and the database check (src/bus/redis/pair-identity.ts) beyond
// pair-identity.test.ts and pair-identity-more.test.ts: a failed read names its operation, a
// server that allows CONFIG but refuses SELECT is checked by CONFIG alone, and a CONFIG answer that
// is no positive whole number of databases (a proxy or managed Redis) leaves the decision to SELECT.
import { Effect, Layer, Redacted } from "effect"
import type { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { pairIdentityKey, readPairIdentity, verifyRedisDatabase } from "../../src/bus/redis/pair-identity.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("identity-edges")
const aclUser = `hf-noselect-${process.pid}`
afterAll(async () => {
  await redis.raw.call("ACL", "DELUSER", aclUser).catch(() => undefined)
})

describe("readPairIdentity", () => {
  it("a key of another type: an error naming the read", async () => {
    const p = redis.fresh("wrongtype")
    await redis.raw.hset(pairIdentityKey(p), "a", "b")
    const e = await redis.rt.runPromise(Effect.flip(readPairIdentity(p)))
    expect(e.op).toBe("readPairIdentity")
    expect(e.code).toBe("WRONGTYPE")
  })
})

describe("verifyRedisDatabase", () => {
  it("where CONFIG answers, SELECT is not needed (a server refusing SELECT is fine)", async () => {
    await redis.raw.call("ACL", "SETUSER", aclUser, "on", ">pw-1", "~*", "&*", "+@all", "-select")
    const limited = RedisConnection.layer({ host: redis.server.host, port: redis.server.port, db: 0, username: aclUser, password: Redacted.make("pw-1"), connectTimeoutMs: 1000 })
    const r = await Effect.runPromise(Effect.result(verifyRedisDatabase(3, "T")).pipe(Effect.provide(limited)))
    expect(r._tag).toBe("Success")
  })

  /** A connection whose client answers CONFIG GET databases with `databases` and accepts any SELECT. */
  const answering = (databases: string, selected: Array<number>) =>
    Layer.succeed(RedisConnection, {
      target: "stub",
      client: {
        config: () => Promise.resolve(["databases", databases]),
        select: (db: number) => {
          selected.push(db)
          return Promise.resolve("OK")
        }
      } as unknown as Redis
    } as unknown as RedisConnection["Service"])

  it("a CONFIG answer of no positive whole number: SELECT decides", async () => {
    for (const databases of ["0", "1.5", "-3", "many"]) {
      const selected: Array<number> = []
      const r = await Effect.runPromise(Effect.result(verifyRedisDatabase(2, "T")).pipe(Effect.provide(answering(databases, selected))))
      expect([databases, r._tag, selected]).toEqual([databases, "Success", [2]])
    }
    const selected: Array<number> = []
    const r = await Effect.runPromise(Effect.result(verifyRedisDatabase(2, "T")).pipe(Effect.provide(answering("16", selected))))
    expect([r._tag, selected]).toEqual(["Success", []])
  })
})
