import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Redacted } from "effect"
import { Redis } from "ioredis"
import { BusError } from "../../src/bus/errors.ts"
import { FillBus } from "../../src/bus/FillBus.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { fillBusKeys, RedisFillBus } from "../../src/bus/redis/RedisFillBus.ts"
import { pairStateKeys, RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { freePort, startTestRedis, type TestRedis } from "../support/redis.ts"
import { contractSuite, fillEvent, hedgeResultFor, newOrderIndex } from "./contract.ts"

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.close()
})

const connLayer = (r: TestRedis) => RedisConnection.layer({ host: r.host, port: r.port, db: 0, connectTimeoutMs: 1000 })

const busLayer = (r: TestRedis, prefix: string, maxLen?: number) =>
  Layer.mergeAll(
    RedisFillBus.layer({ prefix, market: LIGHTER_BTC, ...(maxLen !== undefined ? { maxLen } : {}) }),
    RedisPairState.layer({ prefix })
  ).pipe(Layer.provide(connLayer(r)))

/** A plain ioredis client for the test's own look at Redis, closed with the scope. */
const rawClient = (r: TestRedis) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const c = new Redis({ host: r.host, port: r.port, lazyConnect: true, maxRetriesPerRequest: 1 })
      c.on("error", () => {})
      await c.connect()
      return c
    }),
    (c) => Effect.sync(() => c.disconnect())
  )

contractSuite("redis", () =>
  Effect.gen(function*() {
    const prefix = redis.prefix("bus")
    const keys = fillBusKeys(prefix)
    const raw = yield* rawClient(redis)
    return {
      layer: busLayer(redis, prefix),
      injectRaw: (fields) => Effect.promise(() => raw.xadd(keys.fills, "*", ...Object.entries(fields).flat())).pipe(Effect.map((id) => id!)),
      deadLetters: () =>
        Effect.promise(() => raw.xrange(keys.deadLetter, "-", "+")).pipe(
          Effect.map((entries) =>
            entries.map(([, kv]) => {
              const f: Record<string, string> = {}
              for (let i = 0; i < kv.length; i += 2) f[kv[i]!] = kv[i + 1]!
              const rawFields = Object.fromEntries(
                Object.entries(f).filter(([k]) => k.startsWith("raw.")).map(([k, v]) => [k.slice(4), v])
              )
              return { entryId: f.entryId!, reason: f.reason!, raw: rawFields }
            })
          )
        ),
      putRawIntent: (fillId, json) => Effect.promise(() => raw.hset(pairStateKeys(prefix).intents, fillId, json)).pipe(Effect.asVoid),
      loseEverything: () =>
        Effect.promise(async () => {
          const keys = await raw.keys(`${prefix}:*`)
          if (keys.length > 0) await raw.del(...keys)
        })
    }
  }))

describe("redis bus: connection and failures", () => {
  it.live("Redis down at layer build: a typed BusError with a clear message, no password", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => freePort())
      const layer = RedisFillBus.layer({ prefix: "x", market: LIGHTER_BTC }).pipe(
        Layer.provide(RedisConnection.layer({ host: "127.0.0.1", port, db: 0, password: Redacted.make("hunter2-secret"), connectTimeoutMs: 500 }))
      )
      const t0 = Date.now()
      const e = yield* FillBus.use((b) => b.pendingCount()).pipe(Effect.provide(layer), Effect.flip)
      assert.instanceOf(e, BusError)
      assert.strictEqual(e.op, "connect")
      assert.include(e.message, `cannot reach Redis at 127.0.0.1:${port}: `)
      assert.include(e.message, "ECONNREFUSED")
      assert.notInclude(e.message, "hunter2")
      assert.notInclude(JSON.stringify(e), "hunter2")
      assert.isBelow(Date.now() - t0, 10_000)
    }))

  it.live("readNew interrupted during BLOCK leaves the bus usable (dedicated connection dropped)", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("interrupt")
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const reader = yield* Effect.forkChild(bus.readNew({ consumer: "b1", count: 10, blockMs: 10_000 }))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(reader)
        const p = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const t0 = Date.now()
        // Redis may still hand the entry to the abandoned BLOCK before it sees the socket close:
        // then it is in b1's pending list (never lost), and readNew returns nothing.
        const got = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 300 })
        assert.isBelow(Date.now() - t0, 2000)
        const own = yield* bus.readOwnPending("b1", 10)
        assert.deepStrictEqual(own.map((e) => e.entryId), [p.entryId])
        assert.isAtMost(got.length, 1)
        // And new reads still work on a fresh connection.
        const p2 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const got2 = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 1000 })
        assert.deepStrictEqual(got2.map((e) => e.entryId), [p2.entryId])
      }).pipe(Effect.provide(busLayer(redis, prefix)))
    }))

  it.live("an entry deleted from the stream while pending comes back as Poison and can be dead-lettered", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("xdel")
      const keys = fillBusKeys(prefix)
      const raw = yield* rawClient(redis)
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const p = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 0 })
        yield* Effect.promise(() => raw.xdel(keys.fills, p.entryId))
        const [e] = yield* bus.readOwnPending("b1", 10)
        if (e?._tag !== "Poison") return assert.fail("expected poison")
        assert.strictEqual(e.entryId, p.entryId)
        assert.include(e.reason, "no longer in the stream")
        yield* bus.deadLetter(e.entryId, e.raw, e.reason)
        assert.strictEqual(yield* bus.pendingCount(), 0)
        assert.strictEqual(yield* Effect.promise(() => raw.xlen(keys.deadLetter)), 1)
      }).pipe(Effect.provide(busLayer(redis, prefix)))
    }))

  it.live("fills are trimmed only below the oldest pending and last delivered entry", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("trim")
      const keys = fillBusKeys(prefix)
      const raw = yield* rawClient(redis)
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        for (let i = 0; i < 260; i++) yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const read = yield* bus.readNew({ consumer: "b1", count: 240, blockMs: 0 })
        assert.strictEqual(read.length, 240)
        const keep = read[150]!
        // Complete everything read except entry #150; 20 entries are never delivered.
        for (const e of read) {
          if (e === keep || e._tag !== "Fill") continue
          yield* bus.completeFill(e.entryId, hedgeResultFor(e.fill))
        }
        // Trimmed (approximately, whole nodes of 100) but never at or past the pending entry.
        const len = yield* Effect.promise(() => raw.xlen(keys.fills))
        assert.isBelow(len, 260)
        assert.isAtLeast(len, 110)
        const own = yield* bus.readOwnPending("b1", 10)
        assert.deepStrictEqual(own.map((e) => [e._tag, e.entryId]), [["Fill", keep.entryId]])
        const rest = yield* bus.readNew({ consumer: "b1", count: 100, blockMs: 0 })
        assert.deepStrictEqual(rest.map((e) => e._tag), Array(20).fill("Fill"))
        const hedgesLen = yield* Effect.promise(() => raw.xlen(keys.hedges))
        assert.isAtLeast(hedgesLen, 1)
      }).pipe(Effect.provide(busLayer(redis, prefix, 50)))
    }), 30_000)

  it.live("hedged fill identities are bounded: only the newest maxLen are kept, in one hash and one zset", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("hedged")
      const keys = fillBusKeys(prefix)
      const raw = yield* rawClient(redis)
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        for (let i = 0; i < 12; i++) yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const read = yield* bus.readNew({ consumer: "b1", count: 20, blockMs: 0 })
        for (const e of read) if (e._tag === "Fill") yield* bus.completeFill(e.entryId, hedgeResultFor(e.fill))
        const ids = read.flatMap((e) => (e._tag === "Fill" ? [e.fill.fillId] : []))
        assert.strictEqual(yield* Effect.promise(() => raw.hlen(keys.hedged)), 5)
        assert.deepStrictEqual(yield* Effect.promise(() => raw.zrange(keys.hedgedAt, "0", "-1")), ids.slice(-5))
        assert.isTrue(Option.isNone(yield* bus.hedgedFill(ids[0]!)))
        assert.isTrue(Option.isSome(yield* bus.hedgedFill(ids[11]!)))
        // A corrupt record is a typed error naming the key, not a guess.
        yield* Effect.promise(() => raw.hset(keys.hedged, "x:1", "garbage"))
        const e = yield* bus.hedgedFill("x:1").pipe(Effect.flip)
        assert.strictEqual(e._tag, "BusError")
        assert.include(e.message, keys.hedged)
      }).pipe(Effect.provide(busLayer(redis, prefix, 5)))
    }), 30_000)

  it.live("A's published levels are forgotten once older than the retention, so the keys stay bounded", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("retention")
      const keys = fillBusKeys(prefix)
      const raw = yield* rawClient(redis)
      const layer = RedisFillBus.layer({ prefix, market: LIGHTER_BTC, levelRetentionMs: 300 }).pipe(Layer.provide(connLayer(redis)))
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const old = newOrderIndex()
        yield* bus.publishFill(fillEvent({ orderIndex: old, size: 20 }))
        // Within the retention the level guards against a replay of the same range.
        assert.isTrue((yield* bus.publishFill(fillEvent({ orderIndex: old, size: 20 }))).duplicate)
        yield* Effect.sleep("400 millis")
        const fresh = newOrderIndex()
        yield* bus.publishFill(fillEvent({ orderIndex: fresh, size: 20 }))
        assert.deepStrictEqual([...(yield* bus.publishedLevels()).keys()], [fresh])
        assert.deepStrictEqual(yield* Effect.promise(() => raw.hkeys(keys.last)), [fresh])
        assert.deepStrictEqual(yield* Effect.promise(() => raw.zrange(keys.seen, "0", "-1")), [fresh])
      }).pipe(Effect.provide(layer))
    }), 30_000)
})

describe("redis bus: Redis restart", () => {
  let priv: TestRedis
  beforeAll(async () => {
    priv = await startTestRedis({ private: true })
  })
  afterAll(async () => {
    await priv?.close()
  })

  it.live("the bus recovers after Redis restarts empty: group re-created, publish and read work", () =>
    Effect.gen(function*() {
      const prefix = priv.prefix("restart")
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const [e1] = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 100 })
        if (e1?._tag !== "Fill") return assert.fail("expected a fill")
        yield* bus.completeFill(e1.entryId, hedgeResultFor(e1.fill))

        // A reader is blocked when Redis goes away.
        const blocked = yield* Effect.forkChild(bus.readNew({ consumer: "b1", count: 10, blockMs: 3000 }).pipe(Effect.exit))
        yield* Effect.sleep("100 millis")
        yield* Effect.promise(() => priv.stop())
        const down = yield* bus.pendingCount().pipe(Effect.flip)
        assert.strictEqual(down._tag, "BusError")
        yield* Fiber.join(blocked)
        yield* Effect.promise(() => priv.restart())

        const p = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        assert.isFalse(p.duplicate)
        const got = yield* bus.readNew({ consumer: "b1", count: 10, blockMs: 1000 })
        assert.strictEqual(got.length, 1)
        const [e2] = got
        if (e2?._tag !== "Fill") return assert.fail("expected a fill")
        yield* bus.completeFill(e2.entryId, hedgeResultFor(e2.fill))
        assert.strictEqual(yield* bus.pendingCount(), 0)
        assert.strictEqual((yield* bus.hedgeResults()).length, 1)
      }).pipe(Effect.provide(busLayer(priv, prefix)))
    }), 30_000)
})
