// The start-up report and A's foreign-order check (src/app/startup-report.ts), against a
// scripted Venue and a tiny HTTP server standing in for GET /api/v1/account.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Layer, Logger, Option } from "effect"
import { PairState, type PairStateShape } from "../../src/bus/PairState.ts"
import type { OrderStatus, OrderUpdate } from "../../src/domain/events.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { loadConfigText } from "../../src/config/load.ts"
import {
  checkForeignOrders,
  foreignOrders,
  ForeignOrdersError,
  oursOnA,
  startupReport
} from "../../src/app/startup-report.ts"
import { VenueError } from "../../src/venue/errors.ts"
import { Venue, type VenueShape } from "../../src/venue/Venue.ts"

const FAKE_KEY = "0x" + "5e5e5e5e5e".repeat(8)

const order = (orderIndex: string, clientOrderIndex: number, side: "buy" | "sell", base: number, price: number, status: OrderStatus = "open"): OrderUpdate => ({
  _tag: "OrderUpdate",
  accountIndex: 11,
  marketId: LIGHTER_BTC.marketId,
  orderIndex,
  clientOrderIndex,
  side,
  kind: "limit",
  timeInForce: "post-only",
  reduceOnly: false,
  price,
  initialBase: base,
  filledBase: 0,
  remainingBase: base,
  filledQuoteMicro: 0n,
  status,
  updatedAtMs: 0
})

const unexpected = (op: string) => () => Effect.die(new Error(`unexpected venue call ${op}`))

/** A Venue whose open orders are `orders`, recording cancels. */
const scriptedVenue = (
  orders: ReadonlyArray<OrderUpdate>,
  opts: { readonly position?: number; readonly free?: number; readonly failReads?: boolean } = {}
) => {
  const cancelled: Array<string> = []
  const fail = (op: string) => Effect.fail(new VenueError({ op, kind: "unavailable", message: `${op}: connection refused` }))
  const shape: VenueShape = {
    accountIndex: 11,
    market: unexpected("market"),
    orderBook: unexpected("orderBook"),
    placeLimit: unexpected("placeLimit"),
    placeMarket: unexpected("placeMarket"),
    cancelAll: unexpected("cancelAll"),
    orderByClientIndex: unexpected("orderByClientIndex"),
    recentTrades: unexpected("recentTrades"),
    cancel: (req) => Effect.sync(() => void cancelled.push(req.index)).pipe(Effect.as({ txHash: "00", acceptedAtMs: 0 })),
    openOrders: () => (opts.failReads === true ? fail("openOrders") : Effect.succeed(orders)),
    position: (marketId) =>
      opts.failReads === true
        ? fail("position")
        : Effect.succeed({ _tag: "PositionUpdate", accountIndex: 11, marketId, signedBase: opts.position ?? 0, avgEntryPrice: 0 }),
    freeCollateral: () => (opts.failReads === true ? fail("freeCollateral") : Effect.succeed(Option.fromNullishOr(opts.free)))
  }
  return { layer: Layer.succeed(Venue, Venue.of(shape)), cancelled }
}

const pairStateWithQuoteSeq = (quoteSeq: number | undefined) =>
  Layer.succeed(PairState, PairState.of({ sequenceCounters: () => Effect.succeed({ quoteSeq }) } as unknown as PairStateShape))

const configOf = (extra = "", baseUrl = "http://127.0.0.1:1") =>
  Effect.runSync(loadConfigText({
    text: `accounts:
  account_a: { account_name: maker, account_index: 11, api_key_index: 4 }
  account_b: { account_name: hedger, account_index: 12, api_key_index: 5 }
lighter: { base_url: "${baseUrl}" }
venue: { kind: lighter, live: true }
${extra}`,
    env: { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: FAKE_KEY }
  }))

const withLog = async <A, E>(effect: Effect.Effect<A, E>) => {
  const lines: Array<{ level: string; message: string }> = []
  const logger = Logger.make((o) => void lines.push({ level: o.logLevel, message: [o.message].flat().map(String).join(" ") }))
  const exit = await Effect.runPromiseExit(effect.pipe(Effect.provide(Logger.layer([logger]))))
  return { exit, lines }
}

describe("which orders are A's own", () => {
  it("oursOnA: A's quote indexes, bounded by the pair's quote counter when known", () => {
    const any = oursOnA()
    expect([0, -1, 1.5, 1, 7, 2 ** 47 - 1, 2 ** 47, 2 ** 48 - 1].map(any)).toEqual([false, false, false, true, true, true, false, false])
    const upTo10 = oursOnA(10)
    expect([1, 10, 11, 0].map(upTo10)).toEqual([true, true, false, false])
  })

  it("foreignOrders: the active orders that are not ours, in their order", () => {
    const orders = [
      order("281474976710701", 3, "buy", 20, 600_000),
      order("281474976710702", 0, "sell", 40, 610_000), // no client index: placed by hand
      order("281474976710703", 99, "buy", 20, 590_000),
      order("281474976710704", 0, "buy", 20, 580_000, "canceled") // already gone
    ]
    const foreign = foreignOrders(orders, oursOnA(10))
    expect(foreign.map((o) => o.orderIndex)).toEqual(["281474976710702", "281474976710703"])
    expect(foreignOrders(orders, () => true)).toEqual([])
    expect(foreignOrders([], () => false)).toEqual([])
  })
})

describe("checkForeignOrders (A)", () => {
  const mine = order("281474976710701", 3, "buy", 20, 600_000)
  const manual = order("281474976710702", 0, "sell", 40, 610_005)
  const otherBot = order("281474976710703", 2 ** 47 + 5, "buy", 25, 599_990)

  it("nothing foreign: succeeds with nothing, cancels nothing", async () => {
    const v = scriptedVenue([mine])
    const r = await Effect.runPromise(checkForeignOrders(configOf(), LIGHTER_BTC).pipe(Effect.provide(v.layer)))
    expect(r).toEqual([])
    expect(v.cancelled).toEqual([])
  })

  it("foreign orders refuse the start, listing side, size, price and order index; nothing is cancelled", async () => {
    const v = scriptedVenue([mine, manual, otherBot])
    const err = await Effect.runPromise(Effect.flip(checkForeignOrders(configOf(), LIGHTER_BTC).pipe(Effect.provide(v.layer))))
    expect(err).toBeInstanceOf(ForeignOrdersError)
    expect(err.message).toMatch(/^2 order\(s\) this pair did not place rest on account A \(maker, index 11\) in BTC \(market 1\): /)
    expect(err.message).toContain("sell 0.00040 @ 61000.5 (order 281474976710702, client index none)")
    expect(err.message).toContain(`buy 0.00025 @ 59999.0 (order 281474976710703, client index ${2 ** 47 + 5})`)
    expect(err.message).not.toContain("281474976710701")
    expect(err.message).toContain("--cancel-foreign-orders")
    expect(err.message).toContain("maker.cancel_foreign_orders: true")
    expect(v.cancelled).toEqual([])
  })

  it("with maker.cancel_foreign_orders: cancels exactly the foreign ones, logging each", async () => {
    const v = scriptedVenue([mine, manual, otherBot])
    const { exit, lines } = await withLog(checkForeignOrders(configOf("maker: { cancel_foreign_orders: true }\n"), LIGHTER_BTC).pipe(Effect.provide(v.layer)))
    expect(exit._tag).toBe("Success")
    expect(v.cancelled).toEqual(["281474976710702", "281474976710703"])
    const logged = lines.filter((l) => l.message.startsWith("cancelled foreign order"))
    expect(logged).toHaveLength(2)
    expect(logged[0]!.message).toContain("sell 0.00040 @ 61000.5 (order 281474976710702")
  })

  it("the pair's quote counter decides when PairState is there", async () => {
    const later = order("281474976710709", 8, "buy", 20, 600_000)
    const v = scriptedVenue([mine, later])
    const ok = await Effect.runPromise(checkForeignOrders(configOf(), LIGHTER_BTC).pipe(Effect.provide(v.layer), Effect.provide(pairStateWithQuoteSeq(8))))
    expect(ok).toEqual([])
    const err = await Effect.runPromise(
      Effect.flip(checkForeignOrders(configOf(), LIGHTER_BTC).pipe(Effect.provide(v.layer), Effect.provide(pairStateWithQuoteSeq(5))))
    )
    expect(err.message).toMatch(/^1 order\(s\) .*order 281474976710709, client index 8/)
  })

  it("an unreadable venue is its VenueError (main turns it into the one 'cannot reach' line)", async () => {
    const v = scriptedVenue([], { failReads: true })
    const err = await Effect.runPromise(Effect.flip(checkForeignOrders(configOf(), LIGHTER_BTC).pipe(Effect.provide(v.layer))))
    expect(err._tag).toBe("VenueError")
  })
})

describe("startupReport", () => {
  let url = ""
  let reply: unknown = {}
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/api/v1/account?") === true && req.url.includes("value=11")) {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(reply))
    } else {
      res.writeHead(400, { "content-type": "application/json" })
      res.end(JSON.stringify({ code: 21100, message: "account not found" }))
    }
  })
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it("one info block: account, tier, USDC amounts, position and open orders in market units; no secret", async () => {
    reply = {
      code: 200,
      total: 1,
      accounts: [{
        code: 0,
        index: 11,
        account_type: 1,
        tier: "premium",
        collateral: "1234.500000",
        available_balance: "1000.250000",
        positions: [
          { market_id: 0, symbol: "ETH", sign: 1, position: "1.0000" },
          { market_id: 1, symbol: "BTC", sign: -1, position: "0.00060" }
        ]
      }]
    }
    const v = scriptedVenue([order("281474976710701", 3, "buy", 20, 600_000)], { position: 999, free: 1 })
    const { exit, lines } = await withLog(startupReport("a", configOf("", url), LIGHTER_BTC).pipe(Effect.provide(v.layer)))
    expect(exit._tag).toBe("Success")
    expect(lines.filter((l) => l.level === "Warn")).toEqual([])
    const info = lines.filter((l) => l.level === "Info")
    expect(info).toHaveLength(1)
    const block = info[0]!.message
    expect(block).toMatch(/^start-up report of maker \(A\): account 11 \(maker, API key 4\) on lighter http:\/\/127\.0\.0\.1:\d+, market BTC \(1\)/)
    expect(block).toContain("tier: premium")
    expect(block).toContain("collateral: 1234.500000 USDC; available balance: 1000.250000 USDC")
    expect(block).toContain("position: -0.00060 BTC (short)")
    expect(block).toContain("open orders in this market: 1")
    expect(block).toContain("buy 0.00020 @ 60000.0 (client index 3, order 281474976710701)")
    expect(block).not.toContain(FAKE_KEY.slice(2, 20))
  })

  it("a tier code the venue does not name is shown as the code", async () => {
    reply = { code: 200, accounts: [{ index: 11, account_type: 0, collateral: "5.000000", available_balance: "-1.500000", positions: [] }] }
    const v = scriptedVenue([])
    const { lines } = await withLog(startupReport("a", configOf("", url), LIGHTER_BTC).pipe(Effect.provide(v.layer)))
    const block = lines.find((l) => l.level === "Info")!.message
    expect(block).toContain("tier: not named by the venue (account_type 0)")
    expect(block).toContain("available balance: -1.500000 USDC")
    expect(block).toContain("position: 0.00000 BTC (flat)")
    expect(block).toContain("open orders in this market: none")
  })

  it("what cannot be read is a warning and 'unknown', never a failure; the Venue stands in for the REST read", async () => {
    const v = scriptedVenue([], { position: 40, free: 7_000_000 })
    const { exit, lines } = await withLog(startupReport("b", configOf("", "http://127.0.0.1:1"), LIGHTER_BTC).pipe(Effect.provide(v.layer)))
    expect(exit._tag).toBe("Success")
    expect(lines.filter((l) => l.level === "Warn").map((l) => l.message).join("\n")).toMatch(/start-up report: cannot read account 12: /)
    const block = lines.find((l) => l.level === "Info")!.message
    expect(block).toMatch(/^start-up report of hedger \(B\): account 12 \(hedger, API key 5\)/)
    expect(block).toContain("tier: unknown")
    expect(block).toContain("collateral: unknown; available balance: 7.000000 USDC")
    expect(block).toContain("position: 0.00040 BTC (long)")

    const dead = scriptedVenue([], { failReads: true })
    const r2 = await withLog(startupReport("a", configOf("", "http://127.0.0.1:1"), LIGHTER_BTC).pipe(Effect.provide(dead.layer)))
    expect(r2.exit._tag).toBe("Success")
    expect(r2.lines.filter((l) => l.level === "Warn").length).toBe(4)
    const b2 = r2.lines.find((l) => l.level === "Info")!.message
    expect(b2).toContain("position: unknown")
    expect(b2).toContain("open orders in this market: unknown")
  })
})
