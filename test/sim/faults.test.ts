import { afterEach, describe, expect, it } from "vitest"
import { authToken, cancelTx, closeAll, createTx, get, Nonces, place, postForm, sendTx, sleep, start, WsClient } from "./helpers.ts"
import type { Frame } from "./helpers.ts"

afterEach(closeAll)

const postJson = async (url: string, body: unknown): Promise<{ status: number; body: Frame }> => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  return { status: r.status, body: (await r.json()) as Frame }
}

describe("fault injection", () => {
  it("rejects the next N txs with a chosen code, without consuming nonces", async () => {
    const sim = await start()
    expect((await postJson(sim.url + "/sim/fault", { type: "reject_txs", account: 1, count: 2, code: 21120, message: "invalid signature" })).status).toBe(200)
    const tx = createTx({ account: 1, nonce: 1, base: 20, price: 999_000, isAsk: false })
    expect((await sendTx(sim, 14, tx)).body).toEqual({ code: 21120, message: "invalid signature" })
    expect((await sendTx(sim, 14, tx)).body["code"]).toBe(21120)
    expect((await sendTx(sim, 14, tx)).status).toBe(200)
  })

  it("answers 429 to the next N txs", async () => {
    const sim = await start()
    sim.exchange.faults.rateLimitTxs(1, 1)
    const tx = createTx({ account: 1, nonce: 1, base: 20, price: 999_000, isAsk: false })
    expect(await sendTx(sim, 14, tx)).toEqual({ status: 429, body: { code: 23000, message: "Too Many Requests!" } })
    expect((await sendTx(sim, 14, tx)).status).toBe(200)
  })

  it("delays the next N txs (whole tx, or only the reply)", async () => {
    const sim = await start()
    sim.exchange.faults.delayTxs(1, 1, 150)
    let t = performance.now()
    await sendTx(sim, 14, createTx({ account: 1, nonce: 1, coi: 1, base: 20, price: 999_000, isAsk: false }))
    expect(performance.now() - t).toBeGreaterThanOrEqual(140)
    sim.exchange.faults.delayTxs(1, 1, 200, "reply")
    t = performance.now()
    const p = sendTx(sim, 14, createTx({ account: 1, nonce: 2, coi: 2, base: 20, price: 999_001, isAsk: false }))
    await sleep(60)
    expect(sim.exchange.engine.accounts.get(1)!.activeByClientIndex(2)).toBeDefined() // executed before the reply
    await p
    expect(performance.now() - t).toBeGreaterThanOrEqual(190)
    t = performance.now()
    await sendTx(sim, 14, createTx({ account: 1, nonce: 3, coi: 3, base: 20, price: 999_002, isAsk: false }))
    expect(performance.now() - t).toBeLessThan(100)
  })

  it("partially fills the next market order", async () => {
    const sim = await start()
    const n = new Nonces()
    await place(sim, { account: 2, nonce: n.take(2), base: 1000, price: 1_000_000, isAsk: true })
    await postForm(sim, "/sim/fault", { type: "partial_fill_market", account: "1", count: "1", fraction: "0.25" })
    await place(sim, { account: 1, nonce: n.take(1), coi: 1, base: 100, price: 1_000_100, isAsk: false, type: 1 })
    const o = sim.exchange.engine.accounts.get(1)!.inactive[0]!
    expect(o.filledBase).toBe(25)
    expect(o.status).toBe("canceled-not-enough-liquidity")
    await place(sim, { account: 1, nonce: n.take(1), coi: 2, base: 100, price: 1_000_100, isAsk: false, type: 1 })
    expect(sim.exchange.engine.accounts.get(1)!.inactive[1]!.filledBase).toBe(100)
  })

  it("refuse_margin: opening orders are accepted, then cancelled canceled-margin-not-allowed; reduce-only ones close the position; clear ends it", async () => {
    const sim = await start()
    const n = new Nonces()
    const acc = () => sim.exchange.engine.accounts.get(1)!
    // Account 1 goes long 100 against account 2's ask, then its margin is used up.
    await place(sim, { account: 2, nonce: n.take(2), base: 1000, price: 1_000_000, isAsk: true })
    await place(sim, { account: 1, nonce: n.take(1), coi: 1, base: 100, price: 1_000_100, isAsk: false, type: 1 })
    expect(acc().inactive.at(-1)!.filledBase).toBe(100)
    const r = await postJson(sim.url + "/sim/fault", { type: "refuse_margin", account: 1, ms: 60_000 })
    expect(r.status).toBe(200)
    expect(typeof (r.body["result"] as Frame)["until"]).toBe("number")
    // An opening buy (market) and an opening ask (limit): accepted, nonce spent, then cancelled.
    expect((await place(sim, { account: 1, nonce: n.take(1), coi: 2, base: 100, price: 1_000_100, isAsk: false, type: 1 })).status).toBe(200)
    expect(acc().inactive.at(-1)).toMatchObject({ clientOrderIndex: 2, filledBase: 0, status: "canceled-margin-not-allowed" })
    expect((await place(sim, { account: 1, nonce: n.take(1), coi: 3, base: 20, price: 1_010_000, isAsk: true })).status).toBe(200)
    expect(acc().inactive.at(-1)).toMatchObject({ clientOrderIndex: 3, status: "canceled-margin-not-allowed" })
    // Account 2 (no fault) trades as usual.
    await place(sim, { account: 2, nonce: n.take(2), coi: 4, base: 20, price: 999_000, isAsk: false })
    expect(sim.exchange.engine.accounts.get(2)!.activeByClientIndex(4)).toBeDefined()
    // Reduce-only: the long is closed.
    await place(sim, { account: 2, nonce: n.take(2), coi: 5, base: 1000, price: 999_500, isAsk: false })
    await place(sim, { account: 1, nonce: n.take(1), coi: 6, base: 100, price: 990_000, isAsk: true, type: 1, reduceOnly: true })
    expect(acc().inactive.at(-1)).toMatchObject({ clientOrderIndex: 6, filledBase: 100 })
    // A bad spec is refused; after ms (exchange clock) opening orders execute again.
    expect((await postJson(sim.url + "/sim/fault", { type: "refuse_margin", account: 1 })).status).toBe(400)
    sim.exchange.faults.clear()
    await place(sim, { account: 1, nonce: n.take(1), coi: 7, base: 20, price: 1_000_100, isAsk: false, type: 1 })
    expect(acc().inactive.at(-1)).toMatchObject({ clientOrderIndex: 7, filledBase: 20 })
  })

  it("drops the sockets of one account or all, and pauses an account's stream", async () => {
    const sim = await start()
    const a1 = await WsClient.connect(sim)
    await a1.subscribe("account_all_orders/1", authToken(1))
    const a2 = await WsClient.connect(sim)
    await a2.subscribe("account_all_orders/2", authToken(2))
    const r = await postJson(sim.url + "/sim/fault", { type: "drop_sockets", account: 1 })
    expect(r.body["result"]).toEqual({ dropped: 1 })
    await sleep(50)
    expect(a1.closed).toBeDefined()
    expect(a2.closed).toBeUndefined()

    sim.exchange.faults.pauseStream(2, 200)
    const t = performance.now()
    await place(sim, { account: 2, nonce: 1, coi: 1, base: 20, price: 999_000, isAsk: false })
    await a2.byType("update/account_all_orders")
    expect(performance.now() - t).toBeGreaterThanOrEqual(150)
    expect(sim.exchange.faults.dropSockets()).toBe(1)
  })

  it("sends an account frame twice, and delivers one out of order", async () => {
    const sim = await start()
    const c = await WsClient.connect(sim)
    await c.subscribe("account_all_orders/1", authToken(1))
    await sleep(30)
    c.frames.length = 0
    const updates = () => c.frames.filter((f) => f["type"] === "update/account_all_orders")
    const clientIds = () => updates().map((f) => Object.values(f["orders"] as Record<string, Frame[]>).flat().map((o) => o["client_order_index"]))

    await postJson(sim.url + "/sim/fault", { type: "duplicate_frames", account: 1, count: 1 })
    await place(sim, { account: 1, nonce: 1, coi: 11, base: 20, price: 999_000, isAsk: false })
    await sleep(80)
    expect(clientIds()).toEqual([[11], [11]])
    expect(JSON.stringify(updates()[0])).toBe(JSON.stringify(updates()[1]))

    c.frames.length = 0
    sim.exchange.faults.reorderFrames(1, 1)
    await place(sim, { account: 1, nonce: 2, coi: 12, base: 20, price: 998_000, isAsk: false })
    await place(sim, { account: 1, nonce: 3, coi: 13, base: 20, price: 997_000, isAsk: false })
    await sleep(80)
    expect(clientIds()).toEqual([[13], [12]])

    // a held frame with nothing after it still goes out
    c.frames.length = 0
    sim.exchange.faults.reorderFrames(1, 1)
    await place(sim, { account: 1, nonce: 4, coi: 14, base: 20, price: 996_000, isAsk: false })
    await sleep(400)
    expect(clientIds()).toEqual([[14]])
  })

  it("records the timeline and resets it", async () => {
    const sim = await start()
    await sendTx(sim, 14, createTx({ account: 1, nonce: 1, base: 20, price: 999_000, isAsk: false }))
    await sendTx(sim, 14, createTx({ account: 1, nonce: 9, base: 20, price: 999_000, isAsk: false }))
    await sleep(5)
    const tl = (await get(sim, "/sim/timeline")).body
    const txs = (tl["txs"] as Record<string, Frame[]>)["1"]!
    expect(txs.map((x) => x["code"])).toEqual([200, 21104])
    expect(typeof txs[0]!["executed_at"]).toBe("number")
    await postForm(sim, "/sim/reset-timeline", {})
    expect((await get(sim, "/sim/timeline")).body).toEqual({ code: 200, frames: {}, txs: {} })
  })
})

describe("speed bumps", () => {
  it("delays execution by 200 ms for makers/cancels and 300 ms for takers (standard tier)", async () => {
    const sim = await start({ speedBumps: true })
    const t0 = Date.now()
    const r = await sendTx(sim, 14, createTx({ account: 2, nonce: 1, coi: 1, base: 20, price: 1_000_000, isAsk: true }))
    expect(r.body["predicted_execution_time_ms"] as number).toBeGreaterThanOrEqual(t0 + 195)
    await sleep(100)
    expect(sim.exchange.engine.book(1).bestAsk()).toBeUndefined()
    await sleep(150)
    expect(sim.exchange.engine.book(1).bestAsk()).toBe(1_000_000)
    // a taker sent now and a cancel sent 50 ms later: the cancel (200 ms) wins the race
    await sendTx(sim, 14, createTx({ account: 1, nonce: 1, base: 20, price: 1_000_000, isAsk: false, type: 1 }))
    await sleep(50)
    await sendTx(sim, 15, cancelTx(2, 2, 1))
    await sleep(350)
    expect(sim.exchange.engine.trades).toHaveLength(0)
    expect(sim.exchange.engine.accounts.get(1)!.inactive[0]!.status).toBe("canceled-not-enough-liquidity")
  })
})
