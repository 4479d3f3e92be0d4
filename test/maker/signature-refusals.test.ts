// A's transactions refused for their key, signature or expiry (src/maker/signature-refusals.ts):
// counted in a row, reset by any other outcome or an accepted tx; at
// maker.halt_after_signature_refusals in a row an ACTIVE pair halts once with what to do, and the
// count starts again. A limit of 0 never halts; a pair stopped already keeps its state.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { makeSignatureRefusals } from "../../src/maker/signature-refusals.ts"
import { type AlertKind, Alerts } from "../../src/ops/alerts.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { makeContext } from "./context.ts"

const refused = (code = 21120) => new VenueError({ op: "placeLimit", kind: "rejected", code, message: "invalid signature" })
const other = new VenueError({ op: "placeLimit", kind: "rejected", code: 21739, message: "not enough margin" })

const setup = (limit: number | undefined) =>
  Effect.gen(function*() {
    const { ctx, services } = yield* makeContext(limit === undefined ? {} : { haltAfterSignatureRefusals: limit })
    const alerts: Array<{ readonly kind: AlertKind; readonly message: string }> = []
    const alertsLayer = Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void alerts.push({ kind, message })) }))
    const refusals = yield* makeSignatureRefusals(ctx)
    const note = (e: VenueError) => refusals.note("quote", e).pipe(Effect.provide(alertsLayer), Effect.provideContext(services))
    return { ctx, alerts, refusals, note }
  })

describe("A's signature refusals", () => {
  it.effect("three in a row with the limit 3: the pair halts once, saying what to do; the count starts again", () =>
    Effect.gen(function*() {
      const t = yield* setup(3)
      yield* t.note(refused())
      yield* t.note(refused(21711))
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "ACTIVE")
      yield* t.note(refused(21109))
      const s = yield* t.ctx.pairState.tradingStatus()
      assert.strictEqual(s.state, "HALTED")
      assert.strictEqual(s.reason, "A's transactions refused 3 times in a row (21109): invalid signature")
      const halted = t.alerts.filter((a) => a.kind === "halted")
      assert.strictEqual(halted.length, 1)
      assert.include(halted[0]!.message, "After fixing the key: bin/hedge keys check, then bin/hedge resume")
      // Resumed by an operator: the count started again, so two more do not halt.
      yield* t.ctx.pairState.setTradingState("ACTIVE", "resume")
      yield* t.note(refused())
      yield* t.note(refused())
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "ACTIVE")
      yield* t.note(refused())
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "HALTED")
    }))

  it.effect("another refusal or an accepted tx in between resets the count", () =>
    Effect.gen(function*() {
      const t = yield* setup(2)
      yield* t.note(refused())
      yield* t.note(other)
      yield* t.note(refused())
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "ACTIVE")
      yield* t.refusals.accepted
      yield* t.note(refused())
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "ACTIVE")
      yield* t.note(refused())
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "HALTED")
    }))

  it.effect("limit 0 (or none): never halts", () =>
    Effect.gen(function*() {
      for (const limit of [0, undefined]) {
        const t = yield* setup(limit)
        for (let i = 0; i < 10; i++) yield* t.note(refused())
        assert.strictEqual(yield* t.ctx.pairState.tradingState(), "ACTIVE")
        assert.strictEqual(t.alerts.length, 0)
      }
    }))

  it.effect("a pair stopped already keeps its state and reason", () =>
    Effect.gen(function*() {
      const t = yield* setup(1)
      yield* t.ctx.pairState.setTradingState("REDUCING", "operator")
      yield* t.note(refused())
      const s = yield* t.ctx.pairState.tradingStatus()
      assert.deepStrictEqual([s.state, s.reason], ["REDUCING", "operator"])
      assert.strictEqual(t.alerts.length, 0)
    }))

  it.effect("refusals while the pair is stopped go on counting: resumed, the next one halts at once (the key is still wrong)", () =>
    Effect.gen(function*() {
      const t = yield* setup(2)
      yield* t.ctx.pairState.setTradingState("REDUCING", "operator")
      yield* t.note(refused())
      yield* t.note(refused())
      yield* t.ctx.pairState.setTradingState("ACTIVE", "resume")
      yield* t.note(refused())
      assert.strictEqual(yield* t.ctx.pairState.tradingState(), "HALTED")
    }))
})
