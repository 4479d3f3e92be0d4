// The account stream's auth tokens against the embedded exchange, which checks them as the venue
// does: tokens renewed mid-run with fills in flight lose nothing; a token the venue refuses shows
// as a refusal naming the channel and the code, retried until accepted, and what filled meanwhile
// comes back with the new snapshot.
import { Context, Effect, Layer, Redacted, Stream } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { AccountEvent, StreamDisconnected } from "../../src/domain/events.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { AccountStream } from "../../src/venue/AccountStream.ts"
import { LighterAccountStream } from "../../src/venue/lighter/LighterAccountStream.ts"
import { LighterVenue } from "../../src/venue/lighter/LighterVenue.ts"
import { LighterSigner } from "../../src/venue/lighter/signer.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"
import { SIM_CHAIN_ID, simPrivateKeyHex, simPublicKeyHex, TEST_API_KEY_INDEX, withSimKeys } from "../support/sim-signing.ts"

const A = 1
const B = 2
const BTC = 1

let sim: SimHandle
beforeEach(async () => {
  sim = await startSimulator({ port: 0, seed: 5, accounts: withSimKeys(), market: { fillRatePerMin: 0, noiseTakersPerMin: 0, volatilityBps: 0 } })
})
afterEach(async () => {
  await sim.close()
})

interface Opened {
  readonly venue: VenueShape
  readonly events: Array<AccountEvent>
}

/** Venue + account stream of `account`, signing with API key `keyIndex`'s test key. */
const open = (account: number, o: { readonly keyIndex?: number; readonly authTtlSec?: number } = {}) =>
  Effect.gen(function*() {
    const keyIndex = o.keyIndex ?? TEST_API_KEY_INDEX
    const layers = Layer.mergeAll(
      LighterVenue.layer({ baseUrl: sim.url, wsUrl: sim.wsUrl, accountIndex: account, apiKeyIndex: keyIndex, requestTimeoutMs: 2000 }),
      LighterAccountStream.layer({
        baseUrl: sim.url,
        wsUrl: sim.wsUrl,
        accountIndex: account,
        reconnectBaseMs: 50,
        reconnectMaxMs: 200,
        refusedRetryBaseMs: 100,
        refusedRetryMaxMs: 300,
        ...(o.authTtlSec !== undefined ? { authTtlSec: o.authTtlSec } : {})
      })
    ).pipe(Layer.provide(LighterSigner.layer({
      accountIndex: account,
      apiKeyIndex: keyIndex,
      chainId: SIM_CHAIN_ID,
      privateKey: Redacted.make(simPrivateKeyHex(account, keyIndex)),
      keySource: "the test key"
    })))
    const ctx = yield* Layer.build(layers)
    const events: Array<AccountEvent> = []
    yield* Stream.runForEach(Context.get(ctx, AccountStream).events, (e) => Effect.sync(() => void events.push(e))).pipe(Effect.forkScoped)
    return { venue: Context.get(ctx, Venue), events } satisfies Opened
  })

const waitFor = (what: string, cond: () => boolean, ms = 8000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!cond()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out: ${what}`))
      yield* Effect.sleep("20 millis")
    }
  })

const run = <A>(body: Effect.Effect<A, unknown, import("effect").Scope.Scope>) => Effect.runPromise(Effect.scoped(body) as Effect.Effect<A>)

/** A rests a post-only buy inside the spread and B sells into it: one fill of 20 units for A. */
const fillA = (a: Opened, b: Opened, coi: number) =>
  Effect.gen(function*() {
    // A's post-only bid one tick above the best bid: the synthetic market moves, and a bid that
    // would cross by the time it arrives is cancelled post-only — then again at the new price
    // (a fresh client index each time: the test waits for that one to rest).
    for (let attempt = 0;; attempt++) {
      const quoteCoi = coi + 1000 * attempt
      const book = yield* a.venue.orderBook(BTC, 1)
      const price = book.bids[0]!.price + 1
      yield* a.venue.placeLimit({ marketId: BTC, side: "buy", base: 20, price, clientOrderIndex: quoteCoi, postOnly: true, reduceOnly: false })
      // Resting before B sells (B's IOC would otherwise hit the book's other bids).
      const account = sim.exchange.engine.account(A)
      yield* waitFor(`quote ${quoteCoi} resting or cancelled`, () =>
        account.activeByClientIndex(quoteCoi) !== undefined || account.inactive.some((o) => o.clientOrderIndex === quoteCoi), 5000)
      if (account.activeByClientIndex(quoteCoi) === undefined) {
        if (attempt >= 4) return yield* Effect.die(new Error(`quote ${coi}: cancelled ${attempt + 1} times (${account.inactive.at(-1)?.status})`))
        continue
      }
      yield* b.venue.placeMarket({ marketId: BTC, side: "sell", base: 20, priceCap: price - 500, clientOrderIndex: coi, reduceOnly: false })
      return
    }
  })

const tradesOfA = () => sim.exchange.engine.trades.filter((t) => t.bidAccountId === A || t.askAccountId === A).map((t) => String(t.tradeId))
const seenTradeIds = (events: ReadonlyArray<AccountEvent>) => new Set(events.flatMap((e) => (e._tag === "TradeEvent" ? [e.tradeId] : [])))
const refusals = (events: ReadonlyArray<AccountEvent>) =>
  events.filter((e): e is StreamDisconnected & { refusal: NonNullable<StreamDisconnected["refusal"]> } => e._tag === "StreamDisconnected" && e.refusal !== undefined)

describe("auth tokens on the account stream", () => {
  it("tokens renewed mid-run (lifetime 6 s) while fills arrive: every fill seen, nothing refused, no disconnect", () =>
    run(Effect.gen(function*() {
      const a = yield* open(A, { authTtlSec: 6 })
      const b = yield* open(B)
      yield* waitFor("A connected", () => a.events.some((e) => e._tag === "StreamConnected"))
      const acceptedAtStart = sim.exchange.authStats().accepted
      const started = Date.now()
      let coi = 1
      // 14 s: renewals after 4.5, 9 and 13.5 s, with fills all the way through.
      while (Date.now() - started < 14_000) {
        yield* fillA(a, b, coi++)
        yield* Effect.sleep("300 millis")
      }
      const expected = tradesOfA()
      expect(expected.length).toBeGreaterThanOrEqual(10)
      yield* waitFor("every trade of A on A's stream", () => expected.every((id) => seenTradeIds(a.events).has(id)))
      const stats = sim.exchange.authStats()
      expect(stats.rejected).toBe(0)
      // Three private channels renewed at least twice (plus the venue's private reads).
      expect(stats.accepted - acceptedAtStart).toBeGreaterThanOrEqual(6)
      expect(a.events.filter((e) => e._tag === "StreamDisconnected")).toEqual([])
      // The position A's stream reports matches the exchange's after the renewals.
      const lastPosition = [...a.events].reverse().find((e) => e._tag === "PositionUpdate" && e.marketId === BTC)
      expect(lastPosition).toMatchObject({ signedBase: 20 * expected.length })
    })), 40_000)

  it("a key the venue does not know: each private channel refused with its name and code; accepted once the key is registered, fills in between caught up", () =>
    run(Effect.gen(function*() {
      const a = yield* open(A, { keyIndex: 9 }) // no key registered at index 9 yet
      const b = yield* open(B)
      yield* waitFor("refusals of all three channels", () => new Set(refusals(a.events).map((e) => e.refusal.channel)).size === 3)
      const first = refusals(a.events)[0]!
      expect(first.refusal).toMatchObject({ code: 20013 })
      expect(first.refusal.message).toMatch(/invalid auth: unknown api key/)
      expect(["account_all_orders/1", "account_all_trades/1", "account_all_positions/1"]).toContain(first.refusal.channel)
      expect(first.reason).toContain(`the venue refused ${first.refusal.channel} (code 20013)`)
      // Private reads with the same key are refused too, after one more try with a new token.
      const read = yield* Effect.flip(a.venue.openOrders(BTC))
      expect(read).toMatchObject({ code: 20013 })
      expect(sim.exchange.authStats().rejected).toBeGreaterThanOrEqual(5)
      // A fill while A's stream is refused (A's order is placed by A's own key slot 4: B's hedges
      // never depend on A's stream).
      const viaSlot4 = yield* open(A)
      yield* fillA(viaSlot4, b, 500)
      yield* waitFor("the trade", () => tradesOfA().length === 1)
      expect(seenTradeIds(a.events).size).toBe(0)
      // The key is registered: the next retry is accepted and the snapshot brings the fill.
      sim.exchange.registerApiKey(A, 9, simPublicKeyHex(A, 9))
      yield* waitFor("A's stream accepted again", () => a.events.some((e) => e._tag === "StreamConnected" && e.reconnect))
      yield* waitFor("the fill from the snapshot", () => seenTradeIds(a.events).has(tradesOfA()[0]!))
      const afterRecovery = a.events.slice(a.events.findIndex((e) => e._tag === "StreamConnected" && e.reconnect) + 1)
      expect(refusals(afterRecovery)).toEqual([])
    })), 40_000)

  it("the venue ends the subscriptions mid-run (refuse_auth fault for 1.5 s): refused, retried, accepted again; the fill made meanwhile arrives", () =>
    run(Effect.gen(function*() {
      const a = yield* open(A)
      const b = yield* open(B)
      yield* waitFor("A connected", () => a.events.some((e) => e._tag === "StreamConnected"))
      yield* fillA(a, b, 1)
      yield* waitFor("first fill seen", () => seenTradeIds(a.events).size === 1)
      sim.exchange.faults.refuseAuth(A, 1500)
      yield* waitFor("refusal reported", () => refusals(a.events).length > 0)
      expect(refusals(a.events)[0]!.refusal.message).toMatch(/refused by fault/)
      yield* fillA(a, b, 2) // A's transactions still go through; its stream does not see the fill now
      yield* waitFor("second trade", () => tradesOfA().length === 2)
      yield* waitFor("accepted again", () => a.events.some((e) => e._tag === "StreamConnected" && e.reconnect), 10_000)
      yield* waitFor("both fills seen", () => tradesOfA().every((id) => seenTradeIds(a.events).has(id)))
    })), 40_000)
})
