// The epoch guard (src/app/epoch-guard.ts) as fibers over the in-memory pair state and venue:
// a program runs only while the pair's state holds the epoch the process mirrored to its file;
// state that was lost, or replaced by an older one, stops it, halts the pair and waits for an
// operator; adoption starts it again. (Real processes and a real Redis: test/integration/redis-loss.test.ts.)
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option } from "effect"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { Alerts } from "../../src/ops/alerts.ts"
import { superviseEpoch } from "../../src/app/epoch-guard.ts"
import { EpochMirror } from "../../src/app/epoch-mirror.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { MemoryVenue } from "../../src/venue/memory/layers.ts"
import { B, market } from "./harness.ts"

const waitFor = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* Effect.promise(async () => cond()))) {
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out waiting for: ${what}`))
      yield* Effect.sleep("10 millis")
    }
  })

const setup = () =>
  Effect.gen(function*() {
    const ex = new MemoryExchange({ seed: 1 })
    const handle = MemoryPairState.make()
    const alerts: Array<string> = []
    const layer = Layer.mergeAll(
      handle.layer,
      MemoryFillBus.make({ market }).layer,
      MemoryVenue.layer(ex, B),
      Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void alerts.push(`${kind}: ${message}`)) }))
    )
    const context = yield* Layer.build(layer)
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-epoch-"))
    let runs = 0
    const program = Effect.sync(() => void runs++).pipe(Effect.andThen(Effect.never))
    const start = () =>
      superviseEpoch({ role: "b", mirror: EpochMirror.open(dir, "p", "b"), market, pollMs: 50 }, program).pipe(
        Effect.provideContext(context),
        Effect.forkChild
      )
    const state = () => Effect.provideContext(PairState.use((s) => Effect.succeed(s)), context)
    return { handle, alerts, start, state, runs: () => runs, dir }
  })

describe("the epoch guard", () => {
  it.live("first start makes an adopted epoch and mirrors it; a restart trusts it", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const f1 = yield* t.start()
      yield* waitFor("the program runs", () => t.runs() === 1)
      const state = yield* t.state()
      const e = Option.getOrThrow(yield* state.epoch())
      expect(e.gen).toBe(1)
      expect(e.adoptedAtMs).toBeDefined()
      expect(EpochMirror.open(t.dir, "p", "b").data.epoch?.id).toBe(e.id)
      yield* Fiber.interrupt(f1)
      const f2 = yield* t.start()
      yield* waitFor("the program runs again", () => t.runs() === 2)
      expect(Option.getOrThrow(yield* state.epoch()).id).toBe(e.id)
      expect(yield* state.tradingState()).toBe("ACTIVE")
      yield* Fiber.interrupt(f2)
    }), 20_000)

  it.live("lost state stops the program, halts with the reason, reports; adoption starts it again", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const f = yield* t.start()
      yield* waitFor("the program runs", () => t.runs() === 1)
      const state = yield* t.state()
      const first = Option.getOrThrow(yield* state.epoch())
      yield* state.setTradingState("HALTED", "operator check")
      yield* Effect.sleep("150 millis") // observed and mirrored
      t.handle.inspect.loseEverything()
      yield* waitFor("the loss handled", () => t.alerts.length > 0)
      const lost = Option.getOrThrow(yield* state.epoch())
      expect(lost.id).not.toBe(first.id)
      expect(lost.gen).toBe(2)
      expect(lost.adoptedAtMs).toBeUndefined()
      const status = yield* state.tradingStatus()
      expect(status.state).toBe("HALTED")
      expect(status.reason).toMatch(/Redis state lost \(Redis came back empty\)/)
      expect(t.alerts[0]).toMatch(/redis-state-lost: main-b: Redis came back empty/)
      expect(t.alerts[0]).toMatch(/the trading state HALTED \("operator check"\)/)
      expect((yield* state.lossReports()).b?.epochId).toBe(lost.id)
      // Waiting: the program does not run again on its own, not even when the state says ACTIVE.
      yield* state.setTradingState("ACTIVE", "someone set it by hand")
      yield* Effect.sleep("300 millis")
      expect(t.runs()).toBe(1)
      yield* state.adoptEpoch("test operator")
      yield* waitFor("the program runs again", () => t.runs() === 2)
      expect(EpochMirror.open(t.dir, "p", "b").data.epoch?.id).toBe(lost.id)
      yield* Fiber.interrupt(f)
    }), 20_000)

  it.live("an older epoch (a restored snapshot) is not trusted either", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const f = yield* t.start()
      yield* waitFor("the program runs", () => t.runs() === 1)
      const state = yield* t.state()
      const mine = Option.getOrThrow(yield* state.epoch())
      // Redis now holds another epoch of the same generation (adopted): a snapshot from another life.
      yield* state.replaceEpoch({ id: "older", gen: 1, createdAtMs: 1, adoptedAtMs: 1 }, mine.id)
      yield* waitFor("the loss handled", () => t.alerts.length > 0)
      expect(t.alerts[0]).toMatch(/Redis holds epoch older \(generation 1, .*\), not .*: it came back from an older snapshot/)
      const now = Option.getOrThrow(yield* state.epoch())
      expect(now.gen).toBe(2)
      expect(now.adoptedAtMs).toBeUndefined()
      expect(yield* state.tradingState()).toBe("HALTED")
      yield* Fiber.interrupt(f)
    }), 20_000)
})
