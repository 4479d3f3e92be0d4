// RedisFillBus beyond test/bus/redis-fill-bus.test.ts: the hash of hedged identities' times under
// its documented key, a residual flush that is never a duplicate, the exact answer for a fenced
// fill, a published level that keeps moving under a fill (three tries, then an error), an entry
// deleted while pending claimed as poison, the default retention of published levels, errors that
// name the operation that failed, the pool of blocking read connections (named, reused, closed on
// failure and with the bus), and a script call without a variadic tail sending only its arguments.
import { Effect, Exit, Fiber, Layer, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { FillBus } from "../../src/bus/FillBus.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { CLAIM_STALE, PUBLISH_FILL, RedisFillBus, type RedisFillBusOptions } from "../../src/bus/redis/RedisFillBus.ts"
import { redisScript, scriptCall } from "../../src/bus/redis/script.ts"
import { closingClientIndexA } from "../../src/domain/closing.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { ResidualFlush } from "../../src/domain/messages.ts"
import { redisFixture } from "../support/redis-fixture.ts"
import { fillEvent, hedgeResultFor, newOrderIndex } from "./contract.ts"

const redis = redisFixture("fill-bus-more")

type Bus = FillBus["Service"]
const busLayer = (prefix: string, over: Partial<RedisFillBusOptions> = {}) => RedisFillBus.layer({ prefix, market: LIGHTER_BTC, ...over })
const withBus = <A, E>(prefix: string, f: (b: Bus) => Effect.Effect<A, E>, over: Partial<RedisFillBusOptions> = {}) =>
  redis.rt.runPromise(FillBus.use(f).pipe(Effect.provide(busLayer(prefix, over).pipe(Layer.orDie))))

const waitUntil = async (what: string, cond: () => Promise<boolean>, timeoutMs = 3000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The server's clients named `name` (CLIENT LIST), as their fields. */
const clientsNamed = async (name: string): Promise<Array<Record<string, string>>> => {
  const text = (await redis.raw.call("CLIENT", "LIST")) as string
  return text.split("\n").filter((l) => l.trim() !== "").map((l) =>
    Object.fromEntries(l.trim().split(" ").map((kv) => {
      const i = kv.indexOf("=")
      return [kv.slice(0, i), kv.slice(i + 1)]
    }))
  ).filter((c) => c.name === name)
}

describe("what is stored", () => {
  it("a completed fill's identity is timed in <prefix>:hedged-at", async () => {
    const p = redis.fresh("hedged-at")
    const order = newOrderIndex()
    const fillId = await withBus(p, (b) =>
      Effect.gen(function*() {
        yield* b.publishFill(fillEvent({ orderIndex: order }))
        const [e] = yield* b.readNew({ consumer: "b-1", count: 10, blockMs: 0 })
        if (e?._tag !== "Fill") throw new Error("no fill")
        yield* b.completeFill(e.entryId, hedgeResultFor(e.fill))
        return e.fill.fillId
      }))
    expect(await redis.raw.zrange(`${p}:hedged-at`, "0", "-1")).toEqual([fillId])
    expect(await redis.raw.hkeys(`${p}:hedged`)).toEqual([fillId])
  })

  it("a residual flush is appended, never answered as a duplicate", async () => {
    const p = redis.fresh("flush")
    const flush = new ResidualFlush({ pair: "BTC:1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 35, referencePrice: 1_000_000, requestedAtMs: 5 })
    const [first, second] = await withBus(p, (b) => Effect.all([b.publishResidualFlush(flush), b.publishResidualFlush(flush)]))
    expect(first!.duplicate).toBe(false)
    expect(second!.duplicate).toBe(false)
    expect(second!.fillSeq).toBe(first!.fillSeq + 1)
    expect(await redis.raw.xlen(`${p}:fills`)).toBe(2)
  })

  it("a fenced fill: a duplicate with no sequence number and no entry, and the reason", async () => {
    const p = redis.fresh("fenced")
    const r = await withBus(p, (b) =>
      b.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: closingClientIndexA(Date.now(), 1), filledAfter: 60 })))
    expect(r).toEqual({ duplicate: true, fillSeq: 0, entryId: "", fenced: "a closing order (flatten)" })
    expect(await redis.raw.exists(`${p}:fills`)).toBe(1) // the group's empty stream
    expect(await redis.raw.xlen(`${p}:fills`)).toBe(0)
  })

  it("published levels are kept 7 days by default: one last filled 2 hours ago is still there", async () => {
    const p = redis.fresh("retention")
    const old = newOrderIndex()
    const [sec] = await redis.raw.time()
    const twoHoursAgo = Number(sec) * 1000 - 2 * 3600 * 1000
    await redis.raw.hset(`${p}:a-levels`, old, "50")
    await redis.raw.hset(`${p}:a-last`, old, "1 1-1")
    await redis.raw.zadd(`${p}:a-seen`, twoHoursAgo, old)
    const order = newOrderIndex()
    const levels = await withBus(p, (b) => b.publishFill(fillEvent({ orderIndex: order })).pipe(Effect.andThen(b.publishedLevels())))
    expect(levels).toEqual(new Map([[old, 50], [order, 20]]))
    // A retention of an hour forgets it on the next fill.
    const levels2 = await withBus(p, (b) => b.publishFill(fillEvent({ orderIndex: newOrderIndex() })).pipe(Effect.andThen(b.publishedLevels())), {
      levelRetentionMs: 3600 * 1000
    })
    expect(levels2.has(old)).toBe(false)
  })
})

describe("a published level that keeps moving", () => {
  /** A connection that raises the order's published level before each of the next publishFill calls (another publisher). */
  const raising = (levelsKey: string, order: string, levels: Array<number>, calls: { n: number }) =>
    Layer.effect(
      RedisConnection,
      Effect.gen(function*() {
        const real = yield* RedisConnection
        const runScript: typeof real.runScript = (script, keys, args, ...rest) => {
          if (script.name !== PUBLISH_FILL.name) return real.runScript(script, keys, args, ...rest)
          calls.n++
          const next = levels.shift()
          return (next === undefined ? Effect.void : Effect.promise(() => redis.raw.hset(levelsKey, order, String(next)))).pipe(
            Effect.andThen(real.runScript(script, keys, args, ...rest))
          )
        }
        return RedisConnection.of({ ...real, runScript })
      })
    )

  it("three tries, each publishing only above the level it found; then an error and nothing appended", async () => {
    const p = redis.fresh("moving")
    const order = newOrderIndex()
    const calls = { n: 0 }
    const fill = fillEvent({ orderIndex: order, filledAfter: 100 })
    const e = await redis.rt.runPromise(
      FillBus.use((b) => Effect.flip(b.publishFill(fill))).pipe(
        Effect.provide(busLayer(p).pipe(Layer.provide(raising(`${p}:a-levels`, order, [10, 20, 30], calls)), Layer.orDie))
      )
    )
    expect(e._tag).toBe("BusError")
    expect(e.op).toBe("publishFill")
    expect(e.message).toBe(`fill ${fill.fillId}: published level kept moving`)
    expect(calls.n).toBe(3)
    expect(await redis.raw.xlen(`${p}:fills`)).toBe(0)
  })

  it("a level that moved once: the part above it is appended", async () => {
    const p = redis.fresh("moved-once")
    const order = newOrderIndex()
    const calls = { n: 0 }
    const r = await redis.rt.runPromise(
      FillBus.use((b) => b.publishFill(fillEvent({ orderIndex: order, filledAfter: 100 })).pipe(Effect.zip(b.readNew({ consumer: "b-1", count: 10, blockMs: 0 })))).pipe(
        Effect.provide(busLayer(p).pipe(Layer.provide(raising(`${p}:a-levels`, order, [40], calls)), Layer.orDie))
      )
    )
    expect(calls.n).toBe(2)
    expect(r[0].duplicate).toBe(false)
    const [e] = r[1]
    expect(e?._tag === "Fill" && [e.fill.filledBefore, e.fill.filledAfter, e.fill.size]).toEqual([40, 100, 60])
  })
})

describe("an entry deleted from the stream while pending", () => {
  it("is claimed as poison saying so, after the entries still there", async () => {
    const p = redis.fresh("deleted")
    const got = await withBus(p, (b) =>
      Effect.gen(function*() {
        const kept = yield* b.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const gone = yield* b.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        yield* b.readNew({ consumer: "b-1", count: 10, blockMs: 0 })
        yield* Effect.promise(() => redis.raw.xdel(`${p}:fills`, gone.entryId))
        const claimed = yield* b.claimStale("b-2", 0, 10)
        return { kept, gone, claimed }
      }))
    expect(got.claimed.map((e) => [e._tag, e.entryId])).toEqual([["Fill", got.kept.entryId], ["Poison", got.gone.entryId]])
    const poison = got.claimed[1]
    expect(poison?._tag === "Poison" && poison.reason).toBe("entry no longer in the stream (deleted or trimmed)")
  })
})

describe("errors name the operation that failed", () => {
  it("the group cannot be created on a key of another type: the bus is not made", async () => {
    const p = redis.fresh("err-group")
    await redis.raw.set(`${p}:fills`, "not a stream")
    const e = await redis.rt.runPromise(FillBus.use(() => Effect.void).pipe(Effect.provide(busLayer(p)), Effect.flip))
    expect(e.op).toBe("ensureGroup")
    expect(e.code).toBe("WRONGTYPE")
  })

  it("each read and write on a key of another type, with no attempt to re-create the group", async () => {
    const p = redis.fresh("err-ops")
    const ops = await withBus(p, (b) =>
      Effect.gen(function*() {
        yield* Effect.promise(async () => {
          await redis.raw.del(`${p}:fills`)
          await redis.raw.set(`${p}:fills`, "x")
          await redis.raw.set(`${p}:a-levels`, "x")
          await redis.raw.set(`${p}:hedged`, "x")
          await redis.raw.set(`${p}:hedges`, "x")
        })
        const errs = yield* Effect.all([
          Effect.flip(b.ackDuplicate("1-1")),
          Effect.flip(b.pendingCount()),
          Effect.flip(b.readNew({ consumer: "b-err", count: 1, blockMs: 0 })),
          Effect.flip(b.publishedLevels()),
          Effect.flip(b.hedgedFill("f:1")),
          Effect.flip(b.hedgeResults())
        ])
        return errs.map((e) => [e.op, e.code])
      }))
    expect(ops).toEqual([
      ["ackDuplicate", "WRONGTYPE"],
      ["pendingCount", "WRONGTYPE"],
      ["readNew", "WRONGTYPE"],
      ["publishedLevels", "WRONGTYPE"],
      ["hedgedFill", "WRONGTYPE"],
      ["hedgeResults", "WRONGTYPE"]
    ])
  })
})

describe("blocking read connections", () => {
  it("named after the consumer, reused by the next read, closed with the bus", async () => {
    const p = redis.fresh("pool")
    const consumer = `pool-${p.slice(-12)}`
    const name = `hedgeflow-read-${consumer}`
    const ids = await withBus(p, (b) =>
      Effect.gen(function*() {
        yield* b.readNew({ consumer, count: 1, blockMs: 0 })
        const first = yield* Effect.promise(() => clientsNamed(name))
        yield* b.readNew({ consumer, count: 1, blockMs: 0 })
        const second = yield* Effect.promise(() => clientsNamed(name))
        return [first.map((c) => c.id), second.map((c) => c.id)]
      }))
    expect(ids[0]).toHaveLength(1)
    expect(ids[1]).toEqual(ids[0])
    await waitUntil("the read connection closed with the bus", async () => (await clientsNamed(name)).length === 0)
  })

  it("an interrupted read closes its connection (its BLOCK may still run there); the next read opens another", async () => {
    const p = redis.fresh("pool-interrupt")
    const consumer = `intr-${p.slice(-12)}`
    const name = `hedgeflow-read-${consumer}`
    await withBus(p, (b) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(b.readNew({ consumer, count: 1, blockMs: 20_000 }))
        yield* Effect.promise(() => waitUntil("the read blocking", async () => (await clientsNamed(name)).some((c) => c.cmd === "xreadgroup")))
        const [blocked] = yield* Effect.promise(() => clientsNamed(name))
        const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
        expect(Exit.isFailure(exit)).toBe(true)
        yield* Effect.promise(() => waitUntil("the interrupted read's connection closed", async () => (await clientsNamed(name)).length === 0))
        const got = yield* b.readNew({ consumer, count: 1, blockMs: 0 })
        expect(got).toEqual([])
        const now = yield* Effect.promise(() => clientsNamed(name))
        expect(now.map((c) => c.id)).not.toContain(blocked!.id)
        expect(now).toHaveLength(1)
      }))
  })
})

describe("a script without a variadic tail", () => {
  const ARGC = redisScript({ name: "argc", keys: ["k"], args: ["a", "b"], reply: Schema.Number, source: "return #ARGV" })

  it("is sent its declared arguments only", async () => {
    expect(scriptCall(ARGC, { k: "x" }, { a: 1, b: "2" })).toEqual({ keys: ["x"], args: [1, "2"] })
    const p = redis.fresh("argc")
    const n = await redis.rt.runPromise(RedisConnection.use((c) => c.runScript(ARGC, { k: `${p}:k` }, { a: 1, b: 2 })))
    expect(n).toBe(2)
  })
})

describe("replies of other Redis versions", () => {
  /** A connection whose claimStale script answers `claimReply` and whose blocking reads answer `readReply`. */
  const answering = (claimReply: unknown, readReply: unknown) =>
    Layer.effect(
      RedisConnection,
      Effect.gen(function*() {
        const real = yield* RedisConnection
        const runScript: typeof real.runScript = (script, keys, args, ...rest) =>
          script.name === CLAIM_STALE.name ? Effect.succeed(claimReply as never) : real.runScript(script, keys, args, ...rest)
        const connectBlocking = (name: string) =>
          real.connectBlocking(name).pipe(Effect.map((c) => Object.assign(c, { call: () => Promise.resolve(readReply) })))
        return RedisConnection.of({ ...real, runScript, connectBlocking })
      })
    )
  const withAnswers = <A>(prefix: string, claimReply: unknown, readReply: unknown, f: (b: Bus) => Effect.Effect<A, unknown>) =>
    redis.rt.runPromise(FillBus.use(f).pipe(Effect.provide(busLayer(prefix).pipe(Layer.provide(answering(claimReply, readReply)), Layer.orDie))))

  it("a claimed entry with no fields (Redis 6.2's XAUTOCLAIM for a deleted entry) is poison saying so", async () => {
    const got = await withAnswers(redis.fresh("claim-nil"), [[["5-1", null]], [2], []], null, (b) => b.claimStale("b-2", 0, 10))
    expect(got).toEqual([{ _tag: "Poison", entryId: "5-1", raw: {}, reason: "entry no longer in the stream (deleted or trimmed)" }])
  })

  it("a read answered with an empty list instead of nil: nothing new", async () => {
    expect(await withAnswers(redis.fresh("read-empty"), [[], [], []], [], (b) => b.readNew({ consumer: "b-e", count: 1, blockMs: 0 }))).toEqual([])
  })
})
