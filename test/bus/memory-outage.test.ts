// The in-memory bus and pair state in a simulated outage (setUnavailable): every operation fails
// with a BusError naming itself ("<op> on memory bus: unavailable (simulated)"), as a Redis
// command would, and works again once the store is back. Also the memory pair state's own words
// for a refused quote sequence number, and its audit log's bound.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { BusError } from "../../src/bus/errors.ts"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { HedgeAttempt, ResidualFlush } from "../../src/domain/messages.ts"
import { fillEvent, hedgeResultFor, newOrderIndex } from "./contract.ts"

const attempt = new HedgeAttempt({ attempt: 1, clientOrderIndex: 9, side: "sell", base: 20, priceCap: 1, sentAtMs: 1 })

describe("memory fill bus outage", () => {
  it.effect("each operation fails naming itself, and works again afterwards", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      const ops: ReadonlyArray<readonly [string, Effect.Effect<unknown, BusError, FillBus>]> = [
        ["publishFill", FillBus.use((b) => b.publishFill(fillEvent({ orderIndex: newOrderIndex() })))],
        ["publishResidualFlush", FillBus.use((b) => b.publishResidualFlush(new ResidualFlush({ pair: "BTC:1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 20, referencePrice: 1, requestedAtMs: 1 })))],
        ["publishedLevels", FillBus.use((b) => b.publishedLevels())],
        ["readOwnPending", FillBus.use((b) => b.readOwnPending("b", 10))],
        ["claimStale", FillBus.use((b) => b.claimStale("b", 0, 10))],
        ["readNew", FillBus.use((b) => b.readNew({ consumer: "b", count: 10, blockMs: 0 }))],
        ["hedgedFill", FillBus.use((b) => b.hedgedFill("x"))],
        ["ackDuplicate", FillBus.use((b) => b.ackDuplicate("0-1"))],
        ["deadLetter", FillBus.use((b) => b.deadLetter("0-1", {}, "r"))],
        ["pendingCount", FillBus.use((b) => b.pendingCount())],
        ["hedgeResults", FillBus.use((b) => b.hedgeResults())]
      ]
      inspect.setUnavailable(true)
      for (const [op, effect] of ops) {
        const e = yield* Effect.flip(effect.pipe(Effect.provide(layer)))
        assert.strictEqual(e.op, op)
        assert.strictEqual(e.message, `${op} on memory bus: unavailable (simulated)`)
      }
      inspect.setUnavailable(false)
      for (const [, effect] of ops) yield* effect.pipe(Effect.provide(layer))
    }))

  it.effect("completeFill too (on a pending entry)", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryFillBus.make()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        const [entry] = yield* bus.readNew({ consumer: "b", count: 1, blockMs: 0 })
        if (entry?._tag !== "Fill") return assert.fail("expected a fill")
        inspect.setUnavailable(true)
        const e = yield* Effect.flip(bus.completeFill(entry.entryId, hedgeResultFor(entry.fill)))
        assert.strictEqual(e.op, "completeFill")
        assert.strictEqual(e.message, "completeFill on memory bus: unavailable (simulated)")
        inspect.setUnavailable(false)
        assert.strictEqual(yield* bus.pendingCount(), 1)
      }).pipe(Effect.provide(layer))
    }))
})

describe("memory pair state outage", () => {
  it.effect("each operation fails naming itself, and works again afterwards", () =>
    Effect.gen(function*() {
      const { layer, inspect } = MemoryPairState.make()
      const request = { id: "FC1", reason: "r", requestedAtMs: 1 }
      const ops: ReadonlyArray<readonly [string, Effect.Effect<unknown, BusError, PairState>]> = [
        ["beginHedge", PairState.use((s) => s.beginHedge({ fillId: "f:1", fillSeq: 1, signedDelta: 30, minBase: 10, nowMs: 1 }))],
        ["recordAttempt", PairState.use((s) => s.recordAttempt("f:1", attempt))],
        ["finishHedge", PairState.use((s) => s.finishHedge("f:1", 0))],
        ["getIntent", PairState.use((s) => s.getIntent("f:1"))],
        ["forgetIntent", PairState.use((s) => s.forgetIntent("f:1"))],
        ["residualPool", PairState.use((s) => s.residualPool())],
        ["openIntents", PairState.use((s) => s.openIntents())],
        ["tradingState", PairState.use((s) => s.tradingState())],
        ["tradingStatus", PairState.use((s) => s.tradingStatus())],
        ["setTradingState", PairState.use((s) => s.setTradingState("ACTIVE", "test"))],
        ["heartbeat", PairState.use((s) => s.heartbeat("a", {}, 1000))],
        ["lastHeartbeat", PairState.use((s) => s.lastHeartbeat("a"))],
        ["nextQuoteSeq", PairState.use((s) => s.nextQuoteSeq())],
        ["publishQuote", PairState.use((s) => s.publishQuote(Option.none()))],
        ["restingQuote", PairState.use((s) => s.restingQuote())],
        ["claimQuoteSeq", PairState.use((s) => s.claimQuoteSeq({}))],
        ["epoch", PairState.use((s) => s.epoch())],
        ["replaceEpoch", PairState.use((s) => s.replaceEpoch({ id: "E1", gen: 1, createdAtMs: 1 }, undefined))],
        ["adoptEpoch", PairState.use((s) => s.adoptEpoch("x"))],
        ["sequenceCounters", PairState.use((s) => s.sequenceCounters())],
        ["raiseSequences", PairState.use((s) => s.raiseSequences({ quoteSeq: 1 }))],
        ["fences", PairState.use((s) => s.fences())],
        ["fenceLoss", PairState.use((s) => s.fenceLoss(1, new Map()))],
        ["fenceFlatten", PairState.use((s) => s.fenceFlatten("F1"))],
        ["clearResidualPool", PairState.use((s) => s.clearResidualPool())],
        ["audit", PairState.use((s) => s.audit("k", "t"))],
        ["auditLog", PairState.use((s) => s.auditLog(5))],
        ["requestForceClose", PairState.use((s) => s.requestForceClose(request))],
        ["forceClose", PairState.use((s) => s.forceClose())],
        ["recordForceCloseResult", PairState.use((s) => s.recordForceCloseResult("FC1", "a", { flat: true, positionBase: 0, atMs: 1, text: "t" }))],
        ["clearForceClose", PairState.use((s) => s.clearForceClose())],
        ["reportLoss", PairState.use((s) => s.reportLoss("a", { epochId: "E1", positionBase: 0, atMs: 1, text: "t" }))],
        ["lossReports", PairState.use((s) => s.lossReports())]
      ]
      inspect.setUnavailable(true)
      for (const [op, effect] of ops) {
        const e = yield* Effect.flip(effect.pipe(Effect.provide(layer)))
        assert.strictEqual(e.op, op)
        assert.strictEqual(e.message, `${op} on memory pair state: unavailable (simulated)`)
      }
      inspect.setUnavailable(false)
      for (const [op, effect] of ops) {
        // recordAttempt on the open intent beginHedge made; the rest as they come.
        const r = yield* Effect.exit(effect.pipe(Effect.provide(layer)))
        assert.isTrue(r._tag === "Success", `${op} after the outage`)
      }
    }))
})

describe("memory pair state", () => {
  it.effect("a quote sequence number refused: no epoch, another epoch, not adopted, not ACTIVE", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      assert.deepStrictEqual(yield* s.claimQuoteSeq({ epochId: "E1" }), { _tag: "Refused", reason: "no epoch: the state was lost" })
      yield* s.replaceEpoch({ id: "E1", gen: 1, createdAtMs: 1 }, undefined)
      assert.deepStrictEqual(yield* s.claimQuoteSeq({ epochId: "E9" }), { _tag: "Refused", reason: "epoch E1, not E9" })
      assert.deepStrictEqual(yield* s.claimQuoteSeq({ epochId: "E1" }), { _tag: "Refused", reason: "epoch E1 is waiting for an operator" })
      yield* s.adoptEpoch("ops")
      assert.deepStrictEqual(yield* s.claimQuoteSeq({ epochId: "E1" }), { _tag: "Granted", seq: 1 })
      yield* s.setTradingState("REDUCING", "r")
      assert.deepStrictEqual(yield* s.claimQuoteSeq({}), { _tag: "Refused", reason: "the pair is REDUCING" })
    }).pipe(Effect.provide(MemoryPairState.layer())))

  it.effect("the audit log keeps the newest 1000 entries; at least one is returned", () =>
    Effect.gen(function*() {
      const s = yield* PairState
      for (let i = 0; i < 1005; i++) yield* s.audit("k", `t${i}`)
      const all = yield* s.auditLog(5000)
      assert.strictEqual(all.length, 1000)
      assert.strictEqual(all[0]!.text, "t5")
      assert.strictEqual(all[999]!.text, "t1004")
      assert.deepStrictEqual((yield* s.auditLog(0)).map((e) => e.text), ["t1004"])
    }).pipe(Effect.provide(MemoryPairState.layer())))
})
