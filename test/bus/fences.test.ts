// The Redis scripts behind "flatten is final" and "lost Redis state is detected, not trusted"
// (issue 8): a flatten's fence, the loss fence, the quote gate and the fill sequence floor.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Redis } from "ioredis"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { fillBusKeys, RedisFillBus, SEQ_FLOOR_MARGIN } from "../../src/bus/redis/RedisFillBus.ts"
import { RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { closingClientIndexA } from "../../src/domain/closing.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { fillEvent, newOrderIndex } from "./contract.ts"

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis?.close()
})

const busLayer = (prefix: string, seqFloor?: () => number) =>
  Layer.mergeAll(
    RedisFillBus.layer({ prefix, market: LIGHTER_BTC, ...(seqFloor !== undefined ? { seqFloor } : {}) }),
    RedisPairState.layer({ prefix })
  ).pipe(Layer.provide(RedisConnection.layer({ host: redis.host, port: redis.port, db: 0, connectTimeoutMs: 1000 })))

const wipe = (prefix: string) =>
  Effect.promise(async () => {
    const c = new Redis({ host: redis.host, port: redis.port })
    try {
      const keys = await c.keys(`${prefix}:*`)
      if (keys.length > 0) await c.del(...keys)
    } finally {
      c.disconnect()
    }
  })

describe("flatten fence", () => {
  it.live("settles A's earlier quotes, the fills published so far, open intents and the residual pool — and says so", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      const state = yield* PairState
      // Quotes 1 and 2 before the flatten; fill of quote 2 published (seq s1), a second fill pending.
      const q1 = yield* state.claimQuoteSeq({})
      const q2 = yield* state.claimQuoteSeq({})
      assert.deepStrictEqual([q1, q2], [{ _tag: "Granted", seq: 1 }, { _tag: "Granted", seq: 2 }])
      const o2 = newOrderIndex()
      const f1 = yield* bus.publishFill(fillEvent({ orderIndex: o2, clientOrderIndex: 2, filledAfter: 20 }))
      yield* state.beginHedge({ fillId: "x:1", fillSeq: f1.fillSeq, signedDelta: -20, minBase: 20, nowMs: 1 })
      yield* state.beginHedge({ fillId: "pool:1", fillSeq: f1.fillSeq, signedDelta: -7, minBase: 20, nowMs: 1 })
      assert.strictEqual(yield* state.residualPool(), -7)
      const f2 = yield* bus.publishFill(fillEvent({ orderIndex: o2, clientOrderIndex: 2, filledBefore: 20, filledAfter: 40 }))

      const fence = yield* state.fenceFlatten("F1")
      assert.strictEqual(fence.quoteSeqFence, 2)
      assert.strictEqual(fence.fillSeqFence, f2.fillSeq)
      assert.strictEqual(fence.poolCleared, -7)
      assert.deepStrictEqual(fence.intentsClosed, ["x:1"])
      assert.strictEqual(yield* state.residualPool(), 0)
      assert.strictEqual((yield* state.openIntents()).length, 0)

      // A's later fill of quote 2 (caught up after a restart) is not published: the flatten closed it.
      const late = yield* bus.publishFill(fillEvent({ orderIndex: o2, clientOrderIndex: 2, filledBefore: 40, filledAfter: 60 }))
      assert.isTrue(late.duplicate)
      assert.match(late.fenced ?? "", /closed by flatten F1/)
      // Nor a fill of the flatten's own closing order.
      const closing = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: closingClientIndexA(Date.now(), 1), filledAfter: 60 }))
      assert.match(closing.fenced ?? "", /closing order/)
      // B: the pending fill (seq f2) is settled, never hedged; the closed intent refuses new attempts.
      const begun = yield* state.beginHedge({ fillId: "x:2", fillSeq: f2.fillSeq, signedDelta: -20, minBase: 20, nowMs: 2 })
      assert.strictEqual(begun._tag, "Created")
      assert.strictEqual(begun.intent.status, "deferred")
      assert.strictEqual(begun.intent.targetSignedBase, 0)
      assert.strictEqual(yield* state.residualPool(), 0)
      const refused = yield* state.recordAttempt("x:1", new HedgeAttempt({ attempt: 2, clientOrderIndex: 999, side: "sell", base: 20, priceCap: 1, sentAtMs: 1 })).pipe(
        Effect.flip
      )
      assert.match(refused.message, /done, not open/)

      // After resume, a new quote (3) fills and is published and hedged as usual.
      yield* state.setTradingState("ACTIVE", "resumed")
      const q3 = yield* state.claimQuoteSeq({})
      assert.deepStrictEqual(q3, { _tag: "Granted", seq: 3 })
      const fresh = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 3, filledAfter: 20 }))
      assert.isFalse(fresh.duplicate)
      assert.isUndefined(fresh.fenced)
      const hedged = yield* state.beginHedge({ fillId: "x:3", fillSeq: fresh.fillSeq, signedDelta: -20, minBase: 20, nowMs: 3 })
      assert.strictEqual(hedged.intent.status, "open")

      const log = yield* state.auditLog(10)
      assert.deepStrictEqual(log.map((e) => e.kind), ["flatten-fence", "fill-settled-by-flatten"])
      // Without the market (this layer has none), sizes are written in base units.
      assert.match(log[0]!.text, /flatten F1: quotes up to 2 .* residual pool -7 base units cleared; 1 open hedge intent\(s\) closed/)
      assert.match(log[1]!.text, /\(seq \d+, -20 base units to hedge\) was settled by flatten F1/)
    }).pipe(Effect.provide(busLayer(redis.prefix("flatten")))), 30_000)
})

describe("lost Redis state", () => {
  it.live("the fill sequence continues above what the process recorded, even when the clock is far behind it; an older counter appends nothing", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("seq")
      // What a process recorded beside its logs: far above what the clock would seed (4 per second).
      const recorded = Math.floor(Date.now() / 250) + 3_000_000_000
      const first = yield* FillBus.use((bus) => bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))).pipe(Effect.provide(busLayer(prefix)))
      yield* wipe(prefix)
      const after = yield* FillBus.use((bus) => bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))).pipe(
        Effect.provide(busLayer(prefix, () => recorded))
      )
      assert.isAbove(after.fillSeq, recorded)
      assert.strictEqual(after.fillSeq, recorded + SEQ_FLOOR_MARGIN + 1)
      assert.isBelow(first.fillSeq, recorded)
      // A counter that came back lower than what was recorded (an older snapshot) appends nothing:
      // the epoch guard sees the loss first (and raises the counter), no number is used twice.
      const prefix2 = redis.prefix("seq2")
      yield* FillBus.use((bus) => bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))).pipe(Effect.provide(busLayer(prefix2)))
      const refused = yield* FillBus.use((bus) => bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))).pipe(
        Effect.provide(busLayer(prefix2, () => recorded)),
        Effect.flip
      )
      assert.match(refused.message, /SEQ_REGRESSED fill sequence \d+ is below \d+, which this process already saw/)
      yield* PairState.use((state) => state.raiseSequences({ fillSeq: recorded + SEQ_FLOOR_MARGIN })).pipe(Effect.provide(busLayer(prefix2)))
      const after2 = yield* FillBus.use((bus) => bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))).pipe(
        Effect.provide(busLayer(prefix2, () => recorded))
      )
      assert.strictEqual(after2.fillSeq, recorded + SEQ_FLOOR_MARGIN + 1)
    }), 30_000)

  it.live("a quote is granted only while the pair is ACTIVE and Redis holds the adopted epoch", () =>
    Effect.gen(function*() {
      const state = yield* PairState
      const e = yield* state.replaceEpoch({ id: "e1", gen: 1, createdAtMs: 1, adoptedAtMs: 1 }, undefined)
      assert.strictEqual(e.id, "e1")
      // Replacing needs the current id.
      assert.strictEqual((yield* state.replaceEpoch({ id: "e9", gen: 9, createdAtMs: 9 }, "other")).id, "e1")
      assert.strictEqual((yield* state.claimQuoteSeq({ epochId: "e1" }))._tag, "Granted")
      yield* state.setTradingState("HALTED", "test")
      assert.deepStrictEqual(yield* state.claimQuoteSeq({ epochId: "e1" }), { _tag: "Refused", reason: "the pair is HALTED" })
      yield* state.setTradingState("ACTIVE", "test")
      const lost = yield* state.replaceEpoch({ id: "e2", gen: 2, createdAtMs: 2, note: "after a loss" }, "e1")
      assert.strictEqual(lost.id, "e2")
      assert.match(JSON.stringify(yield* state.claimQuoteSeq({ epochId: "e1" })), /Refused.*e2/)
      assert.match(JSON.stringify(yield* state.claimQuoteSeq({ epochId: "e2" })), /waiting for an operator/)
      const adopted = yield* state.adoptEpoch("test")
      assert.strictEqual(Option.getOrThrow(adopted).adoptedBy, "test")
      assert.strictEqual((yield* state.claimQuoteSeq({ epochId: "e2" }))._tag, "Granted")
      yield* state.raiseSequences({ quoteSeq: 500, fillSeq: 7 })
      assert.deepStrictEqual(yield* state.claimQuoteSeq({}), { _tag: "Granted", seq: 501 })
      yield* state.raiseSequences({ quoteSeq: 10 })
      assert.deepStrictEqual(yield* state.sequenceCounters(), { fillSeq: 7, quoteSeq: 501 })
    }).pipe(Effect.provide(busLayer(redis.prefix("gate")))), 30_000)

  it.live("the loss fence: A's earlier quotes publish only above a level recorded after the loss", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      const state = yield* PairState
      const old = newOrderIndex()
      const resting = newOrderIndex()
      // After the loss: quotes up to 40 fenced; the one still resting had 20 filled at the venue.
      yield* state.fenceLoss(40, new Map([[resting, 20]]))
      const replay = yield* bus.publishFill(fillEvent({ orderIndex: old, clientOrderIndex: 12, filledAfter: 60 }))
      assert.match(replay.fenced ?? "", /before Redis lost its state/)
      const replayResting = yield* bus.publishFill(fillEvent({ orderIndex: resting, clientOrderIndex: 40, filledAfter: 20 }))
      assert.isTrue(replayResting.duplicate)
      assert.isUndefined(replayResting.fenced)
      const newer = yield* bus.publishFill(fillEvent({ orderIndex: resting, clientOrderIndex: 40, filledBefore: 20, filledAfter: 35 }))
      assert.isFalse(newer.duplicate)
      const next = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 41, filledAfter: 20 }))
      assert.isFalse(next.duplicate)
      assert.strictEqual((yield* state.fences()).lossQuoteSeq, 40)
    }).pipe(Effect.provide(busLayer(redis.prefix("loss")))), 30_000)
})

describe("the in-memory PairState keeps the same rules (demo --venue memory, engine tests)", () => {
  it.effect("quote gate, epoch adoption, and a flatten's fence of intents, pool and later hedges", () =>
    Effect.gen(function*() {
      const state = yield* PairState
      yield* state.replaceEpoch({ id: "m1", gen: 1, createdAtMs: 1, adoptedAtMs: 1 }, undefined)
      assert.deepStrictEqual(yield* state.claimQuoteSeq({ epochId: "m1" }), { _tag: "Granted", seq: 1 })
      yield* state.replaceEpoch({ id: "m2", gen: 2, createdAtMs: 2 }, "m1")
      assert.strictEqual((yield* state.claimQuoteSeq({ epochId: "m1" }))._tag, "Refused")
      assert.match(JSON.stringify(yield* state.claimQuoteSeq({ epochId: "m2" })), /waiting for an operator/)
      yield* state.adoptEpoch("test")
      assert.deepStrictEqual(yield* state.claimQuoteSeq({ epochId: "m2" }), { _tag: "Granted", seq: 2 })

      yield* state.beginHedge({ fillId: "o:1", fillSeq: 5, signedDelta: -60, minBase: 20, nowMs: 1 })
      yield* state.beginHedge({ fillId: "p:1", fillSeq: 6, signedDelta: -7, minBase: 20, nowMs: 1 })
      yield* state.setTradingState("HALTED", "flatten")
      assert.deepStrictEqual(yield* state.claimQuoteSeq({}), { _tag: "Refused", reason: "the pair is HALTED" })
      const fence = yield* state.fenceFlatten("F9")
      assert.deepStrictEqual(fence, { quoteSeqFence: 2, fillSeqFence: 6, poolCleared: -7, intentsClosed: ["o:1"] })
      const settled = yield* state.beginHedge({ fillId: "q:1", fillSeq: 6, signedDelta: -60, minBase: 20, nowMs: 2 })
      assert.strictEqual(settled.intent.status, "deferred")
      assert.strictEqual(yield* state.residualPool(), 0)
      const later = yield* state.beginHedge({ fillId: "r:1", fillSeq: 7, signedDelta: -60, minBase: 20, nowMs: 3 })
      assert.strictEqual(later.intent.status, "open")
      assert.deepStrictEqual((yield* state.auditLog(10)).map((e) => e.kind), ["epoch-adopted", "flatten-fence", "fill-settled-by-flatten"])
    }).pipe(Effect.provide(MemoryPairState.layer())))
})

describe("audit entries written by the scripts speak the market's units", () => {
  const run = Effect.gen(function*() {
      const state = yield* PairState
      yield* state.beginHedge({ fillId: "p:1", fillSeq: 1, signedDelta: -7, minBase: 20, nowMs: 1 })
      yield* state.fenceFlatten("F2")
      yield* state.beginHedge({ fillId: "q:1", fillSeq: 1, signedDelta: 123_456, minBase: 20, nowMs: 2 })
      return (yield* state.auditLog(10)).map((e) => e.text)
    })
  const expectUnits = (texts: ReadonlyArray<string>) => {
    assert.match(texts[0]!, /^flatten F2: .* residual pool -0\.00007 BTC cleared; 0 open hedge intent\(s\) closed$/)
    assert.strictEqual(texts[1], "fill q:1 (seq 1, 1.23456 BTC to hedge) was settled by flatten F2: not hedged")
  }
  it.live("on Redis (the Lua scripts format BTC's 5 decimals)", () =>
    Effect.gen(function*() {
      const prefix = redis.prefix("units")
      // The flatten fences fills up to the bus's fill counter: as if fill 1 had been published.
      yield* Effect.promise(async () => {
        const c = new Redis({ host: redis.host, port: redis.port })
        try {
          await c.set(fillBusKeys(prefix).seq, "1")
        } finally {
          c.disconnect()
        }
      })
      const layer = RedisPairState.layer({ prefix, market: LIGHTER_BTC }).pipe(
        Layer.provide(RedisConnection.layer({ host: redis.host, port: redis.port, db: 0, connectTimeoutMs: 1000 }))
      )
      expectUnits(yield* run.pipe(Effect.provide(layer)))
    }))
  it.live("in memory, the same texts", () =>
    Effect.gen(function*() {
      expectUnits(yield* run.pipe(Effect.provide(MemoryPairState.make(LIGHTER_BTC).layer)))
    }))
})

describe("A's publish checks the epoch it trusts", () => {
  const prefix = `hf-test:epoch-publish:${Date.now().toString(36)}`
  const trusted = { id: "E1" as string | undefined }
  const epochBus = () =>
    RedisFillBus.layer({ prefix, market: LIGHTER_BTC, epochId: () => trusted.id }).pipe(
      Layer.provide(RedisConnection.layer({ host: redis.host, port: redis.port, db: 0, connectTimeoutMs: 1000 }))
    )
  const setEpoch = (id: string | undefined) =>
    Effect.promise(async () => {
      const c = new Redis({ host: redis.host, port: redis.port })
      try {
        if (id === undefined) await c.del(`${prefix}:epoch`)
        else await c.hset(`${prefix}:epoch`, { id, gen: "1", createdAtMs: "1" })
      } finally {
        c.disconnect()
      }
    })

  it.live("appends while Redis holds that epoch; fences the fill into a Redis that lost it (empty or another epoch)", () =>
    Effect.gen(function*() {
      const bus = yield* FillBus
      yield* setEpoch("E1")
      const ok = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 5, filledAfter: 20 }))
      assert.strictEqual(ok.duplicate, false)
      assert.isTrue(ok.fillSeq > 0)
      // Redis came back empty: no epoch at all.
      yield* setEpoch(undefined)
      const lost = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 6, filledAfter: 20 }))
      assert.strictEqual(lost.fillSeq, 0)
      assert.match(lost.fenced ?? "", /no epoch/)
      // Another process made a new epoch that this one has not adopted.
      yield* setEpoch("E2")
      const other = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 7, filledAfter: 20 }))
      assert.match(other.fenced ?? "", /holds epoch E2, not E1/)
      // Once this process trusts E2 (an operator's resume adopted it), fills are appended again.
      trusted.id = "E2"
      const again = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 8, filledAfter: 20 }))
      assert.isUndefined(again.fenced)
      assert.isTrue(again.fillSeq > ok.fillSeq)
      // A process without an epoch yet (first start) does not check.
      trusted.id = undefined
      yield* setEpoch(undefined)
      const first = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 9, filledAfter: 20 }))
      assert.isUndefined(first.fenced)
    }).pipe(Effect.provide(epochBus())))
})
