// The operator's Redis views (src/bus/redis/inspect.ts), more of what they show (test/bus/inspect.test.ts
// has the rest): a lag Redis knows is taken as it is (past the 10 000 that counting stops at), an
// entry id whose milliseconds are past 2^53 is not taken for the oldest, entries trimmed while the
// backlog is read; the commands each view needs (a Redis user not allowed the others still gets
// its answer); and the operation every failing Redis command is reported under — by a key of the
// wrong type (WRONGTYPE), or by a Redis user not allowed to run the command (ACL, NOPERM).
import { Effect, Layer, ManagedRuntime, Option } from "effect"
import { describe, expect, it } from "vitest"
import type { BusError } from "../../src/bus/errors.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { findPendingEntry, HEDGER_GROUP, inspectKeys, readAudit, readBacklog, readDeadLetters, readIntents } from "../../src/bus/redis/inspect.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("inspect-more")

type Runtime = ManagedRuntime.ManagedRuntime<RedisConnection, BusError>
const run = <A, E>(effect: Effect.Effect<A, E, RedisConnection>, rt: Runtime = redis.rt) => rt.runPromise(effect)
const failureOf = <A>(effect: Effect.Effect<A, BusError, RedisConnection>, rt: Runtime = redis.rt): Promise<BusError> =>
  rt.runPromise(Effect.flip(effect))

const asUserWithout = redis.asUserWithout

/** The operation a view fails under for a user not allowed `denied`, and the reply's code. */
const deniedOp = (denied: string, effect: Effect.Effect<unknown, BusError, RedisConnection>) =>
  asUserWithout([denied], async (rt) => {
    const e = await failureOf(effect, rt)
    return [e.op, e.code]
  })

const addEntries = async (key: string, ids: ReadonlyArray<string>) => {
  for (const id of ids) await redis.raw.xadd(key, id, "fillId", `fill-${id}`)
}
/** Entries 1000-0 … 4000-0 and the hedgers' group from the start; `delivered` of them read by c1. */
const stream = async (name: string, delivered: number) => {
  const p = redis.fresh(name)
  const fills = inspectKeys(p).fills
  await addEntries(fills, ["1000-0", "2000-0", "3000-0", "4000-0"])
  await redis.raw.xgroup("CREATE", fills, HEDGER_GROUP, "0")
  if (delivered > 0) await redis.raw.xreadgroup("GROUP", HEDGER_GROUP, "c1", "COUNT", delivered, "STREAMS", fills, ">")
  return { p, fills }
}

describe("readBacklog", () => {
  it("a lag Redis knows is taken as it is, beyond the 10 000 entries counting stops at", async () => {
    const p = redis.fresh("lag-known")
    const fills = inspectKeys(p).fills
    await redis.raw.xgroup("CREATE", fills, HEDGER_GROUP, "0", "MKSTREAM")
    const pipe = redis.raw.pipeline()
    for (let i = 1; i <= 10_001; i++) pipe.xadd(fills, `${i}-0`, "f", "v")
    await pipe.exec()
    expect(await run(readBacklog(p))).toStrictEqual({
      groupExists: true,
      undelivered: 10_001,
      undeliveredAtLeast: false,
      delivered: 0,
      total: 10_001,
      oldestAtMs: 1,
      consumers: []
    })
    await redis.raw.del(fills)
  })

  it("an entry id whose milliseconds are not a safe integer is not the oldest", async () => {
    const p = redis.fresh("huge-id")
    const fills = inspectKeys(p).fills
    await addEntries(fills, ["1000-0", "9007199254740993-0"])
    await redis.raw.xgroup("CREATE", fills, HEDGER_GROUP, "0")
    await redis.raw.xreadgroup("GROUP", HEDGER_GROUP, "c1", "COUNT", 1, "STREAMS", fills, ">")
    expect(await run(readBacklog(p))).toMatchObject({ undelivered: 1, delivered: 1, total: 2, oldestAtMs: 1000 })
    // Only that one left: no oldest.
    await redis.raw.xack(fills, HEDGER_GROUP, "1000-0")
    expect(await run(readBacklog(p))).toMatchObject({ undelivered: 1, delivered: 0, total: 1, oldestAtMs: undefined })
  })

  it("the undelivered entries trimmed away just before the oldest is looked up: no oldest", async () => {
    const { p, fills } = await stream("trimmed", 0)
    const trimming = Layer.effect(
      RedisConnection,
      Effect.gen(function*() {
        const real = yield* RedisConnection
        const run: typeof real.run = (op, f) =>
          op === "xrange" ? Effect.promise(() => redis.raw.xtrim(fills, "MAXLEN", 0)).pipe(Effect.andThen(real.run(op, f))) : real.run(op, f)
        return RedisConnection.of({ ...real, run })
      })
    )
    const b = await redis.rt.runPromise(readBacklog(p).pipe(Effect.provide(trimming)))
    expect(b).toStrictEqual({ groupExists: true, undelivered: 4, undeliveredAtLeast: false, delivered: 0, total: 4, oldestAtMs: undefined, consumers: [] })
  })

  it("needs no range read when nothing is undelivered, and no pending summary when nothing is pending", async () => {
    const { p } = await stream("all-delivered", 4)
    expect(await asUserWithout(["xrange"], (rt) => run(readBacklog(p), rt))).toMatchObject({ undelivered: 0, delivered: 4, oldestAtMs: 1000 })
    const { p: q } = await stream("none-delivered", 0)
    expect(await asUserWithout(["xpending"], (rt) => run(readBacklog(q), rt))).toMatchObject({ undelivered: 4, delivered: 0, oldestAtMs: 1000 })
  })

  it("a failing command names its operation", async () => {
    const noStream = redis.fresh("ops-none")
    expect(await deniedOp("exists", readBacklog(noStream))).toEqual(["exists", "NOPERM"])

    const wrong = redis.fresh("ops-wrongtype")
    await redis.raw.set(inspectKeys(wrong).fills, "not a stream")
    const e = await failureOf(readBacklog(wrong))
    expect([e.op, e.code]).toEqual(["xinfoGroups", "WRONGTYPE"])

    // No group: the stream's length, then its first entry.
    const noGroup = redis.fresh("ops-nogroup")
    await addEntries(inspectKeys(noGroup).fills, ["1000-0"])
    expect(await deniedOp("xlen", readBacklog(noGroup))).toEqual(["xlen", "NOPERM"])
    expect(await deniedOp("xrange", readBacklog(noGroup))).toEqual(["xrange", "NOPERM"])

    // A lag Redis knows: the first undelivered entry.
    const { p: lagKnown } = await stream("ops-lag", 1)
    expect(await deniedOp("xrange", readBacklog(lagKnown))).toEqual(["xrange", "NOPERM"])
    expect(await deniedOp("xpending", readBacklog(lagKnown))).toEqual(["xpending", "NOPERM"])
    expect(await deniedOp("xinfo|consumers", readBacklog(lagKnown))).toEqual(["xinfoConsumers", "NOPERM"])

    // A lag Redis cannot tell: counted.
    const { p: lagUnknown, fills } = await stream("ops-nolag", 1)
    await redis.raw.xdel(fills, "3000-0")
    expect(await deniedOp("xrange", readBacklog(lagUnknown))).toEqual(["xrange", "NOPERM"])
  })
})

describe("findPendingEntry", () => {
  it("no fill stream: none, without asking for pending entries", async () => {
    const p = redis.fresh("fp-none")
    expect(await asUserWithout(["xpending"], (rt) => run(findPendingEntry(p, "x"), rt))).toEqual(Option.none())
  })

  it("a failing command names its operation", async () => {
    const { p } = await stream("fp-ops", 2)
    expect(await run(findPendingEntry(p, "fill-2000-0"))).toEqual(Option.some("2000-0"))
    expect(await deniedOp("exists", findPendingEntry(p, "fill-2000-0"))).toEqual(["exists", "NOPERM"])
    expect(await deniedOp("xrange", findPendingEntry(p, "fill-2000-0"))).toEqual(["xrange", "NOPERM"])
  })
})

describe("readDeadLetters", () => {
  it("the total alone needs no range read", async () => {
    const p = redis.fresh("dl-total")
    await redis.raw.xadd(inspectKeys(p).deadLetter, "5-0", "entryId", "1-1", "reason", "r", "deadAtMs", "5")
    for (const count of [0, -1]) {
      expect(await asUserWithout(["xrevrange"], (rt) => run(readDeadLetters(p, count), rt))).toEqual({ total: 1, letters: [] })
    }
    expect(await deniedOp("xrevrange", readDeadLetters(p, 5))).toEqual(["xrevrange", "NOPERM"])
  })
})

describe("keys of the wrong type name the operation", () => {
  it("dead letters, intents, audit", async () => {
    const p = redis.fresh("wrongtype")
    const k = inspectKeys(p)
    for (const key of [k.deadLetter, k.intents, k.audit]) await redis.raw.set(key, "not this type")
    const cases = [
      ["xlen", readDeadLetters(p)],
      ["readIntents", readIntents(p)],
      ["xrevrange", readAudit(p)]
    ] as const
    for (const [op, effect] of cases) {
      const e = await failureOf(effect as Effect.Effect<unknown, BusError, RedisConnection>)
      expect([e.op, e.code]).toEqual([op, "WRONGTYPE"])
    }
  })
})
