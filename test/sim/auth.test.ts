// Auth tokens on the simulator, as on the venue (PROTOCOL.md §1.1, §3.6, §4.2): private channels
// and private REST reads need a token signed by the API key registered on (account, key), for that
// account, not expired on the exchange's clock, at most 8 h (+60 s slack) ahead. Refusals are
// {"error":{"code":20013,"message":"invalid auth: <reason> (<channel>)"}} on WS, 400 on REST.
import { afterEach, describe, expect, it } from "vitest"
import { AUTH_ERROR_CODE } from "../../src/sim/auth.ts"
import { ManualClock } from "../../src/sim/clock.ts"
import type { SimHandle, SimOptions } from "../../src/sim/server.ts"
import { authToken, closeAll, get, Nonces, place, sleep, start, WsClient } from "./helpers.ts"
import type { Frame } from "./helpers.ts"

afterEach(closeAll)

const H8 = 8 * 60 * 60

/** A frozen exchange clock at a whole second + 500 ms, so that token deadlines sit exactly where a test puts them. */
const frozenClock = (): ManualClock => new ManualClock(Math.floor(Date.now() / 1000) * 1000 + 500)
const nowSec = (c: ManualClock): number => Math.floor(c.now() / 1000)

const startWith = async (options: SimOptions = {}): Promise<{ sim: SimHandle; clock: ManualClock }> => {
  const clock = frozenClock()
  const sim = await start({ clock, ...options })
  return { sim, clock }
}

const authFrame = (reason: string, channel: string): Frame => ({
  error: { code: AUTH_ERROR_CODE, message: `invalid auth: ${reason} (${channel})` }
})
const restRefusal = (reason: string) => ({ status: 400, body: { code: AUTH_ERROR_CODE, message: `invalid auth: ${reason}` } })

const isError = (f: Frame): boolean => f["error"] !== undefined
const framesOn = (ws: WsClient, channel: string): Frame[] => ws.frames.filter((f) => f["channel"] === channel)

/** The subscription does not exist: unsubscribe answers 30002. */
const expectNotSubscribed = async (ws: WsClient, channel: string): Promise<void> => {
  ws.send({ type: "unsubscribe", channel })
  expect(await ws.next(isError)).toEqual({ error: { code: 30002, message: `Not Subscribed to : ${channel}` } })
}

/** The connection is still open and answering. */
const expectOpen = async (ws: WsClient): Promise<void> => {
  ws.send({ type: "ping" })
  await ws.byType("pong")
  expect(ws.closed).toBeUndefined()
}

describe("WS private channels", () => {
  it("a valid token subscribes and receives the snapshot, then updates", async () => {
    const { sim } = await startWith()
    const n = new Nonces()
    await place(sim, { account: 1, nonce: n.take(1), coi: 7, base: 20, price: 999_000, isAsk: false })
    const ws = await WsClient.connect(sim)
    const snap = await ws.subscribe("account_all_orders/1", authToken(1, { nowMs: sim.exchange.engine.clock.now() }))
    expect(snap["channel"]).toBe("account_all_orders:1")
    expect(((snap["orders"] as Record<string, Frame[]>)["1"] ?? []).map((o) => o["client_order_index"])).toEqual([7])
    const ao = await ws.subscribe("account_orders/1/1", authToken(1, { nowMs: sim.exchange.engine.clock.now() }))
    expect(ao["channel"]).toBe("account_orders:1:1")
    await place(sim, { account: 1, nonce: n.take(1), coi: 8, base: 20, price: 998_000, isAsk: false })
    const up = await ws.byType("update/account_all_orders", "account_all_orders:1")
    expect(((up["orders"] as Record<string, Frame[]>)["1"] ?? []).map((o) => o["client_order_index"])).toEqual([8])
    expect(sim.exchange.authStats()).toEqual({ accepted: 2, rejected: 0 })
  })

  it("refuses missing, malformed, wrong-account, unknown-key, bad-signature, expired and >8 h tokens, naming the channel; the connection stays open", async () => {
    const { sim, clock } = await startWith()
    const ws = await WsClient.connect(sim)
    const t = nowSec(clock)
    const cases: Array<[string, string, unknown]> = [
      ["account_all_orders/1", "missing token", undefined],
      ["account_all_trades/1", "missing token", ""],
      ["account_all_positions/1", "malformed", "not-a-token"],
      ["account_all_orders/1", "malformed", 12345],
      // the right shape but a truncated signature
      ["account_all_orders/1", "malformed", authToken(1, { deadlineSec: t + 60 }).slice(0, -2)],
      ["account_all_orders/1", "token is for account 2", authToken(2, { deadlineSec: t + 60 })],
      ["account_orders/1/1", "token is for account 2", authToken(2, { deadlineSec: t + 60 })],
      ["account_all_orders/1", "unknown api key", authToken(1, { key: 7, deadlineSec: t + 60 })],
      // signed with account 2's key but claiming account 1
      ["account_all_trades/1", "bad signature", authToken(2, { claimAccount: 1, deadlineSec: t + 60 })],
      ["account_all_orders/1", "expired", authToken(1, { deadlineSec: t })],
      ["account_all_orders/1", "expired", authToken(1, { deadlineSec: t - 3600 })],
      ["account_all_positions/1", "lifetime over 8 h", authToken(1, { deadlineSec: t + H8 + 61 })],
      ["account_all_orders/1", "lifetime over 8 h", authToken(1, { deadlineSec: t + 30 * 86_400 })]
    ]
    for (const [channel, reason, auth] of cases) {
      ws.send({ type: "subscribe", channel, ...(auth !== undefined ? { auth } : {}) })
      const f = await ws.next(isError)
      expect(f, `${channel} ${reason}`).toEqual(authFrame(reason, channel))
      expect("type" in f).toBe(false)
      await expectNotSubscribed(ws, channel)
    }
    await expectOpen(ws)
    expect(ws.frames.filter((f) => typeof f["type"] === "string" && (f["type"] as string).startsWith("subscribed/"))).toEqual([])
    expect(sim.exchange.authStats()).toEqual({ accepted: 0, rejected: cases.length })
    // the edges: a deadline 1 s ahead and one 8 h + 59.5 s ahead are both fine
    await ws.subscribe("account_all_orders/1", authToken(1, { deadlineSec: t + 1 }))
    await ws.subscribe("account_all_trades/1", authToken(1, { deadlineSec: t + H8 + 60 }))
    expect(sim.exchange.authStats()).toEqual({ accepted: 2, rejected: cases.length })
  })

  it("the ':' form of a channel is named in its subscribe form", async () => {
    const { sim } = await startWith()
    const ws = await WsClient.connect(sim)
    ws.send({ type: "subscribe", channel: "account_orders:1:1" })
    expect(await ws.next(isError)).toEqual(authFrame("missing token", "account_orders/1/1"))
  })

  it("account_all and user_stats need no token but check one that is given; public channels ignore tokens", async () => {
    const { sim, clock } = await startWith()
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all/1")
    await ws.subscribe("user_stats/1")
    expect(sim.exchange.authStats()).toEqual({ accepted: 0, rejected: 0 })
    ws.send({ type: "subscribe", channel: "account_all/2", auth: authToken(1, { nowMs: clock.now() }) })
    expect(await ws.next(isError)).toEqual(authFrame("token is for account 1", "account_all/2"))
    ws.send({ type: "subscribe", channel: "user_stats/2", auth: "garbage" })
    expect(await ws.next(isError)).toEqual(authFrame("malformed", "user_stats/2"))
    await expectNotSubscribed(ws, "user_stats/2")
    await ws.subscribe("account_all/2", authToken(2, { nowMs: clock.now() }))
    await ws.subscribe("user_stats/2", authToken(2, { nowMs: clock.now() }))
    // public: any auth field (even a wrong one) is ignored and not counted
    await ws.subscribe("order_book/1", "garbage")
    await ws.subscribe("trade/1", authToken(2, { deadlineSec: 1 }))
    expect(ws.frames.filter(isError)).toEqual([])
    expect(sim.exchange.authStats()).toEqual({ accepted: 2, rejected: 2 })
  })
})

describe("token expiry while subscribed", () => {
  it("ends the subscription with the error frame when the deadline passes; no more updates; a fresh token re-subscribes with a fresh snapshot", async () => {
    const { sim, clock } = await startWith()
    const n = new Nonces()
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all_orders/1", authToken(1, { ttlSec: 10, nowMs: clock.now() }))
    await ws.subscribe("account_all/1") // no token: not affected by expiry
    await place(sim, { account: 1, nonce: n.take(1), coi: 1, base: 40, price: 999_000, isAsk: false })
    await ws.byType("update/account_all_orders", "account_all_orders:1")

    clock.advance(9_000) // 1.5 s left
    await sleep(400)
    expect(ws.frames.filter(isError)).toEqual([])
    const rejectedBefore = sim.exchange.authStats().rejected
    clock.advance(1_000) // deadline reached (now = deadline + 0.5 s)
    expect(await ws.next(isError, 1500)).toEqual(authFrame("expired", "account_all_orders/1"))
    // An expiry ends a subscription the client failed to renew: it counts as a refusal.
    expect(sim.exchange.authStats().rejected).toBe(rejectedBefore + 1)
    ws.frames.length = 0

    // account 2 sells 20 into account 1's bid: account_all (no token) gets the trade, account_all_orders nothing
    await place(sim, { account: 2, nonce: n.take(2), coi: 2, base: 20, price: 999_000, isAsk: true, type: 1 })
    await ws.byType("update/account_all", "account_all:1")
    await sleep(100)
    expect(framesOn(ws, "account_all_orders:1")).toEqual([])
    expect(ws.frames.filter(isError)).toEqual([])
    await expectNotSubscribed(ws, "account_all_orders/1")

    // a fresh token: a fresh snapshot showing the fill it missed, then updates again
    const snap = await ws.subscribe("account_all_orders/1", authToken(1, { nowMs: clock.now() }))
    expect(snap["type"]).toBe("subscribed/account_all_orders")
    expect((snap["orders"] as Record<string, Frame[]>)["1"]).toEqual([
      expect.objectContaining({ client_order_index: 1, status: "open", filled_base_amount: "0.00020" })
    ])
    await place(sim, { account: 1, nonce: n.take(1), coi: 3, base: 20, price: 997_000, isAsk: false })
    await ws.byType("update/account_all_orders", "account_all_orders:1")
  })

  it("checks the deadline before pushing an update (timer off)", async () => {
    const { sim, clock } = await startWith({ ws: { authCheckMs: 600_000 } })
    const n = new Nonces()
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all_trades/1", authToken(1, { ttlSec: 5, nowMs: clock.now() }))
    await ws.subscribe("account_all_orders/1", authToken(1, { ttlSec: 60, nowMs: clock.now() }))
    clock.advance(5_000)
    await sleep(50)
    expect(ws.frames.filter(isError)).toEqual([]) // the timer has not looked yet
    await place(sim, { account: 2, nonce: n.take(2), coi: 1, base: 20, price: 1_000_000, isAsk: true })
    await place(sim, { account: 1, nonce: n.take(1), coi: 2, base: 20, price: 1_000_000, isAsk: false, type: 1 })
    expect(await ws.next(isError)).toEqual(authFrame("expired", "account_all_trades/1"))
    await ws.byType("update/account_all_orders", "account_all_orders:1") // the other token is still good
    await sleep(50)
    expect(framesOn(ws, "account_all_trades:1")).toEqual([])
  })

  it("unsubscribe then subscribe with a new token rotates it", async () => {
    const { sim, clock } = await startWith()
    const n = new Nonces()
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all_positions/1", authToken(1, { ttlSec: 10, nowMs: clock.now() }))
    clock.advance(8_000)
    ws.send({ type: "unsubscribe", channel: "account_all_positions/1" })
    expect(await ws.byType("unsubscribed")).toEqual({ type: "unsubscribed", channel: "account_all_positions:1" })
    const snap = await ws.subscribe("account_all_positions/1", authToken(1, { ttlSec: 600, nowMs: clock.now() }))
    expect(snap["type"]).toBe("subscribed/account_all_positions")
    clock.advance(10_000) // past the old token's deadline
    await sleep(400)
    expect(ws.frames.filter(isError)).toEqual([])
    await place(sim, { account: 2, nonce: n.take(2), coi: 1, base: 20, price: 1_000_000, isAsk: true })
    await place(sim, { account: 1, nonce: n.take(1), coi: 2, base: 20, price: 1_000_000, isAsk: false, type: 1 })
    await ws.byType("update/account_all_positions", "account_all_positions:1")
    expect(sim.exchange.authStats()).toEqual({ accepted: 2, rejected: 0 })
  })
})

describe("REST private reads", () => {
  it("accountActiveOrders, accountInactiveOrders and trades by account refuse without or with a bad token, accept a good one (query or header)", async () => {
    const { sim, clock } = await startWith()
    const n = new Nonces()
    await place(sim, { account: 1, nonce: n.take(1), coi: 4, base: 20, price: 999_000, isAsk: false })
    const good = authToken(1, { nowMs: clock.now() })
    const active = "/api/v1/accountActiveOrders?account_index=1&market_id=1"
    expect(await get(sim, active)).toEqual(restRefusal("missing token"))
    expect(await get(sim, `${active}&auth=`)).toEqual(restRefusal("missing token"))
    expect(await get(sim, `${active}&auth=abc`)).toEqual(restRefusal("malformed"))
    expect(await get(sim, `${active}&auth=${authToken(2, { nowMs: clock.now() })}`)).toEqual(restRefusal("token is for account 2"))
    expect(await get(sim, `${active}&auth=${authToken(1, { key: 9, nowMs: clock.now() })}`)).toEqual(restRefusal("unknown api key"))
    expect(await get(sim, `${active}&auth=${authToken(2, { claimAccount: 1, nowMs: clock.now() })}`)).toEqual(restRefusal("bad signature"))
    expect(await get(sim, `${active}&auth=${authToken(1, { deadlineSec: nowSec(clock) })}`)).toEqual(restRefusal("expired"))
    expect(await get(sim, `${active}&auth=${authToken(1, { deadlineSec: nowSec(clock) + H8 + 3600 })}`)).toEqual(restRefusal("lifetime over 8 h"))
    expect(await get(sim, active, { Authorization: "Bearer nope" })).toEqual(restRefusal("malformed"))

    const coi = (r: { body: Record<string, unknown> }) => (r.body["orders"] as Frame[]).map((o) => o["client_order_index"])
    for (const r of [
      await get(sim, `${active}&auth=${good}`),
      await get(sim, `${active}&authorization=${good}`),
      await get(sim, active, { Authorization: good }),
      await get(sim, active, { Authorization: `Bearer ${good}` })
    ]) {
      expect(r.status).toBe(200)
      expect(coi(r)).toEqual([4])
    }

    const inactive = "/api/v1/accountInactiveOrders?account_index=1&limit=10"
    expect(await get(sim, inactive)).toEqual(restRefusal("missing token"))
    expect((await get(sim, inactive, { authorization: good })).status).toBe(200)

    const trades = "/api/v1/trades?account_index=1&sort_by=timestamp&limit=10"
    expect(await get(sim, trades)).toEqual(restRefusal("missing token"))
    expect(await get(sim, `${trades}&auth=${authToken(2, { nowMs: clock.now() })}`)).toEqual(restRefusal("token is for account 2"))
    expect((await get(sim, `${trades}&auth=${good}`)).body).toMatchObject({ code: 200, trades: [] })
    // without an account the trade list is public
    expect((await get(sim, "/api/v1/trades?sort_by=timestamp&limit=10")).status).toBe(200)
    expect(sim.exchange.authStats()).toEqual({ accepted: 6, rejected: 12 })
  })

  it("account, nextNonce, apikeys, order books, recentTrades and orderBookOrders stay public", async () => {
    const { sim } = await startWith()
    for (const path of [
      "/api/v1/account?by=index&value=1",
      "/api/v1/nextNonce?account_index=1&api_key_index=4",
      "/api/v1/apikeys?account_index=1&api_key_index=4",
      "/api/v1/orderBooks",
      "/api/v1/orderBookDetails?market_id=1",
      "/api/v1/recentTrades?market_id=1&limit=10",
      "/api/v1/orderBookOrders?market_id=1&limit=10"
    ]) {
      expect((await get(sim, path)).status, path).toBe(200)
    }
    expect(sim.exchange.authStats()).toEqual({ accepted: 0, rejected: 0 })
  })
})

describe("counters", () => {
  it("authStats() and GET /sim/stats count every private subscribe and private read", async () => {
    const { sim, clock } = await startWith()
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all_orders/1", authToken(1, { nowMs: clock.now() }))
    ws.send({ type: "subscribe", channel: "account_all_trades/1" })
    await ws.next(isError)
    await ws.subscribe("account_all/1") // optional, no token: not a check
    await ws.subscribe("order_book/1", "x") // public: not a check
    await get(sim, `/api/v1/accountActiveOrders?account_index=1&market_id=1&auth=${authToken(1, { nowMs: clock.now() })}`)
    await get(sim, "/api/v1/accountInactiveOrders?account_index=1&limit=10")
    await get(sim, "/api/v1/accountInactiveOrders?account_index=1&limit=10&auth=1:1:4:x")
    expect(sim.exchange.authStats()).toEqual({ accepted: 2, rejected: 3 })
    const stats = (await get(sim, "/sim/stats")).body
    expect(stats).toMatchObject({ code: 200, auth_required: true, auth: { accepted: 2, rejected: 3 } })
    expect(stats["signatures"]).toEqual({ verified: 0, rejected: 0, by_code: {} })
  })
})

describe("refuse_auth fault", () => {
  it("ends the account's token-bearing subscriptions at once and refuses its checks for ms (WS and REST)", async () => {
    const { sim, clock } = await startWith()
    const n = new Nonces()
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all_orders/1", authToken(1, { nowMs: clock.now() }))
    await ws.subscribe("account_all/1", authToken(1, { nowMs: clock.now() }))
    await ws.subscribe("user_stats/1") // no token: not ended
    await ws.subscribe("account_all_orders/2", authToken(2, { nowMs: clock.now() })) // other account: not ended
    const r = await fetch(sim.url + "/sim/fault", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "refuse_auth", account: 1, ms: 5000 })
    })
    expect(await r.json()).toEqual({ code: 200, result: { ended: 2 } })
    const ended = [await ws.next(isError), await ws.next(isError)]
    expect(ended).toEqual(
      expect.arrayContaining([authFrame("refused by fault", "account_all_orders/1"), authFrame("refused by fault", "account_all/1")])
    )
    ws.frames.length = 0
    // a trade between 1 and 2: frames on user_stats/1 and account_all_orders/2, none on the ended ones
    await place(sim, { account: 2, nonce: n.take(2), coi: 2, base: 20, price: 1_000_000, isAsk: true })
    await place(sim, { account: 1, nonce: n.take(1), coi: 1, base: 20, price: 1_000_000, isAsk: false, type: 1 })
    await ws.byType("update/user_stats", "user_stats:1")
    await ws.byType("update/account_all_orders", "account_all_orders:2")
    await sleep(50)
    expect(framesOn(ws, "account_all_orders:1")).toEqual([])
    expect(framesOn(ws, "account_all:1")).toEqual([])

    // a good token is refused while the fault holds, on WS and REST
    ws.send({ type: "subscribe", channel: "account_all_orders/1", auth: authToken(1, { nowMs: clock.now() }) })
    expect(await ws.next(isError)).toEqual(authFrame("refused by fault", "account_all_orders/1"))
    const active = `/api/v1/accountActiveOrders?account_index=1&market_id=1&auth=${authToken(1, { nowMs: clock.now() })}`
    expect(await get(sim, active)).toEqual(restRefusal("refused by fault"))
    expect((await get(sim, `/api/v1/accountActiveOrders?account_index=2&market_id=1&auth=${authToken(2, { nowMs: clock.now() })}`)).status).toBe(200)

    clock.advance(5_000)
    await ws.subscribe("account_all_orders/1", authToken(1, { nowMs: clock.now() }))
    expect((await get(sim, active)).status).toBe(200)

    // in process, the same: returns how many subscriptions it ended
    expect(sim.exchange.faults.refuseAuth(2, 1000)).toEqual({ ended: 1 })
    expect(await ws.next(isError)).toEqual(authFrame("refused by fault", "account_all_orders/2"))
    sim.exchange.faults.clear()
    await ws.subscribe("account_all_orders/2", authToken(2, { nowMs: clock.now() }))
  })

  it("refuses a bad spec", async () => {
    const { sim } = await startWith()
    const r = await fetch(sim.url + "/sim/fault", { method: "POST", body: new URLSearchParams({ type: "refuse_auth", account: "1" }) })
    expect(r.status).toBe(400)
    expect(((await r.json()) as Frame)["code"]).toBe(20001)
  })
})

describe("requireAuth: false", () => {
  it("accepts anything and counts nothing, as before", async () => {
    const lines: string[] = []
    const { sim } = await startWith({ requireAuth: false, log: (l) => lines.push(l) })
    expect(sim.exchange.requireAuth).toBe(false)
    expect(lines.join("\n")).toContain("auth tokens are NOT checked")
    const ws = await WsClient.connect(sim)
    await ws.subscribe("account_all_orders/1")
    await ws.subscribe("account_all_trades/1", "garbage")
    await ws.subscribe("account_all_positions/1", authToken(2, { deadlineSec: 1 }))
    await ws.subscribe("account_all/1", "garbage")
    expect((await get(sim, "/api/v1/accountActiveOrders?account_index=1&market_id=1")).status).toBe(200)
    expect((await get(sim, "/api/v1/accountInactiveOrders?account_index=1&limit=10&auth=junk")).status).toBe(200)
    expect((await get(sim, "/api/v1/trades?account_index=1&sort_by=timestamp&limit=10")).status).toBe(200)
    sim.exchange.faults.refuseAuth(1, 10_000)
    expect((await get(sim, "/api/v1/accountActiveOrders?account_index=1&market_id=1")).status).toBe(200)
    expect(ws.frames.filter(isError)).toEqual([])
    expect(sim.exchange.authStats()).toEqual({ accepted: 0, rejected: 0 })
    expect((await get(sim, "/sim/stats")).body).toMatchObject({ auth_required: false, auth: { accepted: 0, rejected: 0 } })
  })

  it("is on by default and says so at start-up", async () => {
    const lines: string[] = []
    const { sim } = await startWith({ log: (l) => lines.push(l) })
    expect(sim.exchange.requireAuth).toBe(true)
    expect(lines.join("\n")).toContain("auth tokens are checked")
  })
})
