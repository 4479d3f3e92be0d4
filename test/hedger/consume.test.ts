// B's consume loop (src/hedger/consume.ts) on the TestClock: on start it drains its own pending
// entries batch by batch before anything else, then claims what dead consumers left (batch by
// batch), then reads new entries and claims again only every claimEveryMs; a stop lets the hedge
// in hand settle for up to the grace, else cuts it off and says so (exit code 1).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { consumeLoop } from "../../src/hedger/consume.ts"
import { STOP_GRACE_MS } from "../../src/hedger/settings.ts"
import { ShutdownReport } from "../../src/ops/shutdown-report.ts"
import { advance, B, fillEvent, setupB } from "./b-fixture.ts"

const fill = (n: number) => fillEvent({ fillId: `${900 + n}:60`, orderIndex: String(900 + n), clientOrderIndex: 70 + n })


describe("B's consume loop", () => {
  it.effect("on start: its own pending entries first, in batches, all of them (however long the claim idle)", () =>
    Effect.gen(function*() {
      const t = yield* setupB({ batch: 2, claimIdleMs: 3_600_000, claimEveryMs: 3_600_000 })
      for (let i = 1; i <= 3; i++) yield* t.fillBus.publishFill(fill(i))
      // Delivered to this consumer before a crash, never handled.
      assert.strictEqual((yield* t.fillBus.readNew({ consumer: "b1", count: 3, blockMs: 0 })).length, 3)
      const loop = yield* consumeLoop(t.watcher, t.settings, t.loop).pipe(Effect.provideContext(t.ctx), Effect.forkChild)
      yield* advance(500)
      assert.deepStrictEqual(t.seen.results.map((r) => r.fillId), ["901:60", "902:60", "903:60"])
      assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
      yield* Fiber.interrupt(loop)
    }))

  it.effect("what a dead consumer left is claimed once idle, in batches, all of them", () =>
    Effect.gen(function*() {
      const t = yield* setupB({ batch: 2, claimIdleMs: 1_000, claimEveryMs: 3_600_000 })
      for (let i = 1; i <= 3; i++) yield* t.fillBus.publishFill(fill(i))
      yield* t.fillBus.readNew({ consumer: "b0", count: 3, blockMs: 0 })
      yield* advance(1_000)
      const loop = yield* consumeLoop(t.watcher, t.settings, t.loop).pipe(Effect.provideContext(t.ctx), Effect.forkChild)
      yield* advance(500)
      assert.deepStrictEqual(t.seen.results.map((r) => r.fillId), ["901:60", "902:60", "903:60"])
      yield* Fiber.interrupt(loop)
    }))

  it.effect("while running, dead consumers' entries are looked for every claimEveryMs, not at every read", () =>
    Effect.gen(function*() {
      const t = yield* setupB({ claimIdleMs: 100, claimEveryMs: 5_000, blockMs: 50 })
      // Not at the clock's origin: "since the last look" must be a difference, not a time.
      yield* advance(10_000)
      // Another consumer has just taken an entry (and dies with it): too fresh to claim at B's start.
      yield* t.fillBus.publishFill(fill(1))
      yield* t.fillBus.readNew({ consumer: "b0", count: 1, blockMs: 0 })
      const loop = yield* consumeLoop(t.watcher, t.settings, t.loop).pipe(Effect.provideContext(t.ctx), Effect.forkChild)
      yield* advance(2_200)
      assert.strictEqual(t.seen.results.length, 0, "idle long enough, but not yet time to look")
      yield* advance(3_500)
      assert.deepStrictEqual(t.seen.results.map((r) => r.fillId), ["901:60"])
      yield* Fiber.interrupt(loop)
    }))

  describe("a stop while a hedge is in flight", () => {
    /** B's hedge order is answered only after `delayMs`; the loop is stopped while it is out. */
    const stopMidHedge = (graceMs: number | undefined, delayMs: number) =>
      Effect.gen(function*() {
        const t = yield* setupB(graceMs === undefined ? {} : { stopGraceMs: graceMs })
        // Without stopGraceMs, B's default applies.
        const { stopGraceMs: _, ...noGrace } = t.settings
        const settings = graceMs === undefined ? noGrace : t.settings
        const reasons: Array<string> = []
        t.ex.nextMarketOrders(B, { kind: "delay", ms: delayMs })
        const loop = yield* consumeLoop(t.watcher, settings, t.loop).pipe(
          Effect.provideContext(t.ctx),
          Effect.provideService(ShutdownReport, { incomplete: (r) => Effect.sync(() => void reasons.push(r)) }),
          Effect.forkChild
        )
        yield* t.fillBus.publishFill(fill(1))
        yield* advance(200)
        assert.strictEqual(t.ex.marketOrdersReceived.length, 1, "the hedge is out")
        const stopping = yield* Fiber.interrupt(loop).pipe(Effect.forkChild)
        yield* advance(delayMs + (graceMs ?? STOP_GRACE_MS) + 500)
        yield* Fiber.join(stopping)
        return { t, reasons }
      })

    it.effect("settled within the grace: the result is recorded and acknowledged, nothing reported", () =>
      Effect.gen(function*() {
        const { t, reasons } = yield* stopMidHedge(2_000, 1_000)
        assert.deepStrictEqual(t.seen.results.map((r) => r.status), ["hedged"])
        assert.strictEqual(yield* t.fillBus.pendingCount(), 0)
        assert.deepStrictEqual(reasons, [])
      }))

    it.effect("by default (STOP_GRACE_MS, 10 s) a hedge of a few seconds settles", () =>
      Effect.gen(function*() {
        const { t, reasons } = yield* stopMidHedge(undefined, 3_000)
        assert.deepStrictEqual(t.seen.results.map((r) => r.status), ["hedged"])
        assert.deepStrictEqual(reasons, [])
      }))

    it.effect("not settled within the grace: cut off, and the shutdown says which fill and how long it waited", () =>
      Effect.gen(function*() {
        const { t, reasons } = yield* stopMidHedge(500, 3_000)
        assert.deepStrictEqual(t.seen.results, [])
        assert.strictEqual(yield* t.fillBus.pendingCount(), 1, "left pending for the next start")
        assert.deepStrictEqual(reasons, [
          "B's hedge of fill 901:60 (seq 1) was interrupted before it settled (waited 0.5 s); B resumes it from its intent on its next start"
        ])
      }))

    it.effect("a grace of 0 (a crash): cut off at once, said without a wait", () =>
      Effect.gen(function*() {
        const { t, reasons } = yield* stopMidHedge(0, 1_000)
        assert.deepStrictEqual(t.seen.results, [])
        assert.deepStrictEqual(reasons, [
          "B's hedge of fill 901:60 (seq 1) was interrupted before it settled; B resumes it from its intent on its next start"
        ])
      }))
  })
})
