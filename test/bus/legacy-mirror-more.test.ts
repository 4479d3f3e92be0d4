// The previous system's positions hash and close_all (src/bus/redis/LegacyMirror.ts) beyond
// test/bus/legacy-redis.test.ts and legacy-mirror-hooks.test.ts: the timestamp written in seconds,
// close_all failures (a message that cannot be built, a PUBLISH refused) naming the operation,
// events of other markets or kinds never taken for the position, and a position the stream
// reported while the venue was being read winning over the venue's answer.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { afterAll } from "vitest"
import { BusError } from "../../src/bus/errors.ts"
import type { LegacyOptions } from "../../src/bus/legacy-messages.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { LegacyMirror, type LegacyPositionWrite, makeLegacyMirror, makeLegacyPositions } from "../../src/bus/redis/LegacyMirror.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("legacy-more")
const aclUser = `hf-nopublish-${process.pid}`
afterAll(async () => {
  await redis.raw.call("ACL", "DELUSER", aclUser).catch(() => undefined)
})

const connLayer = () => RedisConnection.layer({ host: redis.server.host, port: redis.server.port, db: 0, connectTimeoutMs: 1000 })

let names = 0
const legacyOptions = (): LegacyOptions => {
  names++
  const tag = `${process.pid}_${Date.now().toString(36)}_${names}`
  return { documentedChannels: false, previousChannels: true, accountAName: `maker_${tag}`, accountBName: `hedger_${tag}` }
}

describe("the positions hash", () => {
  it.live("a new field's timestamp is the write's time in whole seconds", () =>
    Effect.gen(function*() {
      const legacy = legacyOptions()
      const key = `hedge:positions:${legacy.accountAName}_${legacy.accountBName}:BTC`
      const before = Math.floor(Date.now() / 1000)
      yield* Effect.gen(function*() {
        const mirror = yield* makeLegacyMirror({ legacy, market: LIGHTER_BTC })
        yield* mirror.position({ role: "a", accountIndex: 7, signedBase: 20 })
      }).pipe(Effect.provide(connLayer()))
      const after = Math.floor(Date.now() / 1000)
      const text = yield* Effect.promise(() => redis.raw.hget(key, legacy.accountAName))
      yield* Effect.promise(() => redis.raw.del(key))
      const ts = Number(/"timestamp": (\d+)/.exec(text ?? "")?.[1])
      assert.isTrue(ts >= before && ts <= after, `timestamp ${ts} not within [${before}, ${after}]`)
    }))
})

describe("close_all failures name the operation", () => {
  it.live("a message that cannot be built (a market id the shape refuses)", () =>
    Effect.gen(function*() {
      const e = yield* Effect.gen(function*() {
        const mirror = yield* makeLegacyMirror({ legacy: legacyOptions(), market: { ...LIGHTER_BTC, marketId: -1 } })
        return yield* Effect.flip(mirror.closeAll())
      }).pipe(Effect.provide(connLayer()))
      assert.strictEqual(e.op, "legacyCloseAll")
      assert.match(e.message, /^legacyCloseAll: /)
    }))

  it.live("a PUBLISH the server refuses", () =>
    Effect.gen(function*() {
      yield* Effect.promise(() => redis.raw.call("ACL", "SETUSER", aclUser, "on", ">pw-1", "~*", "&*", "+@all", "-publish"))
      const limited = RedisConnection.layer({
        host: redis.server.host,
        port: redis.server.port,
        db: 0,
        username: aclUser,
        password: Redacted.make("pw-1"),
        connectTimeoutMs: 1000
      })
      const e = yield* Effect.gen(function*() {
        const mirror = yield* makeLegacyMirror({ legacy: legacyOptions(), market: LIGHTER_BTC })
        return yield* Effect.flip(mirror.closeAll())
      }).pipe(Effect.provide(limited))
      assert.strictEqual(e.op, "legacyCloseAll")
      assert.strictEqual(e.code, "NOPERM")
    }))
})

/** A mirror recording each position written. */
const recorder = () => {
  const writes: Array<number> = []
  return {
    writes,
    layer: Layer.succeed(
      LegacyMirror,
      LegacyMirror.of({
        enabled: true,
        position: (p: LegacyPositionWrite) => Effect.sync(() => void writes.push(p.signedBase)),
        closeAll: () => Effect.fail(new BusError({ op: "test", message: "unused" }))
      })
    )
  }
}

describe("the positions writer's position", () => {
  it.effect("only the account's position in its own market: other markets and other events change nothing", () =>
    Effect.gen(function*() {
      const m = recorder()
      const writer = makeLegacyPositions({
        role: "a",
        accountIndex: 1,
        marketId: 1,
        readPosition: Effect.succeed(5),
        readAvailableBalance: Effect.succeed(Option.none()),
        everyMs: 60_000
      })
      yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 20, avgEntryPrice: 1 })
      yield* Effect.forkScoped(writer.run.pipe(Effect.provide(m.layer)))
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(m.writes, [20])
      yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 1, marketId: 2, signedBase: 999, avgEntryPrice: 1 })
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(m.writes, [20])
      yield* writer.observe({ _tag: "StreamConnected", accountIndex: 1 } as never)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(m.writes, [20])
      // An order update of the same market carries no position: the next full write (everyMs) is
      // still the stream's 20, not a venue read (5).
      yield* writer.observe({ _tag: "OrderUpdate", accountIndex: 1, marketId: 1, orderIndex: "5", clientOrderIndex: 5, side: "buy", filledBase: 60 } as never)
      yield* TestClock.adjust("60 seconds")
      assert.deepStrictEqual(m.writes, [20, 20])
      yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 30, avgEntryPrice: 1 })
      yield* TestClock.adjust("250 millis")
      assert.deepStrictEqual(m.writes, [20, 20, 30])
    }).pipe(Effect.scoped))

  it.effect("a position the stream reported while the venue was read is kept over the venue's answer, or its failure", () =>
    Effect.gen(function*() {
      for (const venue of ["answers -99", "fails"] as const) {
        const m = recorder()
        let observe: (n: number) => Effect.Effect<void> = () => Effect.void
        const writer = makeLegacyPositions({
          role: "b",
          accountIndex: 2,
          marketId: 1,
          // The stream reports 7 while the venue's (older) answer is on its way.
          readPosition: Effect.suspend(() => observe(7)).pipe(Effect.andThen(venue === "fails" ? Effect.fail("venue down") : Effect.succeed(-99))),
          readAvailableBalance: Effect.succeed(Option.none()),
          everyMs: 60_000
        })
        observe = (n) => writer.observe({ _tag: "PositionUpdate", accountIndex: 2, marketId: 1, signedBase: n, avgEntryPrice: 1 })
        yield* Effect.forkScoped(writer.run.pipe(Effect.provide(m.layer)))
        yield* TestClock.adjust("1 millis")
        assert.deepStrictEqual(m.writes, [7], `the venue ${venue}`)
      }
    }).pipe(Effect.scoped))
})
