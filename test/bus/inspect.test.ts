// The operator's read-only views of a pair's Redis state and its one repair (src/bus/redis/inspect.ts,
// used by bin/hedge status / inspect / drop-intent), on a real Redis with a prefix of this file's
// own: the fill stream's backlog (group lag, pending entries, the oldest unfinished one, counted
// when Redis cannot tell the lag), intents decoded or shown as corrupt, dead letters, the pending
// entry of a fill, dropping an intent with its audit record (only while it is unchanged), the audit
// log. State is written by the real bus where it can be (publishFill, readNew, completeFill,
// deadLetter, beginHedge, audit) and by raw commands where the exact stream ids matter.
import { hostname, userInfo } from "node:os"
import { Effect, Layer, Option } from "effect"
import { describe, expect, it } from "vitest"
import { decodeIntent } from "../../src/bus/codec.ts"
import { BusError } from "../../src/bus/errors.ts"
import { FillBus } from "../../src/bus/FillBus.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import {
  dropIntent,
  entryIdMs,
  findPendingEntry,
  HEDGER_GROUP,
  inspectKeys,
  operator,
  readAudit,
  readBacklog,
  readDeadLetters,
  readIntents
} from "../../src/bus/redis/inspect.ts"
import { RedisFillBus } from "../../src/bus/redis/RedisFillBus.ts"
import { RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { redisFixture } from "../support/redis-fixture.ts"
import { fillEvent, newOrderIndex } from "./contract.ts"

const redis = redisFixture("inspect")

const busLayer = (prefix: string) =>
  Layer.mergeAll(RedisFillBus.layer({ prefix, market: LIGHTER_BTC }), RedisPairState.layer({ prefix }))

/** Runs on the file's connection, with the bus and pair state of `prefix`. */
const onBus = <A, E>(prefix: string, effect: Effect.Effect<A, E, FillBus | PairState | RedisConnection>) =>
  redis.rt.runPromise(effect.pipe(Effect.provide(busLayer(prefix))))
const run = <A, E>(effect: Effect.Effect<A, E, RedisConnection>) => redis.rt.runPromise(effect)
/** The effect's failure (a success fails the test). */
const failureOf = <A>(effect: Effect.Effect<A, BusError, RedisConnection>): Promise<BusError> => redis.rt.runPromise(Effect.flip(effect))

/** Appends entries with explicit ids (their milliseconds are what the views report). */
const addEntries = async (key: string, ids: ReadonlyArray<string>, fields: ReadonlyArray<string> = ["fillId", "x"]) => {
  for (const id of ids) await redis.raw.xadd(key, id, ...fields)
}

describe("inspectKeys, entryIdMs, HEDGER_GROUP", () => {
  it("names the pair's keys under the prefix, and the hedgers' group", () => {
    const k = inspectKeys("pfx")
    expect(k.fills).toBe("pfx:fills")
    expect(k.deadLetter).toBe("pfx:dead-letter")
    expect(k.hedges).toBe("pfx:hedges")
    expect(k.audit).toBe("pfx:audit")
    expect(k.intents).toBe("pfx:intents")
    expect(k.residual).toBe("pfx:residual")
    expect(k.state).toBe("pfx:state")
    expect(k.quoteSeq).toBe("pfx:quote-seq")
    expect(k.hb("a")).toBe("pfx:hb:a")
    expect(HEDGER_GROUP).toBe("hedgers")
  })

  it("reads the milliseconds of a stream entry id; not a safe integer: undefined", () => {
    expect(entryIdMs("1712345678901-0")).toBe(1712345678901)
    expect(entryIdMs("1712345678901-17")).toBe(1712345678901)
    expect(entryIdMs("42")).toBe(42)
    expect(entryIdMs("0-1")).toBe(0)
    expect(entryIdMs("abc-0")).toBeUndefined()
    expect(entryIdMs("1.5-0")).toBeUndefined()
    expect(entryIdMs("9007199254740993-0")).toBeUndefined()
    expect(entryIdMs("-0")).toBe(0)
  })
})

describe("readBacklog", () => {
  /** The backlog when nothing is behind: no entries, no oldest, no consumers. */
  const nothingBehind = { undelivered: 0, undeliveredAtLeast: false, delivered: 0, total: 0, oldestAtMs: undefined, consumers: [] }
  /** A fill stream of four entries (1000-0 … 4000-0) and the hedgers' group, the first entry delivered to c1. */
  const firstOfFourDelivered = async (name: string) => {
    const p = redis.fresh(name)
    const fills = inspectKeys(p).fills
    await addEntries(fills, ["1000-0", "2000-0", "3000-0", "4000-0"])
    await redis.raw.xgroup("CREATE", fills, HEDGER_GROUP, "0")
    await redis.raw.xreadgroup("GROUP", HEDGER_GROUP, "c1", "COUNT", 1, "STREAMS", fills, ">")
    return { p, fills }
  }

  it("no fill stream: nothing, no group", async () => {
    const p = redis.fresh("bl-none")
    expect(await run(readBacklog(p))).toStrictEqual({ groupExists: false, ...nothingBehind })
  })

  it("a stream without the hedgers' group: every entry undelivered, the oldest by its id; another group is not taken for it", async () => {
    const p = redis.fresh("bl-nogroup")
    const fills = inspectKeys(p).fills
    await addEntries(fills, ["1000-0", "2000-0", "2500-3"])
    await redis.raw.xgroup("CREATE", fills, "other", "$")
    expect(await run(readBacklog(p))).toStrictEqual({
      groupExists: false,
      undelivered: 3,
      undeliveredAtLeast: false,
      delivered: 0,
      total: 3,
      oldestAtMs: 1000,
      consumers: []
    })
    // The other group, asked by name: created at the end, so nothing is behind it.
    expect(await run(readBacklog(p, "other"))).toStrictEqual({ groupExists: true, ...nothingBehind })
  })

  it("an empty stream without the group: nothing undelivered, no oldest", async () => {
    const p = redis.fresh("bl-empty")
    const fills = inspectKeys(p).fills
    await addEntries(fills, ["1000-0"])
    await redis.raw.xdel(fills, "1000-0")
    expect(await run(readBacklog(p))).toStrictEqual({ groupExists: false, ...nothingBehind })
  })

  it("with the group: lag and pending entries, the oldest of both, each consumer's pending count and idle time", async () => {
    const { p, fills } = await firstOfFourDelivered("bl-group")
    await new Promise((r) => setTimeout(r, 30))
    const one = await run(readBacklog(p))
    expect(one).toMatchObject({ groupExists: true, undelivered: 3, undeliveredAtLeast: false, delivered: 1, total: 4, oldestAtMs: 1000 })
    expect(one.consumers).toHaveLength(1)
    expect(one.consumers[0]!.name).toBe("c1")
    expect(one.consumers[0]!.pending).toBe(1)
    expect(one.consumers[0]!.idleMs).toBeGreaterThanOrEqual(20)

    // The pending one finished: the oldest is the first undelivered entry.
    await redis.raw.xack(fills, HEDGER_GROUP, "1000-0")
    const two = await run(readBacklog(p))
    expect(two).toMatchObject({ groupExists: true, undelivered: 3, delivered: 0, total: 3, oldestAtMs: 2000 })
    expect(two.consumers).toEqual([expect.objectContaining({ name: "c1", pending: 0 })])

    // Everything delivered to a second consumer: the oldest is the oldest pending entry.
    await redis.raw.xreadgroup("GROUP", HEDGER_GROUP, "c2", "COUNT", 10, "STREAMS", fills, ">")
    const three = await run(readBacklog(p))
    expect(three).toMatchObject({ groupExists: true, undelivered: 0, undeliveredAtLeast: false, delivered: 3, total: 3, oldestAtMs: 2000 })
    expect(three.consumers.map((c) => [c.name, c.pending])).toEqual([["c1", 0], ["c2", 3]])

    // All finished: no oldest.
    await redis.raw.xack(fills, HEDGER_GROUP, "2000-0", "3000-0", "4000-0")
    expect(await run(readBacklog(p))).toMatchObject({ undelivered: 0, delivered: 0, total: 0, oldestAtMs: undefined })
  })

  it("Redis cannot tell the lag (an entry deleted after the last delivered one): the undelivered entries are counted", async () => {
    const { p, fills } = await firstOfFourDelivered("bl-nolag")
    await redis.raw.xdel(fills, "3000-0")
    const info = (await redis.raw.call("XINFO", "GROUPS", fills)) as Array<Array<unknown>>
    expect(info[0]![info[0]!.indexOf("lag") + 1]).toBeNull() // the premise
    const b = await run(readBacklog(p))
    expect(b).toMatchObject({ groupExists: true, undelivered: 2, undeliveredAtLeast: false, delivered: 1, total: 3, oldestAtMs: 1000 })

    // The pending one finished: the oldest is the first entry after the last delivered one.
    await redis.raw.xack(fills, HEDGER_GROUP, "1000-0")
    expect(await run(readBacklog(p))).toMatchObject({ undelivered: 2, delivered: 0, total: 2, oldestAtMs: 2000 })
  })

  it("counting stops at 10 000 entries and says so", async () => {
    const p = redis.fresh("bl-limit")
    const fills = inspectKeys(p).fills
    await redis.raw.xgroup("CREATE", fills, HEDGER_GROUP, "0", "MKSTREAM")
    const pipe = redis.raw.pipeline()
    for (let i = 1; i <= 10_001; i++) pipe.xadd(fills, `${i}-0`, "f", "v")
    await pipe.exec()
    await redis.raw.xdel(fills, "5-0") // lag unknown from here on
    const b = await run(readBacklog(p))
    expect(b).toMatchObject({ groupExists: true, undelivered: 10_000, undeliveredAtLeast: true, delivered: 0, total: 10_000, oldestAtMs: 1 })
    await redis.raw.del(fills)
  })

  it("through the bus: fills published, one read and not yet completed, one completed", async () => {
    const p = redis.fresh("bl-bus")
    const order = newOrderIndex()
    const [f1, f2, f3] = [fillEvent({ orderIndex: order, filledAfter: 10 }), fillEvent({ orderIndex: order, filledBefore: 10, filledAfter: 30 }), fillEvent({ orderIndex: order, filledBefore: 30, filledAfter: 60 })]
    const ids = await onBus(p, Effect.gen(function*() {
      const bus = yield* FillBus
      const a = yield* bus.publishFill(f1)
      const b = yield* bus.publishFill(f2)
      const c = yield* bus.publishFill(f3)
      const read = yield* bus.readNew({ consumer: "b-main", count: 2, blockMs: 0 })
      expect(read.map((e) => e.entryId)).toEqual([a.entryId, b.entryId])
      yield* bus.ackDuplicate(a.entryId)
      return [a.entryId, b.entryId, c.entryId] as const
    }))
    const b = await run(readBacklog(p))
    expect(b).toMatchObject({ groupExists: true, undelivered: 1, undeliveredAtLeast: false, delivered: 1, total: 2, oldestAtMs: entryIdMs(ids[1]) })
    expect(b.consumers.map((c) => [c.name, c.pending])).toEqual([["b-main", 1]])
  })
})

describe("readIntents", () => {
  it("no intents: an empty list", async () => {
    expect(await run(readIntents(redis.fresh("in-none")))).toEqual([])
  })

  it("decodes each intent, oldest fill first (ties by fill id), corrupt records last with the first line of the reason", async () => {
    const p = redis.fresh("in-rows")
    const intentsKey = inspectKeys(p).intents
    await redis.raw.hset(intentsKey, "zz-corrupt", "{not json")
    const created = await onBus(p, Effect.gen(function*() {
      const ps = yield* PairState
      const begin = (fillId: string, fillSeq: number, signedDelta: number) =>
        ps.beginHedge({ fillId, fillSeq, signedDelta, minBase: 10, nowMs: 1_790_000_000_000 + fillSeq }).pipe(Effect.map((r) => r.intent))
      return {
        b: yield* begin("f-b", 30, -50),
        d: yield* begin("f-d", 20, 4),
        c: yield* begin("f-c", 20, 40),
        a: yield* begin("f-a", 10, 25)
      }
    }))
    const wrongShape = JSON.stringify({ fillId: "aa-corrupt", fillSeq: 1 })
    await redis.raw.hset(intentsKey, "aa-corrupt", wrongShape)

    const rows = await run(readIntents(p))
    expect(rows.map((r) => `${r._tag}:${r.fillId}`)).toEqual([
      "Intent:f-a",
      "Intent:f-c",
      "Intent:f-d",
      "Intent:f-b",
      "Corrupt:aa-corrupt",
      "Corrupt:zz-corrupt"
    ])
    const byId = new Map(rows.map((r) => [r.fillId, r]))
    for (const [id, intent] of [["f-a", created.a], ["f-b", created.b], ["f-c", created.c], ["f-d", created.d]] as const) {
      const row = byId.get(id)!
      expect(row).toStrictEqual({ _tag: "Intent", fillId: id, intent, raw: (await redis.raw.hget(intentsKey, id))! })
    }
    expect(created.d.status).toBe("deferred")
    expect(created.c.status).toBe("open")
    for (const [id, text] of [["aa-corrupt", wrongShape], ["zz-corrupt", "{not json"]] as const) {
      const r = decodeIntent(text)
      if (r._tag !== "Failure") throw new Error("premise: undecodable")
      const firstLine = r.failure.message.split("\n")[0]!
      expect(byId.get(id)).toStrictEqual({ _tag: "Corrupt", fillId: id, raw: text, reason: firstLine })
    }
    // The wrong shape's message has more lines than the one shown.
    const multi = decodeIntent(wrongShape)
    expect(multi._tag === "Failure" && multi.failure.message.includes("\n")).toBe(true)
  })
})

describe("readDeadLetters", () => {
  it("no dead letters: total 0, none", async () => {
    expect(await run(readDeadLetters(redis.fresh("dl-none")))).toEqual({ total: 0, letters: [] })
  })

  it("the newest first, with the entry id, reason, time and the entry's raw fields; count limits the list, not the total", async () => {
    const p = redis.fresh("dl-rows")
    const order = newOrderIndex()
    const t0 = Date.now()
    const entryId = await onBus(p, Effect.gen(function*() {
      const bus = yield* FillBus
      const pub = yield* bus.publishFill(fillEvent({ orderIndex: order, filledAfter: 5 }))
      const [entry] = yield* bus.readNew({ consumer: "b-main", count: 1, blockMs: 0 })
      yield* bus.deadLetter(pub.entryId, entry!.raw, "not this pair's fill")
      // An entry no longer in the stream is recorded too.
      yield* bus.deadLetter("1-1", { odd: "field", n: "7" }, "undecodable")
      return pub.entryId
    }))
    const t1 = Date.now()
    const stored = await redis.raw.xrange(inspectKeys(p).fills, entryId, entryId)
    const storedFields: Record<string, string> = {}
    for (let i = 0; i < stored[0]![1].length; i += 2) storedFields[stored[0]![1][i]!] = stored[0]![1][i + 1]!

    const all = await run(readDeadLetters(p))
    expect(all.total).toBe(2)
    expect(all.letters.map((l) => [l.entryId, l.reason])).toEqual([["1-1", "undecodable"], [entryId, "not this pair's fill"]])
    const [newest, oldest] = all.letters
    expect(newest!.raw).toStrictEqual({ odd: "field", n: "7" })
    expect(oldest!.raw).toStrictEqual(storedFields)
    for (const l of all.letters) {
      expect(l.deadAtMs).toBeGreaterThanOrEqual(t0)
      expect(l.deadAtMs).toBeLessThanOrEqual(t1)
    }
    const ids = (await redis.raw.xrevrange(inspectKeys(p).deadLetter, "+", "-")).map(([id]) => id)
    expect(all.letters.map((l) => l.id)).toEqual(ids)

    const one = await run(readDeadLetters(p, 1))
    expect(one.total).toBe(2)
    expect(one.letters.map((l) => l.entryId)).toEqual(["1-1"])
    expect(await run(readDeadLetters(p, 0))).toEqual({ total: 2, letters: [] })
    expect(await run(readDeadLetters(p, -3))).toEqual({ total: 2, letters: [] })
  })

  it("a record missing its fields is shown with empty ones; only raw.* fields are the entry's", async () => {
    const p = redis.fresh("dl-odd")
    const key = inspectKeys(p).deadLetter
    await redis.raw.xadd(key, "5-0", "rawish", "no", "raw.", "empty-name", "x.raw.y", "no", "raw.k", "v")
    await redis.raw.xadd(key, "6-0", "entryId", "9-9", "reason", "r", "deadAtMs", "soon")
    const { letters } = await run(readDeadLetters(p))
    expect(letters).toStrictEqual([
      { id: "6-0", entryId: "9-9", reason: "r", deadAtMs: undefined, raw: {} },
      { id: "5-0", entryId: "", reason: "", deadAtMs: undefined, raw: { "": "empty-name", k: "v" } }
    ])
  })

  it("50 by default", async () => {
    const p = redis.fresh("dl-default")
    const pipe = redis.raw.pipeline()
    for (let i = 1; i <= 51; i++) pipe.xadd(inspectKeys(p).deadLetter, `${i}-0`, "entryId", `e${i}`, "reason", "r", "deadAtMs", String(i))
    await pipe.exec()
    const r = await run(readDeadLetters(p))
    expect(r.total).toBe(51)
    expect(r.letters).toHaveLength(50)
    expect(r.letters[0]).toMatchObject({ entryId: "e51", deadAtMs: 51 })
    expect(r.letters[49]).toMatchObject({ entryId: "e2", deadAtMs: 2 })
  })
})

describe("findPendingEntry", () => {
  it("no stream, or no group: none", async () => {
    const p = redis.fresh("fp-none")
    expect(await run(findPendingEntry(p, "x"))).toEqual(Option.none())
    await addEntries(inspectKeys(p).fills, ["1-0"], ["fillId", "x"])
    expect(await run(findPendingEntry(p, "x"))).toEqual(Option.none())
  })

  it("finds the delivered, unacknowledged entry carrying the fill; not an undelivered, finished, deleted or other group's one", async () => {
    const p = redis.fresh("fp-bus")
    const order = newOrderIndex()
    const fills = [5, 10, 20].map((after, i) => fillEvent({ orderIndex: order, filledBefore: [0, 5, 10][i]!, filledAfter: after }))
    const ids = await onBus(p, Effect.gen(function*() {
      const bus = yield* FillBus
      const out: Array<string> = []
      for (const f of fills) out.push((yield* bus.publishFill(f)).entryId)
      yield* bus.readNew({ consumer: "b-main", count: 2, blockMs: 0 })
      return out
    }))
    expect(await run(findPendingEntry(p, fills[0]!.fillId))).toEqual(Option.some(ids[0]))
    expect(await run(findPendingEntry(p, fills[1]!.fillId))).toEqual(Option.some(ids[1]))
    expect(await run(findPendingEntry(p, fills[2]!.fillId))).toEqual(Option.none()) // not delivered yet
    expect(await run(findPendingEntry(p, "no-such-fill"))).toEqual(Option.none())
    expect(await run(findPendingEntry(p, fills[1]!.fillId, "another-group"))).toEqual(Option.none())

    await onBus(p, FillBus.use((bus) => bus.ackDuplicate(ids[1]!)))
    expect(await run(findPendingEntry(p, fills[1]!.fillId))).toEqual(Option.none())
    await redis.raw.xdel(inspectKeys(p).fills, ids[0]!)
    expect(await run(findPendingEntry(p, fills[0]!.fillId))).toEqual(Option.none())
  })

  it("an error other than a missing group fails with the reply's code", async () => {
    const p = redis.fresh("fp-wrongtype")
    await redis.raw.set(inspectKeys(p).fills, "not a stream")
    const e = await failureOf(findPendingEntry(p, "x"))
    expect(e).toBeInstanceOf(BusError)
    expect(e.op).toBe("xpending")
    expect(e.code).toBe("WRONGTYPE")
  })
})

describe("dropIntent and readAudit", () => {
  const setUpIntent = async (p: string, fillId: string) => {
    await onBus(p, PairState.use((ps) => ps.beginHedge({ fillId, fillSeq: 7, signedDelta: 30, minBase: 10, nowMs: 1_790_000_000_000 })))
    return (await redis.raw.hget(inspectKeys(p).intents, fillId))!
  }

  it("removes the unchanged intent and records who, where, the intent and the details in the audit stream", async () => {
    const p = redis.fresh("drop-ok")
    const intent = await setUpIntent(p, "fill-1")
    await setUpIntent(p, "fill-2")
    const t0 = Date.now()
    await run(dropIntent(p, "fill-1", intent, "resolved by the operator", { order: "123", note: "filled on the venue" }))
    const t1 = Date.now()
    expect(await redis.raw.hget(inspectKeys(p).intents, "fill-1")).toBeNull()
    expect(await redis.raw.hget(inspectKeys(p).intents, "fill-2")).not.toBeNull()

    const who = operator()
    const audit = await run(readAudit(p))
    expect(audit).toHaveLength(1)
    const entry = audit[0]!
    expect(Number(entry["atMs"])).toBeGreaterThanOrEqual(t0)
    expect(Number(entry["atMs"])).toBeLessThanOrEqual(t1)
    const stored = await redis.raw.xrange(inspectKeys(p).audit, "-", "+")
    expect(entry).toStrictEqual({
      id: stored[0]![0],
      atMs: entry["atMs"],
      kind: "drop-intent",
      text: `resolved by the operator (by ${who.by}@${who.host})`,
      by: who.by,
      host: who.host,
      fillId: "fill-1",
      intent,
      order: "123",
      note: "filled on the venue"
    })
    // The record's fields in their order: the standard ones, then the details.
    expect(stored[0]![1].filter((_, i) => i % 2 === 0)).toEqual(["atMs", "kind", "text", "by", "host", "fillId", "intent", "order", "note"])
  })

  it("an intent changed meanwhile, or gone, is not dropped and nothing is recorded", async () => {
    const p = redis.fresh("drop-changed")
    const intent = await setUpIntent(p, "fill-1")
    const message = "intent fill-1 changed (or was removed) while it was being resolved; nothing was dropped — look again with bin/hedge inspect"
    const changed = await failureOf(dropIntent(p, "fill-1", intent.replace('"attempts":[]', '"attempts":[ ]'), "t", {}))
    expect(changed).toBeInstanceOf(BusError)
    expect(changed.op).toBe("dropIntent")
    expect(changed.message).toBe(message)
    expect(changed.code).toBeUndefined()
    expect(await redis.raw.hget(inspectKeys(p).intents, "fill-1")).toBe(intent)
    expect(await redis.raw.exists(inspectKeys(p).audit)).toBe(0)

    const gone = await failureOf(dropIntent(p, "fill-9", intent, "t", {}))
    expect(gone.message).toBe(message.replace("fill-1", "fill-9"))
    expect(await redis.raw.exists(inspectKeys(p).audit)).toBe(0)
  })

  it("the audit stream stays bounded (about 1000 entries)", async () => {
    const p = redis.fresh("drop-trim")
    const intent = await setUpIntent(p, "fill-1")
    const pipe = redis.raw.pipeline()
    for (let i = 0; i < 1500; i++) pipe.xadd(inspectKeys(p).audit, "*", "atMs", "1", "kind", "k", "text", `t${i}`)
    await pipe.exec()
    await run(dropIntent(p, "fill-1", intent, "t", {}))
    const len = await redis.raw.xlen(inspectKeys(p).audit)
    expect(len).toBeGreaterThanOrEqual(1000)
    expect(len).toBeLessThan(1200)
  })

  it("readAudit: the newest first, 20 by default, with each entry's id", async () => {
    const p = redis.fresh("audit")
    expect(await run(readAudit(p))).toEqual([])
    await onBus(p, PairState.use((ps) => Effect.forEach(Array.from({ length: 25 }, (_, i) => i), (i) => ps.audit(`kind-${i}`, `text ${i}`), { discard: true })))
    const all = await run(readAudit(p))
    expect(all).toHaveLength(20)
    expect(all.map((e) => e["text"])).toEqual(Array.from({ length: 20 }, (_, i) => `text ${24 - i}`))
    expect(all[0]).toMatchObject({ kind: "kind-24", text: "text 24" })
    const ids = (await redis.raw.xrevrange(inspectKeys(p).audit, "+", "-", "COUNT", 3)).map(([id]) => id)
    expect((await run(readAudit(p, 3))).map((e) => e.id)).toEqual(ids)
  })
})

describe("operator", () => {
  it("is this process's user and host", () => {
    expect(operator()).toEqual({ by: userInfo().username, host: hostname() })
  })
})
