// Time in the hedge path (issue 8, item 6), run once per bus implementation:
// - this machine's wall clock set back an hour in the middle of a duration (Date.now steps, as
//   when NTP or an operator sets the clock; monotonic time and timers run on): the residual flush
//   still comes after its backoff, dead consumers' fills are still claimed, the unhedged-age rule
//   still halts after risk.max_unhedged_age_ms, and the reconciler's grace period still ends;
// - A's and B's hosts an hour apart (each process given its own clock, src/ops/time.ts): B's
//   exposure rules still see A, and A still sees B's heartbeat, and B's death;
// - a clock off the venue's beyond risk.max_clock_skew_ms alerts once, and once when it recovers.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, type Scope } from "effect"
import { makeHostClock } from "../../src/ops/time.ts"
import { steppedMachineClock } from "../support/machine-clock.ts"
import { B, type Harness, makeHarness, market } from "./harness.ts"
import { type BusUnderTest, expectConservation, fillQuote, restingOrderOfA, settled } from "./scenarios.ts"

const HOUR = 3_600_000

const rejects = (n: number) => Array.from({ length: n }, () => ({ kind: "reject" as const, code: 21739, message: "not enough margin" }))

/** Waits until B runs its consume loop (its first heartbeat is out and its start-up pool check done). */
const hedgerRunning = (h: Harness, consumer = "b1") =>
  Effect.gen(function*() {
    yield* h.waitForEffect(`B (${consumer}) started`, Effect.map(h.heartbeatStatus("b"), (s) => s?.["consumer"] === consumer))
    yield* Effect.sleep("150 millis")
  })

export const clockScenarios = (bus: BusUnderTest) =>
  describe(`clocks: engine over ${bus.name} bus`, () => {
    const run = <A>(body: (h: Harness) => Effect.Effect<A, unknown, Scope.Scope>) =>
      Effect.gen(function*() {
        const h = yield* makeHarness(bus.make())
        return yield* body(h)
      }).pipe(Effect.scoped)

    it.live("the wall clock set back an hour after a failed hedge: the residual flush still comes after its backoff", () =>
      run((h) =>
        Effect.gen(function*() {
          const machine = yield* steppedMachineClock
          h.ex.nextMarketOrders(B, ...rejects(3))
          yield* h.startHedger()
          yield* hedgerRunning(h)
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("the hedge failed (its size back in the pool)", () => h.results.some((r) => r.status === "failed"))
          // The flush is due 1 s after the failure: the clock goes back an hour before that.
          machine.step(-HOUR)
          yield* h.waitFor(
            "the pool hedged by a residual flush",
            () => h.net() === 0 && h.results.some((r) => r.fillId.startsWith("residual:") && r.status === "hedged"),
            6_000
          )
          expect(h.tradedSigned(B)).toBe(-60)
        })
      ), 30_000)

    it.live("the wall clock set back an hour: a dead consumer's pending fill is still claimed, and hedged once", () =>
      run((h) =>
        Effect.gen(function*() {
          const machine = yield* steppedMachineClock
          h.ex.nextMarketOrders(B, { kind: "delay", ms: 5_000 })
          const dead = yield* h.startHedger({ consumer: "b-dead" })
          yield* hedgerRunning(h, "b-dead")
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("B sent its hedge", () => h.ex.marketOrdersReceived.length === 1)
          yield* Fiber.interrupt(dead)
          // Its fill is not idle long enough yet when the other consumer starts: the periodic claim takes it.
          yield* h.startHedger({ consumer: "b-alive", claimIdleMs: 1_000, claimEveryMs: 300 })
          yield* hedgerRunning(h, "b-alive")
          machine.step(-HOUR)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results).toHaveLength(1)
        })
      ), 30_000)

    it.live("the wall clock set back an hour while the pair is unhedged: the age rule still halts after risk.max_unhedged_age_ms", () =>
      run((h) =>
        Effect.gen(function*() {
          const machine = yield* steppedMachineClock
          // B can hedge nothing: the exposure lasts.
          h.ex.nextMarketOrders(B, ...rejects(60))
          yield* h.startHedger({
            risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 3_000, maxConsecutiveFailures: 0 }, intervalMs: 20, minBase: 20 }
          })
          yield* hedgerRunning(h)
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("the fill published", () => h.fills.length === 1)
          // B has seen the exposure (A beats every 200 ms, B looks every 20 ms); then the clock goes back.
          yield* Effect.sleep("600 millis")
          expect(yield* h.tradingState()).toBe("ACTIVE")
          machine.step(-HOUR)
          yield* h.waitFor("the pair halted", () => h.alerts.some((a) => a.kind === "halted"), 8_000)
          expect(h.alerts.find((a) => a.kind === "halted")!.message).toMatch(/net exposure 0\.00060 BTC unhedged for \d+ ms \(risk\.max_unhedged_age_ms 3000\)/)
          expect(yield* h.tradingState()).toBe("HALTED")
        })
      ), 30_000)

    it.live("the wall clock set back an hour during the reconciler's grace period: the grace still ends and B is repaired", () =>
      run((h) =>
        Effect.gen(function*() {
          const machine = yield* steppedMachineClock
          yield* h.startHedger({
            risk: {
              limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0 },
              intervalMs: 20,
              minBase: 20,
              reconcileGraceMs: 1_000,
              maxCorrection: 100
            }
          })
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          // Someone sells 40 more on B by hand: B is over-hedged; B sees it, then the clock goes back.
          h.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: 40, priceCap: 1, clientOrderIndex: 424242, reduceOnly: false })
          expect(h.net()).toBe(-40)
          yield* Effect.sleep("300 millis")
          machine.step(-HOUR)
          yield* h.waitFor("reconciled", () => h.net() === 0, 6_000)
          expect(h.ex.marketOrdersReceived.at(-1)!).toMatchObject({ accountIndex: B, side: "buy", base: 40 })
        })
      ), 30_000)

    for (const offset of [-HOUR, HOUR]) {
      const skew = offset < 0 ? "an hour behind" : "an hour ahead of"
      it.live(`A's host clock ${skew} B's: B still judges A's heartbeat fresh, and its exposure rules halt`, () =>
        run((h) =>
          Effect.gen(function*() {
            h.ex.nextMarketOrders(B, ...rejects(60))
            yield* h.startHedger({
              risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 1_000, maxConsecutiveFailures: 0 }, intervalMs: 20, minBase: 20 }
            })
            yield* hedgerRunning(h)
            yield* h.startMaker({}, makeHostClock(offset))
            yield* fillQuote(h)
            yield* h.waitFor("the pair halted by the age rule", () => h.alerts.some((a) => a.kind === "halted"), 6_000)
            expect(h.alerts.find((a) => a.kind === "halted")!.message).toMatch(/unhedged for \d+ ms \(risk\.max_unhedged_age_ms 1000\)/)
          })
        ), 30_000)

      it.live(`B's host clock ${skew} A's: A quotes while B beats, and pulls its quote once B stops`, () =>
        run((h) =>
          Effect.gen(function*() {
            const b = yield* h.startHedger({}, makeHostClock(offset))
            yield* hedgerRunning(h)
            yield* h.startMaker({ requireHedgerHeartbeatMs: 2_000 })
            yield* h.waitFor("A quotes", () => restingOrderOfA(h) !== undefined, 5_000)
            yield* Effect.sleep("2500 millis") // longer than the timeout: B's beats keep A quoting
            expect(restingOrderOfA(h)).toBeDefined()
            yield* Fiber.interrupt(b)
            // B's last beat expires (600 ms) or ages past 2 s on A's own clock: A pulls its quote.
            yield* h.waitFor("A pulls its quote", () => restingOrderOfA(h) === undefined, 5_000)
          })
        ), 30_000)
    }

    it.live("a clock off the venue's beyond risk.max_clock_skew_ms alerts once (naming 21711), and once when it recovers; no halt", () =>
      run((h) =>
        Effect.gen(function*() {
          const hostA = makeHostClock(5_000)
          const hostB = makeHostClock(-HOUR)
          const clockSkew = { maxSkewMs: 2_000, everyMs: 20, windowMs: 200 }
          yield* h.startHedger({ clockSkew }, hostB)
          yield* h.startMaker({ clockSkew }, hostA)
          const skewAlerts = () => h.alerts.filter((a) => a.kind === "clock-skew").map((a) => a.message)
          yield* h.waitFor("both alerts", () => skewAlerts().length === 2, 5_000)
          const [first, second] = [...skewAlerts()].sort()
          expect(first).toMatch(/^A \(maker\)'s clock is 500\d ms ahead of the venue's \(risk\.max_clock_skew_ms 2000\)/)
          expect(second).toMatch(/^B \(hedger b1\)'s clock is 3[56]\d{5} ms behind the venue's/)
          for (const m of skewAlerts()) expect(m).toContain("21711")
          yield* Effect.sleep("300 millis")
          expect(skewAlerts()).toHaveLength(2) // once, not on every sample
          // Only an alert: the pair trades on.
          expect(yield* h.tradingState()).toBe("ACTIVE")
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          hostA.setOffset(0)
          hostB.setOffset(0)
          yield* h.waitFor("both recovered", () => skewAlerts().length === 4, 5_000)
          expect(skewAlerts().slice(2).sort()).toEqual([
            expect.stringMatching(/^A \(maker\)'s clock is back within risk\.max_clock_skew_ms 2000 of the venue's/),
            expect.stringMatching(/^B \(hedger b1\)'s clock is back within risk\.max_clock_skew_ms 2000 of the venue's/)
          ])
          yield* Effect.sleep("300 millis")
          expect(skewAlerts()).toHaveLength(4)
        })
      ), 30_000)
  })
