// Reconciliation on B (src/hedger/reconciler.ts): the alerts a correction raises carry the kind
// "reconciliation-mismatch", which is what an operator's alerting routes on — both the notice of
// the correction and the word that the venue refused it.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { type AlertKind, Alerts } from "../../src/ops/alerts.ts"
import { makeReconciler } from "../../src/hedger/reconciler.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"

const market = LIGHTER_BTC
const GRACE = 10_000

const setupWith = (wrap: (v: VenueShape) => VenueShape) =>
  Effect.gen(function*() {
    const ex = new MemoryExchange({ markets: [market], mid: { [market.marketId]: 1_000_000 } })
    const alerts: Array<{ readonly kind: AlertKind; readonly text: string }> = []
    const ctx = yield* Layer.build(Layer.mergeAll(
      MemoryPairState.make().layer,
      Layer.succeed(Venue, Venue.of(wrap(makeMemoryVenue(ex, 2)))),
      Layer.succeed(Alerts, Alerts.of({ alert: (kind, text) => Effect.sync(() => void alerts.push({ kind, text })) }))
    ))
    const reconciler = yield* makeReconciler({ market, slippageBps: 50, clientIndexTag: 7 }, { minBase: market.minBaseAmount, graceMs: GRACE, maxCorrection: 100 })
    /** A long 100, B short 140 (B over-hedged by 40), looked at at 0 and after the grace. */
    const overHedgedThroughGrace = Effect.gen(function*() {
      const outs = []
      for (const t of [0, GRACE]) outs.push((yield* reconciler.look({ nowMs: t, aPosition: 100, aObservedAtMs: t, bPosition: -140 }))._tag)
      return outs
    }).pipe(Effect.provideContext(ctx))
    return { alerts, overHedgedThroughGrace }
  })

describe("reconciler alerts", () => {
  it.effect("a correction is announced with the alert kind reconciliation-mismatch", () =>
    Effect.gen(function*() {
      const t = yield* setupWith((v) => v)
      assert.deepStrictEqual(yield* t.overHedgedThroughGrace, ["Nothing", "Corrected"])
      assert.strictEqual(t.alerts.length, 1)
      assert.strictEqual(t.alerts[0]!.kind, "reconciliation-mismatch")
      assert.match(t.alerts[0]!.text, /over-hedged by 0\.00040 BTC/)
    }))

  it.effect("a correction the venue refuses: both alerts (the notice and the refusal) are of kind reconciliation-mismatch", () =>
    Effect.gen(function*() {
      const t = yield* setupWith((v) => ({
        ...v,
        placeMarket: () => Effect.fail(new VenueError({ op: "placeMarket", kind: "rejected", code: 21739, message: "not enough margin" }))
      }))
      assert.deepStrictEqual(yield* t.overHedgedThroughGrace, ["Nothing", "Corrected"])
      assert.deepStrictEqual(t.alerts.map((a) => a.kind), ["reconciliation-mismatch", "reconciliation-mismatch"])
      assert.strictEqual(t.alerts[1]!.text, "correction not sent: not enough margin")
    }))
})
