// The Lighter adapter against the embedded exchange over real sockets: orders and fills on the
// account stream, nonce resync, 429, rejects, unknown outcomes, stream reconnects with snapshot.
import { Context, Effect, Layer, Option, Redacted, Stream } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { AccountEvent } from "../../src/domain/events.ts"
import { accountMetrics } from "../../src/sim/format.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { AccountStream } from "../../src/venue/AccountStream.ts"
import { LighterAccountStream } from "../../src/venue/lighter/LighterAccountStream.ts"
import { LighterVenue } from "../../src/venue/lighter/LighterVenue.ts"
import { LighterSigner } from "../../src/venue/lighter/signer.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { SIM_CHAIN_ID, simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

let sim: SimHandle
beforeEach(async () => {
  sim = await startSimulator({ port: 0, seed: 3, accounts: withSimKeys(), market: { fillRatePerMin: 0, noiseTakersPerMin: 0, volatilityBps: 0 } })
})
afterEach(async () => {
  await sim.close()
})

const BTC = 1
const accountLayers = (account: number, requestTimeoutMs = 2000) =>
  Layer.mergeAll(
    LighterVenue.layer({ baseUrl: sim.url, wsUrl: sim.wsUrl, accountIndex: account, apiKeyIndex: 4, requestTimeoutMs }),
    LighterAccountStream.layer({ baseUrl: sim.url, wsUrl: sim.wsUrl, accountIndex: account, reconnectBaseMs: 50, reconnectMaxMs: 200 })
  ).pipe(Layer.provide(LighterSigner.layer({
    accountIndex: account,
    apiKeyIndex: 4,
    chainId: SIM_CHAIN_ID,
    privateKey: Redacted.make(simPrivateKeyHex(account)),
    keySource: "the test key"
  })))

/** Builds an account's venue + stream and collects its events. */
const open = (account: number, requestTimeoutMs?: number) =>
  Effect.gen(function*() {
    const ctx = yield* Layer.build(accountLayers(account, requestTimeoutMs))
    const venue = Context.get(ctx, Venue)
    const events: Array<AccountEvent> = []
    yield* Stream.runForEach(Context.get(ctx, AccountStream).events, (e) => Effect.sync(() => void events.push(e))).pipe(Effect.forkScoped)
    const waitFor = (what: string, cond: () => boolean, ms = 5000) =>
      Effect.gen(function*() {
        const deadline = Date.now() + ms
        while (!cond()) {
          if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out: ${what}`))
          yield* Effect.sleep("10 millis")
        }
      })
    yield* waitFor("stream connected", () => events.some((e) => e._tag === "StreamConnected"))
    return { venue, events, waitFor }
  })

const run = <A>(body: Effect.Effect<A, unknown, import("effect").Scope.Scope>) => Effect.runPromise(Effect.scoped(body) as Effect.Effect<A>)

describe("Lighter adapter against the embedded exchange", () => {
  it("a post-only quote rests, a market order fills it, both accounts see the fill and positions", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const b = yield* open(2)
      const m = yield* a.venue.market("btc")
      expect(m).toMatchObject({ marketId: BTC, sizeDecimals: 5, priceDecimals: 1 })
      const book = yield* a.venue.orderBook(BTC, 5)
      expect(book.bids.length).toBe(5)
      expect(book.bids[0]!.price).toBeGreaterThan(book.bids[4]!.price)
      // A quotes above the best bid (inside the spread) so B's sell hits it first.
      const price = book.bids[0]!.price + 1
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price, clientOrderIndex: 77, postOnly: true, reduceOnly: false })
      yield* a.waitFor("quote open", () => a.events.some((e) => e._tag === "OrderUpdate" && e.clientOrderIndex === 77 && e.status === "open"))
      expect((yield* a.venue.openOrders(BTC)).map((o) => o.clientOrderIndex)).toContain(77)
      yield* b.venue.placeMarket({ marketId: BTC, side: "sell", base: 20, priceCap: price - 100, clientOrderIndex: 5, reduceOnly: false })
      yield* a.waitFor("A's trade", () => a.events.some((e) => e._tag === "TradeEvent" && e.side === "buy" && e.size === 20 && e.counterpartyAccountIndex === 2))
      yield* b.waitFor("B's order filled", () => b.events.some((e) => e._tag === "OrderUpdate" && e.clientOrderIndex === 5 && e.status === "filled"))
      yield* a.waitFor("A long", () => a.events.some((e) => e._tag === "PositionUpdate" && e.signedBase === 20))
      expect((yield* b.venue.position(BTC)).signedBase).toBe(-20)
      const filled = yield* b.venue.orderByClientIndex(BTC, 5)
      expect(Option.getOrThrow(filled)).toMatchObject({ status: "filled", filledBase: 20, side: "sell" })
      const trades = yield* b.venue.recentTrades(BTC, 10)
      expect(trades[0]).toMatchObject({ side: "sell", size: 20, price, counterpartyAccountIndex: 1, isMaker: false })
    })), 30_000)

  it("reads free collateral from the account endpoint's available_balance, in micro-USDC", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const b = yield* open(2)
      const engine = sim.exchange.engine
      // flat: all of the collateral is free
      expect(yield* a.venue.freeCollateral()).toEqual(Option.some(Number(engine.account(1).collateralMicro)))
      const book = yield* b.venue.orderBook(BTC, 1)
      yield* b.venue.placeMarket({ marketId: BTC, side: "sell", base: 200, priceCap: book.bids[0]!.price - 500, clientOrderIndex: 41, reduceOnly: false })
      yield* b.waitFor("B short", () => b.events.some((e) => e._tag === "PositionUpdate" && e.signedBase === -200))
      // with a position, its margin is no longer free: exactly what the exchange reports
      const free = Option.getOrThrow(yield* b.venue.freeCollateral())
      expect(free).toBe(Number(accountMetrics(engine, engine.account(2)).available))
      expect(free).toBeLessThan(Number(engine.account(2).collateralMicro))
    })), 30_000)

  it("resyncs its nonce after 'invalid nonce' and sends again", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const book = yield* a.venue.orderBook(BTC, 5)
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: book.bids[4]!.price, clientOrderIndex: 1, postOnly: true, reduceOnly: false })
      // Someone else (another client of the same key) spends the next nonce behind our back.
      const engineAccount = sim.exchange.engine.account(1)
      engineAccount.nextNonce.set(4, engineAccount.nonceFor(4) + 3)
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: book.bids[4]!.price, clientOrderIndex: 2, postOnly: true, reduceOnly: false })
      yield* a.waitFor("second quote open", () => a.events.some((e) => e._tag === "OrderUpdate" && e.clientOrderIndex === 2 && e.status === "open"))
    })), 30_000)

  it("maps 429 and rejects to their kinds, and the nonce survives them", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const book = yield* a.venue.orderBook(BTC, 5)
      const quote = (coi: number) =>
        a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: book.bids[4]!.price, clientOrderIndex: coi, postOnly: true, reduceOnly: false })
      sim.exchange.faults.rateLimitTxs(1, 1)
      const limited = yield* Effect.flip(quote(10))
      expect(limited).toMatchObject({ kind: "rate-limited", code: 23000 })
      expect(limited.retryable).toBe(true)
      sim.exchange.faults.rejectTxs(1, 1, 21739, "not enough margin")
      const rejected = yield* Effect.flip(quote(11))
      expect(rejected).toMatchObject({ kind: "rejected", code: 21739 })
      expect(rejected.retryable).toBe(false)
      const invalid = yield* Effect.flip(a.venue.placeLimit({ marketId: BTC, side: "buy", base: 1, price: book.bids[4]!.price, clientOrderIndex: 12, postOnly: true, reduceOnly: false }))
      expect(invalid).toMatchObject({ kind: "rejected", code: 21706 })
      yield* quote(13)
      yield* a.waitFor("quote after faults", () => a.events.some((e) => e._tag === "OrderUpdate" && e.clientOrderIndex === 13 && e.status === "open"))
    })), 30_000)

  it("a tx whose reply never comes is an unknown outcome, and the venue knows what happened", () =>
    run(Effect.gen(function*() {
      const b = yield* open(2, 300)
      const book = yield* b.venue.orderBook(BTC, 1)
      sim.exchange.faults.delayTxs(2, 1, 2000, "reply")
      const e = yield* Effect.flip(b.venue.placeMarket({ marketId: BTC, side: "sell", base: 20, priceCap: book.bids[0]!.price - 500, clientOrderIndex: 99, reduceOnly: false }))
      expect(e.kind).toBe("unknown-outcome")
      yield* b.waitFor("order executed anyway", () => b.events.some((x) => x._tag === "OrderUpdate" && x.clientOrderIndex === 99 && x.status !== "open"))
      const found = yield* b.venue.orderByClientIndex(BTC, 99)
      expect(Option.isSome(found)).toBe(true)
    })), 30_000)

  it("after the exchange drops the socket, the stream reconnects and its snapshot carries fills made meanwhile", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const b = yield* open(2)
      const book = yield* a.venue.orderBook(BTC, 5)
      const price = book.bids[0]!.price + 1
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 40, price, clientOrderIndex: 31, postOnly: true, reduceOnly: false })
      yield* a.waitFor("quote open", () => a.events.some((e) => e._tag === "OrderUpdate" && e.clientOrderIndex === 31 && e.status === "open"))
      sim.exchange.faults.pauseStream(1, 400) // A's frames are held …
      sim.exchange.faults.dropSockets(1) // … and its sockets dropped
      yield* a.waitFor("disconnected", () => a.events.some((e) => e._tag === "StreamDisconnected"))
      yield* b.venue.placeMarket({ marketId: BTC, side: "sell", base: 40, priceCap: price - 100, clientOrderIndex: 32, reduceOnly: false })
      yield* a.waitFor("reconnected", () => a.events.some((e) => e._tag === "StreamConnected" && e.reconnect))
      yield* a.waitFor("fill seen after reconnect", () =>
        a.events.some((e) => (e._tag === "OrderUpdate" && e.clientOrderIndex === 31 && e.filledBase === 40) || (e._tag === "TradeEvent" && e.size === 40)))
    })), 30_000)

  it("a gap in the order-book deltas is detected and healed by a fresh snapshot", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const b = yield* open(2)
      const bestBid = (yield* a.venue.orderBook(BTC, 1)).bids[0]!.price
      const bestAsk = (yield* a.venue.orderBook(BTC, 1)).asks[0]!.price
      expect(bestAsk - bestBid).toBeGreaterThanOrEqual(2) // room for a new top bid
      // The delta carrying B's new top bid is lost; the next one (more size at the old top) arrives.
      sim.exchange.faults.dropBookUpdates(BTC, 1)
      yield* b.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: bestBid + 1, clientOrderIndex: 41, postOnly: true, reduceOnly: false })
      yield* a.waitFor("the delta was dropped", () => sim.exchange.faults.outstanding() === 0)
      yield* b.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: bestBid, clientOrderIndex: 42, postOnly: true, reduceOnly: false })
      // Applying the second delta alone would leave bestBid on top; the resync brings bestBid + 1.
      let top: number | undefined
      for (let i = 0; i < 100; i++) {
        top = (yield* a.venue.orderBook(BTC, 1)).bids[0]?.price
        if (top === bestBid + 1) break
        yield* Effect.sleep("20 millis")
      }
      expect(top).toBe(bestBid + 1)
    })), 30_000)

  it("sends over the WebSocket, and over REST while the socket is down", () =>
    run(Effect.gen(function*() {
      const a = yield* open(1)
      const book = yield* a.venue.orderBook(BTC, 5)
      const transports = () => ((sim.exchange.exchange.timeline.toJson() as { txs: Record<string, Array<{ transport: string; code: number }>> }).txs["1"] ?? []).map((t) => t.transport)
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: book.bids[4]!.price, clientOrderIndex: 51, postOnly: true, reduceOnly: false })
      expect(transports()).toEqual(["ws"])
      sim.exchange.faults.dropSockets(1)
      // Both of A's sockets were closed; the venue's reconnects after ≈ 200 ms, so it is down now.
      yield* a.waitFor("A's sockets closed", () => a.events.some((e) => e._tag === "StreamDisconnected"))
      yield* Effect.sleep("10 millis")
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price: book.bids[4]!.price, clientOrderIndex: 52, postOnly: true, reduceOnly: false })
      expect(transports()).toEqual(["ws", "rest"])
      yield* a.waitFor("both quotes rest", () => sim.exchange.engine.account(1).active.size === 2)
    })), 30_000)
})
