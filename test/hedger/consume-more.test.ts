// B's consume loop (src/hedger/consume.ts), more: dead consumers' entries are looked for at the
// first read that ends once claimEveryMs has passed (not a read later); a stop that cuts off the
// handling of a poison entry (no fill, nothing hedged) reports no hedge cut off and stops cleanly.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { consumeLoop } from "../../src/hedger/consume.ts"
import { ShutdownReport } from "../../src/ops/shutdown-report.ts"
import { advance, fillEvent, setupB } from "./b-fixture.ts"

describe("B's consume loop, more", () => {
  it.effect("a dead consumer's entry is claimed at the read that ends when claimEveryMs has passed", () =>
    Effect.gen(function*() {
      // Each read waits blockMs for new entries; claimEveryMs is one read's wait.
      const t = yield* setupB({ claimIdleMs: 100, claimEveryMs: 1_000, blockMs: 1_000 })
      // Another consumer has just taken an entry (and dies with it): too fresh to claim at B's start.
      yield* t.fillBus.publishFill(fillEvent())
      yield* t.fillBus.readNew({ consumer: "b0", count: 1, blockMs: 0 })
      const loop = yield* consumeLoop(t.watcher, t.settings, t.loop).pipe(Effect.provideContext(t.ctx), Effect.forkChild)
      yield* advance(900)
      assert.strictEqual(t.seen.results.length, 0, "not before claimEveryMs")
      // The first read ends at 1 000 ms: claimEveryMs has passed, the entry is claimed and hedged then.
      yield* advance(600)
      assert.deepStrictEqual(t.seen.results.map((r) => r.fillId), ["900:60"])
      yield* Fiber.interrupt(loop)
    }))

  it.effect("a stop while a poison entry is handled: no hedge reported cut off, the loop ends by the stop alone", () =>
    Effect.gen(function*() {
      for (const graceMs of [0, 500]) {
        // The poison hook does not return: the stop comes while B handles the poison entry.
        const t = yield* setupB({ stopGraceMs: graceMs, onPoison: () => Effect.never })
        const reasons: Array<string> = []
        const loop = yield* consumeLoop(t.watcher, t.settings, t.loop).pipe(
          Effect.provideContext(t.ctx),
          Effect.provideService(ShutdownReport, { incomplete: (r) => Effect.sync(() => void reasons.push(r)) }),
          Effect.forkChild
        )
        t.bus.inspect.injectRaw({ junk: "1" })
        yield* advance(200)
        assert.strictEqual(t.bus.inspect.deadLetters().length, 1, "the poison entry is being handled")
        const stopping = yield* Fiber.interrupt(loop).pipe(Effect.forkChild)
        yield* advance(graceMs + 500)
        yield* Fiber.join(stopping)
        const exit = yield* Fiber.await(loop)
        assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause), `grace ${graceMs}: ${String(exit)}`)
        assert.deepStrictEqual(reasons, [], `grace ${graceMs}`)
      }
    }))
})
