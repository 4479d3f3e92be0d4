// The hooks around the previous system's positions hash and close_all (src/bus/redis/LegacyMirror.ts)
// with a LegacyMirror of the test's own, on the TestClock: what bin/hedge flatten prints when a
// write fails, that a mirror switched off is never called, and the positions writer's retry of a
// failed write, its venue reads and its default interval.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { BusError } from "../../src/bus/errors.ts"
import { announceCloseAll, LegacyMirror, type LegacyPositionWrite, makeLegacyPositions, recordLegacyPositions } from "../../src/bus/redis/LegacyMirror.ts"

interface Recorder {
  readonly calls: Array<string>
  readonly layer: Layer.Layer<LegacyMirror>
}

/** A mirror that records each call; `fail(call number)` says which calls fail. */
const recorder = (enabled: boolean, fail: (n: number, what: string) => boolean = () => false): Recorder => {
  const calls: Array<string> = []
  const attempt = (what: string) =>
    Effect.suspend(() => {
      calls.push(what)
      return fail(calls.length, what) ? Effect.fail(new BusError({ op: "test", message: `refused ${what}` })) : Effect.void
    })
  return {
    calls,
    layer: Layer.succeed(LegacyMirror, LegacyMirror.of({
      enabled,
      position: (p: LegacyPositionWrite) => attempt(`${p.role}:${p.accountIndex}:${p.signedBase}:${p.availableBalanceMicro ?? "-"}`),
      closeAll: () => attempt("close_all")
    }))
  }
}

const printer = () => {
  const lines: Array<string> = []
  return { lines, print: (l: string) => Effect.sync(() => void lines.push(l)) }
}

describe("announceCloseAll", () => {
  it.effect("a failed close_all is printed with the reason, not raised", () =>
    Effect.gen(function*() {
      const m = recorder(true, () => true)
      const p = printer()
      yield* announceCloseAll(p.print).pipe(Effect.provide(m.layer))
      assert.deepStrictEqual(m.calls, ["close_all"])
      assert.deepStrictEqual(p.lines, ["legacy: close_all not published: refused close_all"])
    }))

  it.effect("published: one line saying so", () =>
    Effect.gen(function*() {
      const m = recorder(true)
      const p = printer()
      yield* announceCloseAll(p.print).pipe(Effect.provide(m.layer))
      assert.deepStrictEqual(m.calls, ["close_all"])
      assert.deepStrictEqual(p.lines, ["legacy: close_all published (legacy.previous_channels)."])
    }))

  it.effect("a mirror switched off is not called and nothing is printed", () =>
    Effect.gen(function*() {
      const m = recorder(false)
      const p = printer()
      yield* announceCloseAll(p.print).pipe(Effect.provide(m.layer))
      assert.deepStrictEqual(m.calls, [])
      assert.deepStrictEqual(p.lines, [])
    }))
})

describe("recordLegacyPositions", () => {
  const writes: ReadonlyArray<LegacyPositionWrite> = [
    { role: "a", accountIndex: 1, signedBase: 40, availableBalanceMicro: 7 },
    { role: "b", accountIndex: 2, signedBase: -40 }
  ]

  it.effect("writes each position in turn, printing nothing", () =>
    Effect.gen(function*() {
      const m = recorder(true)
      const p = printer()
      yield* recordLegacyPositions(writes, p.print).pipe(Effect.provide(m.layer))
      assert.deepStrictEqual(m.calls, ["a:1:40:7", "b:2:-40:-"])
      assert.deepStrictEqual(p.lines, [])
    }))

  it.effect("a failed write is printed with the reason, not raised", () =>
    Effect.gen(function*() {
      const m = recorder(true, (n) => n === 1)
      const p = printer()
      yield* recordLegacyPositions(writes, p.print).pipe(Effect.provide(m.layer))
      assert.deepStrictEqual(m.calls, ["a:1:40:7"])
      assert.deepStrictEqual(p.lines, ["legacy: positions not written: refused a:1:40:7"])
    }))

  it.effect("a mirror switched off, or none: nothing written, nothing printed", () =>
    Effect.gen(function*() {
      const m = recorder(false)
      const p = printer()
      yield* recordLegacyPositions(writes, p.print).pipe(Effect.provide(m.layer))
      yield* recordLegacyPositions(writes, p.print)
      assert.deepStrictEqual(m.calls, [])
      assert.deepStrictEqual(p.lines, [])
    }))
})

describe("makeLegacyPositions on the TestClock", () => {
  it.effect("a failed write is tried again on the next turn (250 ms) until it is written, then not again until a change", () =>
    Effect.gen(function*() {
      const m = recorder(true, (n) => n <= 2)
      const writer = makeLegacyPositions({
        role: "a",
        accountIndex: 1,
        marketId: 1,
        readPosition: Effect.succeed(30),
        readAvailableBalance: Effect.succeed(Option.none()),
        everyMs: 60_000
      })
      yield* Effect.forkScoped(writer.run.pipe(Effect.provide(m.layer)))
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(m.calls, ["a:1:30:-"])
      yield* TestClock.adjust("250 millis")
      assert.deepStrictEqual(m.calls, ["a:1:30:-", "a:1:30:-"])
      yield* TestClock.adjust("250 millis")
      assert.strictEqual(m.calls.length, 3) // the third attempt succeeds
      yield* TestClock.adjust("1 second")
      assert.strictEqual(m.calls.length, 3)
      yield* writer.observe({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 31, avgEntryPrice: 1 })
      yield* TestClock.adjust("250 millis")
      assert.deepStrictEqual(m.calls.slice(3), ["a:1:31:-"])
    }).pipe(Effect.scoped))

  it.effect("a position from the stream is not read from the venue; until there is one, each interval reads it again", () =>
    Effect.gen(function*() {
      const m = recorder(true)
      let reads = 0
      const answers: Array<Effect.Effect<number, string>> = [Effect.fail("venue down"), Effect.never, Effect.succeed(-12)]
      const writer = makeLegacyPositions({
        role: "b",
        accountIndex: 2,
        marketId: 1,
        readPosition: Effect.suspend(() => {
          reads++
          return answers.shift() ?? Effect.succeed(-99)
        }),
        readAvailableBalance: Effect.succeed(Option.some(3)),
        everyMs: 10_000
      })
      yield* Effect.forkScoped(writer.run.pipe(Effect.provide(m.layer)))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(reads, 1)
      assert.deepStrictEqual(m.calls, [])
      // The next interval: the venue does not answer within 3 s.
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(reads, 2)
      yield* TestClock.adjust("3 seconds")
      assert.deepStrictEqual(m.calls, [])
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(reads, 3)
      assert.deepStrictEqual(m.calls, ["b:2:-12:3"])
      // Known from now on: the venue is not asked again.
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(reads, 3)
      assert.deepStrictEqual(m.calls, ["b:2:-12:3", "b:2:-12:3"])

      const stream = makeLegacyPositions({
        role: "a",
        accountIndex: 1,
        marketId: 1,
        readPosition: Effect.sync(() => {
          reads++
          return 0
        }),
        readAvailableBalance: Effect.succeed(Option.none()),
        everyMs: 10_000
      })
      yield* stream.observe({ _tag: "PositionUpdate", accountIndex: 1, marketId: 1, signedBase: 5, avgEntryPrice: 1 })
      yield* Effect.forkScoped(stream.run.pipe(Effect.provide(m.layer)))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(reads, 3)
      assert.include(m.calls, "a:1:5:-")
    }).pipe(Effect.scoped))

  it.effect("the interval is 5 s by default", () =>
    Effect.gen(function*() {
      const m = recorder(true)
      const writer = makeLegacyPositions({
        role: "a",
        accountIndex: 1,
        marketId: 1,
        readPosition: Effect.succeed(8),
        readAvailableBalance: Effect.succeed(Option.none())
      })
      yield* Effect.forkScoped(writer.run.pipe(Effect.provide(m.layer)))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(m.calls.length, 1)
      yield* TestClock.adjust("4750 millis")
      assert.strictEqual(m.calls.length, 1)
      yield* TestClock.adjust("250 millis")
      assert.strictEqual(m.calls.length, 2)
    }).pipe(Effect.scoped))
})
