// WebSocket endpoint /stream: subscriptions, snapshots, pushed account updates, order-book deltas
// batched every ~50 ms, jsonapi/sendtx(batch), ping/pong and idle close (1008 "no pong").
// Private channels need an auth token on the subscribe frame (auth.ts); a subscription ends with
// the auth error frame when its token's deadline passes or a refuse_auth fault is armed.
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocketServer, WebSocket } from "ws"
import type { Account } from "./accounts.ts"
import { AUTH_ERROR_CODE, authMessage } from "./auth.ts"
import type { AuthReason } from "./auth.ts"
import { channelAuth, parseChannel } from "./channels.ts"
import type { Channel } from "./channels.ts"
import type { ChangeSet, Engine } from "./engine.ts"
import { SimError } from "./errors.ts"
import type { SimExchange } from "./exchange.ts"
import {
  levelJson,
  orderJson,
  positionsMap,
  tradeJson,
  usdcAsset,
  userStatsJson,
  volumeNumber
} from "./format.ts"
import type { Json } from "./format.ts"
import type { Timeline } from "./timeline.ts"
import type { SimOrder, SimTrade } from "./types.ts"

export interface WsOptions {
  readonly pingIntervalMs: number
  readonly idleTimeoutMs: number
  readonly bookFlushMs: number
  /** How often token deadlines are checked (default 250 ms); an update is also preceded by a check. */
  readonly authCheckMs?: number
}

interface Sub {
  readonly channel: Channel
  nonce: number
  /** The deadline (unix s) of the token this subscription was made with; undefined = no token. */
  readonly authDeadlineSec?: number
}

interface Conn {
  readonly id: number
  readonly ws: WebSocket
  readonly subs: Map<string, Sub>
  /** Accounts this connection subscribed to or sent txs for (for drop_sockets by account). */
  readonly accounts: Set<number>
  lastClientMs: number
}

interface BookState {
  nonce: number
  beginNonce: number
  readonly dirty: Map<string, { isAsk: boolean; price: number }>
}

const RECENT_TRADES_IN_SNAPSHOT = 50

export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true })
  private readonly conns = new Set<Conn>()
  private readonly books = new Map<number, BookState>()
  private readonly paused = new Map<number, { until: number; queue: Array<() => void>; timer: ReturnType<typeof setTimeout> }>()
  /** Frames held back by the reorder fault, per connection: sent after the next frame. */
  private readonly heldBack = new Map<Conn, { send: () => void; timer: ReturnType<typeof setTimeout> }>()
  private readonly engine: Engine
  private readonly exchange: SimExchange
  private readonly timeline: Timeline
  private readonly options: WsOptions
  private readonly timers: Array<ReturnType<typeof setInterval>> = []
  private nextConnId = 1
  private offset = 1
  private tradeNonce = 1

  constructor(exchange: SimExchange, options: WsOptions) {
    this.exchange = exchange
    this.engine = exchange.engine
    this.timeline = exchange.timeline
    this.options = options
    for (const id of this.engine.markets.keys()) this.books.set(id, { nonce: 1, beginNonce: 0, dirty: new Map() })
    this.engine.onLevel((m, isAsk, price) => this.books.get(m)?.dirty.set(`${isAsk ? "a" : "b"}${price}`, { isAsk, price }))
    this.engine.onChange((cs) => this.publish(cs))
    const flush = setInterval(() => this.flushBooks(), options.bookFlushMs)
    const ping = setInterval(() => this.pingAll(), Math.min(options.pingIntervalMs, options.idleTimeoutMs / 2))
    const expiry = setInterval(() => this.expireTokens(), options.authCheckMs ?? 250)
    flush.unref()
    ping.unref()
    expiry.unref()
    this.timers.push(flush, ping, expiry)
    exchange.faults.hooks = {
      dropSockets: (account) => this.drop(account),
      pauseStream: (account, ms) => this.pause(account, ms),
      endAuthSubscriptions: (account) => this.endAuthSubscriptions(account)
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws))
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    for (const p of this.paused.values()) clearTimeout(p.timer)
    for (const h of this.heldBack.values()) clearTimeout(h.timer)
    for (const c of this.conns) c.ws.terminate()
    this.conns.clear()
    await new Promise<void>((r) => this.wss.close(() => r()))
  }

  get connectionCount(): number {
    return this.conns.size
  }

  /** Terminates all sockets, or those tied to `account`. Returns how many. */
  drop(account?: number): number {
    let n = 0
    for (const c of [...this.conns]) {
      if (account === undefined || c.accounts.has(account)) {
        c.ws.terminate()
        this.conns.delete(c)
        n++
      }
    }
    return n
  }

  pause(account: number, ms: number): void {
    const existing = this.paused.get(account)
    if (existing !== undefined) clearTimeout(existing.timer)
    const entry = {
      until: this.engine.clock.now() + ms,
      queue: existing?.queue ?? [],
      timer: setTimeout(() => {
        this.paused.delete(account)
        for (const send of entry.queue) send()
      }, ms)
    }
    this.paused.set(account, entry)
  }

  // ───────────────────────────── connection ─────────────────────────────

  private onConnection(ws: WebSocket): void {
    const conn: Conn = { id: this.nextConnId++, ws, subs: new Map(), accounts: new Set(), lastClientMs: this.engine.clock.now() }
    this.conns.add(conn)
    const seen = (): void => {
      conn.lastClientMs = this.engine.clock.now()
    }
    ws.on("message", (data) => {
      seen()
      this.onMessage(conn, data.toString())
    })
    ws.on("ping", seen)
    ws.on("pong", seen)
    ws.on("close", () => this.conns.delete(conn))
    ws.on("error", () => this.conns.delete(conn))
    this.send(conn, undefined, { session_id: sessionId(conn.id), type: "connected" })
  }

  private send(conn: Conn, channel: string | undefined, frame: Json, meta?: { trade_ids?: number[]; order_ids?: number[] }): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return
    conn.ws.send(JSON.stringify(frame))
    this.timeline.recordFrame(channel ?? `_${String(frame["type"] ?? "error")}`, {
      t: this.engine.clock.now(),
      type: String(frame["type"] ?? "error"),
      conn: conn.id,
      ...(meta?.trade_ids !== undefined && meta.trade_ids.length > 0 ? { trade_ids: meta.trade_ids } : {}),
      ...(meta?.order_ids !== undefined && meta.order_ids.length > 0 ? { order_ids: meta.order_ids } : {})
    })
  }

  private sendError(conn: Conn, code: number, message: string, id?: unknown): void {
    const frame: Json = { error: { code, message } }
    if (id !== undefined) frame["id"] = id
    this.send(conn, undefined, frame)
  }

  private onMessage(conn: Conn, text: string): void {
    let msg: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object")
      msg = parsed as Record<string, unknown>
    } catch {
      return this.sendError(conn, 30000, "Invalid Json")
    }
    switch (msg["type"]) {
      case "ping":
        return this.send(conn, undefined, { type: "pong" })
      case "pong":
        return
      case "subscribe":
        return this.subscribe(conn, msg["channel"], msg["auth"])
      case "unsubscribe":
        return this.unsubscribe(conn, msg["channel"])
      case "jsonapi/sendtx":
        return void this.sendTx(conn, msg["data"])
      case "jsonapi/sendtxbatch":
        return void this.sendTxBatch(conn, msg["data"])
      default:
        return this.sendError(conn, 30001, "Invalid Type")
    }
  }

  private subscribe(conn: Conn, raw: unknown, token: unknown): void {
    const ch = parseChannel(raw)
    if (ch === undefined || !this.channelExists(ch)) {
      return this.sendError(conn, 30005, `Invalid Channel: ${typeof raw === "string" ? raw : ""}`)
    }
    if (conn.subs.has(ch.key)) return this.sendError(conn, 30003, `Already Subscribed to : ${ch.key}`)
    let authDeadlineSec: number | undefined
    const auth = this.exchange.auth
    const need = channelAuth(ch)
    const given = token !== undefined && token !== null && token !== ""
    if (auth.required && ch.account !== undefined && (need === "required" || (need === "optional" && given))) {
      const r = auth.check(token, ch.account)
      if (!r.ok) return this.sendAuthError(conn, ch, r.reason)
      authDeadlineSec = r.deadlineSec
    }
    const sub: Sub = { channel: ch, nonce: 1, ...(authDeadlineSec !== undefined ? { authDeadlineSec } : {}) }
    conn.subs.set(ch.key, sub)
    if (ch.account !== undefined) conn.accounts.add(ch.account)
    this.sendSnapshot(conn, sub)
  }

  private unsubscribe(conn: Conn, raw: unknown): void {
    const ch = parseChannel(raw)
    if (ch === undefined || !conn.subs.has(ch.key)) {
      return this.sendError(conn, 30002, `Not Subscribed to : ${typeof raw === "string" ? raw : ""}`)
    }
    conn.subs.delete(ch.key)
    this.send(conn, undefined, { type: "unsubscribed", channel: ch.frameName })
  }

  /** The auth refusal frame: no `type`, like the venue's other error frames; names the channel's subscribe form. */
  private sendAuthError(conn: Conn, ch: Channel, reason: AuthReason): void {
    this.sendError(conn, AUTH_ERROR_CODE, authMessage(reason, ch.key))
  }

  /** Ends `sub` (no further frames on it) with the auth error frame. */
  private endSub(conn: Conn, sub: Sub, reason: AuthReason): void {
    if (conn.subs.get(sub.channel.key) !== sub) return
    conn.subs.delete(sub.channel.key)
    this.sendAuthError(conn, sub.channel, reason)
  }

  /** True when `sub` is still subscribed and its token (if any) has not expired; ends it if it has. */
  private live(conn: Conn, sub: Sub): boolean {
    if (conn.subs.get(sub.channel.key) !== sub) return false
    if (sub.authDeadlineSec !== undefined && sub.authDeadlineSec <= this.exchange.auth.nowSec()) {
      this.exchange.auth.noteExpired()
      this.endSub(conn, sub, "expired")
      return false
    }
    return true
  }

  /** The timer's pass: ends every subscription whose token's deadline has passed. */
  private expireTokens(): void {
    for (const c of this.conns) for (const s of [...c.subs.values()]) if (s.authDeadlineSec !== undefined) this.live(c, s)
  }

  /** refuse_auth fault: ends every token-bearing subscription of `account`. */
  private endAuthSubscriptions(account: number): number {
    let n = 0
    for (const c of this.conns) {
      for (const s of [...c.subs.values()]) {
        if (s.authDeadlineSec !== undefined && s.channel.account === account) {
          this.endSub(c, s, "refused by fault")
          n++
        }
      }
    }
    return n
  }

  private channelExists(ch: Channel): boolean {
    if (ch.market !== undefined && !this.engine.markets.has(ch.market)) return false
    if (ch.account !== undefined && !this.engine.accounts.has(ch.account)) return false
    return true
  }

  private async sendTx(conn: Conn, data: unknown): Promise<void> {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    const id = d["id"]
    try {
      const txType = Number(d["tx_type"])
      const r = await this.exchange.submit(txType, d["tx_info"], "ws")
      conn.accounts.add(r.accountIndex)
      const frame: Json = { type: "jsonapi/sendtx", code: 200 }
      if (id !== undefined) frame["id"] = id
      frame["tx_hash"] = r.txHash
      frame["predicted_execution_time_ms"] = r.predictedExecutionTimeMs
      this.send(conn, undefined, frame)
    } catch (e) {
      this.txError(conn, e, id)
    }
  }

  private async sendTxBatch(conn: Conn, data: unknown): Promise<void> {
    const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>
    const id = d["id"]
    try {
      const types = decodeList(d["tx_types"])
      const infos = decodeList(d["tx_infos"])
      const r = await this.exchange.submitBatch(types.map(Number), infos, "ws")
      conn.accounts.add(r.accountIndex)
      const frame: Json = { type: "jsonapi/sendtxbatch", code: 200 }
      if (id !== undefined) frame["id"] = id
      frame["tx_hash"] = r.txHashes
      frame["predicted_execution_time_ms"] = r.predictedExecutionTimeMs
      this.send(conn, undefined, frame)
    } catch (e) {
      this.txError(conn, e, id)
    }
  }

  private txError(conn: Conn, e: unknown, id: unknown): void {
    if (e instanceof SimError) this.sendError(conn, e.code, e.message, id)
    else this.sendError(conn, 30007, "Invalid Data", id)
  }

  private pingAll(): void {
    const now = this.engine.clock.now()
    for (const c of [...this.conns]) {
      if (now - c.lastClientMs > this.options.idleTimeoutMs) {
        c.ws.close(1008, "no pong")
        this.conns.delete(c)
      } else {
        this.send(c, undefined, { type: "ping" })
      }
    }
  }

  // ───────────────────────────── snapshots ─────────────────────────────

  private sendSnapshot(conn: Conn, sub: Sub): void {
    const frame = this.frameFor(sub.channel, "subscribed", undefined, sub)
    if (frame !== undefined) this.deliver(conn, sub, frame.frame, frame.meta)
  }

  /** Builds a snapshot (cs undefined) or update frame for one subscription. */
  private frameFor(
    ch: Channel,
    mode: "subscribed" | "update",
    cs: ChangeSet | undefined,
    sub: { nonce: number }
  ): { frame: Json; meta?: { trade_ids?: number[]; order_ids?: number[] } } | undefined {
    const type = `${mode}/${ch.kind}`
    switch (ch.kind) {
      case "order_book":
        return { frame: this.bookSnapshot(ch.market!) }
      case "trade": {
        const spec = this.engine.market(ch.market!).spec
        const trades =
          cs === undefined
            ? this.engine.trades.filter((t) => t.marketId === ch.market).slice(-RECENT_TRADES_IN_SNAPSHOT)
            : cs.trades.filter((t) => t.marketId === ch.market)
        if (cs !== undefined && trades.length === 0) return undefined
        return {
          frame: { channel: ch.frameName, liquidation_trades: [], nonce: this.tradeNonce, trades: trades.map((t) => tradeJson(spec, t)), type },
          meta: { trade_ids: trades.map((t) => t.tradeId) }
        }
      }
      default:
        return this.accountFrame(ch, type, cs, sub)
    }
  }

  private accountFrame(
    ch: Channel,
    type: string,
    cs: ChangeSet | undefined,
    sub: { nonce: number }
  ): { frame: Json; meta?: { trade_ids?: number[]; order_ids?: number[] } } | undefined {
    const acc = this.engine.accounts.get(ch.account!)
    if (acc === undefined) return undefined
    const a = acc.index
    const orders: SimOrder[] =
      cs === undefined ? [...acc.active.values()] : cs.orders.filter((o) => o.accountIndex === a)
    const trades: SimTrade[] =
      cs === undefined
        ? this.engine.trades.filter((t) => t.askAccountId === a || t.bidAccountId === a).slice(-RECENT_TRADES_IN_SNAPSHOT)
        : cs.trades.filter((t) => t.askAccountId === a || t.bidAccountId === a)
    const accountChanged = cs === undefined || cs.accounts.has(a)
    switch (ch.kind) {
      case "account_all_orders": {
        if (cs !== undefined && orders.length === 0) return undefined
        return {
          frame: { channel: ch.frameName, orders: this.ordersByMarket(orders), type },
          meta: { order_ids: orders.map((o) => o.orderIndex) }
        }
      }
      case "account_orders": {
        const mine = orders.filter((o) => o.marketId === ch.market)
        if (cs !== undefined && mine.length === 0) return undefined
        const byMarket = this.ordersByMarket(mine)
        if (byMarket[String(ch.market)] === undefined) byMarket[String(ch.market)] = []
        return {
          frame: { account: a, channel: ch.frameName, nonce: sub.nonce++, orders: byMarket, type },
          meta: { order_ids: mine.map((o) => o.orderIndex) }
        }
      }
      case "account_all_trades": {
        if (cs !== undefined && trades.length === 0) return undefined
        const v = volumeNumber(acc.volumeMicro)
        return {
          frame: {
            channel: ch.frameName,
            trades: this.tradesByMarket(trades),
            total_volume: v,
            monthly_volume: v,
            weekly_volume: v,
            daily_volume: v,
            type
          },
          meta: { trade_ids: trades.map((t) => t.tradeId) }
        }
      }
      case "account_all_positions":
        if (!accountChanged) return undefined
        return { frame: { channel: ch.frameName, positions: positionsMap(this.engine, acc), shares: [], type } }
      case "user_stats":
        if (!accountChanged) return undefined
        return {
          frame: { channel: ch.frameName, stats: userStatsJson(this.engine, acc), timestamp: Math.floor(this.engine.clock.now()), type }
        }
      case "account_all":
        if (!accountChanged && trades.length === 0) return undefined
        return { frame: this.accountAll(acc, ch, type, trades), meta: { trade_ids: trades.map((t) => t.tradeId) } }
      default:
        return undefined
    }
  }

  private accountAll(acc: Account, ch: Channel, type: string, trades: SimTrade[]): Json {
    const v = volumeNumber(acc.volumeMicro)
    return {
      account: acc.index,
      channel: ch.frameName,
      type,
      assets: { "3": usdcAsset(acc) },
      daily_trades_count: acc.tradeCount,
      daily_volume: v,
      weekly_trades_count: acc.tradeCount,
      weekly_volume: v,
      monthly_trades_count: acc.tradeCount,
      monthly_volume: v,
      total_trades_count: acc.tradeCount,
      total_volume: v,
      funding_histories: {},
      positions: positionsMap(this.engine, acc),
      shares: [],
      trades: this.tradesByMarket(trades)
    }
  }

  private ordersByMarket(orders: readonly SimOrder[]): Record<string, Json[]> {
    const out: Record<string, Json[]> = {}
    for (const o of orders) (out[String(o.marketId)] ??= []).push(orderJson(this.engine.market(o.marketId).spec, o))
    return out
  }

  private tradesByMarket(trades: readonly SimTrade[]): Record<string, Json[]> {
    const out: Record<string, Json[]> = {}
    for (const t of trades) (out[String(t.marketId)] ??= []).push(tradeJson(this.engine.market(t.marketId).spec, t))
    return out
  }

  private bookSnapshot(marketId: number): Json {
    const spec = this.engine.market(marketId).spec
    const book = this.engine.book(marketId)
    const st = this.books.get(marketId)!
    const now = this.engine.clock.now()
    return {
      channel: `order_book:${marketId}`,
      offset: this.offset,
      order_book: {
        code: 0,
        asks: book.levels(true).map(([p, s]) => levelJson(spec, p, s)),
        bids: book.levels(false).map(([p, s]) => levelJson(spec, p, s)),
        offset: this.offset,
        nonce: st.nonce,
        begin_nonce: st.beginNonce,
        last_updated_at: Math.floor(now * 1000)
      },
      timestamp: Math.floor(now),
      last_updated_at: Math.floor(now * 1000),
      type: "subscribed/order_book"
    }
  }

  // ───────────────────────────── updates ─────────────────────────────

  /** Account and trade frames for one engine change, pushed immediately. */
  private publish(cs: ChangeSet): void {
    const accounts = new Set<number>(cs.accounts)
    for (const o of cs.orders) accounts.add(o.accountIndex)
    for (const t of cs.trades) {
      accounts.add(t.askAccountId)
      accounts.add(t.bidAccountId)
    }
    const order: readonly string[] = [
      "trade",
      "account_all_orders",
      "account_orders",
      "account_all_trades",
      "account_all_positions",
      "user_stats",
      "account_all"
    ]
    if (cs.trades.length > 0) this.tradeNonce++
    for (const conn of this.conns) {
      const subs = [...conn.subs.values()].filter(
        (s) => s.channel.kind !== "order_book" && (s.channel.account === undefined || accounts.has(s.channel.account))
      )
      if (subs.length === 0) continue
      subs.sort((x, y) => order.indexOf(x.channel.kind) - order.indexOf(y.channel.kind))
      for (const s of subs) {
        if (!this.live(conn, s)) continue
        const f = this.frameFor(s.channel, "update", cs, s)
        if (f !== undefined) this.deliver(conn, s, f.frame, f.meta)
      }
    }
  }

  /** Sends now, or queues while the channel's account stream is paused (fault). Duplicate and
   *  reorder faults apply here too, to account channels only. A frame sent late (paused, held,
   *  duplicated) is dropped if its subscription has ended meanwhile (unsubscribed, token expired). */
  private deliver(conn: Conn, sub: Sub, frame: Json, meta?: { trade_ids?: number[]; order_ids?: number[] }): void {
    const ch = sub.channel
    const send = (): void => {
      if (this.live(conn, sub)) this.send(conn, ch.frameName, frame, meta)
    }
    const account = ch.account
    const p = account !== undefined ? this.paused.get(account) : undefined
    if (p !== undefined) return void p.queue.push(send)
    const faults = this.exchange.faults
    const held = this.heldBack.get(conn)
    if (account !== undefined && held === undefined && faults.takeReorder(account)) {
      // Hold this frame until the next one on this socket has gone out (or 250 ms passed).
      const timer = setTimeout(() => this.releaseHeld(conn), 250)
      this.heldBack.set(conn, { send, timer })
      return
    }
    send()
    if (held !== undefined) this.releaseHeld(conn)
    if (account !== undefined && faults.takeDuplicate(account)) setTimeout(send, 20).unref()
  }

  private releaseHeld(conn: Conn): void {
    const held = this.heldBack.get(conn)
    if (held === undefined) return
    this.heldBack.delete(conn)
    clearTimeout(held.timer)
    held.send()
  }

  private flushBooks(): void {
    for (const [marketId, st] of this.books) {
      if (st.dirty.size === 0) continue
      const spec = this.engine.market(marketId).spec
      const book = this.engine.book(marketId)
      const asks: Array<[number, number]> = []
      const bids: Array<[number, number]> = []
      for (const { isAsk, price } of st.dirty.values()) (isAsk ? asks : bids).push([price, book.levelSize(isAsk, price)])
      const changes = st.dirty.size
      st.dirty.clear()
      asks.sort((x, y) => x[0] - y[0])
      bids.sort((x, y) => y[0] - x[0])
      st.beginNonce = st.nonce
      st.nonce += changes // not contiguous on purpose: clients must chain begin_nonce = previous nonce
      this.offset++
      const now = this.engine.clock.now()
      const frame: Json = {
        channel: `order_book:${marketId}`,
        offset: this.offset,
        order_book: {
          code: 0,
          asks: asks.map(([p, s]) => levelJson(spec, p, s)),
          bids: bids.map(([p, s]) => levelJson(spec, p, s)),
          offset: this.offset,
          nonce: st.nonce,
          begin_nonce: st.beginNonce,
          last_updated_at: Math.floor(now * 1000)
        },
        timestamp: Math.floor(now),
        last_updated_at: Math.floor(now * 1000),
        type: "update/order_book"
      }
      const key = `order_book/${marketId}`
      // Fault: this delta is lost on the way (its nonce still advances), so clients see a gap.
      if (this.exchange.faults.takeBookGap(marketId)) continue
      for (const conn of this.conns) if (conn.subs.has(key)) this.send(conn, `order_book:${marketId}`, frame)
    }
  }
}

const sessionId = (n: number): string => {
  const h = n.toString(16).padStart(12, "0")
  return `5e551000-0000-4000-8000-${h}`
}

/** A JSON-encoded list string or a plain array. */
const decodeList = (v: unknown): unknown[] => {
  if (Array.isArray(v)) return v
  if (typeof v === "string") {
    try {
      const parsed: unknown = JSON.parse(v)
      if (Array.isArray(parsed)) return parsed
    } catch {
      // fall through
    }
  }
  throw new SimError(21501, "invalid tx info: tx_types/tx_infos must be JSON lists")
}
