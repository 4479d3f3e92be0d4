// The FillBus / PairState contract, written once and run against every implementation.
// A fixture gives a layer over one store (building it again = a restarted process on the same
// data) and a few hooks that reach past the service (raw appends, dead letter). The previous
// system's Pub/Sub messages exist on Redis only: test/bus/legacy-redis.test.ts.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, type Layer, Option, type Scope } from "effect"
import type { BusError } from "../../src/bus/errors.ts"
import { type BusEntry, FillBus } from "../../src/bus/FillBus.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { makeHostClock } from "../../src/ops/time.ts"
import {
  FillEvent,
  type FillMessage,
  FillMessage as FillMessageClass,
  HedgeAttempt,
  HedgeResult,
  makeFillId,
  ResidualFlush
} from "../../src/domain/messages.ts"

export interface DeadLetterView {
  readonly entryId: string
  readonly reason: string
  readonly raw: Readonly<Record<string, string>>
}

export interface BusFixture {
  readonly layer: Layer.Layer<FillBus | PairState, BusError>
  /** Appends a raw field map to the fills stream (XADD), bypassing the bus. */
  readonly injectRaw: (fields: Readonly<Record<string, string>>) => Effect.Effect<string, unknown>
  readonly deadLetters: () => Effect.Effect<ReadonlyArray<DeadLetterView>, unknown>
  /** Writes raw text as the stored intent of `fillId`. */
  readonly putRawIntent: (fillId: string, json: string) => Effect.Effect<void, unknown>
  /** Deletes everything the bus stored (Redis restarted without persistence). */
  readonly loseEverything: () => Effect.Effect<void, unknown>
}

export type MakeFixture = () => Effect.Effect<BusFixture, unknown, Scope.Scope>

let orderCounter = 1_000_000
/** A fresh order index (unique across tests: the legacy channels are not prefixed). */
export const newOrderIndex = (): string => String(281_474_976_710_656n * 1000n + BigInt(orderCounter++))

export const fillEvent = (over: Partial<ConstructorParameters<typeof FillEvent>[0]> & { orderIndex: string }) => {
  const filledBefore = over.filledBefore ?? 0
  const filledAfter = over.filledAfter ?? filledBefore + (over.size ?? 20)
  return new FillEvent({
    fillId: makeFillId(over.orderIndex, filledAfter),
    pair: "BTC:1-2",
    accountIndex: 1,
    marketId: 1,
    side: "buy",
    clientOrderIndex: 77,
    price: 1_000_005,
    venueTimestampMs: 1_790_000_000_123,
    detectedAtMs: 1_790_000_000_200,
    ...over,
    filledBefore,
    filledAfter,
    size: filledAfter - filledBefore
  })
}

export const hedgeResultFor = (fill: FillMessage, hedged = true): HedgeResult =>
  new HedgeResult({
    fillId: fill.fillId,
    fillSeq: fill.fillSeq,
    pair: fill.pair,
    marketId: fill.marketId,
    aSide: fill.side,
    fillSize: fill.size,
    targetSignedBase: fill.side === "buy" ? -fill.size : fill.size,
    hedgedSignedBase: hedged ? (fill.side === "buy" ? -fill.size : fill.size) : 0,
    residualSignedBase: hedged ? 0 : fill.side === "buy" ? -fill.size : fill.size,
    status: hedged ? "hedged" : "failed",
    attempts: [
      new HedgeAttempt({
        attempt: 1,
        clientOrderIndex: 123_456_789_012,
        side: fill.side === "buy" ? "sell" : "buy",
        base: fill.size,
        priceCap: 995_000,
        sentAtMs: 1_790_000_000_300,
        filledBase: hedged ? fill.size : 0,
        ...(hedged ? { avgPrice: 999_990, orderIndex: "562949953421313" } : { error: "no liquidity" })
      })
    ],
    fillDetectedAtMs: fill.detectedAtMs,
    receivedAtMs: 1_790_000_000_250,
    doneAtMs: 1_790_000_000_500
  })

const fillsOf = (entries: ReadonlyArray<BusEntry>) =>
  entries.map((e) => {
    if (e._tag !== "Fill") throw new Error(`expected a fill, got ${e._tag === "Poison" ? `poison: ${e.reason}` : e._tag}`)
    return e
  })

const read = (consumer: string, count = 10, blockMs = 100) =>
  FillBus.use((bus) => bus.readNew({ consumer, count, blockMs }))

export const contractSuite = (name: string, makeFixture: MakeFixture) =>
  describe(`${name}: FillBus / PairState contract`, () => {
    const withBus = <A, E>(
      body: (fx: BusFixture) => Effect.Effect<A, E, FillBus | PairState | Scope.Scope>
    ): Effect.Effect<A, unknown, Scope.Scope> =>
      Effect.gen(function*() {
        const fx = yield* makeFixture()
        return yield* body(fx).pipe(Effect.provide(fx.layer))
      })

    it.live("publish → readNew → completeFill → nothing pending", () =>
      withBus(() =>
        Effect.gen(function*() {
          const bus = yield* FillBus
          const ev = fillEvent({ orderIndex: newOrderIndex(), size: 40, tradeId: "t-1" })
          const p = yield* bus.publishFill(ev)
          assert.isFalse(p.duplicate)
          // The sequence starts from the clock (4 per second), never at a value used before a data loss.
          assert.isAtLeast(p.fillSeq, Math.floor(Date.now() / 250) - 4 * 60)
          const [entry] = fillsOf(yield* read("b1"))
          assert.strictEqual(entry!.entryId, p.entryId)
          assert.strictEqual(entry!.deliveries, 1)
          assert.deepStrictEqual({ ...entry!.fill }, { ...ev, fillSeq: p.fillSeq })
          assert.strictEqual(yield* bus.pendingCount(), 1)
          const result = hedgeResultFor(entry!.fill)
          yield* bus.completeFill(entry!.entryId, result)
          assert.strictEqual(yield* bus.pendingCount(), 0)
          const results = yield* bus.hedgeResults()
          assert.strictEqual(results.length, 1)
          assert.deepStrictEqual(results[0], result)
          // Second fill gets the next sequence number; nothing else is delivered.
          const p2 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          assert.strictEqual(p2.fillSeq, p.fillSeq + 1)
          assert.strictEqual((yield* read("b1")).length, 1)
          assert.strictEqual((yield* read("b1", 10, 0)).length, 0)
        })
      ))

    it.live("a residual flush takes the next sequence number, is delivered like a fill, and touches no A level", () =>
      withBus(() =>
        Effect.gen(function*() {
          const bus = yield* FillBus
          const p1 = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          const levelsBefore = yield* bus.publishedLevels()
          const flush = new ResidualFlush({ pair: "BTC:1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 35, referencePrice: 1_000_000, requestedAtMs: 5 })
          const p2 = yield* bus.publishResidualFlush(flush)
          assert.strictEqual(p2.fillSeq, p1.fillSeq + 1)
          const entries = yield* read("b1")
          assert.deepStrictEqual(entries.map((e) => e._tag), ["Fill", "ResidualFlush"])
          const e = entries[1]!
          if (e._tag !== "ResidualFlush") return
          assert.strictEqual(e.flush.fillId, `residual:${p2.fillSeq}`)
          assert.deepStrictEqual(
            [e.flush.fillSeq, e.flush.size, e.flush.hedgeSide, e.flush.referencePrice, e.flush.pair],
            [p2.fillSeq, 35, "buy", 1_000_000, "BTC:1-2"]
          )
          assert.deepStrictEqual(yield* bus.publishedLevels(), levelsBefore)
        })
      ))

    it.live("readNew blocks until a fill arrives, and returns [] after blockMs", () =>
      withBus(() =>
        Effect.gen(function*() {
          const bus = yield* FillBus
          const t0 = Date.now()
          assert.strictEqual((yield* read("b1", 10, 150)).length, 0)
          assert.isAtLeast(Date.now() - t0, 100)
          const reader = yield* Effect.forkChild(read("b1", 10, 5000))
          yield* Effect.sleep("100 millis")
          yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          const got = yield* Fiber.join(reader)
          assert.strictEqual(got.length, 1)
          assert.isBelow(Date.now() - t0, 3000)
        })
      ))

    it.live("a publish whose range is covered by the order's level appends nothing", () =>
      withBus(() =>
        Effect.gen(function*() {
          const bus = yield* FillBus
          const o = newOrderIndex()
          const first = yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 0, filledAfter: 20 }))
          const second = yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 20, filledAfter: 50 }))
          const again = yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 20, filledAfter: 50 }))
          const older = yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 0, filledAfter: 20 }))
          assert.isFalse(first.duplicate)
          assert.isFalse(second.duplicate)
          assert.isTrue(again.duplicate)
          assert.isTrue(older.duplicate)
          assert.strictEqual(again.fillSeq, second.fillSeq)
          assert.strictEqual(again.entryId, second.entryId)
          // A range that overlaps the level is cut to the part above it (never hedged twice).
          const overlap = yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 20, filledAfter: 70 }))
          assert.isFalse(overlap.duplicate)
          const entries = fillsOf(yield* read("b1"))
          assert.deepStrictEqual(entries.map((e) => [e.fill.filledBefore, e.fill.filledAfter, e.fill.size, e.fill.fillSeq]), [
            [0, 20, 20, first.fillSeq],
            [20, 50, 30, first.fillSeq + 1],
            [50, 70, 20, first.fillSeq + 2]
          ])
        })
      ))

    it.live("after the bus loses all its data, fill sequence numbers (and hedge client ids) do not repeat", () =>
      Effect.gen(function*() {
        const fx = yield* makeFixture()
        const before = yield* Effect.gen(function*() {
          const bus = yield* FillBus
          return yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        }).pipe(Effect.provide(fx.layer))
        yield* fx.loseEverything()
        yield* Effect.sleep("300 millis")
        const after = yield* Effect.gen(function*() {
          const bus = yield* FillBus
          return yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
        }).pipe(Effect.provide(fx.layer))
        assert.isAbove(after.fillSeq, before.fillSeq)
      }))

    it.live("publishedLevels survives a restart of the process", () =>
      Effect.gen(function*() {
        const fx = yield* makeFixture()
        const o1 = newOrderIndex()
        const o2 = newOrderIndex()
        yield* FillBus.use((bus) =>
          Effect.gen(function*() {
            yield* bus.publishFill(fillEvent({ orderIndex: o1, filledBefore: 0, filledAfter: 20 }))
            yield* bus.publishFill(fillEvent({ orderIndex: o1, filledBefore: 20, filledAfter: 60 }))
            yield* bus.publishFill(fillEvent({ orderIndex: o2, filledBefore: 0, filledAfter: 40 }))
          })
        ).pipe(Effect.provide(fx.layer))
        const levels = yield* FillBus.use((bus) => bus.publishedLevels()).pipe(Effect.provide(fx.layer))
        assert.deepStrictEqual([...levels.entries()].sort(), [[o1, 60], [o2, 40]].sort())
      }))

    it.live("entries of a crashed consumer: own pending after restart, claimable by another once idle", () =>
      Effect.gen(function*() {
        const fx = yield* makeFixture()
        // b1 reads two fills and dies before completing them.
        const read1 = yield* Effect.gen(function*() {
          const bus = yield* FillBus
          yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          return fillsOf(yield* read("b1"))
        }).pipe(Effect.provide(fx.layer))
        assert.strictEqual(read1.length, 2)

        yield* Effect.gen(function*() {
          const bus = yield* FillBus
          // b1 restarts: its own pending entries come back first, with their delivery counts.
          const own = fillsOf(yield* bus.readOwnPending("b1", 10))
          assert.deepStrictEqual(own.map((e) => e.entryId), read1.map((e) => e.entryId))
          assert.deepStrictEqual(own.map((e) => e.deliveries), [2, 2])
          assert.strictEqual((yield* bus.readOwnPending("b2", 10)).length, 0)
          // Not idle long enough: nothing to claim.
          assert.strictEqual((yield* bus.claimStale("b2", 60_000, 10)).length, 0)
          yield* Effect.sleep("120 millis")
          const claimed = fillsOf(yield* bus.claimStale("b2", 100, 10))
          assert.deepStrictEqual(claimed.map((e) => e.entryId), read1.map((e) => e.entryId))
          assert.deepStrictEqual(claimed.map((e) => e.deliveries), [3, 3])
          assert.strictEqual((yield* bus.readOwnPending("b1", 10)).length, 0)
          const mine = fillsOf(yield* bus.readOwnPending("b2", 1))
          assert.strictEqual(mine.length, 1)
          for (const e of claimed) yield* bus.completeFill(e.entryId, hedgeResultFor(e.fill))
          assert.strictEqual(yield* bus.pendingCount(), 0)
          assert.strictEqual((yield* bus.readOwnPending("b2", 10)).length, 0)
          assert.strictEqual((yield* bus.hedgeResults()).length, 2)
        }).pipe(Effect.provide(fx.layer))
      }))

    it.live("poison entries become Poison, go to the dead letter and are never redelivered", () =>
      withBus((fx) =>
        Effect.gen(function*() {
          const bus = yield* FillBus
          const garbageId = yield* fx.injectRaw({ garbage: "yes" })
          const good = fillEvent({ orderIndex: newOrderIndex() })
          const badSizeId = yield* fx.injectRaw({
            ...Object.fromEntries(Object.entries({ ...good, fillSeq: 9 }).map(([k, v]) => [k, String(v)])),
            size: "twenty"
          })
          yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          const entries = yield* read("b1")
          assert.deepStrictEqual(entries.map((e) => e._tag), ["Poison", "Poison", "Fill"])
          const [p1, p2] = entries
          if (p1?._tag !== "Poison" || p2?._tag !== "Poison") return assert.fail("expected poison")
          assert.strictEqual(p1.entryId, garbageId)
          assert.deepStrictEqual(p1.raw, { garbage: "yes" })
          assert.include(p1.reason, "Missing key")
          assert.strictEqual(p2.entryId, badSizeId)
          assert.include(p2.reason, "size")
          yield* bus.deadLetter(p1.entryId, p1.raw, p1.reason)
          yield* bus.deadLetter(p2.entryId, p2.raw, p2.reason)
          yield* bus.deadLetter(p2.entryId, p2.raw, p2.reason) // twice: harmless
          assert.strictEqual(yield* bus.pendingCount(), 1)
          assert.deepStrictEqual((yield* bus.readOwnPending("b1", 10)).map((e) => e._tag), ["Fill"])
          yield* Effect.sleep("20 millis")
          assert.deepStrictEqual((yield* bus.claimStale("b2", 0, 10)).map((e) => e._tag), ["Fill"])
          const dead = yield* fx.deadLetters()
          assert.deepStrictEqual(dead.map((d) => d.entryId), [garbageId, badSizeId])
          assert.include(dead[0]!.reason, "Missing key")
          assert.deepStrictEqual(dead[0]!.raw, { garbage: "yes" })
          assert.strictEqual(dead[1]!.raw.size, "twenty")
        })
      ))

    it.live("completeFill twice records one result", () =>
      withBus(() =>
        Effect.gen(function*() {
          const bus = yield* FillBus
          yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
          const [e] = fillsOf(yield* read("b1"))
          yield* bus.completeFill(e!.entryId, hedgeResultFor(e!.fill))
          yield* bus.completeFill(e!.entryId, hedgeResultFor(e!.fill))
          assert.strictEqual((yield* bus.hedgeResults()).length, 1)
          assert.strictEqual(yield* bus.pendingCount(), 0)
          const since = yield* bus.hedgeResults("0-1")
          assert.strictEqual(since.length, 1)
        })
      ))

    it.live("completeFill records the fill's identity: a copy under a new stream id finds it, after a restart too", () =>
      Effect.gen(function*() {
        const fx = yield* makeFixture()
        const o = newOrderIndex()
        const ev = fillEvent({ orderIndex: o, filledBefore: 20, filledAfter: 60, side: "sell" })
        const original = yield* Effect.gen(function*() {
          const bus = yield* FillBus
          yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 0, filledAfter: 20 }))
          const p = yield* bus.publishFill(ev)
          const entries = fillsOf(yield* read("b1"))
          assert.isTrue(Option.isNone(yield* bus.hedgedFill(ev.fillId)))
          const e = entries.find((x) => x.entryId === p.entryId)!
          // The raw fields come with the decoded fill (for a dead letter of exactly what was read).
          assert.strictEqual(e.raw.fillId, ev.fillId)
          assert.strictEqual(e.raw.fillSeq, String(p.fillSeq))
          for (const x of entries) yield* bus.completeFill(x.entryId, hedgeResultFor(x.fill))
          // Not recorded for an entry that was not pending (the completion was a no-op).
          yield* bus.completeFill("1-1", hedgeResultFor(new FillMessageClass({ ...e.fill, fillId: `${o}:999`, fillSeq: 1 })))
          assert.isTrue(Option.isNone(yield* bus.hedgedFill(`${o}:999`)))
          return e
        }).pipe(Effect.provide(fx.layer))
        // A new process on the same store: a copy XADDed under a new id is a known identity.
        yield* Effect.gen(function*() {
          const bus = yield* FillBus
          const rec = Option.getOrThrow(yield* bus.hedgedFill(ev.fillId))
          assert.deepStrictEqual(rec, { fillId: ev.fillId, size: 40, side: "sell", fillSeq: original.fill.fillSeq, entryId: original.entryId })
          const copyId = yield* fx.injectRaw(original.raw)
          assert.notStrictEqual(copyId, original.entryId)
          const [copy] = fillsOf(yield* read("b2"))
          assert.strictEqual(copy!.entryId, copyId)
          assert.deepStrictEqual({ ...copy!.fill }, { ...original.fill })
          assert.strictEqual(yield* bus.pendingCount(), 1)
          // Acknowledged as a duplicate: no longer pending, no second result, nothing redelivered.
          yield* bus.ackDuplicate(copy!.entryId)
          yield* bus.ackDuplicate(copy!.entryId) // twice: harmless
          assert.strictEqual(yield* bus.pendingCount(), 0)
          assert.deepStrictEqual((yield* bus.hedgeResults()).map((r) => r.fillId), [`${o}:20`, ev.fillId])
          assert.strictEqual((yield* bus.readOwnPending("b2", 10)).length, 0)
          yield* Effect.sleep("20 millis")
          assert.strictEqual((yield* bus.claimStale("b3", 0, 10)).length, 0)
        }).pipe(Effect.provide(fx.layer))
      }))

    it.live("an entry whose fields the venue or the client index cannot hold is Poison, never a Fill", () =>
      withBus((fx) =>
        Effect.gen(function*() {
          const good = fillEvent({ orderIndex: newOrderIndex(), size: 40 })
          const fields = (over: Record<string, string>) => ({
            ...Object.fromEntries(Object.entries({ ...good, fillSeq: 9 }).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])),
            ...over
          })
          // 99999999999: the entry that crash-looped B (2^34 − 1 is the most a client index holds).
          const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
            [{ fillSeq: "99999999999" }, "fillSeq"],
            [{ fillSeq: String(2 ** 34) }, "fillSeq"],
            [{ size: String(2 ** 48), filledAfter: String(2 ** 48) }, "size"],
            [{ price: String(2 ** 32) }, "price"],
            [{ clientOrderIndex: String(2 ** 48) }, "clientOrderIndex"],
            [{ marketId: "65536" }, "marketId"],
            [{ accountIndex: "-1" }, "accountIndex"],
            [{ fillId: "" }, "fillId"]
          ]
          for (const [over] of cases) yield* fx.injectRaw(fields(over))
          yield* fx.injectRaw(fields({ fillSeq: String(2 ** 34 - 1) }))
          const entries = yield* read("b1", 20)
          assert.deepStrictEqual(entries.map((e) => e._tag), [...cases.map(() => "Poison"), "Fill"])
          entries.slice(0, cases.length).forEach((e, i) => {
            if (e._tag !== "Poison") return assert.fail("expected poison")
            assert.include(e.reason, cases[i]![1])
          })
        })
      ))

    it.live("beginHedge pools below the minimum, opens with the whole pool, returns Existing on redelivery", () =>
      withBus(() =>
        Effect.gen(function*() {
          const state = yield* PairState
          const begin = (fillId: string, fillSeq: number, signedDelta: number) =>
            state.beginHedge({ fillId, fillSeq, signedDelta, minBase: 20, nowMs: 1_790_000_000_000 + fillSeq })
          const r1 = yield* begin("o:5", 1, -5)
          assert.strictEqual(r1._tag, "Created")
          assert.strictEqual(r1.intent.status, "deferred")
          assert.strictEqual(yield* state.residualPool(), -5)
          const r2 = yield* begin("o:15", 2, -10)
          assert.strictEqual(r2.intent.status, "deferred")
          assert.strictEqual(yield* state.residualPool(), -15)
          const r3 = yield* begin("o:25", 3, -10)
          assert.strictEqual(r3._tag, "Created")
          assert.deepStrictEqual(r3.intent, {
            fillId: "o:25",
            fillSeq: 3,
            status: "open",
            targetSignedBase: -25,
            takenFromPool: -15,
            attempts: [],
            createdAtMs: 1_790_000_000_003
          })
          assert.strictEqual(yield* state.residualPool(), 0)
          // Redelivery: unchanged, the pool is not touched again.
          const again = yield* begin("o:25", 3, -10)
          assert.strictEqual(again._tag, "Existing")
          assert.deepStrictEqual(again.intent, r3.intent)
          const deferredAgain = yield* begin("o:5", 1, -5)
          assert.strictEqual(deferredAgain._tag, "Existing")
          assert.strictEqual(deferredAgain.intent.status, "deferred")
          assert.strictEqual(yield* state.residualPool(), 0)
          // A fill at or above the minimum opens at once.
          const big = yield* begin("p:40", 4, 40)
          assert.deepStrictEqual([big.intent.status, big.intent.targetSignedBase, big.intent.takenFromPool], ["open", 40, 0])
          assert.deepStrictEqual((yield* state.openIntents()).map((i) => i.fillId), ["o:25", "p:40"])
          // A pool of one sign and fills of the minimum in the other: each fill is hedged alone and
          // the pool waits for a fill in its own direction (B never stops trading).
          yield* begin("r:14", 5, 14)
          const against = yield* begin("s:20", 6, -20)
          assert.deepStrictEqual([against.intent.status, against.intent.targetSignedBase, against.intent.takenFromPool], ["open", -20, 0])
          assert.strictEqual(yield* state.residualPool(), 14)
          const along = yield* begin("t:20", 7, 20)
          assert.deepStrictEqual([along.intent.status, along.intent.targetSignedBase, along.intent.takenFromPool], ["open", 34, 14])
          assert.strictEqual(yield* state.residualPool(), 0)
        })
      ))

    it.live("recordAttempt appends or replaces; finishHedge returns the remainder to the pool once", () =>
      withBus(() =>
        Effect.gen(function*() {
          const state = yield* PairState
          yield* state.beginHedge({ fillId: "q:30", fillSeq: 1, signedDelta: -30, minBase: 20, nowMs: 1 })
          const planned = new HedgeAttempt({
            attempt: 1,
            clientOrderIndex: 281_474_976_710_655,
            side: "sell",
            base: 30,
            priceCap: 990_000,
            sentAtMs: 1_790_000_000_000
          })
          yield* state.recordAttempt("q:30", planned)
          yield* state.recordAttempt("q:30", new HedgeAttempt({ ...planned, filledBase: 27, avgPrice: 995_000, orderIndex: "9" }))
          yield* state.recordAttempt("q:30", new HedgeAttempt({ ...planned, attempt: 2, base: 3, filledBase: 0, error: "IOC" }))
          const intent = Option.getOrThrow(yield* state.getIntent("q:30"))
          assert.deepStrictEqual(intent.attempts.map((a) => [a.attempt, a.filledBase, a.clientOrderIndex]), [
            [1, 27, 281_474_976_710_655],
            [2, 0, 281_474_976_710_655]
          ])
          yield* state.finishHedge("q:30", -3)
          yield* state.finishHedge("q:30", -3) // twice: harmless
          assert.strictEqual(yield* state.residualPool(), -3)
          assert.strictEqual(Option.getOrThrow(yield* state.getIntent("q:30")).status, "done")
          assert.strictEqual((yield* state.openIntents()).length, 0)
          const late = yield* state.recordAttempt("q:30", planned).pipe(Effect.exit)
          assert.isTrue(Exit.isFailure(late))
          assert.isTrue(Option.isNone(yield* state.getIntent("nope")))
          const missing = yield* state.finishHedge("nope", 1).pipe(Effect.flip)
          assert.strictEqual(missing._tag, "BusError")
          // forgetIntent: a finished or deferred intent goes; an open one stays; unknown ids are fine.
          yield* state.beginHedge({ fillId: "open:40", fillSeq: 2, signedDelta: 40, minBase: 20, nowMs: 2 })
          yield* state.beginHedge({ fillId: "small:3", fillSeq: 3, signedDelta: 1, minBase: 20, nowMs: 3 })
          yield* state.forgetIntent("q:30")
          yield* state.forgetIntent("open:40")
          yield* state.forgetIntent("small:3")
          yield* state.forgetIntent("nope")
          assert.isTrue(Option.isNone(yield* state.getIntent("q:30")))
          assert.isTrue(Option.isNone(yield* state.getIntent("small:3")))
          assert.strictEqual(Option.getOrThrow(yield* state.getIntent("open:40")).status, "open")
        })
      ))

    it.live("a corrupt stored intent is a typed BusError naming the key", () =>
      withBus((fx) =>
        Effect.gen(function*() {
          const state = yield* PairState
          yield* fx.putRawIntent("bad:1", "{not json")
          const e1 = yield* state.getIntent("bad:1").pipe(Effect.flip)
          assert.strictEqual(e1._tag, "BusError")
          assert.include(e1.message, "bad:1")
          assert.include(e1.message, "intents")
          yield* fx.putRawIntent("bad:2", JSON.stringify({ fillId: "bad:2", status: "open" }))
          const e2 = yield* state.beginHedge({ fillId: "bad:2", fillSeq: 1, signedDelta: 1, minBase: 1, nowMs: 1 }).pipe(Effect.flip)
          assert.include(e2.message, "bad:2")
          const e3 = yield* state.openIntents().pipe(Effect.flip)
          assert.strictEqual(e3._tag, "BusError")
        })
      ))

    it.live("clients whose clocks are an hour apart: a heartbeat expires after its ttl, and a pending entry's idle time counts", () =>
      withBus(() =>
        Effect.gen(function*() {
          const state = yield* PairState
          const bus = yield* FillBus
          const HOUR = 3_600_000
          for (const [writerOffset, readerOffset] of [[HOUR, -HOUR], [-HOUR, HOUR]] as const) {
            const writer = makeHostClock(writerOffset)
            const reader = makeHostClock(readerOffset)
            yield* writer.provide(state.heartbeat("a", { beat: 1 }, 150))
            assert.isTrue(Option.isSome(yield* reader.provide(state.lastHeartbeat("a"))), `written at ${writerOffset}, read at ${readerOffset}`)
            yield* Effect.sleep("250 millis")
            assert.isTrue(Option.isNone(yield* reader.provide(state.lastHeartbeat("a"))), `still there: written at ${writerOffset}, read at ${readerOffset}`)
            // A consumer on one clock reads an entry and dies; one on the other claims it once idle.
            yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex() }))
            const got = fillsOf(yield* writer.provide(read("b-writer")))
            assert.strictEqual(got.length, 1)
            assert.strictEqual((yield* reader.provide(bus.claimStale("b-reader", 60_000, 10))).length, 0)
            yield* Effect.sleep("150 millis")
            const claimed = fillsOf(yield* reader.provide(bus.claimStale("b-reader", 100, 10)))
            assert.deepStrictEqual(claimed.map((e) => e.entryId), got.map((e) => e.entryId))
            yield* bus.completeFill(claimed[0]!.entryId, hedgeResultFor(claimed[0]!.fill))
          }
        })
      ))

    it.live("trading state, heartbeats, quote sequence", () =>
      withBus(() =>
        Effect.gen(function*() {
          const state = yield* PairState
          assert.strictEqual(yield* state.tradingState(), "ACTIVE")
          yield* state.setTradingState("HALTED", "exposure limit")
          assert.strictEqual(yield* state.tradingState(), "HALTED")
          // A resume writes ACTIVE (it does not delete the state), and that reads back too.
          yield* state.setTradingState("ACTIVE", "resumed by operator")
          assert.strictEqual(yield* state.tradingState(), "ACTIVE")
          assert.strictEqual((yield* state.tradingStatus()).reason, "resumed by operator")
          yield* state.setTradingState("HALTED", "exposure limit")
          assert.isTrue(Option.isNone(yield* state.lastHeartbeat("b")))
          yield* state.heartbeat("b", { consumer: "b1", streamConnected: true }, 150)
          const hb = Option.getOrThrow(yield* state.lastHeartbeat("b"))
          assert.deepStrictEqual(hb.status, { consumer: "b1", streamConnected: true })
          assert.isTrue(Math.abs(hb.atMs - Date.now()) < 5_000)
          yield* Effect.sleep("250 millis")
          assert.isTrue(Option.isNone(yield* state.lastHeartbeat("b")))
          const s1 = yield* state.nextQuoteSeq()
          const s2 = yield* state.nextQuoteSeq()
          assert.deepStrictEqual([s1, s2], [1, 2])
        })
      ))
  })
