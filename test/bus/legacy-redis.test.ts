// The previous system's Pub/Sub messages and positions hash on a real (private) redis-server:
// published by the script that writes the stream entry, once per entry written, nothing for a
// duplicate or fenced fill; each switch silences exactly its own channels; the positions hash
// keeps its timestamp while size and sign stay; close_all. Every captured message is decoded with
// the contract written from the previous system's sources (test/support/legacy-contract.ts).
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, type Scope } from "effect"
import { TestClock } from "effect/testing"
import { Redis } from "ioredis"
import { FillBus } from "../../src/bus/FillBus.ts"
import { DOCUMENTED_A_CHANNEL, DOCUMENTED_B_CHANNEL, type LegacyOptions } from "../../src/bus/legacy-messages.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { announceCloseAll, LegacyMirror, legacyMirrorLayer, makeLegacyPositions, recordLegacyPositions } from "../../src/bus/redis/LegacyMirror.ts"
import { RedisFillBus } from "../../src/bus/redis/RedisFillBus.ts"
import { RedisPairState } from "../../src/bus/redis/RedisPairState.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { HedgeAttempt, HedgeResult } from "../../src/domain/messages.ts"
import {
  decodeContract,
  DOCUMENTED_FILL_KEYS,
  DOCUMENTED_HEDGE_KEYS,
  DocumentedFillContract,
  DocumentedHedgeContract,
  PREVIOUS_CLOSE_ALL_KEYS,
  PREVIOUS_FILL_KEYS,
  PREVIOUS_POSITION_KEYS,
  PreviousCloseAllContract,
  PreviousFillContract,
  PreviousPositionContract
} from "../support/legacy-contract.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { fillEvent, hedgeResultFor, newOrderIndex } from "./contract.ts"

let redis: TestRedis
beforeAll(async () => {
  // The legacy channels are not prefixed: a server of our own.
  redis = await startTestRedis({ private: true })
})
afterAll(async () => {
  await redis?.close()
})

let names = 0
const legacyOptions = (over: Partial<LegacyOptions> = {}): LegacyOptions => {
  names++
  return { documentedChannels: true, previousChannels: true, accountAName: `maker_${names}`, accountBName: `hedger_${names}`, ...over }
}
const previousChannelOf = (l: LegacyOptions) => `hedge:${l.accountAName}_to_${l.accountBName}`
const positionsKeyOf = (l: LegacyOptions) => `hedge:positions:${l.accountAName}_${l.accountBName}:BTC`

const connLayer = () => RedisConnection.layer({ host: redis.host, port: redis.port, db: 0, connectTimeoutMs: 1000 })
const busLayer = (prefix: string, legacy: LegacyOptions | undefined) =>
  Layer.mergeAll(
    RedisFillBus.layer({ prefix, market: LIGHTER_BTC, ...(legacy !== undefined ? { legacy } : {}) }),
    RedisPairState.layer({ prefix }),
    ...(legacy !== undefined ? [legacyMirrorLayer({ legacy, market: LIGHTER_BTC })] : [])
  ).pipe(Layer.provideMerge(connLayer()))

const rawClient = Effect.acquireRelease(
  Effect.promise(async () => {
    const c = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 })
    c.on("error", () => {})
    await c.connect()
    return c
  }),
  (c) => Effect.sync(() => c.disconnect())
)

/** Every message on hedge:* from now on (PSUBSCRIBE), with its channel. */
const listen = (): Effect.Effect<{ readonly on: (channel: string) => ReadonlyArray<string>; readonly all: () => ReadonlyArray<{ channel: string; message: string }> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const sub = yield* rawClient
    const got: Array<{ channel: string; message: string }> = []
    sub.on("pmessage", (_p: string, channel: string, message: string) => void got.push({ channel, message }))
    yield* Effect.promise(() => sub.psubscribe("hedge:*"))
    return { on: (channel) => got.filter((m) => m.channel === channel).map((m) => m.message), all: () => [...got] }
  })

const read = (consumer: string) =>
  FillBus.use((bus) => bus.readNew({ consumer, count: 10, blockMs: 200 })).pipe(
    Effect.map((es) =>
      es.map((e) => {
        if (e._tag !== "Fill") throw new Error(e._tag === "Poison" ? `poison: ${e.reason}` : `not a fill: ${e._tag}`)
        return e
      })
    )
  )

const settle = Effect.sleep("100 millis")

describe("legacy messages published with the stream entries", () => {
  it.live("a fill: both channels once, with the fill's values; a duplicate or an overlap publishes nothing twice", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const ch = yield* listen()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const o = newOrderIndex()
        const ev = fillEvent({ orderIndex: o, size: 20, side: "sell", price: 1_094_633, clientOrderIndex: 42, venueTimestampMs: 1_761_216_841_000, detectedAtMs: 1_761_216_841_321 })
        yield* bus.publishFill(ev)
        yield* bus.publishFill(ev) // duplicate: nothing appended, nothing published
        // Overlapping the published level: only (20, 30] is appended, and published.
        yield* bus.publishFill(fillEvent({ orderIndex: o, filledBefore: 10, filledAfter: 30, price: 1_094_633, side: "sell", clientOrderIndex: 42 }))
        yield* settle
        const docs = ch.on(DOCUMENTED_A_CHANNEL).map((t) => decodeContract(DocumentedFillContract, DOCUMENTED_FILL_KEYS, t))
        assert.deepStrictEqual(docs.map((d) => [d.order_index, d.filled_base_amount]), [[o, "0.0002"], [o, "0.0001"]])
        assert.deepStrictEqual({ ...docs[0]! }, {
          order_index: o,
          client_order_index: 42n,
          market_index: 1n,
          filled_base_amount: "0.0002",
          avg_execution_price: "109463.3",
          side: "sell",
          timestamp: 1761216841.321
        })
        const prev = ch.on(previousChannelOf(legacy)).map((t) => decodeContract(PreviousFillContract, PREVIOUS_FILL_KEYS, t))
        assert.deepStrictEqual(prev.map((p) => [p.order_index, p.filled_base_amount, p.filled_quote_amount]), [
          [BigInt(o), "0.00020", "21.892660"],
          [BigInt(o), "0.00010", "10.946330"]
        ])
        assert.deepStrictEqual({ ...prev[0]! }, {
          account_index: 1n,
          market_index: 1n,
          order_index: BigInt(o),
          filled_base_amount: "0.00020",
          filled_quote_amount: "21.892660",
          avg_price: "109463.3",
          timestamp: 1761216841n,
          side: "sell"
        })
        // The order index beyond 2^53 keeps every digit on the wire.
        assert.include(ch.on(previousChannelOf(legacy))[0]!, `"order_index": ${o},`)
      }).pipe(Effect.provide(busLayer(redis.prefix("fills"), legacy)))
    }))

  it.live("a fenced fill (a flatten's closing order) publishes nothing", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const ch = yield* listen()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        const p = yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), clientOrderIndex: 2 ** 47 + 5 }))
        assert.isDefined(p.fenced)
        yield* settle
        assert.deepStrictEqual(ch.all(), [])
      }).pipe(Effect.provide(busLayer(redis.prefix("fenced"), legacy)))
    }))

  it.live("B's results: once per completion, with status; partial and failed too; deferred not", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const ch = yield* listen()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        for (let i = 0; i < 4; i++) yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), size: 40 }))
        const es = yield* read("b1")
        assert.strictEqual(es.length, 4)
        const base = (i: number) => hedgeResultFor(es[i]!.fill)
        const att = (over: Partial<ConstructorParameters<typeof HedgeAttempt>[0]>) =>
          new HedgeAttempt({ attempt: 1, clientOrderIndex: 900 + over.attempt!, side: "sell", base: 40, priceCap: 995_000, sentAtMs: 1, ...over })
        const results = [
          new HedgeResult({ ...base(0), attempts: [att({ attempt: 1, filledBase: 40, avgPrice: 999_990, filledQuoteMicro: 39_999_600, orderIndex: "77" })] }),
          new HedgeResult({
            ...base(1),
            status: "partial",
            hedgedSignedBase: -30,
            residualSignedBase: -10,
            attempts: [att({ attempt: 1, filledBase: 20, avgPrice: 1_000_000, filledQuoteMicro: 20_000_000, orderIndex: "78" }), att({ attempt: 2, filledBase: 10, avgPrice: 1_000_003, filledQuoteMicro: 10_000_030, orderIndex: "79" })]
          }),
          new HedgeResult({ ...base(2), status: "failed", hedgedSignedBase: 0, residualSignedBase: -40, attempts: [att({ attempt: 1, filledBase: 0, error: "no liquidity" })] }),
          new HedgeResult({ ...base(3), status: "deferred", targetSignedBase: 0, hedgedSignedBase: 0, residualSignedBase: 0, attempts: [] })
        ]
        for (const [i, e] of es.entries()) {
          yield* bus.completeFill(e.entryId, results[i]!)
          yield* bus.completeFill(e.entryId, results[i]!) // a retry after a lost reply: no second message
        }
        yield* settle
        const got = ch.on(DOCUMENTED_B_CHANNEL).map((t) => decodeContract(DocumentedHedgeContract, DOCUMENTED_HEDGE_KEYS, t))
        assert.deepStrictEqual(got.map((m) => [m.status, m.order_index, m.filled_base_amount, m.avg_execution_price, m.side]), [
          ["success", "77", "0.0004", "99999", "sell"],
          ["partial", "79", "0.0003", "100000.1", "sell"],
          ["failed", "0", "0", "0", "sell"]
        ])
        assert.strictEqual(got[0]!.timestamp, 1_790_000_000.5)
        // B's results go to the documented channel only: hedge:{a}_to_{b} has A's 4 fills.
        assert.strictEqual(ch.on(previousChannelOf(legacy)).length, 4)
      }).pipe(Effect.provide(busLayer(redis.prefix("results"), legacy)))
    }))
})

describe("each switch off publishes nothing on its channels", () => {
  const run = (legacy: LegacyOptions | undefined) =>
    Effect.gen(function*() {
      const ch = yield* listen()
      yield* Effect.gen(function*() {
        const bus = yield* FillBus
        yield* bus.publishFill(fillEvent({ orderIndex: newOrderIndex(), size: 40 }))
        const [e] = yield* read("b1")
        yield* bus.completeFill(e!.entryId, hedgeResultFor(e!.fill))
        yield* announceCloseAll(() => Effect.void)
        yield* recordLegacyPositions([{ role: "a", accountIndex: 1, signedBase: 40 }, { role: "b", accountIndex: 2, signedBase: -40 }], () => Effect.void)
        yield* settle
      }).pipe(Effect.provide(busLayer(redis.prefix("switch"), legacy)))
      const raw = yield* rawClient
      return { channels: ch.all().map((m) => m.channel), positions: yield* Effect.promise(() => raw.keys("hedge:positions:*")) }
    })

  it.live("documented off: only hedge:{a}_to_{b} (the fill and close_all) and the positions hash", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions({ documentedChannels: false })
      const r = yield* run(legacy)
      assert.deepStrictEqual(r.channels, [previousChannelOf(legacy), previousChannelOf(legacy)])
      assert.include(r.positions, positionsKeyOf(legacy))
    }))

  it.live("previous off: only hedge:account_a_filled and hedge:account_b_filled; no positions hash", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions({ previousChannels: false })
      const r = yield* run(legacy)
      assert.deepStrictEqual(r.channels, [DOCUMENTED_A_CHANNEL, DOCUMENTED_B_CHANNEL])
      assert.notInclude(r.positions, positionsKeyOf(legacy))
    }))

  it.live("both off, or no legacy options at all: nothing", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions({ documentedChannels: false, previousChannels: false })
      const r = yield* run(legacy)
      assert.deepStrictEqual(r.channels, [])
      assert.notInclude(r.positions, positionsKeyOf(legacy))
      assert.deepStrictEqual((yield* run(undefined)).channels, [])
    }))
})

describe("the positions hash and close_all", () => {
  it.live("a field per account name; the timestamp stays while size and sign do, moves when either changes", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const raw = yield* rawClient
      const key = positionsKeyOf(legacy)
      const field = (name: string) =>
        Effect.promise(() => raw.hget(key, name)).pipe(Effect.map((t) => decodeContract(PreviousPositionContract, PREVIOUS_POSITION_KEYS, t!)))
      yield* Effect.gen(function*() {
        const mirror = yield* LegacyMirror
        yield* mirror.position({ role: "a", accountIndex: 280459, signedBase: 20, availableBalanceMicro: 25_631_906 })
        yield* mirror.position({ role: "b", accountIndex: 280458, signedBase: -20 })
        const a1 = yield* field(legacy.accountAName)
        assert.deepStrictEqual({ ...a1, timestamp: 0n }, {
          account_name: legacy.accountAName,
          account_index: 280459n,
          size: 0.0002,
          sign: 1n,
          direction: "long",
          timestamp: 0n,
          market: "BTC",
          available_balance: "25.631906"
        })
        const b1 = yield* field(legacy.accountBName)
        assert.deepStrictEqual([b1.size, b1.sign, b1.direction, b1.available_balance], [0.0002, -1n, "short", undefined])
        // An old timestamp in the hash (the position was taken long ago): unchanged size and sign keep it.
        const old = (yield* Effect.promise(() => raw.hget(key, legacy.accountAName)))!.replace(/"timestamp": \d+/, "\"timestamp\": 1700000000")
        yield* Effect.promise(() => raw.hset(key, legacy.accountAName, old))
        yield* mirror.position({ role: "a", accountIndex: 280459, signedBase: 20, availableBalanceMicro: 20_000_000 })
        const a2 = yield* field(legacy.accountAName)
        assert.deepStrictEqual([a2.timestamp, a2.available_balance], [1_700_000_000n, "20.000000"])
        yield* mirror.position({ role: "a", accountIndex: 280459, signedBase: 40 })
        const a3 = yield* field(legacy.accountAName)
        assert.isTrue(a3.timestamp > 1_700_000_000n)
        assert.strictEqual(a3.size, 0.0004)
        // Flat: size 0.0 (a float), sign 0, direction none.
        yield* mirror.position({ role: "a", accountIndex: 280459, signedBase: 0 })
        const a4 = yield* field(legacy.accountAName)
        assert.deepStrictEqual([a4.size, a4.sign, a4.direction], [0, 0n, "none"])
        assert.include((yield* Effect.promise(() => raw.hget(key, legacy.accountAName)))!, "\"size\": 0.0,")
        // A value the previous system wrote itself (its own float text) is compared by value.
        yield* Effect.promise(() =>
          raw.hset(key, legacy.accountBName, "{\"account_name\": \"x\", \"account_index\": 1, \"size\": 2e-05, \"sign\": -1, \"direction\": \"short\", \"timestamp\": 1600000000, \"market\": \"BTC\"}")
        )
        yield* mirror.position({ role: "b", accountIndex: 280458, signedBase: -2 })
        assert.strictEqual((yield* field(legacy.accountBName)).timestamp, 1_600_000_000n)
        // Something unreadable there: replaced, with a fresh timestamp.
        yield* Effect.promise(() => raw.hset(key, legacy.accountBName, "not json"))
        yield* mirror.position({ role: "b", accountIndex: 280458, signedBase: -2 })
        assert.isTrue((yield* field(legacy.accountBName)).timestamp > 1_600_000_000n)
        assert.deepStrictEqual((yield* Effect.promise(() => raw.hkeys(key))).sort(), [legacy.accountAName, legacy.accountBName].sort())
        // A value the shape cannot hold is a typed BusError (the writers log it), never a defect.
        const bad = yield* mirror.position({ role: "a", accountIndex: -1, signedBase: 1 }).pipe(Effect.flip)
        assert.strictEqual(bad._tag, "BusError")
        assert.include(bad.message, "legacyPosition")
      }).pipe(Effect.provide(busLayer(redis.prefix("positions"), legacy)))
    }))

  it.live("close_all on hedge:{a}_to_{b}", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const ch = yield* listen()
      const lines: Array<string> = []
      yield* announceCloseAll((l) => Effect.sync(() => void lines.push(l))).pipe(Effect.provide(busLayer(redis.prefix("close"), legacy)))
      yield* settle
      const [m] = ch.on(previousChannelOf(legacy)).map((t) => decodeContract(PreviousCloseAllContract, PREVIOUS_CLOSE_ALL_KEYS, t))
      assert.deepStrictEqual({ ...m!, timestamp: 0n }, { action: "close_all", market: "BTC", market_index: 1n, timestamp: 0n })
      assert.isTrue(Math.abs(Number(m!.timestamp) - Date.now() / 1000) < 10)
      assert.deepStrictEqual(lines, ["legacy: close_all published (legacy.previous_channels)."])
      // Without a LegacyMirror (memory bus, dry run): nothing, no failure.
      yield* announceCloseAll(() => Effect.die("must not print"))
    }))

  it.live("a process's own field: written when its position changes and every interval with its available balance", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const raw = yield* rawClient
      const key = positionsKeyOf(legacy)
      let reads = 0
      const writer = makeLegacyPositions({
        role: "b",
        accountIndex: 2,
        marketId: 1,
        readPosition: Effect.sync(() => {
          reads++
          return -60
        }),
        readAvailableBalance: Effect.succeed(Option.some(1_234_500_000)),
        everyMs: 60_000
      })
      const value = () =>
        Effect.promise(() => raw.hget(key, legacy.accountBName)).pipe(
          Effect.map((t) => (t === null ? undefined : decodeContract(PreviousPositionContract, PREVIOUS_POSITION_KEYS, t)))
        )
      const waitFor = (what: string, cond: (v: typeof PreviousPositionContract.Type | undefined) => boolean) =>
        Effect.gen(function*() {
          for (let i = 0; i < 100; i++) {
            if (cond(yield* value())) return
            yield* Effect.sleep("50 millis")
          }
          assert.fail(`timed out: ${what}`)
        })
      yield* Effect.gen(function*() {
        yield* Effect.forkScoped(writer.run)
        // No position from the stream yet: read from the venue once.
        yield* waitFor("the venue's position", (v) => v?.size === 0.0006 && v.sign === -1n && v.available_balance === "1234.500000")
        assert.strictEqual(reads, 1)
        // The stream reports a change: written at once (well before the next interval).
        yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 2, marketId: 1, signedBase: 20, avgEntryPrice: 1 })
        yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 2, marketId: 0, signedBase: 999, avgEntryPrice: 1 }) // another market: ignored
        yield* waitFor("the stream's position", (v) => v?.size === 0.0002 && v.direction === "long")
        assert.strictEqual(reads, 1)
      }).pipe(Effect.scoped, Effect.provide(busLayer(redis.prefix("writer"), legacy)))
      // With previous_channels off it reads nothing and writes nothing.
      const off = legacyOptions({ previousChannels: false })
      reads = 0
      yield* writer.run.pipe(Effect.provide(busLayer(redis.prefix("writer-off"), off)))
      yield* writer.run // no LegacyMirror at all
      assert.strictEqual(reads, 0)
      assert.strictEqual(yield* Effect.promise(() => raw.exists(positionsKeyOf(off))), 0)
    }))
})

describe("the positions writer on the Clock", () => {
  it.effect("every interval, a fresh available balance; a failed read leaves the field out", () =>
    Effect.gen(function*() {
      const writes: Array<{ signedBase: number; availableBalanceMicro: number | undefined }> = []
      const mirror = Layer.succeed(LegacyMirror, LegacyMirror.of({
        enabled: true,
        position: (p) => Effect.sync(() => void writes.push({ signedBase: p.signedBase, availableBalanceMicro: p.availableBalanceMicro })),
        closeAll: () => Effect.void
      }))
      // The venue's answers, in turn: a balance, none, a failure (then failures).
      const answers: Array<Effect.Effect<Option.Option<number>, string>> = [Effect.succeed(Option.some(5_000_000)), Effect.succeed(Option.none())]
      const writer = makeLegacyPositions({
        role: "a",
        accountIndex: 1,
        marketId: 1,
        readPosition: Effect.succeed(20),
        readAvailableBalance: Effect.suspend(() => answers.shift() ?? Effect.fail("venue down")),
        everyMs: 5_000
      })
      yield* Effect.forkScoped(writer.run.pipe(Effect.provide(mirror)))
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(writes, [{ signedBase: 20, availableBalanceMicro: 5_000_000 }])
      // Nothing changes: nothing written until the interval.
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(writes.length, 1)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(writes[1], { signedBase: 20, availableBalanceMicro: undefined })
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(writes[2], { signedBase: 20, availableBalanceMicro: undefined })
      yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 0, avgEntryPrice: 0 })
      yield* TestClock.adjust("250 millis")
      assert.deepStrictEqual(writes[3], { signedBase: 0, availableBalanceMicro: undefined })
      assert.strictEqual(writes.length, 4)
    }).pipe(Effect.scoped))
})
