import { afterEach, describe, expect, it } from "vitest"
import { authToken, cancelTx, closeAll, createTx, get, Nonces, place, postForm, sendTx, sleep, start } from "./helpers.ts"
import type { Frame } from "./helpers.ts"

afterEach(closeAll)

describe("REST sendTx", () => {
  it("accepts urlencoded and multipart bodies", async () => {
    const sim = await start()
    const n = new Nonces()
    const a = await sendTx(sim, 14, createTx({ account: 1, nonce: n.take(1), coi: 1, base: 20, price: 999_000, isAsk: false }), "urlencoded")
    const b = await sendTx(sim, 14, createTx({ account: 1, nonce: n.take(1), coi: 2, base: 20, price: 999_001, isAsk: false }), "multipart")
    expect([a.status, b.status]).toEqual([200, 200])
    await sleep(5)
    const orders = (await get(sim, `/api/v1/accountActiveOrders?account_index=1&market_id=1&auth=${authToken(1)}`)).body["orders"] as Frame[]
    expect(orders.map((o) => o["client_order_index"])).toEqual([1, 2])
  })

  it("rejects a wrong nonce with 400 21104 'invalid nonce' and does not consume the expected one", async () => {
    const sim = await start()
    const bad = await sendTx(sim, 14, createTx({ account: 1, nonce: 5, base: 20, price: 999_000, isAsk: false }))
    expect(bad).toEqual({ status: 400, body: { code: 21104, message: "invalid nonce" } })
    // a rejected tx with the right nonce does not consume it either
    const invalid = await sendTx(sim, 14, createTx({ account: 1, nonce: 1, base: 0, price: 999_000, isAsk: false }))
    expect(invalid.body["code"]).toBe(21701)
    expect((await get(sim, "/api/v1/nextNonce?account_index=1&api_key_index=4")).body).toEqual({ code: 200, nonce: 1 })
    expect((await sendTx(sim, 14, createTx({ account: 1, nonce: 1, base: 20, price: 999_000, isAsk: false }))).status).toBe(200)
    expect((await get(sim, "/api/v1/nextNonce?account_index=1&api_key_index=4")).body["nonce"]).toBe(2)
    expect((await sendTx(sim, 14, createTx({ account: 1, nonce: 1, base: 20, price: 999_000, isAsk: false }))).body["code"]).toBe(21104)
  })

  it("sendTxBatch takes JSON-encoded lists and answers a list of hashes", async () => {
    const sim = await start()
    const infos = [
      JSON.stringify(createTx({ account: 1, nonce: 1, coi: 10, base: 20, price: 999_000, isAsk: false })),
      JSON.stringify(createTx({ account: 1, nonce: 2, coi: 11, base: 20, price: 999_001, isAsk: false }))
    ]
    const r = await postForm(sim, "/api/v1/sendTxBatch", { tx_types: "[14,14]", tx_infos: JSON.stringify(infos) }, "multipart")
    expect(r.status).toBe(200)
    expect(r.body["tx_hash"]).toHaveLength(2)
    await sleep(5)
    expect(((await get(sim, `/api/v1/accountActiveOrders?account_index=1&market_id=1&auth=${authToken(1)}`)).body["orders"] as Frame[]).length).toBe(2)
    // a batch with a gap in nonces is rejected whole
    const gap = [
      JSON.stringify(createTx({ account: 1, nonce: 3, coi: 12, base: 20, price: 999_000, isAsk: false })),
      JSON.stringify(createTx({ account: 1, nonce: 5, coi: 13, base: 20, price: 999_001, isAsk: false }))
    ]
    const g = await postForm(sim, "/api/v1/sendTxBatch", { tx_types: "[14,14]", tx_infos: JSON.stringify(gap) })
    expect(g.body["code"]).toBe(21105)
    expect((await get(sim, "/api/v1/nextNonce?account_index=1&api_key_index=4")).body["nonce"]).toBe(3)
  })

  it("answers 429 / 23000 over the per-address rate limit", async () => {
    const sim = await start({ rateLimit: { txPerMinute: 3 } })
    const n = new Nonces()
    const codes: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await sendTx(sim, 14, createTx({ account: 1, nonce: n.take(1), coi: 100 + i, base: 20, price: 999_000 + i, isAsk: false }))
      codes.push(r.status)
      if (r.status === 429) expect(r.body).toEqual({ code: 23000, message: "Too Many Requests!" })
    }
    expect(codes).toEqual([200, 200, 200, 429])
    // another address has its own budget
    expect((await sendTx(sim, 14, createTx({ account: 2, nonce: 1, base: 20, price: 999_000, isAsk: false }))).status).toBe(200)
  })

  it("rejects a duplicate active client order index with 21728, cancels by client index", async () => {
    const sim = await start()
    const n = new Nonces()
    await place(sim, { account: 1, nonce: n.take(1), coi: 9, base: 20, price: 999_000, isAsk: false })
    const dup = await sendTx(sim, 14, createTx({ account: 1, nonce: n.take(1), coi: 9, base: 20, price: 999_000, isAsk: false }))
    expect(dup.body["code"]).toBe(21728)
    const c = await sendTx(sim, 15, cancelTx(1, 2, 9))
    expect(c.status).toBe(200)
    await sleep(5)
    const inactive = await get(sim, `/api/v1/accountInactiveOrders?account_index=1&limit=10&auth=${authToken(1)}`)
    expect((inactive.body["orders"] as Frame[])[0]).toMatchObject({ client_order_index: 9, status: "canceled" })
  })
})

describe("REST reads", () => {
  it("serves /, /info, accountsByL1Address and unknown accounts", async () => {
    const sim = await start()
    expect((await get(sim, "/")).body).toMatchObject({ code: 200, status: 200, network_id: 1 })
    expect((await get(sim, "/info")).body["contract_address"]).toMatch(/^0x/)
    const acc = (await get(sim, "/api/v1/account?by=index&value=1")).body
    const l1 = ((acc["accounts"] as Frame[])[0]!)["l1_address"] as string
    expect((await get(sim, `/api/v1/account?by=l1_address&value=${l1}`)).body["total"]).toBe(1)
    expect((await get(sim, `/api/v1/accountsByL1Address?l1_address=${l1}`)).body["sub_accounts"]).toHaveLength(1)
    expect(await get(sim, "/api/v1/account?by=index&value=77")).toEqual({ status: 400, body: { code: 21100, message: "account not found" } })
    expect((await get(sim, "/api/v1/orderBookDetails?market_id=9")).body["code"]).toBe(21602)
  })

  it("orderBookOrders lists asks ascending and bids descending; trades and inactive orders paginate", async () => {
    const sim = await start()
    const n = new Nonces()
    for (const [i, p] of [1_000_003, 1_000_001, 1_000_002].entries()) {
      await place(sim, { account: 2, nonce: n.take(2), coi: 10 + i, base: 20, price: p, isAsk: true })
    }
    for (const [i, p] of [999_990, 999_995].entries()) await place(sim, { account: 2, nonce: n.take(2), coi: 20 + i, base: 20, price: p, isAsk: false })
    const obo = (await get(sim, "/api/v1/orderBookOrders?market_id=1&limit=2")).body
    expect((obo["asks"] as Frame[]).map((o) => o["price"])).toEqual(["100000.1", "100000.2"])
    expect((obo["bids"] as Frame[]).map((o) => o["price"])).toEqual(["99999.5", "99999.0"])
    // account 1 buys 3 levels with a market order → 3 trades
    await place(sim, { account: 1, nonce: n.take(1), coi: 1, base: 60, price: 1_000_003, isAsk: false, type: 1 })
    const p1 = (await get(sim, `/api/v1/trades?account_index=1&sort_by=timestamp&limit=2&auth=${authToken(1)}`)).body
    expect((p1["trades"] as Frame[]).map((t) => t["price"])).toEqual(["100000.3", "100000.2"])
    const p2 = (await get(sim, `/api/v1/trades?account_index=1&sort_by=timestamp&limit=2&cursor=${String(p1["next_cursor"])}&auth=${authToken(1)}`)).body
    expect((p2["trades"] as Frame[]).map((t) => t["price"])).toEqual(["100000.1"])
    expect(p2["next_cursor"]).toBeUndefined()
    const inactive = (await get(sim, `/api/v1/accountInactiveOrders?account_index=2&limit=2&market_id=1&auth=${authToken(2)}`)).body
    expect((inactive["orders"] as Frame[]).every((o) => o["status"] === "filled")).toBe(true)
    expect(inactive["next_cursor"]).toBe("2")
    const sims = (await get(sim, "/sim/trades")).body["trades"] as Frame[]
    expect(sims[0]).toMatchObject({ taker_side: "buy", bid_account_id: 1, ask_account_id: 2, taker_account_id: 1, size_units: 20 })
    const pos = (await get(sim, "/sim/positions")).body["accounts"] as Frame[]
    expect(((pos.find((a) => a["account_index"] === 1)!["positions"] as Frame[])[0])!["size"]).toBe("0.00060")
  })
})
