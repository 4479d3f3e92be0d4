// Refused subscriptions of the account stream: attribution of the venue's error frames to a
// channel, routing of every account channel we may receive, and the guard that reports a refusal
// and halts the pair when it lasts.
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { LIGHTER_BTC, LIGHTER_ETH } from "../../src/domain/market.ts"
import { Alerts, type AlertKind } from "../../src/ops/alerts.ts"
import { makeStreamRefusalGuard } from "../../src/app/stream-refusal.ts"
import { channelOfMessage, frameChannelToSubscribe, isBenignSubscribeError } from "../../src/venue/lighter/channels.ts"
import { accountChannels, accountFrameEvents, IGNORED_ACCOUNT_CHANNELS } from "../../src/venue/lighter/LighterAccountStream.ts"
import accountOrders from "../fixtures/lighter/ws_account_orders_update.json" with { type: "json" }
import accountAll from "../fixtures/lighter/ws_account_all_update.json" with { type: "json" }
import userStats from "../fixtures/lighter/ws_user_stats_update.json" with { type: "json" }

const markets = new Map([[0, LIGHTER_ETH], [1, LIGHTER_BTC]])

describe("channel names", () => {
  it("frame names map to subscribe names, with one or two ids", () => {
    expect(frameChannelToSubscribe("account_all_orders:5")).toBe("account_all_orders/5")
    expect(frameChannelToSubscribe("account_orders:1:5")).toBe("account_orders/1/5")
    expect(frameChannelToSubscribe("order_book:0")).toBe("order_book/0")
    expect(frameChannelToSubscribe("account_all_orders")).toBeUndefined()
    expect(frameChannelToSubscribe("x:1:2:3")).toBeUndefined()
    expect(frameChannelToSubscribe("")).toBeUndefined()
  })

  it("an error message names the subscription it is about, in either form, never a prefix of another id", () => {
    const subs = ["order_book/1", "order_book/12", "account_all_orders/5", "account_orders/1/5"]
    expect(channelOfMessage("Invalid Channel: order_book/12", subs)).toBe("order_book/12")
    expect(channelOfMessage("Invalid Channel: order_book/1", subs)).toBe("order_book/1")
    expect(channelOfMessage("invalid auth: expired (account_all_orders/5)", subs)).toBe("account_all_orders/5")
    expect(channelOfMessage("not authorised for account_all_orders:5", subs)).toBe("account_all_orders/5")
    expect(channelOfMessage("Invalid Channel: account_orders/1/5", subs)).toBe("account_orders/1/5")
    expect(channelOfMessage("Invalid Channel: order_book/123", subs)).toBeUndefined()
    expect(channelOfMessage("Too Many Websocket Messages", subs)).toBeUndefined()
  })

  it("'already' and 'not subscribed' are notices, not refusals", () => {
    expect(isBenignSubscribeError(30003, "Already Subscribed to : order_book/1")).toBe(true)
    expect(isBenignSubscribeError(30002, "Not Subscribed")).toBe(true)
    expect(isBenignSubscribeError(30005, "Invalid Channel: order_book/99")).toBe(false)
    expect(isBenignSubscribeError(20013, "invalid auth: expired (account_all_orders/5)")).toBe(false)
    expect(isBenignSubscribeError(undefined, "Failed to subscribe")).toBe(false)
  })

  it("the stream subscribes the three private channels of its own account", () => {
    expect(accountChannels(7)).toEqual(["account_all_orders/7", "account_all_trades/7", "account_all_positions/7"])
  })
})

describe("account frames: routed or ignored with a reason", () => {
  it("account_orders:{market}:{account} is routed like account_all_orders", () => {
    const r = accountFrameEvents(accountOrders as Record<string, unknown>, 1, markets)
    expect(r.error).toBeUndefined()
    expect(r.ignored).toBeUndefined()
    expect(r.events.length).toBeGreaterThan(0)
    expect(r.events.every((e) => e._tag === "OrderUpdate" && e.marketId === 1)).toBe(true)
  })

  it("known channels the engine does not use are ignored with their reason", () => {
    expect(accountFrameEvents(accountAll as Record<string, unknown>, 1, markets)).toEqual({ events: [], ignored: IGNORED_ACCOUNT_CHANNELS["account_all"] })
    expect(accountFrameEvents(userStats as Record<string, unknown>, 1, markets)).toEqual({ events: [], ignored: IGNORED_ACCOUNT_CHANNELS["user_stats"] })
  })

  it("account_all_positions: the subscription's snapshot makes every market it leaves out flat; an update says only what it lists", () => {
    const btcShort = { market_id: 1, symbol: "BTC", sign: -1, position: "0.00040", avg_entry_price: "100000.0" }
    const snapshot = accountFrameEvents({ channel: "account_all_positions:2", type: "subscribed/account_all_positions", positions: {} }, 2, markets)
    expect(snapshot.error).toBeUndefined()
    expect(snapshot.events).toEqual([
      { _tag: "PositionUpdate", accountIndex: 2, marketId: 0, signedBase: 0, avgEntryPrice: 0 },
      { _tag: "PositionUpdate", accountIndex: 2, marketId: 1, signedBase: 0, avgEntryPrice: 0 }
    ])
    const withBtc = accountFrameEvents({ channel: "account_all_positions:2", type: "subscribed/account_all_positions", positions: { "1": btcShort } }, 2, markets)
    expect(withBtc.events.map((e) => [e._tag === "PositionUpdate" ? e.marketId : -1, e._tag === "PositionUpdate" ? e.signedBase : NaN])).toEqual([[1, -40], [0, 0]])
    const update = accountFrameEvents({ channel: "account_all_positions:2", type: "update/account_all_positions", positions: { "1": btcShort } }, 2, markets)
    expect(update.events.map((e) => e._tag === "PositionUpdate" ? e.marketId : -1)).toEqual([1])
    expect(accountFrameEvents({ channel: "account_all_positions:2", type: "update/account_all_positions", positions: {} }, 2, markets).events).toEqual([])
  })

  it("an unknown channel is ignored and says so", () => {
    const r = accountFrameEvents({ channel: "brand_new:1", type: "update/brand_new" }, 1, markets)
    expect(r.events).toEqual([])
    expect(r.ignored).toMatch(/brand_new is not one the engine uses/)
  })
})

const recordingAlerts = () => {
  const sent: Array<{ kind: AlertKind; message: string }> = []
  return { sent, layer: Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void sent.push({ kind, message })) })) }
}

const refusedEvent = (retryInMs = 1000) => ({
  _tag: "StreamDisconnected" as const,
  reason: "the venue refused account_all_orders/5 (code 20013): invalid auth: expired (account_all_orders/5)",
  refusal: { channel: "account_all_orders/5", code: 20013, message: "invalid auth: expired (account_all_orders/5)", retryInMs, first: true }
})

describe("stream refusal guard", () => {
  it("reports a refusal once as an alert, shows it in status, and halts the pair when it lasts", async () => {
    let t = 0
    const pair = MemoryPairState.make()
    const alerts = recordingAlerts()
    const guard = makeStreamRefusalGuard({ role: "b", haltAfterMs: 30_000, now: () => t })
    const check = guard.supervise.pipe(Effect.timeout("5 millis"), Effect.ignore)
    await Effect.runPromise(Effect.gen(function*() {
      yield* guard.observe(refusedEvent())
      t = 5_000
      yield* guard.observe(refusedEvent(2000))
      expect(guard.status()).toEqual({ channel: "account_all_orders/5", code: 20013, message: "invalid auth: expired (account_all_orders/5)", forMs: 5_000, refusals: 2 })
      t = 29_999
      yield* check
      expect(pair.inspect.tradingStateRecord()?.state ?? "ACTIVE").toBe("ACTIVE")
      t = 30_000
      yield* check
    }).pipe(Effect.provide(Layer.merge(pair.layer, alerts.layer))))
    const record = pair.inspect.tradingStateRecord()
    expect(record?.state).toBe("HALTED")
    expect(record?.reason).toMatch(/account stream of B \(hedger\) refused by the venue for 30 s: account_all_orders\/5 \(venue code 20013\)/)
    expect(alerts.sent.map((a) => a.kind)).toEqual(["stream-refused", "halted"])
    expect(alerts.sent[0]!.message).toContain("account_all_orders/5")
  })

  it("a refusal that clears in time halts nothing, and status clears with it", async () => {
    let t = 0
    const pair = MemoryPairState.make()
    const alerts = recordingAlerts()
    const guard = makeStreamRefusalGuard({ role: "a", haltAfterMs: 30_000, now: () => t })
    await Effect.runPromise(Effect.gen(function*() {
      yield* guard.observe(refusedEvent())
      t = 10_000
      yield* guard.observe({ _tag: "StreamConnected", reconnect: true })
      expect(guard.status()).toBeUndefined()
      t = 60_000
      yield* guard.supervise.pipe(Effect.timeout("5 millis"), Effect.ignore)
    }).pipe(Effect.provide(Layer.merge(pair.layer, alerts.layer))))
    expect(pair.inspect.tradingStateRecord()?.state ?? "ACTIVE").toBe("ACTIVE")
    expect(alerts.sent.map((a) => a.kind)).toEqual(["stream-refused"])
  })

  it("a plain disconnect is not a refusal", async () => {
    const guard = makeStreamRefusalGuard({ role: "a", haltAfterMs: 1, now: () => 0 })
    const alerts = recordingAlerts()
    await Effect.runPromise(guard.observe({ _tag: "StreamDisconnected", reason: "closed 1006" }).pipe(Effect.provide(alerts.layer)))
    expect(guard.status()).toBeUndefined()
    expect(alerts.sent).toEqual([])
  })
})
