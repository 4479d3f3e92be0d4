// risk.max_clock_skew_ms against the embedded exchange: its clock runs 5 s ahead of ours. The
// Lighter adapter keeps the venue's timestamp of each order-book frame with the moment it arrived;
// the clock-skew watch alerts once (naming 21711), keeps quiet while it lasts, and alerts again
// once the exchange's clock is set right (seen on the next book frame). Nothing else changes:
// transactions still go through (5 s is well inside ExpiredAt's 10 minutes).
import { Context, Effect, Layer, Redacted } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { Alerts, type AlertKind } from "../../src/ops/alerts.ts"
import { watchClockSkew } from "../../src/ops/clock-skew.ts"
import { systemClock } from "../../src/sim/clock.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { LighterVenue } from "../../src/venue/lighter/LighterVenue.ts"
import { LighterSigner } from "../../src/venue/lighter/signer.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { SIM_CHAIN_ID, simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const BTC = 1
let sim: SimHandle
let simOffsetMs = 5_000
beforeEach(async () => {
  simOffsetMs = 5_000
  sim = await startSimulator({
    port: 0,
    seed: 3,
    accounts: withSimKeys(),
    market: false,
    clock: { now: () => systemClock.now() + simOffsetMs }
  })
})
afterEach(async () => {
  await sim.close()
})

const venueLayer = (account: number) =>
  LighterVenue.layer({ baseUrl: sim.url, wsUrl: sim.wsUrl, accountIndex: account, apiKeyIndex: 4, requestTimeoutMs: 2000 }).pipe(
    Layer.provide(LighterSigner.layer({
      accountIndex: account,
      apiKeyIndex: 4,
      chainId: SIM_CHAIN_ID,
      privateKey: Redacted.make(simPrivateKeyHex(account)),
      keySource: "the test key"
    }))
  )

const waitFor = (what: string, cond: () => boolean, ms = 5_000) =>
  Effect.gen(function*() {
    const deadline = performance.now() + ms
    while (!cond()) {
      if (performance.now() > deadline) return yield* Effect.die(new Error(`timed out: ${what}`))
      yield* Effect.sleep("10 millis")
    }
  })

describe("clock skew against the embedded exchange", () => {
  it("the exchange's clock 5 s ahead of ours: one clock-skew alert naming 21711, and one when it is set right", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const alerts: Array<{ kind: AlertKind; message: string }> = []
      const alertsLayer = Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void alerts.push({ kind, message })) }))
      const venue = Context.get(yield* Layer.build(venueLayer(2)), Venue)
      const book = yield* venue.orderBook(BTC, 1)
      // The adapter keeps the exchange's own timestamp of the frame and when it arrived.
      expect(book.venueTime).toBeDefined()
      expect(book.venueTime!.venueMs - Date.now()).toBeGreaterThan(4_000)
      yield* watchClockSkew({ maxSkewMs: 2_000, marketId: BTC, who: "B", everyMs: 20, windowMs: 200 }).pipe(
        Effect.provide(Layer.mergeAll(alertsLayer, Layer.succeed(Venue, venue))),
        Effect.forkScoped
      )
      yield* waitFor("the skew alert", () => alerts.length === 1)
      expect(alerts[0]!.kind).toBe("clock-skew")
      expect(alerts[0]!.message).toMatch(/^B's clock is (49\d\d|50\d\d) ms behind the venue's \(risk\.max_clock_skew_ms 2000\)/)
      expect(alerts[0]!.message).toContain("21711")
      // Only an alert: B still trades (a resting order changes the book: a new frame).
      yield* venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: 900_000, clientOrderIndex: 11, postOnly: true, reduceOnly: false })
      yield* Effect.sleep("300 millis")
      expect(alerts).toHaveLength(1)
      // The exchange's clock is set right: the next frame shows it.
      simOffsetMs = 0
      yield* venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: 900_001, clientOrderIndex: 12, postOnly: true, reduceOnly: false })
      yield* waitFor("the recovery alert", () => alerts.length === 2)
      expect(alerts[1]!.message).toMatch(/^B's clock is back within risk\.max_clock_skew_ms 2000 of the venue's/)
    }))), 30_000)
})
