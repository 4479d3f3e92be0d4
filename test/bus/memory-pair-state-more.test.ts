// More of the in-memory pair state, each case as the Redis pair state behaves
// (RedisPairState.ts): errors that name their operation and the missing or refused intent, a fill
// settled by a flatten (stored once, audited once, sizes in the market's units), open intents in
// fill order, the epoch (replaced only when expected, adopted once), counters raised never
// lowered, the loss fence, the pool cleared, loss reports, and the test hooks.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"

const attempt = new HedgeAttempt({ attempt: 1, clientOrderIndex: 9, side: "sell", base: 20, priceCap: 1, sentAtMs: 1 })
const begin = (fillId: string, fillSeq: number, signedDelta: number) =>
  PairState.use((s) => s.beginHedge({ fillId, fillSeq, signedDelta, minBase: 20, nowMs: 1000 + fillSeq }))

describe("memory pair state: intents", () => {
  it.effect("an operation on a missing intent fails naming it; an attempt on an intent that is not open is refused", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      const missing = yield* Effect.flip(s.recordAttempt("nope:1", attempt))
      assert.deepStrictEqual([missing.op, missing.message], ["recordAttempt", "no hedge intent intents[nope:1]"])
      const missingFinish = yield* Effect.flip(s.finishHedge("nope:2", 0))
      assert.deepStrictEqual([missingFinish.op, missingFinish.message], ["finishHedge", "no hedge intent intents[nope:2]"])
      yield* begin("small:5", 1, 5)
      const deferred = yield* Effect.flip(s.recordAttempt("small:5", attempt))
      assert.deepStrictEqual([deferred.op, deferred.message], ["recordAttempt", "hedge intent small:5 is deferred, not open"])
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("a corrupt intent fails as the operation that read it", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryPairState.make()
      yield* Effect.gen(function*() {
        const s = yield* PairState
        inspect.putRawIntent("bad:1", "{not json")
        const ops = [
          ["beginHedge", s.beginHedge({ fillId: "bad:1", fillSeq: 1, signedDelta: 30, minBase: 20, nowMs: 1 })],
          ["getIntent", s.getIntent("bad:1")],
          ["openIntents", s.openIntents()],
          ["fenceFlatten", s.fenceFlatten("F1")]
        ] as const
        for (const [op, effect] of ops) {
          const e = yield* Effect.flip(effect as Effect.Effect<unknown, { readonly op: string; readonly message: string }>)
          assert.strictEqual(e.op, op)
          assert.include(e.message, "corrupt hedge intent intents[bad:1]")
        }
      }).pipe(Effect.provide(layer))
    }))

  it.effect("open intents come in fill order, whatever order they were created in", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      yield* begin("c:30", 5, 30)
      yield* begin("a:30", 2, -30)
      yield* begin("d:30", 9, 30)
      yield* begin("b:30", 3, 30)
      assert.deepStrictEqual((yield* s.openIntents()).map((i) => i.fillSeq), [2, 3, 5, 9])
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("a fill settled by a flatten: stored once (Existing on redelivery), audited once, in the market's units", () =>
    Effect.gen(function*() {
      const { layer } = MemoryPairState.make(LIGHTER_BTC)
      yield* Effect.gen(function*() {
        const s = yield* PairState
        yield* begin("p:40", 4, 40)
        yield* begin("q:5", 6, -5)
        yield* TestClock.adjust("2 seconds")
        const fence = yield* s.fenceFlatten("F1")
        assert.deepStrictEqual(fence, { quoteSeqFence: 0, fillSeqFence: 6, poolCleared: -5, intentsClosed: ["p:40"] })
        const settled = yield* begin("r:30", 5, -30)
        assert.strictEqual(settled._tag, "Created")
        assert.deepStrictEqual(settled.intent, { fillId: "r:30", fillSeq: 5, status: "deferred", targetSignedBase: 0, takenFromPool: 0, attempts: [], createdAtMs: 1005 })
        assert.deepStrictEqual(Option.getOrThrow(yield* s.getIntent("r:30")), settled.intent)
        const again = yield* begin("r:30", 5, -30)
        assert.strictEqual(again._tag, "Existing")
        assert.deepStrictEqual(again.intent, settled.intent)
        assert.strictEqual(yield* s.residualPool(), 0)
        assert.deepStrictEqual(yield* s.auditLog(10), [
          {
            atMs: 2000,
            kind: "flatten-fence",
            text: "flatten F1: quotes up to 0 and fills up to seq 6 settled; residual pool -0.00005 BTC cleared; 1 open hedge intent(s) closed"
          },
          { atMs: 1005, kind: "fill-settled-by-flatten", text: "fill r:30 (seq 5, -0.00030 BTC to hedge) was settled by flatten F1: not hedged" }
        ])
      }).pipe(Effect.provide(layer))
    }))

  it.effect("a fill numbered 0 (the bus never issues it) is at the empty fence: settled, audited under flatten '?' as the Redis script does", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      const r = yield* begin("z:30", 0, 30)
      assert.deepStrictEqual([r._tag, r.intent.status, r.intent.targetSignedBase], ["Created", "deferred", 0])
      const [line] = yield* s.auditLog(1)
      assert.strictEqual(line!.text, "fill z:30 (seq 0, 30 base units to hedge) was settled by flatten ?: not hedged")
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("without a market, audit sizes are in base units", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      yield* begin("q:5", 1, -5)
      yield* s.fenceFlatten("F2")
      const [line] = yield* s.auditLog(1)
      assert.include(line!.text, "residual pool -5 base units cleared")
    }).pipe(Effect.provide(MemoryPairState.layer())))
})

describe("memory pair state: trading state, epoch, counters, fences", () => {
  it.effect("tradingStatus is ACTIVE with no reason until set; the stored record too", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryPairState.make()
      yield* Effect.gen(function*() {
        const s = yield* PairState
        assert.deepStrictEqual(yield* s.tradingStatus(), { state: "ACTIVE" })
        assert.isUndefined(inspect.tradingStateRecord())
        yield* TestClock.adjust("5 seconds")
        yield* s.setTradingState("HALTED", "limit")
        assert.deepStrictEqual(yield* s.tradingStatus(), { state: "HALTED", reason: "limit", sinceMs: 5000 })
      }).pipe(Effect.provide(layer))
    }))

  it.effect("the epoch: none, replaced only from the expected id, adopted once with one audit line", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      assert.isTrue(Option.isNone(yield* s.epoch()))
      assert.isTrue(Option.isNone(yield* s.adoptEpoch("ops")))
      const e1 = { id: "E1", gen: 1, createdAtMs: 1 }
      assert.deepStrictEqual(yield* s.replaceEpoch(e1, undefined), e1)
      // Someone else's expectation: the stored epoch stays and is returned.
      assert.deepStrictEqual(yield* s.replaceEpoch({ id: "E9", gen: 9, createdAtMs: 9 }, "E0"), e1)
      assert.deepStrictEqual(yield* s.epoch(), Option.some(e1))
      yield* TestClock.adjust("3 seconds")
      const adopted = { ...e1, adoptedAtMs: 3000, adoptedBy: "ops" }
      assert.deepStrictEqual(yield* s.adoptEpoch("ops"), Option.some(adopted))
      yield* TestClock.adjust("3 seconds")
      assert.deepStrictEqual(yield* s.adoptEpoch("someone-else"), Option.some(adopted))
      assert.deepStrictEqual(yield* s.auditLog(10), [{ atMs: 3000, kind: "epoch-adopted", text: "epoch E1 adopted by ops" }])
      const e2 = { id: "E2", gen: 2, createdAtMs: 7 }
      assert.deepStrictEqual(yield* s.replaceEpoch(e2, "E1"), e2)
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("sequence counters; raiseSequences raises the quote counter, never lowers it, ignores an absent floor", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      yield* begin("p:40", 7, 40)
      yield* s.nextQuoteSeq()
      assert.deepStrictEqual(yield* s.sequenceCounters(), { fillSeq: 7, quoteSeq: 1 })
      yield* s.raiseSequences({ quoteSeq: 10.7 })
      assert.deepStrictEqual(yield* s.sequenceCounters(), { fillSeq: 7, quoteSeq: 10 })
      yield* s.raiseSequences({ quoteSeq: 4 })
      yield* s.raiseSequences({})
      assert.strictEqual(yield* s.nextQuoteSeq(), 11)
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("fenceLoss raises the loss fence, never lowers it", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      assert.strictEqual((yield* s.fences()).lossQuoteSeq, 0)
      yield* s.fenceLoss(5.9, new Map())
      assert.strictEqual((yield* s.fences()).lossQuoteSeq, 5)
      yield* s.fenceLoss(3, new Map())
      assert.deepStrictEqual(yield* s.fences(), { flattenQuoteSeq: 0, flattenFillSeq: 0, lossQuoteSeq: 5 })
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("clearResidualPool returns what the pool held and empties it", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      yield* begin("a:5", 1, -5)
      yield* begin("b:7", 2, -7)
      assert.strictEqual(yield* s.clearResidualPool(), -12)
      assert.strictEqual(yield* s.residualPool(), 0)
      assert.strictEqual(yield* s.clearResidualPool(), 0)
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("loss reports are kept per side; the last report of a side wins", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      assert.deepStrictEqual(yield* s.lossReports(), {})
      const a1 = { epochId: "E1", positionBase: 10, atMs: 1, text: "a first" }
      const a2 = { epochId: "E1", positionBase: 0, atMs: 2, text: "a flat" }
      const b = { epochId: "E1", positionBase: -10, atMs: 3, text: "b" }
      yield* s.reportLoss("a", a1)
      yield* s.reportLoss("b", b)
      yield* s.reportLoss("a", a2)
      assert.deepStrictEqual(yield* s.lossReports(), { a: a2, b })
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("loseEverything forgets intents, pool, state, epoch, counters and audit", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryPairState.make()
      yield* Effect.gen(function*() {
        const s = yield* PairState
        yield* begin("p:40", 4, 40)
        yield* begin("q:5", 5, -5)
        yield* s.setTradingState("HALTED", "x")
        yield* s.replaceEpoch({ id: "E1", gen: 1, createdAtMs: 1 }, undefined)
        yield* s.audit("k", "t")
        inspect.loseEverything()
        assert.isTrue(Option.isNone(yield* s.getIntent("p:40")))
        assert.strictEqual(yield* s.residualPool(), 0)
        assert.strictEqual(yield* s.tradingState(), "ACTIVE")
        assert.isUndefined(inspect.tradingStateRecord())
        assert.isTrue(Option.isNone(yield* s.epoch()))
        assert.deepStrictEqual(yield* s.sequenceCounters(), { fillSeq: 0, quoteSeq: 0 })
        assert.deepStrictEqual(yield* s.auditLog(10), [])
      }).pipe(Effect.provide(layer))
    }))
})
