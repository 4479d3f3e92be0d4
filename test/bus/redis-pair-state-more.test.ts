// RedisPairState, more of what its callers can see (test/bus/redis-pair-state.test.ts has the rest):
// an update of an intent racing another writer (retried on top of the other's change; given up
// after 20 rounds, with nothing written), open intents in fill order, what an audit line and an
// epoch hash read back, the loss reports of both sides, and the operation every failing Redis
// command is reported under — by a key of the wrong type (WRONGTYPE), or, for commands that
// cannot meet one, by a Redis user not allowed to run them (ACL, NOPERM).
import { Effect, Layer, ManagedRuntime, Option } from "effect"
import { describe, expect, it } from "vitest"
import type { BusError } from "../../src/bus/errors.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { CAS_INTENT, RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("pair-state-more")

type State = PairState["Service"]
type Runtime = ManagedRuntime.ManagedRuntime<RedisConnection, BusError>
const stateLayer = (prefix: string) => RedisPairState.layer({ prefix }).pipe(Layer.orDie)
const withState = <A, E>(prefix: string, f: (s: State) => Effect.Effect<A, E>, rt: Runtime = redis.rt) =>
  rt.runPromise(PairState.use(f).pipe(Effect.provide(stateLayer(prefix))))
const failure = <A>(prefix: string, f: (s: State) => Effect.Effect<A, BusError>, rt: Runtime = redis.rt) =>
  withState(prefix, (s) => Effect.flip(f(s)), rt)

/** The pair state on a connection whose compare-and-set of an intent runs `before(n)` first (n: the call's number, from 1). */
const withStateRacing = <A, E>(prefix: string, before: (n: number) => Promise<void>, f: (s: State) => Effect.Effect<A, E>) => {
  const racing = Layer.effect(
    RedisConnection,
    Effect.gen(function*() {
      const real = yield* RedisConnection
      let n = 0
      const runScript: typeof real.runScript = (script, keys, args, ...rest) =>
        script.name === CAS_INTENT.name
          ? Effect.promise(() => before(++n)).pipe(Effect.andThen(real.runScript(script, keys, args, ...rest)))
          : real.runScript(script, keys, args, ...rest)
      return RedisConnection.of({ ...real, runScript })
    })
  )
  return redis.rt.runPromise(PairState.use(f).pipe(Effect.provide(stateLayer(prefix).pipe(Layer.provide(racing)))))
}

const asUserWithout = redis.asUserWithout

const attempt = (n: number) =>
  new HedgeAttempt({ attempt: n, clientOrderIndex: 1000 + n, side: "sell", base: 20, priceCap: 990_000, sentAtMs: 1_790_000_000_000 })

const openIntent = (p: string, fillId: string, fillSeq = 1) =>
  withState(p, (s) => s.beginHedge({ fillId, fillSeq, signedDelta: 30, minBase: 10, nowMs: 1_790_000_000_000 }))

describe("an intent updated while another writer changes it", () => {
  it("the update is made again on top of the other writer's change", async () => {
    const p = redis.fresh("race-once")
    await openIntent(p, "f:1")
    // Just before the first compare-and-set, another process records attempt 1.
    await withStateRacing(p, async (n) => {
      if (n === 1) await withState(p, (s) => s.recordAttempt("f:1", attempt(1)))
    }, (s) => s.recordAttempt("f:1", attempt(2)))
    const intent = Option.getOrThrow(await withState(p, (s) => s.getIntent("f:1")))
    expect(intent.attempts.map((a) => a.attempt)).toEqual([1, 2])
  })

  it("changed before every one of 20 rounds: an error naming the intent, nothing written, the pool untouched", async () => {
    const p = redis.fresh("race-always")
    await openIntent(p, "f:1")
    await redis.raw.set(`${p}:residual`, "7")
    const key = `${p}:intents`
    // Every round, another writer rewrites the intent (the same intent, spelled differently).
    let rounds = 0
    const e = await withStateRacing(p, async () => {
      rounds++
      const json = (await redis.raw.hget(key, "f:1"))!
      await redis.raw.hset(key, "f:1", json.includes("[ ]") ? json.replace("[ ]", "[]") : json.replace("[]", "[ ]"))
    }, (s) => Effect.flip(s.finishHedge("f:1", 5)))
    expect(rounds).toBe(20)
    expect(e.op).toBe("finishHedge")
    expect(e.message).toBe("hedge intent f:1 kept changing under concurrent updates")
    expect(Option.getOrThrow(await withState(p, (s) => s.getIntent("f:1"))).status).toBe("open")
    expect(await redis.raw.get(`${p}:residual`)).toBe("7")
  })

  it("an attempt on an intent that is not open is refused as recordAttempt", async () => {
    const p = redis.fresh("not-open")
    await withState(p, (s) => s.beginHedge({ fillId: "small:1", fillSeq: 1, signedDelta: 3, minBase: 10, nowMs: 1 }))
    const e = await failure(p, (s) => s.recordAttempt("small:1", attempt(1)))
    expect(e.op).toBe("recordAttempt")
    expect(e.message).toBe("hedge intent small:1 is deferred, not open")
  })
})

describe("what is read back", () => {
  it("open intents in fill order, whatever order they were created in", async () => {
    const p = redis.fresh("open-order")
    for (const seq of [5, 1, 4, 2, 3]) await openIntent(p, `f:${seq}`, seq)
    await withState(p, (s) => s.finishHedge("f:4", 0))
    expect((await withState(p, (s) => s.openIntents())).map((i) => i.fillSeq)).toEqual([1, 2, 3, 5])
  })

  it("an audit line keeps the time it was written", async () => {
    const p = redis.fresh("audit-time")
    const t0 = Date.now()
    await withState(p, (s) => s.audit("note", "written"))
    const t1 = Date.now()
    const [line] = await withState(p, (s) => s.auditLog(5))
    expect(line!.kind).toBe("note")
    expect(line!.atMs).toBeGreaterThanOrEqual(t0)
    expect(line!.atMs).toBeLessThanOrEqual(t1)
    const [[, fields]] = (await redis.raw.xrange(`${p}:audit`, "-", "+")) as [[string, Array<string>]]
    expect(fields).toEqual(["atMs", String(line!.atMs), "kind", "note", "text", "written"])
  })

  it("an epoch hash with fields of its own beyond the marker's is still the marker", async () => {
    const p = redis.fresh("epoch-extra")
    await redis.raw.hset(`${p}:epoch`, "id", "E1", "gen", "1", "createdAtMs", "5", "writtenBy", "a later version")
    expect(await withState(p, (s) => s.epoch())).toEqual(Option.some({ id: "E1", gen: 1, createdAtMs: 5 }))
  })

  it("both sides' loss reports", async () => {
    const p = redis.fresh("loss-both")
    const a = { epochId: "E1", positionBase: 20, atMs: 3, text: "A long 20" }
    const b = { epochId: "E1", positionBase: -20, atMs: 4, text: "B short 20" }
    await withState(p, (s) => s.reportLoss("a", a))
    await withState(p, (s) => s.reportLoss("b", b))
    expect(await withState(p, (s) => s.lossReports())).toStrictEqual({ a, b })
  })

  it("an unreadable force-close request found by forceClose is reported as forceClose", async () => {
    const p = redis.fresh("fc-bad")
    await redis.raw.hset(`${p}:force-close`, "id", "FCx", "request", "{not json")
    const e = await failure(p, (s) => s.forceClose())
    expect(e.op).toBe("forceClose")
    expect(e.message).toBe("force-close request unreadable: {not json")
  })
})

describe("a failing Redis command names its operation", () => {
  it("a key of the wrong type", async () => {
    const p = redis.fresh("wrongtype")
    const cases: ReadonlyArray<readonly [key: string, op: string, call: (s: State) => Effect.Effect<unknown, BusError>]> = [
      ["intents", "getIntent", (s) => s.getIntent("f:1")],
      ["intents", "openIntents", (s) => s.openIntents()],
      ["residual", "residualPool", (s) => s.residualPool()],
      ["state", "tradingState", (s) => s.tradingState()],
      ["state", "setTradingState", (s) => s.setTradingState("HALTED", "test")],
      ["hb:a", "lastHeartbeat", (s) => s.lastHeartbeat("a")],
      ["quote-seq", "nextQuoteSeq", (s) => s.nextQuoteSeq()],
      ["a-quote", "restingQuote", (s) => s.restingQuote()],
      ["epoch", "epoch", (s) => s.epoch()],
      ["fence", "fences", (s) => s.fences()],
      ["audit", "audit", (s) => s.audit("k", "t")],
      ["audit", "auditLog", (s) => s.auditLog(5)],
      ["force-close", "forceClose", (s) => s.forceClose()],
      ["epoch-loss", "reportLoss", (s) => s.reportLoss("a", { epochId: "E1", positionBase: 0, atMs: 1, text: "t" })],
      ["epoch-loss", "lossReports", (s) => s.lossReports()]
    ]
    for (const [key, op, call] of cases) {
      const full = `${p}:${key}`
      await redis.raw.del(full)
      // A string where a hash or stream belongs; a hash where a string belongs.
      if (["residual", "hb:a", "quote-seq", "a-quote"].includes(key)) await redis.raw.hset(full, "x", "1")
      else await redis.raw.set(full, "not this type")
      const e = await failure(p, call)
      expect([op, e.code]).toEqual([op, "WRONGTYPE"])
      expect(e.op).toBe(op)
      expect(e.message.startsWith(`${op} on Redis `)).toBe(true)
      await redis.raw.del(full)
    }
  })

  it("a command this Redis user may not run", async () => {
    const p = redis.fresh("noperm")
    await withState(p, (s) => s.setTradingState("REDUCING", "test"))
    const cases: ReadonlyArray<readonly [denied: string, op: string, call: (s: State) => Effect.Effect<unknown, BusError>]> = [
      ["hmget", "tradingStatus", (s) => s.tradingStatus()],
      ["set", "heartbeat", (s) => s.heartbeat("a", {}, 1000)],
      ["set", "publishQuote", (s) => s.publishQuote(Option.some({ side: "buy", price: 1, clientOrderIndex: 1, base: 1 }))],
      ["del", "publishQuote", (s) => s.publishQuote(Option.none())],
      ["mget", "sequenceCounters", (s) => s.sequenceCounters()]
    ]
    for (const [denied, op, call] of cases) {
      const e = await asUserWithout([denied], (rt) => failure(p, call, rt))
      expect([op, e.code]).toEqual([op, "NOPERM"])
      expect(e.op).toBe(op)
    }
  })
})
