import { afterEach, describe, expect, it } from "vitest"
import { authToken, closeAll, createTx, Nonces, place, sleep, start, WsClient } from "./helpers.ts"
import type { Frame } from "./helpers.ts"

afterEach(closeAll)

describe("WS control", () => {
  it("greets, answers ping with pong, reports bad channels without closing", async () => {
    const sim = await start()
    const ws = await WsClient.connect(sim)
    ws.send({ type: "ping" })
    expect(await ws.byType("pong")).toEqual({ type: "pong" })
    ws.send({ type: "subscribe", channel: "order_book/42" })
    expect((await ws.next((f) => "error" in f))["error"]).toMatchObject({ code: 30005 })
    ws.send({ type: "subscribe", channel: "nonsense" })
    expect((await ws.next((f) => "error" in f))["error"]).toMatchObject({ code: 30005 })
    await ws.subscribe("order_book/1")
    ws.send({ type: "subscribe", channel: "order_book/1" })
    expect((await ws.next((f) => "error" in f))["error"]).toMatchObject({ code: 30003 })
    ws.send({ type: "unsubscribe", channel: "order_book/1" })
    expect(await ws.byType("unsubscribed")).toEqual({ type: "unsubscribed", channel: "order_book:1" })
    ws.send("{oops")
    expect((await ws.next((f) => "error" in f))["error"]).toMatchObject({ code: 30000 })
    expect(ws.closed).toBeUndefined()
    ws.close()
  })

  it("pings clients and closes idle ones with 1008 'no pong'", async () => {
    const sim = await start({ ws: { pingIntervalMs: 100, idleTimeoutMs: 400 } })
    const ws = await WsClient.connect(sim)
    expect(await ws.byType("ping")).toEqual({ type: "ping" })
    const alive = await WsClient.connect(sim)
    const keep = setInterval(() => alive.send({ type: "pong" }), 100)
    await sleep(900)
    clearInterval(keep)
    expect(ws.closed).toEqual({ code: 1008, reason: "no pong" })
    expect(alive.closed).toBeUndefined()
    alive.close()
  })
})

describe("WS order book", () => {
  it("sends a snapshot, then deltas whose begin_nonce chains to the previous nonce", async () => {
    const sim = await start({ market: { autoStart: false, fillRatePerMin: 60, noiseTakersPerMin: 600 }, seed: 7 })
    const ws = await WsClient.connect(sim)
    const snap = await ws.subscribe("order_book/1")
    const book = (snap["order_book"] as Frame)
    expect((book["asks"] as Frame[]).length).toBeGreaterThanOrEqual(20)
    expect((book["bids"] as Frame[]).length).toBeGreaterThanOrEqual(20)
    // a local copy of the book, maintained from deltas
    const levels = { asks: new Map<string, string>(), bids: new Map<string, string>() }
    const apply = (ob: Frame): void => {
      for (const side of ["asks", "bids"] as const) {
        for (const l of ob[side] as Array<{ price: string; size: string }>) {
          expect(l.size).toMatch(/^\d+\.\d{5}$/)
          expect(l.price).toMatch(/^\d+\.\d$/)
          if (/^0\.0+$/.test(l.size)) levels[side].delete(l.price)
          else levels[side].set(l.price, l.size)
        }
      }
    }
    apply(book)
    let prev = book["nonce"] as number
    for (let i = 0; i < 15; i++) {
      sim.exchange.market!.step()
      const up = await ws.byType("update/order_book", "order_book:1")
      const ob = up["order_book"] as Frame
      expect(ob["begin_nonce"]).toBe(prev)
      expect(ob["nonce"] as number).toBeGreaterThan(prev)
      prev = ob["nonce"] as number
      apply(ob)
    }
    await sleep(80)
    const truth = sim.exchange.engine.book(1)
    expect(levels.asks.size).toBe(truth.levels(true).length)
    expect(levels.bids.size).toBe(truth.levels(false).length)
    ws.close()
  })
})

describe("WS account streams and sendtx", () => {
  it("pushes the maker's fill on every account channel right after the taker's tx", async () => {
    const sim = await start()
    const n = new Nonces()
    await place(sim, { account: 1, nonce: n.take(1), coi: 5, base: 40, price: 1_000_000, isAsk: true, tif: 2 })
    const ws = await WsClient.connect(sim)
    for (const ch of ["account_all_orders/1", "account_all_trades/1", "account_all_positions/1", "account_orders/1/1"]) await ws.subscribe(ch, authToken(1))
    const taker = await WsClient.connect(sim)
    taker.send({ type: "jsonapi/sendtx", data: { tx_type: 14, tx_info: createTx({ account: 2, nonce: n.take(2), base: 20, price: 1_000_000, isAsk: false, type: 1 }) } })
    const ack = await taker.byType("jsonapi/sendtx")
    expect(ack["code"]).toBe(200)
    expect("id" in ack).toBe(false)
    const orders = await ws.byType("update/account_all_orders")
    const o = ((orders["orders"] as Record<string, Frame[]>)["1"]!)[0]!
    expect(o).toMatchObject({ client_order_index: 5, status: "open", filled_base_amount: "0.00020", remaining_base_amount: "0.00020" })
    const trades = await ws.byType("update/account_all_trades")
    expect(((trades["trades"] as Record<string, Frame[]>)["1"]!)[0]).toMatchObject({ ask_account_id: 1, ask_client_id: 5, is_maker_ask: true })
    const pos = await ws.byType("update/account_all_positions")
    expect((pos["positions"] as Record<string, Frame>)["1"]).toMatchObject({ sign: -1, position: "0.00020" })
    const ao = await ws.byType("update/account_orders", "account_orders:1:1")
    expect(ao["account"]).toBe(1)
    // the timeline recorded the frames with the trade id, and the taker's tx
    const tl = sim.exchange.exchange.timeline.toJson()
    expect(tl.frames["account_all_trades:1"]!.some((f) => (f.trade_ids ?? []).includes(1))).toBe(true)
    expect(tl.txs["2"]![0]).toMatchObject({ transport: "ws", tx_type: 14, code: 200 })
    ws.close()
    taker.close()
  })

  it("jsonapi/sendtxbatch accepts double-encoded and plain lists", async () => {
    const sim = await start()
    const ws = await WsClient.connect(sim)
    const infos = [1, 2].map((i) => JSON.stringify(createTx({ account: 1, nonce: i, coi: i, base: 20, price: 999_000 + i, isAsk: false })))
    ws.send({ type: "jsonapi/sendtxbatch", data: { id: 7, tx_types: "[14,14]", tx_infos: JSON.stringify(infos) } })
    const ack = await ws.byType("jsonapi/sendtxbatch")
    expect(ack).toMatchObject({ code: 200, id: 7 })
    expect(ack["tx_hash"]).toHaveLength(2)
    const more = [3, 4].map((i) => createTx({ account: 1, nonce: i, coi: i, base: 20, price: 999_000 + i, isAsk: false }))
    ws.send({ type: "jsonapi/sendtxbatch", data: { tx_types: [14, 14], tx_infos: more } })
    expect((await ws.byType("jsonapi/sendtxbatch"))["code"]).toBe(200)
    await sleep(5)
    expect(sim.exchange.engine.accounts.get(1)!.active.size).toBe(4)
    ws.close()
  })
})
