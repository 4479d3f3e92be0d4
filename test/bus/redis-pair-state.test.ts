// RedisPairState beyond the contract both implementations share (test/bus/contract.ts): what it
// says about records it cannot read (the key named, the operation named), the defaults of keys
// never written, fractional arguments truncated before they reach Redis, the fields of partial
// records (trading status, fences, audit lines, force-close results, loss reports), and the
// reasons a quote sequence number is refused.
import { Effect, Layer, Option } from "effect"
import { describe, expect, it } from "vitest"
import type { BusError } from "../../src/bus/errors.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { pairStateKeys, RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("pair-state")

type State = PairState["Service"]
const withState = <A, E>(prefix: string, f: (s: State) => Effect.Effect<A, E>) =>
  redis.rt.runPromise(PairState.use(f).pipe(Effect.provide(RedisPairState.layer({ prefix }).pipe(Layer.orDie))))
const failure = <A>(prefix: string, f: (s: State) => Effect.Effect<A, BusError>) => withState(prefix, (s) => Effect.flip(f(s)))

const attempt = (n: number) =>
  new HedgeAttempt({ attempt: n, clientOrderIndex: 1000 + n, side: "sell", base: 20, priceCap: 990_000, sentAtMs: 1_790_000_000_000 })

describe("hedge intents", () => {
  it("an unreadable intent names the operation and the field of the intents hash", async () => {
    const p = redis.fresh("corrupt")
    await redis.raw.hset(`${p}:intents`, "bad:1", "{not json")
    const get = await failure(p, (s) => s.getIntent("bad:1"))
    expect(get.op).toBe("getIntent")
    expect(get.message).toMatch(new RegExp(`^corrupt hedge intent ${p}:intents\\[bad:1\\]: `))
    const begin = await failure(p, (s) => s.beginHedge({ fillId: "bad:1", fillSeq: 1, signedDelta: 1, minBase: 1, nowMs: 1 }))
    expect(begin.op).toBe("beginHedge")
    expect(begin.message).toMatch(new RegExp(`^corrupt hedge intent ${p}:intents\\[bad:1\\]: `))
    expect((await failure(p, (s) => s.openIntents())).op).toBe("openIntents")
    expect((await failure(p, (s) => s.recordAttempt("bad:1", attempt(1)))).op).toBe("recordAttempt")
    expect((await failure(p, (s) => s.finishHedge("bad:1", 0))).op).toBe("finishHedge")
  })

  it("updating an intent that does not exist, or is not open", async () => {
    const p = redis.fresh("missing")
    const rec = await failure(p, (s) => s.recordAttempt("nope:1", attempt(1)))
    expect(rec.op).toBe("recordAttempt")
    expect(rec.message).toBe(`no hedge intent ${p}:intents[nope:1]`)
    const fin = await failure(p, (s) => s.finishHedge("nope:1", 5))
    expect(fin.op).toBe("finishHedge")
    expect(fin.message).toBe(`no hedge intent ${p}:intents[nope:1]`)

    await withState(p, (s) => s.beginHedge({ fillId: "small:1", fillSeq: 1, signedDelta: 3, minBase: 10, nowMs: 1 }))
    const deferred = await failure(p, (s) => s.recordAttempt("small:1", attempt(1)))
    expect(deferred.message).toBe("hedge intent small:1 is deferred, not open")
    // Finishing a deferred intent changes nothing, the pool included.
    const before = await redis.raw.hget(`${p}:intents`, "small:1")
    await withState(p, (s) => s.finishHedge("small:1", 99))
    expect(await redis.raw.hget(`${p}:intents`, "small:1")).toBe(before)
    expect(await redis.raw.get(`${p}:residual`)).toBe("3")
  })

  it("fractional numbers are truncated: fill sequence, delta, time, the remainder returned to the pool", async () => {
    const p = redis.fresh("trunc")
    const created = await withState(p, (s) => s.beginHedge({ fillId: "f:1", fillSeq: 7.9, signedDelta: -30.7, minBase: 10, nowMs: 1_790_000_000_000.6 }))
    expect(created._tag).toBe("Created")
    expect(created.intent).toMatchObject({ fillSeq: 7, targetSignedBase: -30, status: "open", createdAtMs: 1_790_000_000_000 })
    await withState(p, (s) => s.finishHedge("f:1", -4.8))
    expect(await redis.raw.get(`${p}:residual`)).toBe("-4")
    expect(Option.getOrThrow(await withState(p, (s) => s.getIntent("f:1"))).status).toBe("done")
    // A second finish: nothing more returned.
    await withState(p, (s) => s.finishHedge("f:1", -4))
    expect(await withState(p, (s) => s.residualPool())).toBe(-4)
    const again = await withState(p, (s) => s.beginHedge({ fillId: "f:1", fillSeq: 7, signedDelta: 1, minBase: 1, nowMs: 1 }))
    expect(again._tag).toBe("Existing")
  })
})

describe("values never written, and unreadable ones", () => {
  it("residual pool: 0 when never written; not an integer is an error naming the key", async () => {
    const p = redis.fresh("pool")
    expect(await withState(p, (s) => s.residualPool())).toBe(0)
    for (const v of ["abc", "1.5"]) {
      await redis.raw.set(`${p}:residual`, v)
      const e = await failure(p, (s) => s.residualPool())
      expect(e.op).toBe("residualPool")
      expect(e.message).toMatch(new RegExp(`^corrupt ${p}:residual: `))
    }
    await redis.raw.set(`${p}:residual`, "-12")
    expect(await withState(p, (s) => s.residualPool())).toBe(-12)
    expect(await withState(p, (s) => s.clearResidualPool())).toBe(-12)
    expect(await redis.raw.get(`${p}:residual`)).toBe("0")
    expect(await withState(p, (s) => s.clearResidualPool())).toBe(0)
  })

  it("trading state: ACTIVE with nothing else when never set; an unknown state is an error; status with reason and time", async () => {
    const p = redis.fresh("trading")
    expect(await withState(p, (s) => s.tradingStatus())).toStrictEqual({ state: "ACTIVE" })
    const t0 = Date.now()
    await withState(p, (s) => s.setTradingState("REDUCING", "B heartbeat lost"))
    const t1 = Date.now()
    const st = await withState(p, (s) => s.tradingStatus())
    expect(st.state).toBe("REDUCING")
    expect(st.reason).toBe("B heartbeat lost")
    expect(st.sinceMs).toBeGreaterThanOrEqual(t0)
    expect(st.sinceMs).toBeLessThanOrEqual(t1)
    expect(await redis.raw.hgetall(`${p}:state`)).toStrictEqual({ state: "REDUCING", reason: "B heartbeat lost", since: String(st.sinceMs) })
    await redis.raw.hset(`${p}:state`, "since", "yesterday")
    expect(await withState(p, (s) => s.tradingStatus())).toStrictEqual({ state: "REDUCING", reason: "B heartbeat lost" })
    await redis.raw.hset(`${p}:state`, "state", "PAUSED")
    const e = await failure(p, (s) => s.tradingState())
    expect(e.op).toBe("tradingState")
    expect(e.message).toMatch(new RegExp(`^corrupt ${p}:state: `))
  })

  it("heartbeats: the JSON record with a ttl of at least 1 ms; an unreadable one names its key", async () => {
    const p = redis.fresh("hb")
    const t0 = Date.now()
    await withState(p, (s) => s.heartbeat("a", { phase: "quoting" }, 60_000))
    const stored = JSON.parse((await redis.raw.get(`${p}:hb:a`))!)
    expect(stored.status).toEqual({ phase: "quoting" })
    expect(stored.atMs).toBeGreaterThanOrEqual(t0)
    expect(await redis.raw.pttl(`${p}:hb:a`)).toBeGreaterThan(59_000)
    expect(await redis.raw.exists(`${p}:hb:b`)).toBe(0)
    // A ttl below 1 ms is 1 ms (Redis refuses PX 0 and below).
    await withState(p, (s) => s.heartbeat("b", {}, -5))
    await withState(p, (s) => s.heartbeat("b", {}, 0.2))
    await new Promise((r) => setTimeout(r, 5))
    expect(await redis.raw.exists(`${p}:hb:b`)).toBe(0)
    await redis.raw.set(`${p}:hb:a`, "{\"atMs\":\"x\"}")
    const e = await failure(p, (s) => s.lastHeartbeat("a"))
    expect(e.op).toBe("lastHeartbeat")
    expect(e.message).toMatch(new RegExp(`^corrupt heartbeat ${p}:hb:a: `))
  })

  it("A's quote: stored as text, removed with None; an unreadable one is an error quoting 80 characters", async () => {
    const p = redis.fresh("quote")
    await withState(p, (s) => s.publishQuote(Option.some({ side: "buy", price: 1_000_000, clientOrderIndex: 42, base: 20 })))
    expect(await redis.raw.get(`${p}:a-quote`)).toBe("buy 1000000 42 20")
    expect(await withState(p, (s) => s.restingQuote())).toEqual(Option.some({ side: "buy", price: 1_000_000, clientOrderIndex: 42, base: 20 }))
    await withState(p, (s) => s.publishQuote(Option.none()))
    expect(await redis.raw.exists(`${p}:a-quote`)).toBe(0)
    expect(await withState(p, (s) => s.restingQuote())).toEqual(Option.none())
    await redis.raw.set(`${p}:a-quote`, `sideways ${"9".repeat(100)}`)
    const e = await failure(p, (s) => s.restingQuote())
    expect(e.op).toBe("restingQuote")
    expect(e.message).toBe(`corrupt quote ${p}:a-quote: ${JSON.stringify(`sideways ${"9".repeat(71)}`)}`)
  })

  it("sequence counters: undefined when missing or not a safe integer; raised to floors truncated", async () => {
    const p = redis.fresh("seq")
    expect(await withState(p, (s) => s.sequenceCounters())).toStrictEqual({ fillSeq: undefined, quoteSeq: undefined })
    await redis.raw.set(`${p}:fill-seq`, "1e300")
    await redis.raw.set(`${p}:quote-seq`, "abc")
    expect(await withState(p, (s) => s.sequenceCounters())).toStrictEqual({ fillSeq: undefined, quoteSeq: undefined })
    await redis.raw.del(`${p}:fill-seq`, `${p}:quote-seq`)
    await withState(p, (s) => s.raiseSequences({ fillSeq: 10.9, quoteSeq: 3.2 }))
    expect(await redis.raw.mget(`${p}:fill-seq`, `${p}:quote-seq`)).toEqual(["10", "3"])
    await withState(p, (s) => s.raiseSequences({ quoteSeq: 8 }))
    expect(await withState(p, (s) => s.sequenceCounters())).toStrictEqual({ fillSeq: 10, quoteSeq: 8 })
    expect(await withState(p, (s) => s.nextQuoteSeq())).toBe(9)
  })
})

describe("fences and the audit log", () => {
  it("fences: zeros and no flatten fields when never written; an unreadable time is left out", async () => {
    const p = redis.fresh("fences")
    expect(await withState(p, (s) => s.fences())).toStrictEqual({ flattenQuoteSeq: 0, flattenFillSeq: 0, lossQuoteSeq: 0 })
    await redis.raw.hset(`${p}:fence`, "flattenQuoteSeq", "4", "flattenFillSeq", "9", "flattenId", "F1", "flattenAtMs", "soon", "lossQuoteSeq", "x")
    expect(await withState(p, (s) => s.fences())).toStrictEqual({ flattenQuoteSeq: 4, flattenFillSeq: 9, lossQuoteSeq: 0, flattenId: "F1" })
    await redis.raw.hset(`${p}:fence`, "flattenAtMs", "1790000000000")
    expect((await withState(p, (s) => s.fences())).flattenAtMs).toBe(1_790_000_000_000)
  })

  it("fenceLoss: the quote fence and A's levels truncated", async () => {
    const p = redis.fresh("loss")
    await withState(p, (s) => s.fenceLoss(12.7, new Map([["777", 30.9]])))
    expect(await redis.raw.hget(`${p}:fence`, "lossQuoteSeq")).toBe("12")
    expect(await redis.raw.hget(`${p}:a-levels`, "777")).toBe("30")
  })

  it("auditLog: oldest first, at least one entry, missing fields as 0, ? and empty", async () => {
    const p = redis.fresh("audit")
    expect(await withState(p, (s) => s.auditLog(5))).toEqual([])
    await redis.raw.xadd(`${p}:audit`, "1-0", "note", "hand-written")
    await withState(p, (s) => s.audit("k2", "second"))
    const log = await withState(p, (s) => s.auditLog(10))
    expect(log[0]).toStrictEqual({ atMs: 0, kind: "?", text: "" })
    expect(log[1]).toMatchObject({ kind: "k2", text: "second" })
    expect(await withState(p, (s) => s.auditLog(0))).toEqual([log[1]])
    expect(await withState(p, (s) => s.auditLog(1.9))).toEqual([log[1]])
  })
})

describe("epochs", () => {
  it("every field of a marker round-trips; an unreadable stored marker is none, and an error after a replace", async () => {
    const p = redis.fresh("epoch")
    const marker = { id: "E1", gen: 2, createdAtMs: 100, adoptedAtMs: 200, adoptedBy: "ops", note: "after a loss" }
    expect(await withState(p, (s) => s.replaceEpoch(marker, undefined))).toStrictEqual(marker)
    expect(await redis.raw.hgetall(`${p}:epoch`)).toStrictEqual({ id: "E1", gen: "2", createdAtMs: "100", adoptedAtMs: "200", adoptedBy: "ops", note: "after a loss" })
    expect(await withState(p, (s) => s.epoch())).toEqual(Option.some(marker))
    const bare = { id: "E2", gen: 3, createdAtMs: 300 }
    expect(await withState(p, (s) => s.replaceEpoch(bare, "E1"))).toStrictEqual(bare)
    expect(await redis.raw.hgetall(`${p}:epoch`)).toStrictEqual({ id: "E2", gen: "3", createdAtMs: "300" })

    await redis.raw.hset(`${p}:epoch`, "gen", "zero")
    expect(await withState(p, (s) => s.epoch())).toEqual(Option.none())
    const e = await failure(p, (s) => s.replaceEpoch(marker, "other"))
    expect(e.op).toBe("replaceEpoch")
    expect(e.message).toBe(`no readable epoch in ${p}:epoch after replaceEpoch`)
  })

  it("a quote sequence number is refused with the reason: not ACTIVE, no epoch, another epoch, one not adopted", async () => {
    const p = redis.fresh("claim")
    expect(await withState(p, (s) => s.claimQuoteSeq({}))).toEqual({ _tag: "Granted", seq: 1 })
    expect(await withState(p, (s) => s.claimQuoteSeq({ epochId: "E1" }))).toEqual({ _tag: "Refused", reason: "Redis holds no epoch: its state was lost" })
    await withState(p, (s) => s.replaceEpoch({ id: "E1", gen: 1, createdAtMs: 1 }, undefined))
    expect(await withState(p, (s) => s.claimQuoteSeq({ epochId: "E9" }))).toEqual({ _tag: "Refused", reason: "Redis holds epoch E1, not E9" })
    expect(await withState(p, (s) => s.claimQuoteSeq({ epochId: "E1" }))).toEqual({ _tag: "Refused", reason: "epoch E1 is waiting for an operator" })
    const adopted = await withState(p, (s) => s.adoptEpoch("operator-x"))
    expect(Option.getOrThrow(adopted).adoptedBy).toBe("operator-x")
    expect(await withState(p, (s) => s.claimQuoteSeq({ epochId: "E1" }))).toEqual({ _tag: "Granted", seq: 2 })
    await withState(p, (s) => s.setTradingState("HALTED", "test"))
    expect(await withState(p, (s) => s.claimQuoteSeq({ epochId: "E1" }))).toEqual({ _tag: "Refused", reason: "the pair is HALTED" })
    expect(await withState(p, (s) => s.claimQuoteSeq({}))).toEqual({ _tag: "Refused", reason: "the pair is HALTED" })
    expect(await redis.raw.get(pairStateKeys(p).quoteSeq)).toBe("2")
  })

  it("adopting with no epoch stored: none, nothing written", async () => {
    const p = redis.fresh("adopt-none")
    expect(await withState(p, (s) => s.adoptEpoch("x"))).toEqual(Option.none())
    expect(await redis.raw.exists(`${p}:epoch`, `${p}:audit`)).toBe(0)
  })
})

describe("force close and loss reports", () => {
  const request = { id: "FC1", reason: "mismatch too long", requestedAtMs: 5 }
  const result = { flat: true, positionBase: 0, atMs: 9, text: "closed" }

  it("a side's unreadable result is left out; results for another request are not recorded", async () => {
    const p = redis.fresh("fc")
    expect(await withState(p, (s) => s.requestForceClose(request))).toStrictEqual({ request })
    expect(await withState(p, (s) => s.requestForceClose({ ...request, id: "FC2" }))).toStrictEqual({ request })
    await withState(p, (s) => s.recordForceCloseResult("FC2", "a", result))
    expect(await redis.raw.hexists(`${p}:force-close`, "a")).toBe(0)
    await withState(p, (s) => s.recordForceCloseResult("FC1", "b", result))
    await redis.raw.hset(`${p}:force-close`, "a", "{broken")
    expect(await withState(p, (s) => s.forceClose())).toStrictEqual(Option.some({ request, b: result }))
    expect(await withState(p, (s) => s.clearForceClose())).toStrictEqual(Option.some({ request, b: result }))
    expect(await withState(p, (s) => s.clearForceClose())).toStrictEqual(Option.none())
  })

  it("an unreadable request is an error naming the operation", async () => {
    const p = redis.fresh("fc-bad")
    await redis.raw.hset(`${p}:force-close`, "id", "FCx", "request", "{not json")
    const e = await failure(p, (s) => s.requestForceClose(request))
    expect(e.op).toBe("requestForceClose")
    expect(e.message).toBe("force-close request unreadable: {not json")
    expect((await failure(p, (s) => s.clearForceClose())).op).toBe("clearForceClose")
  })

  it("loss reports: each side's, an unreadable one as none", async () => {
    const p = redis.fresh("loss-reports")
    expect(await withState(p, (s) => s.lossReports())).toStrictEqual({ a: undefined, b: undefined })
    const report = { epochId: "E1", positionBase: -20, atMs: 3, text: "B short 20" }
    await withState(p, (s) => s.reportLoss("b", report))
    expect(JSON.parse((await redis.raw.hget(`${p}:epoch-loss`, "b"))!)).toEqual(report)
    await redis.raw.hset(`${p}:epoch-loss`, "a", "{broken")
    expect(await withState(p, (s) => s.lossReports())).toStrictEqual({ a: undefined, b: report })
  })
})
