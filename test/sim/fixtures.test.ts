// The simulator's REST and WS payloads have the fixtures' field names, JSON types and decimals.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SimHandle } from "../../src/sim/server.ts"
import { authToken, closeAll, createTx, fixture, get, Nonces, place, sendTx, shapeDiff, sleep, start, TRADE_OPTIONAL, WsClient } from "./helpers.ts"
import type { Frame } from "./helpers.ts"

let sim: SimHandle
let ws: WsClient
const nonces = new Nonces()
const updates: Record<string, Frame> = {}
let snapshots: Record<string, Frame> = {}

beforeAll(async () => {
  sim = await start({ accounts: [{ index: 1 }, { index: 2, tier: "premium" }] })
  // resting liquidity: account 2 asks, account 1 bids (post-only, partially filled below)
  await place(sim, { account: 2, nonce: nonces.take(2), coi: 2001, base: 1000, price: 1_000_001, isAsk: true, tif: 2 })
  await place(sim, { account: 1, nonce: nonces.take(1), coi: 1007, base: 50, price: 999_985, isAsk: false, tif: 2 })
  ws = await WsClient.connect(sim)
  const channels = [
    "order_book/1",
    "trade/1",
    "account_all/1",
    "account_all_orders/1",
    "account_orders/1/1",
    "account_all_trades/1",
    "account_all_positions/1",
    "user_stats/1"
  ]
  // one token of account 1 on every subscribe: required on the private channels, checked on account_all and user_stats, ignored on public ones
  const token = authToken(1)
  for (const ch of channels) snapshots[ch] = await ws.subscribe(ch, token)
  // account 2 market-sells 20 into account 1's bid → partial fill of the bid
  const r = await sendTx(sim, 14, createTx({ account: 2, nonce: nonces.take(2), coi: 3001, base: 20, price: 999_000, isAsk: true, type: 1 }))
  expect(r.status).toBe(200)
  for (const [key, type, channel] of [
    ["trade", "update/trade", "trade:1"],
    ["account_all", "update/account_all", "account_all:1"],
    ["account_all_orders", "update/account_all_orders", "account_all_orders:1"],
    ["account_orders", "update/account_orders", "account_orders:1:1"],
    ["account_all_trades", "update/account_all_trades", "account_all_trades:1"],
    ["account_all_positions", "update/account_all_positions", "account_all_positions:1"],
    ["user_stats", "update/user_stats", "user_stats:1"],
    ["order_book", "update/order_book", "order_book:1"]
  ] as const) {
    updates[key] = await ws.byType(type, channel)
  }
})

afterAll(async () => {
  ws?.close()
  await closeAll()
})

const same = (actual: unknown, name: string, optional: ReadonlySet<string> = TRADE_OPTIONAL): void => {
  expect(shapeDiff(actual, fixture(name), optional)).toEqual([])
}

describe("REST payloads match the fixtures", () => {
  it("account", async () => {
    const r = await get(sim, "/api/v1/account?by=index&value=1")
    expect(r.status).toBe(200)
    same(r.body, "account.json")
    const acc = (r.body["accounts"] as Frame[])[0]!
    const pos = (acc["positions"] as Frame[])[0]!
    expect(pos).toMatchObject({ market_id: 1, sign: 1, position: "0.00020", avg_entry_price: "99998.5" })
  })

  it("accountActiveOrders shows the partially filled order as open", async () => {
    const r = await get(sim, `/api/v1/accountActiveOrders?account_index=1&market_id=1&auth=${authToken(1)}`)
    same(r.body, "account_active_orders.json")
    const o = (r.body["orders"] as Frame[])[0]!
    expect(o).toMatchObject({
      status: "open",
      client_order_index: 1007,
      client_order_id: "1007",
      filled_base_amount: "0.00020",
      remaining_base_amount: "0.00030",
      initial_base_amount: "0.00050",
      price: "99998.5",
      base_price: 999_985,
      base_size: 50,
      is_ask: false,
      time_in_force: "post-only"
    })
    expect(o["order_id"]).toBe(String(o["order_index"]))
  })

  it("orderBookDetails, orderBookOrders, recentTrades, nextNonce", async () => {
    same((await get(sim, "/api/v1/orderBookDetails?market_id=1")).body, "order_book_details.json")
    const obo = await get(sim, "/api/v1/orderBookOrders?market_id=1&limit=100")
    same(obo.body, "order_book_orders.json")
    same((await get(sim, "/api/v1/recentTrades?market_id=1&limit=10")).body, "recent_trades.json")
    same((await get(sim, "/api/v1/nextNonce?account_index=1&api_key_index=4")).body, "next_nonce.json")
    expect((await get(sim, "/api/v1/nextNonce?account_index=1&api_key_index=4")).body["nonce"]).toBe(2)
  })

  it("sendTx", async () => {
    const r = await sendTx(sim, 14, createTx({ account: 1, nonce: nonces.take(1), coi: 55, base: 20, price: 999_000, isAsk: false, tif: 2 }))
    same(r.body, "send_tx.json")
    expect(r.body["tx_hash"]).toMatch(/^[0-9a-f]{80}$/)
    expect(r.body["message"]).toBe('{"ratelimit": "didn\'t use volume quota"}')
  })

  it("errors", async () => {
    const r = await sendTx(sim, 14, createTx({ account: 1, nonce: 999, base: 20, price: 999_000, isAsk: false }))
    expect(r.status).toBe(400)
    expect(r.body).toEqual(fixture("error.json"))
  })
})

describe("WS payloads match the fixtures", () => {
  it("order book snapshot and update", () => {
    same(snapshots["order_book/1"], "ws_order_book_subscribed.json")
    same(updates["order_book"], "ws_order_book_update.json")
  })

  it("account channels (update frames)", () => {
    same(updates["account_all_orders"], "ws_account_all_orders_update.json")
    same(updates["account_orders"], "ws_account_orders_update.json")
    same(updates["account_all_trades"], "ws_account_all_trades_update.json")
    same(updates["account_all_positions"], "ws_account_all_positions_update.json")
    same(updates["account_all"], "ws_account_all_update.json")
    same(updates["user_stats"], "ws_user_stats_update.json")
    same(updates["trade"], "ws_trade_update.json")
  })

  it("account snapshots are subscribed/<channel> with the same shape", () => {
    expect(snapshots["account_all_orders/1"]!["type"]).toBe("subscribed/account_all_orders")
    same({ ...snapshots["account_all_orders/1"], type: "update/account_all_orders" }, "ws_account_all_orders_update.json")
    same({ ...snapshots["user_stats/1"], type: "update/user_stats" }, "ws_user_stats_update.json")
    same({ ...snapshots["account_all_positions/1"], type: "x" }, "ws_account_all_positions_update.json")
  })

  it("the partial fill arrives as an open order with filled_base_amount and a trade with string twins", () => {
    const orders = (updates["account_all_orders"]!["orders"] as Record<string, Frame[]>)["1"]!
    const bid = orders.find((o) => o["client_order_index"] === 1007)!
    expect(bid).toMatchObject({ status: "open", filled_base_amount: "0.00020", remaining_base_amount: "0.00030" })
    const trade = (updates["account_all_trades"]!["trades"] as Record<string, Frame[]>)["1"]![0]!
    expect(trade).toMatchObject({ bid_account_id: 1, ask_account_id: 2, is_maker_ask: false, size: "0.00020", price: "99998.5" })
    expect(trade["bid_id_str"]).toBe(String(trade["bid_id"]))
    expect(trade["taker_fee"]).toBe(280) // account 2 is premium
    expect("maker_fee" in trade).toBe(false) // account 1 is standard: zero fee omitted
  })

  it("sendtx ack and error frames", async () => {
    ws.send({ type: "jsonapi/sendtx", data: { id: "a1", tx_type: 14, tx_info: createTx({ account: 1, nonce: nonces.take(1), coi: 56, base: 20, price: 999_001, isAsk: false, tif: 2 }) } })
    const ack = await ws.byType("jsonapi/sendtx")
    same(ack, "ws_sendtx_ack.json")
    expect(ack["id"]).toBe("a1")
    ws.send({ type: "jsonapi/sendtx", data: { id: "a2", tx_type: 14, tx_info: JSON.stringify(createTx({ account: 1, nonce: 12345, base: 20, price: 999_001, isAsk: false })) } })
    const err = await ws.next((f) => "error" in f)
    expect(err).toEqual({ error: { code: 21104, message: "invalid nonce" }, id: "a2" })
    same(err, "ws_sendtx_error.json")
    ws.send({ type: "subscribe", channel: "order_book/99" })
    const bad = await ws.next((f) => "error" in f)
    same(bad, "ws_error.json")
    expect((bad["error"] as Frame)["code"]).toBe(30005)
    await sleep(1)
  })
})
