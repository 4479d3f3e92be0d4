// The force-close record (strategy.force_close_timeout): B's request that A and B close their own
// positions, each side's result, and `bin/hedge resume` clearing it — on Redis and in memory alike.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Redis } from "ioredis"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.close()
})

const prefix = `hf-test:force-close:${Date.now().toString(36)}`
const redisLayer = () => RedisPairState.layer({ prefix }).pipe(Layer.provide(RedisConnection.layer({ host: redis.host, port: redis.port, db: 0, connectTimeoutMs: 1000 })))

const request = { id: "FC1", reason: "A 60, B 0 mismatched for 30000 ms", requestedAtMs: 1_700_000_000_000 }
const flatA = { flat: true, positionBase: 0, atMs: 1_700_000_001_000, text: "A: flat" }
const notFlatB = { flat: false, positionBase: -20, atMs: 1_700_000_002_000, text: "B: -20 left" }

const suite = (name: string, layer: () => Layer.Layer<PairState, unknown>) =>
  describe(`${name}: force-close record`, () => {
    it.live("one request at a time; results only for the stored request; resume's clear returns and removes it", () =>
      Effect.gen(function*() {
        const state = yield* PairState
        yield* state.clearForceClose()
        assert.isTrue(Option.isNone(yield* state.forceClose()))
        // A result for no request is dropped.
        yield* state.recordForceCloseResult("FC1", "a", flatA)
        assert.isTrue(Option.isNone(yield* state.forceClose()))

        assert.deepStrictEqual(yield* state.requestForceClose(request), { request })
        // A second request is refused: the first is returned, unchanged.
        const second = yield* state.requestForceClose({ id: "FC2", reason: "other", requestedAtMs: 1 })
        assert.deepStrictEqual(second.request, request)

        yield* state.recordForceCloseResult("FC1", "a", flatA)
        yield* state.recordForceCloseResult("FC2", "b", flatA) // another request's id: ignored
        let stored = yield* state.forceClose()
        assert.deepStrictEqual(Option.getOrThrow(stored), { request, a: flatA })
        yield* state.recordForceCloseResult("FC1", "b", notFlatB)
        yield* state.recordForceCloseResult("FC1", "b", { ...notFlatB, flat: true, positionBase: 0, text: "B: flat" }) // a retry replaces
        stored = yield* state.forceClose()
        assert.deepStrictEqual(Option.getOrThrow(stored).b, { ...notFlatB, flat: true, positionBase: 0, text: "B: flat" })

        const cleared = yield* state.clearForceClose()
        assert.strictEqual(Option.getOrThrow(cleared).request.id, "FC1")
        assert.isTrue(Option.isNone(yield* state.forceClose()))
        assert.isTrue(Option.isNone(yield* state.clearForceClose()))
        // After the clear, a new request is stored.
        const next = yield* state.requestForceClose({ ...request, id: "FC3" })
        assert.strictEqual(next.request.id, "FC3")
        yield* state.clearForceClose()
      }).pipe(Effect.provide(layer())))
  })

suite("memory", () => MemoryPairState.layer())
suite("redis", redisLayer)

describe("redis: an unreadable force-close record", () => {
  it.live("is a typed BusError naming the record, never taken for no request", () =>
    Effect.gen(function*() {
      yield* Effect.promise(async () => {
        const c = new Redis({ host: redis.host, port: redis.port })
        try {
          await c.hset(`${prefix}:force-close`, { id: "FCx", request: "{not json" })
        } finally {
          c.disconnect()
        }
      })
      const state = yield* PairState
      const e = yield* state.forceClose().pipe(Effect.flip)
      assert.strictEqual(e._tag, "BusError")
      assert.match(e.message, /force-close request unreadable/)
      yield* state.clearForceClose().pipe(Effect.ignore)
    }).pipe(Effect.provide(redisLayer())))
})
