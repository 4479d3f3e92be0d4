// The venue's list of individual resting orders (REST orderBookOrders), which `--depth N` counts
// (maker.depth_unit: orders): the wire shape decoded from the live-shaped fixture, the Lighter
// adapter against the embedded exchange (its own quote listed with its account, left out of the
// count), the in-memory venue, and the dry run passing it through.
import { readFileSync } from "node:fs"
import { Context, Effect, Layer, Option, Redacted, Result } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { priceAtOrderDepth } from "../../src/domain/book-depth.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { makeDryRunVenue } from "../../src/venue/dry-run.ts"
import { decodeWire, toBookOrders, WireBookOrdersReply } from "../../src/venue/lighter/codecs.ts"
import { LighterVenue } from "../../src/venue/lighter/LighterVenue.ts"
import { LighterSigner } from "../../src/venue/lighter/signer.ts"
import { MemoryExchange } from "../../src/venue/memory/MemoryExchange.ts"
import { makeMemoryVenue } from "../../src/venue/memory/layers.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { SIM_CHAIN_ID, simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const BTC = 1

describe("orderBookOrders on the wire", () => {
  it("decodes the live-shaped fixture into ticks and base units, owners and order ids kept", () => {
    const raw = JSON.parse(readFileSync(new URL("../fixtures/lighter/order_book_orders.json", import.meta.url), "utf8")) as unknown
    const r = decodeWire(WireBookOrdersReply, "orderBookOrders", raw)
    if (Result.isFailure(r)) return expect.fail(r.failure.message)
    const orders = toBookOrders(r.success, LIGHTER_BTC, 100)
    expect(orders).toEqual({
      marketId: BTC,
      limit: 100,
      asks: [
        { orderIndex: "281474976710657", ownerAccountIndex: 100, price: 1_000_001, remainingBase: 1000 },
        { orderIndex: "281474976710658", ownerAccountIndex: 100, price: 1_000_002, remainingBase: 1500 }
      ],
      bids: [{ orderIndex: "562949953421313", ownerAccountIndex: 1, price: 999_985, remainingBase: 30 }]
    })
  })

  it("refuses a reply without its sides, and a bad decimal", () => {
    expect(Result.isFailure(decodeWire(WireBookOrdersReply, "orderBookOrders", { code: 200, asks: [] }))).toBe(true)
    const bad = { code: 200, asks: [], bids: [{ order_index: 1, owner_account_index: 2, remaining_base_amount: "0.000001", price: "1" }] }
    const r = decodeWire(WireBookOrdersReply, "orderBookOrders", bad)
    if (Result.isFailure(r)) return expect.fail(r.failure.message)
    expect(() => toBookOrders(r.success, LIGHTER_BTC, 10)).toThrow()
  })
})

describe("orderBookOrders through the Lighter adapter, against the embedded exchange", () => {
  let sim: SimHandle
  beforeEach(async () => {
    sim = await startSimulator({ port: 0, seed: 3, accounts: withSimKeys(), market: { fillRatePerMin: 0, noiseTakersPerMin: 0, volatilityBps: 0 } })
  })
  afterEach(async () => {
    await sim.close()
  })

  const venueOf = (account: number) =>
    Layer.build(
      LighterVenue.layer({ baseUrl: sim.url, wsUrl: sim.wsUrl, accountIndex: account, apiKeyIndex: 4 }).pipe(Layer.provide(LighterSigner.layer({
        accountIndex: account,
        apiKeyIndex: 4,
        chainId: SIM_CHAIN_ID,
        privateKey: Redacted.make(simPrivateKeyHex(account)),
        keySource: "the test key"
      })))
    ).pipe(Effect.map((ctx) => Context.get(ctx, Venue)))

  it("lists the exchange's resting orders best first, its own quote with its account (left out of the count)", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const a = yield* venueOf(1)
      const read = a.orderBookOrders!
      const before = yield* read(BTC, 10)
      const book = sim.exchange.engine.book(BTC)
      const expected = (isAsk: boolean) => book.orders(isAsk, 10).map((o) => ({ orderIndex: String(o.orderIndex), ownerAccountIndex: o.accountIndex, price: o.price, remainingBase: o.remainingBase }))
      expect(before).toEqual({ marketId: BTC, limit: 10, bids: expected(false), asks: expected(true) })
      expect(before.bids.length).toBe(10)
      for (let i = 1; i < 10; i++) {
        expect(before.bids[i]!.price).toBeLessThanOrEqual(before.bids[i - 1]!.price)
        expect(before.asks[i]!.price).toBeGreaterThanOrEqual(before.asks[i - 1]!.price)
      }
      // A quotes at the 3rd order's price: it joins that price behind the orders already there.
      const third = priceAtOrderDepth(before, "buy", 3, 1)
      if (third._tag !== "Price") return expect.fail("no third bid")
      yield* a.placeLimit({ marketId: BTC, side: "buy", base: 20, price: third.price, clientOrderIndex: 5, postOnly: true, reduceOnly: false })
      let after = yield* read(BTC, 10)
      for (let i = 0; i < 50 && !after.bids.some((o) => o.ownerAccountIndex === 1); i++) {
        yield* Effect.sleep("20 millis")
        after = yield* read(BTC, 10)
      }
      expect(after.bids.filter((o) => o.ownerAccountIndex === 1)).toEqual([expect.objectContaining({ price: third.price, remainingBase: 20 })])
      // Its own quote does not move the third order: no drift against itself.
      expect(priceAtOrderDepth(after, "buy", 3, 1)).toEqual(third)
    }))), 30_000)

  it("a limit the venue refuses (over 250) is a rejected read, not a crash", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const a = yield* venueOf(1)
      const e = yield* Effect.flip(a.orderBookOrders!(BTC, 251))
      expect(e).toMatchObject({ op: "orderBookOrders", kind: "rejected" })
    }))), 30_000)
})

describe("orderBookOrders of the in-memory venue and the dry run", () => {
  it("splits the synthetic levels into orders, lists resting quotes, counts its reads; the dry run reads through", () =>
    Effect.runPromise(Effect.gen(function*() {
      const ex = new MemoryExchange({ seed: 1, mid: { 1: 1_000_000 } })
      ex.setBookShape(BTC, { levels: 4, ordersPerLevel: [3, 0, 2, 1] })
      const a = makeMemoryVenue(ex, 1)
      yield* a.placeLimit({ marketId: BTC, side: "buy", base: 60, price: 999_999, clientOrderIndex: 9, postOnly: true, reduceOnly: false })
      const list = yield* a.orderBookOrders!(BTC, 250)
      expect(list.bids.map((o) => [o.price, o.ownerAccountIndex])).toEqual([
        [999_999, 0], [999_999, 0], [999_999, 0], [999_999, 1], [999_997, 0], [999_997, 0], [999_996, 0]
      ])
      expect(list.asks.map((o) => o.price)).toEqual([1_000_001, 1_000_001, 1_000_001, 1_000_003, 1_000_003, 1_000_004])
      // Levels still show the level the order list leaves empty (ordersPerLevel 0).
      expect((yield* a.orderBook(BTC, 10)).bids.map((l) => l.price)).toEqual([999_999, 999_998, 999_997, 999_996])
      expect(priceAtOrderDepth(list, "buy", 4, 1)).toEqual({ _tag: "Price", price: 999_997 })
      expect((yield* a.orderBookOrders!(BTC, 2)).bids).toHaveLength(2)
      expect(Result.isFailure(yield* Effect.result(a.orderBookOrders!(BTC, 0)))).toBe(true)
      expect(ex.bookOrdersReads.map((r) => r.limit)).toEqual([250, 2])
      const dry = makeDryRunVenue(a, { market: () => LIGHTER_BTC })
      expect(yield* dry.orderBookOrders!(BTC, 250)).toEqual(yield* a.orderBookOrders!(BTC, 250))
      expect(Option.isSome(Option.fromNullishOr(dry.orderBookOrders))).toBe(true)
    })))
})
