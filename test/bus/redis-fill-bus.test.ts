// RedisFillBus beyond the shared contract: records it cannot read are errors naming the key and
// the record (published levels, results, hedged identities), the consumer group of the options,
// a lost group re-created by the operation that finds it missing, and a read of new entries that
// must not block (blockMs 0) returning at once.
import { Effect, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import type { BusError } from "../../src/bus/errors.ts"
import { FillBus } from "../../src/bus/FillBus.ts"
import { readBacklog } from "../../src/bus/redis/inspect.ts"
import { RedisFillBus, type RedisFillBusOptions } from "../../src/bus/redis/RedisFillBus.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { redisFixture } from "../support/redis-fixture.ts"
import { fillEvent, newOrderIndex } from "./contract.ts"

const redis = redisFixture("fill-bus")

type Bus = FillBus["Service"]
const withBus = <A, E>(prefix: string, f: (b: Bus) => Effect.Effect<A, E>, over: Partial<RedisFillBusOptions> = {}) =>
  redis.rt.runPromise(FillBus.use(f).pipe(Effect.provide(RedisFillBus.layer({ prefix, market: LIGHTER_BTC, ...over }).pipe(Layer.orDie))))
const failure = <A>(prefix: string, f: (b: Bus) => Effect.Effect<A, BusError>) => withBus(prefix, (b) => Effect.flip(f(b)))

const groupsOf = async (key: string): Promise<Array<string>> =>
  ((await redis.raw.call("XINFO", "GROUPS", key)) as Array<Array<unknown>>).map((g) => String(g[g.indexOf("name") + 1]))

describe("unreadable records", () => {
  it("published levels: an error naming the hash", async () => {
    const p = redis.fresh("levels")
    await redis.raw.hset(`${p}:a-levels`, "777", "20", "778", "lots")
    const e = await failure(p, (b) => b.publishedLevels())
    expect(e.op).toBe("publishedLevels")
    expect(e.message).toMatch(new RegExp(`^corrupt hash ${p}:a-levels: `))
    await redis.raw.hset(`${p}:a-levels`, "778", "30")
    expect(await withBus(p, (b) => b.publishedLevels())).toEqual(new Map([["777", 20], ["778", 30]]))
  })

  it("hedge results: an error naming the entry and the stream", async () => {
    const p = redis.fresh("results")
    const id = await redis.raw.xadd(`${p}:hedges`, "*", "result", "{not json")
    const e = await failure(p, (b) => b.hedgeResults())
    expect(e.op).toBe("hedgeResults")
    expect(e.message).toMatch(new RegExp(`^corrupt entry ${id} in ${p}:hedges: `))
    // Asked only for what came after it: nothing to read, no error.
    expect(await withBus(p, (b) => b.hedgeResults(id!))).toEqual([])
  })

  it("a hedged identity: an error quoting the first 100 characters of the record", async () => {
    const p = redis.fresh("hedged")
    await redis.raw.hset(`${p}:hedged`, "f:1", `garbage ${"z".repeat(200)}`)
    const e = await failure(p, (b) => b.hedgedFill("f:1"))
    expect(e.op).toBe("hedgedFill")
    expect(e.message).toBe(`corrupt record of f:1 in ${p}:hedged: garbage ${"z".repeat(92)}`)
  })
})

describe("the consumer group", () => {
  it("is \"hedgers\" by default, or the one of the options", async () => {
    const p = redis.fresh("group-default")
    await withBus(p, (b) => b.pendingCount())
    expect(await groupsOf(`${p}:fills`)).toEqual(["hedgers"])

    const q = redis.fresh("group-own")
    const order = newOrderIndex()
    await withBus(q, (b) =>
      Effect.gen(function*() {
        yield* b.publishFill(fillEvent({ orderIndex: order }))
        yield* b.readNew({ consumer: "b-own", count: 10, blockMs: 0 })
      }), { group: "own-group" })
    expect(await groupsOf(`${q}:fills`)).toEqual(["own-group"])
    const backlog = await redis.rt.runPromise(readBacklog(q, "own-group"))
    expect(backlog.consumers.map((c) => [c.name, c.pending])).toEqual([["b-own", 1]])
    expect(await withBus(q, (b) => b.pendingCount(), { group: "own-group" })).toBe(1)
  })

  it("a group lost meanwhile is re-created by the operation that finds it missing", async () => {
    const p = redis.fresh("group-lost")
    const order = newOrderIndex()
    await withBus(p, (b) =>
      Effect.gen(function*() {
        yield* b.publishFill(fillEvent({ orderIndex: order }))
        yield* Effect.promise(() => redis.raw.xgroup("DESTROY", `${p}:fills`, "hedgers"))
        expect(yield* b.pendingCount()).toBe(0)
        expect(yield* Effect.promise(() => groupsOf(`${p}:fills`))).toEqual(["hedgers"])
        // Re-created at the start of the stream: the fill is still delivered.
        const got = yield* b.readNew({ consumer: "b-1", count: 10, blockMs: 0 })
        expect(got.map((e) => e._tag)).toEqual(["Fill"])
      }))
  })
})

describe("readNew", () => {
  it("blockMs 0: nothing new answers at once with nothing", async () => {
    const p = redis.fresh("noblock")
    const got = await withBus(p, (b) => b.readNew({ consumer: "b-1", count: 10, blockMs: 0 }).pipe(Effect.timeout("5 seconds")))
    expect(got).toEqual([])
  })

  it("blockMs > 0: waits for an entry appended meanwhile", async () => {
    const p = redis.fresh("block")
    const order = newOrderIndex()
    const got = await withBus(p, (b) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(b.readNew({ consumer: "b-1", count: 10, blockMs: 5_000 }))
        yield* Effect.sleep("100 millis")
        yield* b.publishFill(fillEvent({ orderIndex: order }))
        return yield* Fiber.join(fiber)
      }))
    expect(got.map((e) => e._tag)).toEqual(["Fill"])
  })
})
