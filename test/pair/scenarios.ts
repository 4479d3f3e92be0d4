// Full hedge cycles against the in-memory venue, run once per bus implementation
// (in-memory and real Redis). Every check reads the exchange's own trade log and order records,
// so a lost fill, a double hedge or a wrong direction fails them.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { fillEventToFields } from "../../src/bus/codec.ts"
import { hedgeClientIndex } from "../../src/domain/client-index.ts"
import { isOrderActive } from "../../src/domain/events.ts"
import { formatBase, formatPrice } from "../../src/domain/market.ts"
import { FillEvent, HedgeAttempt, makeFillId } from "../../src/domain/messages.ts"
import { A, B, type Bus, type Harness, hedgerSettings, makeHarness, market } from "./harness.ts"

export interface BusUnderTest {
  readonly name: string
  /** A fresh, isolated bus (own key prefix) for one test. */
  readonly make: () => Bus
  /** Appends an undecodable entry to the fills stream of the bus made last. */
  readonly injectPoison: (raw: Record<string, string>) => Effect.Effect<void>
  /** Number of entries in the dead-letter stream of the bus made last. */
  readonly deadLetters: () => Effect.Effect<number>
  /** Reasons recorded in the dead-letter stream of the bus made last, oldest first. */
  readonly deadLetterReasons: () => Effect.Effect<ReadonlyArray<string>>
  /** Run on the TestClock (harness.ts HarnessOptions): for a bus with no real I/O. */
  readonly virtualTime?: boolean
}

/** `it.effect` (TestClock) for a bus on virtual time, else `it.live`. */
export const itFor = (bus: BusUnderTest) => (bus.virtualTime === true ? it.effect : it.live)

/**
 * The raw fields of a fill entry as A's publish writes them (the event plus `fillSeq`): by
 * default a plausible fill of this pair — A's buy of 60 at the mid — that tests then falsify.
 */
const entryFields = (over: Partial<ConstructorParameters<typeof FillEvent>[0]> = {}, fillSeq: number | string = 424_242): Record<string, string> => {
  const orderIndex = over.orderIndex ?? "281474976799999"
  const filledBefore = over.filledBefore ?? 0
  const filledAfter = over.filledAfter ?? filledBefore + (over.size ?? 60)
  const ev = new FillEvent({
    fillId: makeFillId(orderIndex, filledAfter),
    pair: "BTC:1-2",
    accountIndex: A,
    marketId: market.marketId,
    side: "buy",
    orderIndex,
    clientOrderIndex: 5,
    filledBefore,
    filledAfter,
    size: filledAfter - filledBefore,
    price: 999_999,
    venueTimestampMs: Date.now(),
    detectedAtMs: Date.now(),
    ...over
  })
  return { ...fillEventToFields(ev), fillSeq: String(fillSeq) }
}

/** The raw fields of the entry that carried one of A's published fills (an exact copy). */
const copyOf = (h: Harness, i: number): Record<string, string> => {
  const fill = h.fills[i]!
  const result = h.results.find((r) => r.fillId === fill.fillId)!
  return { ...fillEventToFields(fill), fillSeq: String(result.fillSeq) }
}

/** Entries B must refuse: each goes to the dead letter with a reason that names the problem. */
const refusedEntries: ReadonlyArray<{ readonly name: string; readonly fields: () => Record<string, string>; readonly reason: RegExp }> = [
  { name: "a fill of another pair", fields: () => entryFields({ pair: "BTC:7-8" }), reason: /pair "BTC:7-8", expected "BTC:1-2"/ },
  { name: "a fill on another market", fields: () => entryFields({ marketId: 0 }), reason: /market 0, expected 1/ },
  { name: "a fill of another account", fields: () => entryFields({ accountIndex: 3 }), reason: /account 3, expected A's 1/ },
  { name: "a fill 100× the quote size", fields: () => entryFields({ size: 6_000 }), reason: /size 0\.06000 BTC is above hedge\.max_fill_multiple/ },
  // ETH at 3 000.00 USDC in ETH's ticks, on BTC (mid 100 000.0): 70 % below the book.
  { name: "an ETH-priced fill on BTC", fields: () => entryFields({ price: 300_000, size: 40 }), reason: /price: 30000\.0 is outside the venue's ±5 % band/ },
  // The entry that crash-looped B: it passed the schema, then overflowed the client index.
  { name: "a fill whose fillSeq overflows the client index (99999999999)", fields: () => entryFields({}, 99_999_999_999), reason: /fillSeq/ },
  { name: "a fill whose id does not name its range", fields: () => ({ ...entryFields(), fillId: "281474976799999:61" }), reason: /malformed fill/ }
]

export const restingOrderOfA = (h: Harness) => h.ex.activeOrders(A, market.marketId).find((o) => isOrderActive(o.status))

/** Waits for A's resting quote and fills `base` of it (all when omitted). Returns its order index. */
export const fillQuote = (h: Harness, base?: number) =>
  Effect.gen(function*() {
    yield* h.waitFor("A has a resting quote", () => restingOrderOfA(h) !== undefined)
    const o = restingOrderOfA(h)!
    h.ex.fillOrder(o.orderIndex, base)
    return o.orderIndex
  })

export const settled = (h: Harness) =>
  h.waitFor(
    "every published fill hedged and the pair flat",
    () => h.results.length === h.fills.length && h.net() === 0,
    15_000
  )

export const expectConservation = (h: Harness) => {
  // I1: signed Σ A fills + signed Σ B fills = 0, from the exchange's own trades.
  expect(h.tradedSigned(A) + h.tradedSigned(B)).toBe(0)
  // Every hedge traded against its fill's direction.
  for (const r of h.results) {
    if (r.hedgedSignedBase !== 0) expect(Math.sign(r.hedgedSignedBase)).toBe(r.aSide === "buy" ? -1 : 1)
  }
  // Each fill got exactly one result.
  expect(new Set(h.results.map((r) => r.fillId)).size).toBe(h.results.length)
}

export const engineScenarios = (bus: BusUnderTest) =>
  describe(`engine over ${bus.name} bus`, () => {
    const scenario = itFor(bus)
    const run = <A>(body: (h: Harness) => Effect.Effect<A, unknown>, exOptions = {}) =>
      Effect.gen(function*() {
        const h = yield* makeHarness(bus.make(), exOptions, { virtualTime: bus.virtualTime === true })
        return yield* body(h)
      }).pipe(Effect.scoped)

    scenario("many open/close cycles: every fill hedged once, opposite side, pair flat", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          yield* h.startMaker()
          for (let i = 0; i < 24; i++) {
            yield* fillQuote(h)
            yield* h.waitFor(`fill ${i + 1} hedged`, () => h.results.length === i + 1)
          }
          yield* settled(h)
          expectConservation(h)
          expect(h.fills.filter((f) => f.side === "buy")).toHaveLength(12)
          expect(h.fills.filter((f) => f.side === "sell")).toHaveLength(12)
          // One hedge order per fill: nothing sent twice.
          expect(h.ex.marketOrdersReceived).toHaveLength(24)
          // Each result records what its order did at the venue: the order, its fill, its real
          // average price (from the filled notional, never the price cap).
          for (const r of h.results) {
            const a = r.attempts[0]!
            const trade = h.ex.trades.find((t) => t.buyOrder === a.orderIndex || t.sellOrder === a.orderIndex)!
            expect(trade, r.fillId).toBeDefined()
            expect([a.filledBase, a.avgPrice, a.error]).toEqual([trade.size, trade.price, undefined])
            expect(a.filledQuoteMicro).toBeGreaterThan(0)
            expect(a.avgPrice).not.toBe(a.priceCap)
          }
          expect(h.ex.marketOrdersReceived.filter((o) => o.accountIndex === B)).toHaveLength(24)
          // Hedges open and close B's short alike: never reduce-only (an opening one would be refused).
          expect(h.ex.marketOrdersReceived.every((o) => !o.reduceOnly)).toBe(true)
          expect(h.ex.position(A, market.marketId).signedBase).toBe(0)
        })
      ), 30_000)

    scenario("partial fills, some below the venue minimum, are pooled and hedged exactly", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          yield* h.startMaker()
          // Quote of 60 units (min 20): 10 (pooled), 25 (hedges 35), 25 (hedges 25).
          yield* fillQuote(h, 10)
          yield* h.waitFor("first partial recorded", () => h.results.length === 1)
          expect(h.results[0]!.status).toBe("deferred")
          expect(h.ex.marketOrdersReceived).toHaveLength(0)
          yield* fillQuote(h, 25)
          yield* fillQuote(h, 25)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived.map((o) => o.base)).toEqual([35, 25])
          // Then the close phase, also in parts.
          yield* fillQuote(h, 30)
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.position(A, market.marketId).signedBase).toBe(0)
        })
      ), 30_000)

    scenario("B never prices a hedge through A's resting quote (no self-trade)", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h) // open long fully
          yield* h.waitFor("close quote resting", () => restingOrderOfA(h)?.side === "sell")
          const closeQuote = restingOrderOfA(h)!
          yield* fillQuote(h, 20) // partial close: the rest of A's sell keeps resting
          yield* settled(h)
          const hedge = h.ex.marketOrdersReceived.at(-1)!
          expect(hedge.side).toBe("buy")
          // Without the guard the cap would be the fill price + 0.5 %, far above A's own ask.
          expect(hedge.priceCap).toBeLessThan(closeQuote.price)
          expectConservation(h)
        })
      ), 30_000)

    scenario("A places no quote on the side an in-flight hedge is heading for (a delayed IOC cannot hit it)", () =>
      run((h) =>
        Effect.gen(function*() {
          // B's sell hedge of A's open-long fill is answered only after 1.5 s.
          h.ex.nextMarketOrders(B, { kind: "delay", ms: 1500 })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("close quote resting", () => restingOrderOfA(h)?.side === "sell")
          yield* fillQuote(h) // A is flat again and would quote a buy at once
          yield* h.waitFor("A quotes a buy again", () => restingOrderOfA(h)?.side === "buy", 15_000)
          const sellHedge = h.ex.marketOrdersReceived.find((o) => o.side === "sell")!
          // The buy quote went out only after B's sell was settled (1.5 s after it was sent).
          expect(restingOrderOfA(h)!.updatedAtMs).toBeGreaterThanOrEqual(sellHedge.atMs + 1500)
          yield* settled(h)
          expectConservation(h)
        })
      ), 30_000)

    scenario("a risk breach halts the pair: A pulls its quote and stops quoting, B keeps hedging", () =>
      run((h) =>
        Effect.gen(function*() {
          // Every hedge order is refused: the first fill exhausts its attempts.
          h.ex.nextMarketOrders(B, ...Array.from({ length: 3 }, () => ({ kind: "reject" as const, code: 21739 })))
          yield* h.startHedger({
            maxAttempts: 3,
            risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 1 }, intervalMs: 20, minBase: 20 }
          })
          yield* h.startMaker()
          yield* fillQuote(h)
          // ">= 1": the residual flush 1 s later adds a second result, and a loaded machine's poll can miss the moment of exactly one.
          yield* h.waitFor("hedge failed", () => h.results.length >= 1)
          expect(h.results[0]!.status).toBe("failed")
          yield* h.waitFor("A's quote pulled", () => restingOrderOfA(h) === undefined, 5_000)
          yield* h.sleep("200 millis")
          expect(restingOrderOfA(h)).toBeUndefined() // and no new one while HALTED
        })
      ), 30_000)

    scenario("a hedge executed beyond risk.max_hedge_slippage_bps halts the pair at once", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger({
            risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0, maxHedgeSlippageBps: 5 }, intervalMs: 20, minBase: 20 }
          })
          yield* h.startMaker()
          yield* h.waitFor("A has a resting quote", () => restingOrderOfA(h) !== undefined)
          const quote = restingOrderOfA(h)!
          expect(quote.side).toBe("buy")
          // The market drops ~10 bps between A's fill and B's hedge: still inside the hedge's
          // 50 bps price cap, so B sells, but 1 001 ticks below A's fill price.
          h.ex.setMid(market.marketId, quote.price - 1_000)
          h.ex.fillOrder(quote.orderIndex)
          yield* h.waitFor("the pair halted", () => h.alerts.some((a) => a.kind === "halted"))
          expect(yield* h.tradingState()).toBe("HALTED")
          const halted = h.alerts.find((a) => a.kind === "halted")!.message
          expect(halted).toContain("risk.max_hedge_slippage_bps 5")
          expect(halted).toContain(`hedge of fill ${quote.orderIndex}:60 slipped`)
          expect(halted).toContain(`B sold ${formatBase(market, 60)} BTC at ${formatPrice(market, quote.price - 1_001)} on average against A's fill at ${formatPrice(market, quote.price)}`)
          // The hedge itself went through: the pair is flat, and A stops quoting.
          yield* settled(h)
          expectConservation(h)
          expect(h.results[0]!.status).toBe("hedged")
          yield* h.waitFor("A's quote pulled", () => restingOrderOfA(h) === undefined, 5_000)
          yield* h.sleep("200 millis")
          expect(restingOrderOfA(h)).toBeUndefined()
        })
      ), 30_000)

    scenario("a hedge within risk.max_hedge_slippage_bps (or better than A's fill) leaves the pair ACTIVE", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger({
            risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0, maxHedgeSlippageBps: 5 }, intervalMs: 20, minBase: 20 }
          })
          yield* h.startMaker()
          for (let i = 0; i < 4; i++) {
            yield* fillQuote(h)
            yield* h.waitFor(`fill ${i + 1} hedged`, () => h.results.length === i + 1)
          }
          yield* settled(h)
          expect(yield* h.tradingState()).toBe("ACTIVE")
          expect(h.alerts.filter((a) => a.kind === "halted")).toEqual([])
        })
      ), 30_000)

    scenario("free collateral below risk.min_free_collateral on B, then on A, halts the pair", () =>
      run((h) =>
        Effect.gen(function*() {
          const limits = { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0, minFreeCollateralMicro: 50_000_000 }
          yield* h.startHedger({ risk: { limits, intervalMs: 20, minBase: 20, freeCollateralEveryMs: 50 } })
          yield* h.startMaker({ freeCollateralEveryMs: 50 })
          yield* h.waitFor("A has a resting quote", () => restingOrderOfA(h) !== undefined)
          yield* h.sleep("300 millis") // both readings taken: 100 000 USDC each
          expect(yield* h.tradingState()).toBe("ACTIVE")
          // B's own reading (its venue) falls below 50 USDC
          h.ex.setFreeCollateral(B, 10_000_000)
          yield* h.waitFor("halted for B", () => h.alerts.some((a) => a.kind === "halted"))
          expect(yield* h.tradingState()).toBe("HALTED")
          expect(h.alerts.at(-1)!.message).toContain("B's free collateral 10.000000 USDC is below risk.min_free_collateral 50.000000 USDC")
          yield* h.waitFor("A's quote pulled", () => restingOrderOfA(h) === undefined, 5_000)
          // B topped up, resumed; then A's collateral (read by A, published in its heartbeat) runs low
          h.ex.setFreeCollateral(B, 60_000_000)
          yield* h.sleep("300 millis") // B's next readings
          yield* h.setTradingState("ACTIVE", "test: resumed")
          yield* h.sleep("300 millis")
          expect(yield* h.tradingState()).toBe("ACTIVE")
          const before = h.alerts.length
          h.ex.setFreeCollateral(A, 49_999_999)
          yield* h.waitFor("halted for A", () => h.alerts.slice(before).some((a) => a.kind === "halted"))
          expect(yield* h.tradingState()).toBe("HALTED")
          expect(h.alerts.at(-1)!.message).toContain("A's free collateral 49.999999 USDC is below risk.min_free_collateral 50.000000 USDC")
          // an unknown reading (the venue omits it) does not halt by itself
          h.ex.setFreeCollateral(A, undefined)
          yield* h.sleep("400 millis") // A's reading goes stale and leaves its heartbeat
          yield* h.setTradingState("ACTIVE", "test: resumed")
          yield* h.sleep("300 millis")
          expect(yield* h.tradingState()).toBe("ACTIVE")
        })
      ), 30_000)

    scenario("reconciliation repairs an over-hedged B with a bounded reduce-only order", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger({
            risk: { limits: { maxPosition: 0, maxUnhedged: 0, maxUnhedgedAgeMs: 0, maxConsecutiveFailures: 0 }, intervalMs: 20, minBase: 20, reconcileGraceMs: 150, maxCorrection: 100 }
          })
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          // Someone sells 40 more on B by hand: B is now over-hedged.
          h.ex.placeMarket({ accountIndex: B, marketId: 1, side: "sell", base: 40, priceCap: 1, clientOrderIndex: 424242, reduceOnly: false })
          expect(h.net()).toBe(-40)
          yield* h.waitFor("reconciled", () => h.net() === 0, 10_000)
          const fix = h.ex.marketOrdersReceived.at(-1)!
          expect(fix).toMatchObject({ accountIndex: B, side: "buy", base: 40 })
        })
      ), 30_000)

    scenario("B's order is rejected, then the next attempt succeeds", () =>
      run((h) =>
        Effect.gen(function*() {
          h.ex.nextMarketOrders(B, { kind: "reject", code: 21739, message: "not enough margin" })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          const r = h.results[0]!
          expect(r.status).toBe("hedged")
          expect(r.attempts).toHaveLength(2)
          expect(r.attempts[0]!.error).toContain("21739")
          expect(r.attempts[0]!.clientOrderIndex).not.toBe(r.attempts[1]!.clientOrderIndex)
        })
      ), 30_000)

    scenario("a hedge that fails every attempt goes to the pool, and B hedges the pool without waiting for another fill", () =>
      run((h) =>
        Effect.gen(function*() {
          for (let i = 0; i < 3; i++) h.ex.nextMarketOrders(B, { kind: "reject", code: 21739, message: "not enough margin" })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          // No other fill of A comes: the pool must still be hedged.
          yield* h.waitFor("the pool hedged by a residual flush", () => h.net() === 0 && h.results.some((r) => r.fillId.startsWith("residual:") && r.status === "hedged"), 15_000)
          const failed = h.results.find((r) => r.status === "failed")!
          expect(failed.attempts).toHaveLength(3)
          expect(failed.residualSignedBase).toBe(-60)
          const flush = h.results.find((r) => r.fillId.startsWith("residual:"))!
          expect(flush.hedgedSignedBase).toBe(-60)
          expect(flush.fillSeq).toBeGreaterThan(failed.fillSeq)
          expect(h.tradedSigned(A) + h.tradedSigned(B)).toBe(0)
          // Each B order used its own client index.
          const cois = h.ex.marketOrdersReceived.map((o) => o.clientOrderIndex)
          expect(new Set(cois).size).toBe(cois.length)
        })
      ), 30_000)

    scenario("B's IOC fills partly: the residual is re-hedged with a fresh client index", () =>
      run((h) =>
        Effect.gen(function*() {
          h.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived.map((o) => o.base)).toEqual([60, 30])
          expect(h.results[0]!.attempts.map((a) => a.filledBase)).toEqual([30, 30])
        })
      ), 30_000)

    scenario("a fill that lands while A shuts down is still published and hedged", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          const maker = yield* h.startMaker()
          yield* h.waitFor("A has a resting quote", () => restingOrderOfA(h) !== undefined)
          // A's stream goes quiet (as it does once A's scope closes), the quote fills, A stops.
          h.ex.dropStream(A)
          yield* fillQuote(h)
          yield* Fiber.interrupt(maker)
          yield* settled(h)
          expect(h.fills).toHaveLength(1)
          expectConservation(h)
        })
      ), 30_000)

    scenario("a rate-limited send is retried as the same attempt (nothing was sent)", () =>
      run((h) =>
        Effect.gen(function*() {
          h.ex.nextMarketOrders(B, { kind: "rate-limit" })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.results[0]!.attempts).toHaveLength(1)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
        })
      ), 30_000)

    scenario("duplicate, replayed and out-of-order account updates never publish a fill twice", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          yield* h.startMaker()
          const order = yield* fillQuote(h, 20)
          yield* h.waitFor("first fill published", () => h.fills.length === 1)
          h.ex.replayLast(A, 6)
          h.ex.replayStale(order, 1)
          yield* fillQuote(h)
          h.ex.replayLast(A, 10)
          h.ex.replayStale(order, 2)
          yield* settled(h)
          yield* h.sleep("100 millis")
          expect(h.fills).toHaveLength(2)
          expect(h.fills.map((f) => [f.filledBefore, f.filledAfter])).toEqual([[0, 20], [20, 60]])
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(2)
        })
      ), 30_000)

    scenario("fills made while A's stream is down are caught up from the reconnect snapshot", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          yield* h.startMaker()
          yield* h.waitFor("A has a resting quote", () => restingOrderOfA(h) !== undefined)
          h.ex.dropStream(A)
          h.ex.fillOrder(restingOrderOfA(h)!.orderIndex, 40)
          yield* h.sleep("50 millis")
          expect(h.fills.map((f) => `${f.side} ${f.filledBefore}-${f.filledAfter} ${f.orderIndex}`)).toEqual([])
          h.ex.reconnectStream(A)
          yield* settled(h)
          expect(h.fills.map((f) => f.size)).toEqual([40])
          expectConservation(h)
        })
      ), 30_000)

    scenario("an unknown send outcome is resolved against the venue, not resent", () =>
      run((h) =>
        Effect.gen(function*() {
          h.ex.nextMarketOrders(B, { kind: "ack-lost" })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results[0]!.attempts).toHaveLength(1)
        })
      ), 30_000)

    scenario("a send that never reached the venue is found absent and sent again as a new attempt", () =>
      run((h) =>
        Effect.gen(function*() {
          h.ex.nextMarketOrders(B, { kind: "lost" })
          yield* h.startHedger({ outcomeTimeoutMs: 100 })
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results[0]!.attempts).toHaveLength(2)
          expect(h.results[0]!.attempts[0]!.error).toBeDefined()
        })
      ), 30_000)

    scenario("B restarted mid-hedge resumes its pending fill from the intent: no second order", () =>
      run((h) =>
        Effect.gen(function*() {
          // The hedge executes at once but its answer takes long: B dies while waiting.
          h.ex.nextMarketOrders(B, { kind: "delay", ms: 5_000 })
          const b1 = yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("B sent its hedge", () => h.ex.marketOrdersReceived.length === 1)
          yield* Fiber.interrupt(b1)
          expect(h.results).toHaveLength(0)
          expect(h.alerts.some((a) => a.kind === "process-restart")).toBe(false)
          yield* h.startHedger()
          // B's restart is said, with how long ago it was last alive.
          yield* h.waitFor("the restart alert", () => h.alerts.some((a) => a.kind === "process-restart"))
          expect(h.alerts.find((a) => a.kind === "process-restart")!.message).toMatch(/^hedger b1 restarted \(B was alive \d+ ms ago\)$/)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results).toHaveLength(1)
          // More fills flow normally after the restart.
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(2)
        })
      ), 30_000)

    scenario("B stopped after its hedge was done but before the fill was acknowledged: the result is rebuilt from the intent, nothing is sent again for it", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("A published its fill", () => h.fills.length === 1)
          const fill = h.fills[0]!
          // What B had done before it stopped: intent, one attempt that filled in full, intent done.
          const entries = yield* h.pairState.beginHedge({ fillId: fill.fillId, fillSeq: h.fillSeqOf(fill.fillId), signedDelta: -fill.size, minBase: market.minBaseAmount, nowMs: 0 })
          expect(entries._tag).toBe("Created")
          const coi = hedgeClientIndex(7, h.fillSeqOf(fill.fillId), 1)
          // Its IOC filled 40 of the 60 (the book had no more within its cap): 20 went to the pool.
          const filled = fill.size - 20
          const orderIndex = h.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: filled, priceCap: 1, clientOrderIndex: coi, reduceOnly: false }).orderIndex
          yield* h.pairState.recordAttempt(fill.fillId, new HedgeAttempt({ attempt: 1, clientOrderIndex: coi, side: "sell", base: fill.size, priceCap: 1, sentAtMs: 0, filledBase: filled, orderIndex }))
          yield* h.pairState.finishHedge(fill.fillId, -20)
          expect(h.net()).toBe(20)
          // B starts and finds the fill still pending.
          yield* h.startHedger()
          yield* h.waitFor("the fill's result", () => h.results.some((x) => x.fillId === fill.fillId), 10_000)
          const r = h.results.find((x) => x.fillId === fill.fillId)!
          // Rebuilt from the intent: partial, the 20 in the pool (not returned a second time).
          expect([r.status, r.hedgedSignedBase, r.residualSignedBase, r.attempts.length]).toEqual(["partial", -filled, -20, 1])
          expect(h.ex.marketOrdersReceived.filter((o) => o.clientOrderIndex === coi)).toHaveLength(1)
          // The pool's 20 is then hedged by a residual flush: the pair ends flat, nothing pending.
          yield* h.waitFor("the pool hedged", () => h.net() === 0, 10_000)
          yield* h.waitForEffect("nothing pending", Effect.map(h.pendingCount(), (n) => n === 0))
        })
      ), 30_000)

    scenario("a flatten that closes the intent while B's order is out: B records what its order did, returns nothing to the pool, raises no failure alert", () =>
      run((h) =>
        Effect.gen(function*() {
          // The hedge executes at once but its answer takes 1.5 s: the flatten fences meanwhile.
          h.ex.nextMarketOrders(B, { kind: "delay", ms: 1_500 })
          yield* h.startHedger()
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("B sent its hedge", () => h.ex.marketOrdersReceived.length === 1)
          yield* h.setTradingState("HALTED", "test: flatten")
          const fence = yield* h.fenceFlatten("Ftest")
          expect(fence.intentsClosed).toHaveLength(1)
          yield* h.waitFor("the fill's result", () => h.results.length === 1, 10_000)
          const r = h.results[0]!
          expect(r.settledByFlatten).toBe("Ftest")
          // What the exchange shows B did is what B recorded (its order executed before the answer).
          expect(r.hedgedSignedBase).toBe(h.tradedSigned(B))
          expect(r.hedgedSignedBase).not.toBe(0)
          expect(r.residualSignedBase).toBe(0)
          expect(r.status).toBe("hedged")
          expect(yield* h.residualPool()).toBe(0)
          expect(h.alerts.filter((a) => a.kind === "hedge-retries-exhausted")).toEqual([])
          // Never sent again.
          yield* h.sleep("500 millis")
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
        })
      ), 30_000)

    scenario("a dead consumer's pending fill is claimed by another and not hedged twice", () =>
      run((h) =>
        Effect.gen(function*() {
          h.ex.nextMarketOrders(B, { kind: "delay", ms: 5_000 })
          const b1 = yield* h.startHedger({ consumer: "b-dead" })
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* h.waitFor("B sent its hedge", () => h.ex.marketOrdersReceived.length === 1)
          yield* Fiber.interrupt(b1)
          yield* h.startHedger({ consumer: "b-alive", claimIdleMs: 150, claimEveryMs: 50 })
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
        })
      ), 30_000)

    scenario("a poison message goes to the dead-letter stream, halts the pair, and the pipeline keeps going", () =>
      run((h) =>
        Effect.gen(function*() {
          const poisons: Array<string> = []
          yield* h.startHedger({ onPoison: (reason) => Effect.sync(() => void poisons.push(reason)) })
          yield* bus.injectPoison({ fillId: "x", size: "not-a-number" })
          yield* h.waitForEffect("the poison dead-lettered", Effect.map(bus.deadLetters(), (n) => n === 1))
          // The halt says which entry and why; the poison hook (metrics) hears of it once.
          yield* h.waitFor("the poison counted", () => poisons.length === 1)
          expect(poisons[0]).toMatch(/size/)
          yield* h.waitForEffect("the pair halted", Effect.map(h.tradingState(), (s) => s === "HALTED"))
          yield* h.waitFor("the alert", () => h.alerts.some((a) => a.kind === "poison-message"))
          // The operator looks at the dead letter and resumes: fills are hedged as before.
          yield* h.setTradingState("ACTIVE", "test: resumed")
          yield* h.startMaker()
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.results).toHaveLength(1)
          expect(yield* bus.deadLetters()).toBe(1)
        })
      ), 30_000)

    for (const c of refusedEntries) {
      scenario(`${c.name} is dead-lettered with the reason, alerts and halts the pair, and is never hedged`, () =>
        run((h) =>
          Effect.gen(function*() {
            yield* h.startHedger()
            yield* bus.injectPoison(c.fields())
            yield* h.waitForEffect("the entry dead-lettered", Effect.map(bus.deadLetters(), (n) => n === 1))
            const [reason] = yield* bus.deadLetterReasons()
            expect(reason).toMatch(c.reason)
            yield* h.waitForEffect("the pair halted", Effect.map(h.tradingState(), (s) => s === "HALTED"))
            yield* h.waitFor("the alert", () => h.alerts.some((a) => a.kind === "poison-message"))
            expect(h.alerts.find((a) => a.kind === "poison-message")?.message).toMatch(c.reason)
            expect(h.alerts.map((a) => a.kind)).toContain("halted")
            expect((yield* h.pairState.tradingStatus()).reason).toMatch(/^fill entry \S+ moved to the dead-letter stream: /)
            // Never hedged, and nothing of it reached B's books: no order, no pool, no intent, not pending.
            expect(h.ex.marketOrdersReceived).toHaveLength(0)
            expect(h.results).toHaveLength(0)
            expect(yield* h.residualPool()).toBe(0)
            expect(yield* h.openIntents()).toHaveLength(0)
            expect(yield* h.pendingCount()).toBe(0)
            // After `resume` the pair's own fills are hedged as before.
            yield* h.setTradingState("ACTIVE", "test: resumed")
            yield* h.startMaker()
            yield* fillQuote(h)
            yield* settled(h)
            expectConservation(h)
            expect(h.ex.marketOrdersReceived).toHaveLength(1)
            expect(yield* bus.deadLetters()).toBe(1)
          })
        ), 30_000)
    }

    /** Runs a fill of A through the pipeline and waits until its intent is deleted (B's usual end state). */
    const hedgeOneFill = (h: Harness) =>
      Effect.gen(function*() {
        yield* fillQuote(h)
        yield* settled(h)
        expect(h.ex.marketOrdersReceived).toHaveLength(1)
        const fillId = h.fills[0]!.fillId
        yield* h.waitForEffect("the intent deleted", Effect.map(h.intent(fillId), Option.isNone))
        return fillId
      })

    scenario("a copy of a real fill entry added under a new stream id is acknowledged as a duplicate, never hedged again", () =>
      run((h) =>
        Effect.gen(function*() {
          let duplicates = 0
          yield* h.startHedger({ onDuplicate: () => Effect.sync(() => void duplicates++) })
          yield* h.startMaker()
          yield* hedgeOneFill(h)
          // The same entry, XADDed again (exactly, and once more with another sequence number).
          yield* bus.injectPoison(copyOf(h, 0))
          yield* bus.injectPoison({ ...copyOf(h, 0), fillSeq: String(h.results[0]!.fillSeq + 1_000) })
          yield* h.waitFor("both copies handled", () => duplicates === 2 || h.ex.marketOrdersReceived.length > 1)
          yield* h.sleep("100 millis")
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results).toHaveLength(1)
          expect(duplicates).toBe(2)
          expect(h.net()).toBe(0)
          expect(yield* h.pendingCount()).toBe(0)
          expect(yield* h.residualPool()).toBe(0)
          // A duplicate is not an alarm: nothing halts, nothing is dead-lettered.
          expect(yield* h.tradingState()).toBe("ACTIVE")
          expect(yield* bus.deadLetters()).toBe(0)
          // And the pair goes on.
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(2)
        })
      ), 30_000)

    scenario("an entry naming a hedged fill but another size or side is refused (dead letter, halt), never hedged nor taken for a copy", () =>
      run((h) =>
        Effect.gen(function*() {
          let duplicates = 0
          yield* h.startHedger({ onDuplicate: () => Effect.sync(() => void duplicates++) })
          yield* h.startMaker()
          yield* hedgeOneFill(h)
          const copy = copyOf(h, 0)
          const size = Number(copy["size"])
          // Same fill id: once claiming another size (its range then says so too), once the other side.
          yield* bus.injectPoison({ ...copy, filledBefore: String(Number(copy["filledAfter"]) - size + 1), size: String(size - 1), fillSeq: String(h.results[0]!.fillSeq + 2_000) })
          yield* bus.injectPoison({ ...copy, side: copy["side"] === "buy" ? "sell" : "buy", fillSeq: String(h.results[0]!.fillSeq + 3_000) })
          yield* h.waitForEffect("both refused", Effect.map(bus.deadLetters(), (n) => n === 2))
          const reasons = yield* bus.deadLetterReasons()
          expect(reasons.every((r) => /conflicts with the hedged fill/.test(r)), reasons.join(" | ")).toBe(true)
          expect(duplicates).toBe(0)
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(yield* h.tradingState()).toBe("HALTED")
          expect(h.net()).toBe(0)
        })
      ), 30_000)

    scenario("a copy added while B is down is a duplicate after B restarts (the intent is long deleted)", () =>
      run((h) =>
        Effect.gen(function*() {
          let duplicates = 0
          const b1 = yield* h.startHedger()
          yield* h.startMaker()
          yield* hedgeOneFill(h)
          yield* Fiber.interrupt(b1)
          yield* bus.injectPoison(copyOf(h, 0))
          yield* h.startHedger({ onDuplicate: () => Effect.sync(() => void duplicates++) })
          yield* h.waitFor("the copy handled", () => duplicates === 1 || h.ex.marketOrdersReceived.length > 1)
          yield* h.sleep("100 millis")
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results).toHaveLength(1)
          expect(h.net()).toBe(0)
          expect(yield* h.pendingCount()).toBe(0)
          yield* fillQuote(h)
          yield* settled(h)
          expectConservation(h)
          expect(h.ex.marketOrdersReceived).toHaveLength(2)
        })
      ), 30_000)

    scenario("a fill whose sequence number an earlier hedge used is an alarm: its client index is not reused", () =>
      run((h) =>
        Effect.gen(function*() {
          yield* h.startHedger()
          yield* h.startMaker()
          yield* hedgeOneFill(h)
          const used = h.results[0]!
          // Another order's fill (its own fillId, plausible in every way) under the same fillSeq.
          yield* bus.injectPoison(entryFields({ orderIndex: "281474976788888", side: used.aSide, size: 40 }, used.fillSeq))
          yield* h.waitForEffect("the entry dead-lettered", Effect.map(bus.deadLetters(), (n) => n === 1))
          const [reason] = yield* bus.deadLetterReasons()
          expect(reason).toContain(`client index ${hedgeClientIndex(hedgerSettings().clientIndexTag, used.fillSeq, 1)}`)
          expect(reason).toContain("a sequence number used twice")
          expect(yield* h.tradingState()).toBe("HALTED")
          expect(h.ex.marketOrdersReceived).toHaveLength(1)
          expect(h.results).toHaveLength(1)
        })
      ), 30_000)

    scenario("an order found at the venue under the attempt's client index but of another size is an alarm, not the attempt's outcome", () =>
      run((h) =>
        Effect.gen(function*() {
          const fillSeq = 515_151
          const index = hedgeClientIndex(hedgerSettings().clientIndexTag, fillSeq, 1)
          yield* h.startHedger({ outcomeTimeoutMs: 100 })
          yield* h.waitForEffect("B started", h.alive("b"))
          yield* h.sleep("100 millis") // its order watcher has subscribed
          // B's stream is down (B cannot see it), and an order of 40 already has the index B will derive.
          h.ex.dropStream(B)
          h.ex.placeMarket({ accountIndex: B, marketId: market.marketId, side: "sell", base: 40, priceCap: 1, clientOrderIndex: index, reduceOnly: false })
          // B's first attempt never reaches the venue: resolving it finds only the order of 40.
          h.ex.nextMarketOrders(B, { kind: "lost" })
          yield* bus.injectPoison(entryFields({ side: "buy", size: 60 }, fillSeq))
          yield* h.waitFor("the fill's result", () => h.results.length === 1, 15_000)
          const r = h.results[0]!
          expect(r.attempts[0]!.clientOrderIndex).toBe(index)
          expect(r.attempts[0]!.filledBase).toBe(0)
          expect(r.attempts[0]!.error).toContain("belongs to another order")
          // The next attempt, with its own index, hedged the fill: B sold 60 for it (plus the 40 by hand).
          expect(r.hedgedSignedBase).toBe(-60)
          expect(h.tradedSigned(B)).toBe(-100)
          expect(yield* h.tradingState()).toBe("HALTED")
          expect(h.alerts.some((a) => a.message.includes(`client index ${index}`))).toBe(true)
        })
      ), 30_000)
  })
