// An in-memory exchange for tests and `bin/hedge demo --venue memory`. Not Lighter's wire
// protocol (that is src/sim): it gives the engine the same venue-neutral events, plus
// controls to script the hard cases — partial fills on command, duplicate and out-of-order
// updates, dropped streams, rejected / delayed / partially filled / lost market orders.
import { Prng } from "../../domain/prng.ts"
import type { BookOrder, BookOrders } from "../../domain/book-depth.ts"
import type { AccountEvent, OrderBookTop, OrderStatus, OrderUpdate, PositionUpdate, TradeEvent } from "../../domain/events.ts"
import { isOrderActive } from "../../domain/events.ts"
import { LIGHTER_BTC, LIGHTER_ETH, type MarketSpec, notionalMicro } from "../../domain/market.ts"
import { type Side, signedBase } from "../../domain/side.ts"

/** What the next market order of an account does instead of filling normally. */
export type MarketOrderBehaviour =
  | { readonly kind: "reject"; readonly code?: number; readonly message?: string }
  | { readonly kind: "rate-limit" }
  /** fill only this fraction (0..1) of the order; the rest is cancelled */
  | { readonly kind: "partial"; readonly fraction: number }
  /** answer only after `ms` (the order executes at once) */
  | { readonly kind: "delay"; readonly ms: number }
  /** the order executes, but the sender gets no answer (timeout / dropped socket) */
  | { readonly kind: "ack-lost" }
  /** the send fails after leaving the client and the venue never saw it */
  | { readonly kind: "lost" }

export class MemoryVenueReject extends Error {
  readonly kind: "rejected" | "rate-limited" | "unknown-outcome"
  readonly code: number | undefined
  constructor(kind: "rejected" | "rate-limited" | "unknown-outcome", message: string, code?: number) {
    super(message)
    this.kind = kind
    this.code = code
  }
}

interface MemOrder {
  accountIndex: number
  marketId: number
  orderIndex: string
  clientOrderIndex: number
  side: Side
  kind: "limit" | "market"
  postOnly: boolean
  reduceOnly: boolean
  price: number
  initialBase: number
  filledBase: number
  filledQuoteMicro: bigint
  status: OrderStatus
  updatedAtMs: number
  /** every state this order was reported in, oldest first (for out-of-order replays) */
  history: Array<OrderUpdate>
}

interface Position {
  signed: number
  avgEntry: number
}

export interface MemoryTrade {
  readonly tradeId: string
  readonly marketId: number
  readonly price: number
  readonly size: number
  readonly buyAccount: number
  readonly sellAccount: number
  readonly buyOrder: string
  readonly sellOrder: string
  readonly timestampMs: number
}

/** Account index the synthetic liquidity trades from. */
export const LIQUIDITY_ACCOUNT = 0

/** What an account's free collateral reads as until a test sets it: 100 000 USDC. */
export const DEFAULT_FREE_COLLATERAL_MICRO = 100_000_000_000

export interface MemoryExchangeOptions {
  readonly markets?: ReadonlyArray<MarketSpec>
  /** Mid price per market id, in ticks. */
  readonly mid?: Readonly<Record<number, number>>
  /** Levels per side of the synthetic book and the tick gap between them. */
  readonly levels?: number
  readonly levelGapTicks?: number
  readonly seed?: number
  readonly now?: () => number
}

export class MemoryExchange {
  readonly markets: ReadonlyArray<MarketSpec>
  private readonly mid = new Map<number, number>()
  private readonly levels: number
  private readonly gap: number
  private readonly now: () => number
  readonly random: () => number
  private nextOrder = 2n ** 48n
  private nextTrade = 1
  private readonly orders = new Map<string, MemOrder>()
  private readonly positions = new Map<number, Map<number, Position>>()
  private readonly listeners = new Map<number, Set<(e: AccountEvent) => void>>()
  private readonly connected = new Map<number, boolean>()
  private readonly delivered = new Map<number, Array<AccountEvent>>()
  private readonly behaviours = new Map<number, Array<MarketOrderBehaviour>>()
  /** Free collateral per account in micro-USDC, as tests set it (undefined: the venue does not say). */
  private readonly freeCollateral = new Map<number, number | undefined>()
  /** Per market: levels a side and resting orders per level of the synthetic book (setBookShape). */
  private readonly shapes = new Map<number, { readonly levels: number; readonly ordersPerLevel: number | ReadonlyArray<number> }>()
  /** Every order-list read (orderBookOrders), in order: tests count the REST reads. */
  readonly bookOrdersReads: Array<{ readonly marketId: number; readonly limit: number; readonly atMs: number }> = []
  readonly trades: Array<MemoryTrade> = []
  /** Every market order received, in order (tests check hedges against it). */
  readonly marketOrdersReceived: Array<{ accountIndex: number; clientOrderIndex: number; side: Side; base: number; priceCap: number; reduceOnly: boolean; atMs: number }> = []

  constructor(options: MemoryExchangeOptions = {}) {
    this.markets = options.markets ?? [LIGHTER_ETH, LIGHTER_BTC]
    for (const m of this.markets) this.mid.set(m.marketId, options.mid?.[m.marketId] ?? (m.marketId === 1 ? 1_000_000 : 300_000))
    this.levels = options.levels ?? 20
    this.gap = options.levelGapTicks ?? 1
    this.now = options.now ?? Date.now
    // The fake's randomness replays from its seed.
    const rng = new Prng(options.seed ?? 1)
    this.random = () => rng.next()
  }

  market(symbolOrId: string | number): MarketSpec | undefined {
    return this.markets.find((m) => m.symbol === symbolOrId || m.marketId === symbolOrId)
  }

  // ---- market data ----------------------------------------------------------------------------

  setMid(marketId: number, ticks: number): void {
    this.mid.set(marketId, ticks)
  }
  midOf(marketId: number): number {
    return this.mid.get(marketId) ?? 0
  }
  /** Moves the mid by a random walk step of at most `maxTicks`. */
  walk(marketId: number, maxTicks: number): void {
    const step = Math.round((this.random() * 2 - 1) * maxTicks)
    this.mid.set(marketId, Math.max(this.levels * this.gap + 10, this.midOf(marketId) + step))
  }

  /**
   * Shapes a market's synthetic book: `levels` a side (default the exchange's), and how many
   * resting orders make up each level (default 1: orders and levels count alike), the same for
   * every level or one count per level, best first (0 leaves a level out of the order list).
   */
  setBookShape(marketId: number, shape: { readonly levels?: number; readonly ordersPerLevel?: number | ReadonlyArray<number> }): void {
    const old = this.shapes.get(marketId)
    this.shapes.set(marketId, { levels: shape.levels ?? old?.levels ?? this.levels, ordersPerLevel: shape.ordersPerLevel ?? old?.ordersPerLevel ?? 1 })
  }

  private levelsOf(marketId: number): number {
    return this.shapes.get(marketId)?.levels ?? this.levels
  }

  private ordersAtLevel(marketId: number, k: number): number {
    const per = this.shapes.get(marketId)?.ordersPerLevel ?? 1
    return typeof per === "number" ? per : per[k] ?? 1
  }

  /**
   * The venue's list of individual resting orders (orderBookOrders), best first, at most `limit`
   * a side: the synthetic book's orders (each level split into its orders, ahead in time of real
   * ones at that price) and the accounts' resting limit orders at their prices.
   */
  bookOrders(marketId: number, limit: number): BookOrders {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 250) throw new MemoryVenueReject("rejected", "invalid param: limit", 20001)
    this.bookOrdersReads.push({ marketId, limit, atMs: this.now() })
    const mid = this.midOf(marketId)
    const m = this.market(marketId)!
    const size = m.minBaseAmount * 1000
    const side = (isBid: boolean): Array<BookOrder> => {
      const out: Array<BookOrder & { readonly seq: number }> = []
      for (let k = 0; k < this.levelsOf(marketId); k++) {
        const price = isBid ? mid - (k + 1) * this.gap : mid + (k + 1) * this.gap
        const n = this.ordersAtLevel(marketId, k)
        for (let j = 0; j < n; j++) {
          out.push({ orderIndex: `synthetic-${isBid ? "b" : "a"}${k}-${j}`, ownerAccountIndex: LIQUIDITY_ACCOUNT, price, remainingBase: Math.max(1, Math.floor(size / n)), seq: 0 })
        }
      }
      for (const o of this.orders.values()) {
        if (o.marketId !== marketId || o.kind !== "limit" || !isOrderActive(o.status) || (o.side === "buy") !== isBid) continue
        out.push({ orderIndex: o.orderIndex, ownerAccountIndex: o.accountIndex, price: o.price, remainingBase: o.initialBase - o.filledBase, seq: 1 })
      }
      out.sort((x, y) => (isBid ? y.price - x.price : x.price - y.price) || x.seq - y.seq)
      return out.slice(0, limit).map(({ seq: _, ...o }) => o)
    }
    return { marketId, bids: side(true), asks: side(false), limit }
  }

  book(marketId: number, depth: number): OrderBookTop {
    const mid = this.midOf(marketId)
    const m = this.market(marketId)!
    const size = m.minBaseAmount * 1000
    const n = Math.min(depth, this.levelsOf(marketId))
    const bids = Array.from({ length: n }, (_, k) => ({ price: mid - (k + 1) * this.gap, size }))
    const asks = Array.from({ length: n }, (_, k) => ({ price: mid + (k + 1) * this.gap, size }))
    const now = this.now()
    // Read in the caller's process: the venue's time now, received just now.
    return { marketId, bids, asks, timestampMs: now, venueTime: { venueMs: now, receivedAgoMs: 0 } }
  }

  // ---- trading ----------------------------------------------------------------------------------

  placeLimit(req: {
    accountIndex: number
    marketId: number
    side: Side
    base: number
    price: number
    clientOrderIndex: number
    postOnly: boolean
    reduceOnly: boolean
  }): string {
    this.validate(req.accountIndex, req.marketId, req.clientOrderIndex, req.base)
    const order = this.newOrder({ ...req, kind: "limit" })
    const mid = this.midOf(req.marketId)
    const crosses = req.side === "buy" ? req.price >= mid + this.gap : req.price <= mid - this.gap
    if (crosses && req.postOnly) {
      this.setStatus(order, "canceled-post-only")
    } else if (crosses) {
      this.execute(order, req.base, req.side === "buy" ? mid + this.gap : mid - this.gap)
      this.setStatus(order, order.filledBase === order.initialBase ? "filled" : "canceled")
    } else {
      this.setStatus(order, "open")
    }
    return order.orderIndex
  }

  /**
   * A market order (IOC with a price cap). Behaviours queued with `nextMarketOrders` apply first.
   * Returns the order index, or throws MemoryVenueReject.
   */
  placeMarket(req: {
    accountIndex: number
    marketId: number
    side: Side
    base: number
    priceCap: number
    clientOrderIndex: number
    reduceOnly: boolean
  }): { orderIndex: string; behaviour: MarketOrderBehaviour | undefined } {
    const behaviour = this.behaviours.get(req.accountIndex)?.shift()
    if (behaviour?.kind === "reject") {
      throw new MemoryVenueReject("rejected", behaviour.message ?? "order rejected", behaviour.code ?? 21739)
    }
    if (behaviour?.kind === "rate-limit") throw new MemoryVenueReject("rate-limited", "Too Many Requests!", 23000)
    if (behaviour?.kind === "lost") throw new MemoryVenueReject("unknown-outcome", "connection dropped while sending")
    this.validate(req.accountIndex, req.marketId, req.clientOrderIndex, req.base)
    this.marketOrdersReceived.push({ ...req, atMs: this.now() })
    const order = this.newOrder({ ...req, price: req.priceCap, kind: "market", postOnly: false })
    const mid = this.midOf(req.marketId)
    const fillPrice = req.side === "buy" ? mid + this.gap : mid - this.gap
    const withinCap = req.side === "buy" ? fillPrice <= req.priceCap : fillPrice >= req.priceCap
    if (!withinCap) {
      this.setStatus(order, "canceled-too-much-slippage")
    } else {
      const qty = behaviour?.kind === "partial" ? Math.floor(req.base * behaviour.fraction) : req.base
      if (qty > 0) this.execute(order, qty, fillPrice)
      this.setStatus(order, order.filledBase === order.initialBase ? "filled" : "canceled-not-enough-liquidity")
    }
    return { orderIndex: order.orderIndex, behaviour }
  }

  cancel(accountIndex: number, marketId: number, index: string): boolean {
    const order = this.findByIndex(accountIndex, marketId, index)
    if (order === undefined || !isOrderActive(order.status)) return false
    this.setStatus(order, "canceled")
    return true
  }

  cancelAll(accountIndex: number): number {
    let n = 0
    for (const o of this.orders.values()) {
      if (o.accountIndex === accountIndex && isOrderActive(o.status)) {
        this.setStatus(o, "canceled")
        n++
      }
    }
    return n
  }

  /** Fills `base` units of a resting order against synthetic liquidity (all of it when omitted). */
  fillOrder(orderIndex: string, base?: number): void {
    const o = this.orders.get(orderIndex)
    if (o === undefined || !isOrderActive(o.status)) throw new Error(`fillOrder: ${orderIndex} is not an active order`)
    const qty = Math.min(base ?? o.initialBase - o.filledBase, o.initialBase - o.filledBase)
    if (qty <= 0) return
    this.execute(o, qty, o.price)
    this.setStatus(o, o.filledBase === o.initialBase ? "filled" : "open")
  }

  /** The account's active orders, oldest first. */
  activeOrders(accountIndex: number, marketId?: number): ReadonlyArray<OrderUpdate> {
    return [...this.orders.values()]
      .filter((o) => o.accountIndex === accountIndex && isOrderActive(o.status) && (marketId === undefined || o.marketId === marketId))
      .map((o) => this.snapshotOf(o))
  }

  orderByClientIndex(accountIndex: number, marketId: number, coi: number): OrderUpdate | undefined {
    let found: MemOrder | undefined
    for (const o of this.orders.values()) {
      if (o.accountIndex === accountIndex && o.marketId === marketId && o.clientOrderIndex === coi) found = o
    }
    return found === undefined ? undefined : this.snapshotOf(found)
  }

  position(accountIndex: number, marketId: number): PositionUpdate {
    const p = this.positions.get(accountIndex)?.get(marketId) ?? { signed: 0, avgEntry: 0 }
    return { _tag: "PositionUpdate", accountIndex, marketId, signedBase: p.signed, avgEntryPrice: p.avgEntry }
  }

  /** Free collateral in micro-USDC: 100 000 USDC unless a test set it (not derived from trading). */
  freeCollateralOf(accountIndex: number): number | undefined {
    return this.freeCollateral.has(accountIndex) ? this.freeCollateral.get(accountIndex) : DEFAULT_FREE_COLLATERAL_MICRO
  }

  /** Sets what the account's free collateral reads as (micro-USDC); undefined: the venue omits it. */
  setFreeCollateral(accountIndex: number, micro: number | undefined): void {
    if (micro !== undefined && !Number.isSafeInteger(micro)) throw new RangeError(`setFreeCollateral: ${micro} is not a safe integer`)
    this.freeCollateral.set(accountIndex, micro)
  }

  accountTrades(accountIndex: number, marketId: number): ReadonlyArray<TradeEvent> {
    return this.trades
      .filter((t) => t.marketId === marketId && (t.buyAccount === accountIndex || t.sellAccount === accountIndex))
      .map((t) => this.tradeEventFor(t, accountIndex))
      .reverse()
  }

  // ---- scripted faults ------------------------------------------------------------------------

  /** Queue behaviours for the account's next market orders, in order. */
  nextMarketOrders(accountIndex: number, ...bs: ReadonlyArray<MarketOrderBehaviour>): void {
    const q = this.behaviours.get(accountIndex) ?? []
    q.push(...bs)
    this.behaviours.set(accountIndex, q)
  }

  /** Drops the account's stream: events from now on are lost until `reconnectStream`. */
  dropStream(accountIndex: number, reason = "connection dropped"): void {
    if (this.connected.get(accountIndex) === false) return
    this.deliver(accountIndex, { _tag: "StreamDisconnected", reason })
    this.connected.set(accountIndex, false)
  }

  /** Reconnects: StreamConnected, then a snapshot of recent orders, positions and trades. */
  reconnectStream(accountIndex: number): void {
    this.connected.set(accountIndex, true)
    this.deliver(accountIndex, { _tag: "StreamConnected", reconnect: true })
    for (const e of this.snapshot(accountIndex)) this.deliver(accountIndex, e)
  }

  /** Delivers the last `n` events again, as a venue resending frames would. */
  replayLast(accountIndex: number, n: number): void {
    const past = (this.delivered.get(accountIndex) ?? []).filter((e) => e._tag !== "StreamConnected" && e._tag !== "StreamDisconnected")
    for (const e of past.slice(-n)) this.deliver(accountIndex, e)
  }

  /** Delivers an older state of an order after newer ones (out of order). */
  replayStale(orderIndex: string, statesBack = 1): void {
    const o = this.orders.get(orderIndex)
    if (o === undefined) return
    const h = o.history[Math.max(0, o.history.length - 1 - statesBack)]
    if (h !== undefined) this.deliver(o.accountIndex, h)
  }

  // ---- streams ----------------------------------------------------------------------------------

  /** Subscribes to an account's events; the first events are StreamConnected and a snapshot. */
  subscribe(accountIndex: number, listener: (e: AccountEvent) => void): () => void {
    const set = this.listeners.get(accountIndex) ?? new Set()
    set.add(listener)
    this.listeners.set(accountIndex, set)
    if (!this.connected.has(accountIndex)) this.connected.set(accountIndex, true)
    listener({ _tag: "StreamConnected", reconnect: false })
    for (const e of this.snapshot(accountIndex)) listener(e)
    return () => {
      set.delete(listener)
    }
  }

  private snapshot(accountIndex: number): ReadonlyArray<AccountEvent> {
    const out: Array<AccountEvent> = []
    const mine = [...this.orders.values()].filter((o) => o.accountIndex === accountIndex)
    for (const o of mine.slice(-200)) out.push(this.snapshotOf(o))
    for (const m of this.markets) {
      out.push(this.position(accountIndex, m.marketId))
      out.push(...this.accountTrades(accountIndex, m.marketId).slice(0, 50).reverse())
    }
    return out
  }

  private deliver(accountIndex: number, e: AccountEvent): void {
    if (this.connected.get(accountIndex) === false) return
    const log = this.delivered.get(accountIndex) ?? []
    log.push(e)
    if (log.length > 500) log.splice(0, log.length - 500)
    this.delivered.set(accountIndex, log)
    for (const l of this.listeners.get(accountIndex) ?? []) l(e)
  }

  // ---- internals ------------------------------------------------------------------------------

  private validate(accountIndex: number, marketId: number, coi: number, base: number): void {
    const m = this.market(marketId)
    if (m === undefined) throw new MemoryVenueReject("rejected", "invalid market index", 21602)
    if (!Number.isSafeInteger(base) || base < m.minBaseAmount) {
      throw new MemoryVenueReject("rejected", "invalid order base or quote amount", 21706)
    }
    if (!Number.isSafeInteger(coi) || coi < 1 || coi > 2 ** 48 - 1) {
      throw new MemoryVenueReject("rejected", "invalid client order index", 21727)
    }
    for (const o of this.orders.values()) {
      if (o.accountIndex === accountIndex && o.clientOrderIndex === coi && isOrderActive(o.status)) {
        throw new MemoryVenueReject("rejected", "client order index already exists", 21728)
      }
    }
  }

  private newOrder(req: {
    accountIndex: number
    marketId: number
    side: Side
    base: number
    price: number
    clientOrderIndex: number
    kind: "limit" | "market"
    postOnly: boolean
    reduceOnly: boolean
  }): MemOrder {
    const orderIndex = (this.nextOrder++).toString()
    const o: MemOrder = {
      accountIndex: req.accountIndex,
      marketId: req.marketId,
      orderIndex,
      clientOrderIndex: req.clientOrderIndex,
      side: req.side,
      kind: req.kind,
      postOnly: req.postOnly,
      reduceOnly: req.reduceOnly,
      price: req.price,
      initialBase: req.base,
      filledBase: 0,
      filledQuoteMicro: 0n,
      status: "pending",
      updatedAtMs: this.now(),
      history: []
    }
    this.orders.set(orderIndex, o)
    return o
  }

  private findByIndex(accountIndex: number, marketId: number, index: string): MemOrder | undefined {
    if (BigInt(index) >= 2n ** 48n) {
      const o = this.orders.get(index)
      return o?.accountIndex === accountIndex ? o : undefined
    }
    const coi = Number(index)
    return [...this.orders.values()].find(
      (o) => o.accountIndex === accountIndex && o.marketId === marketId && o.clientOrderIndex === coi && isOrderActive(o.status)
    )
  }

  private execute(o: MemOrder, qty: number, price: number): void {
    const m = this.market(o.marketId)!
    o.filledBase += qty
    o.filledQuoteMicro += notionalMicro(m, qty, price)
    o.updatedAtMs = this.now()
    const t: MemoryTrade = {
      tradeId: String(this.nextTrade++),
      marketId: o.marketId,
      price,
      size: qty,
      buyAccount: o.side === "buy" ? o.accountIndex : LIQUIDITY_ACCOUNT,
      sellAccount: o.side === "sell" ? o.accountIndex : LIQUIDITY_ACCOUNT,
      buyOrder: o.side === "buy" ? o.orderIndex : "0",
      sellOrder: o.side === "sell" ? o.orderIndex : "0",
      timestampMs: this.now()
    }
    this.trades.push(t)
    this.applyPosition(o.accountIndex, o.marketId, signedBase(o.side, qty), price)
    this.deliver(o.accountIndex, this.tradeEventFor(t, o.accountIndex, o))
    this.deliver(o.accountIndex, this.position(o.accountIndex, o.marketId))
  }

  private applyPosition(accountIndex: number, marketId: number, delta: number, price: number): void {
    const byMarket = this.positions.get(accountIndex) ?? new Map<number, Position>()
    const p = byMarket.get(marketId) ?? { signed: 0, avgEntry: 0 }
    const next = p.signed + delta
    const growing = Math.sign(delta) === Math.sign(p.signed) || p.signed === 0
    const avgEntry =
      next === 0 ? 0 : growing ? Math.round((Math.abs(p.signed) * p.avgEntry + Math.abs(delta) * price) / Math.abs(next)) : Math.sign(next) !== Math.sign(p.signed) ? price : p.avgEntry
    byMarket.set(marketId, { signed: next, avgEntry })
    this.positions.set(accountIndex, byMarket)
  }

  private tradeEventFor(t: MemoryTrade, accountIndex: number, o?: MemOrder): TradeEvent {
    const side: Side = t.buyAccount === accountIndex ? "buy" : "sell"
    const orderIndex = side === "buy" ? t.buyOrder : t.sellOrder
    const order = o ?? this.orders.get(orderIndex)
    return {
      _tag: "TradeEvent",
      accountIndex,
      marketId: t.marketId,
      tradeId: t.tradeId,
      orderIndex,
      clientOrderIndex: order?.clientOrderIndex ?? 0,
      side,
      isMaker: order?.kind === "limit",
      size: t.size,
      price: t.price,
      counterpartyAccountIndex: side === "buy" ? t.sellAccount : t.buyAccount,
      timestampMs: t.timestampMs
    }
  }

  private setStatus(o: MemOrder, status: OrderStatus): void {
    o.status = status
    o.updatedAtMs = this.now()
    const u = this.snapshotOf(o)
    o.history.push(u)
    this.deliver(o.accountIndex, u)
  }

  private snapshotOf(o: MemOrder): OrderUpdate {
    return {
      _tag: "OrderUpdate",
      accountIndex: o.accountIndex,
      marketId: o.marketId,
      orderIndex: o.orderIndex,
      clientOrderIndex: o.clientOrderIndex,
      side: o.side,
      kind: o.kind,
      timeInForce: o.kind === "market" ? "immediate-or-cancel" : o.postOnly ? "post-only" : "good-till-time",
      reduceOnly: o.reduceOnly,
      price: o.price,
      initialBase: o.initialBase,
      filledBase: o.filledBase,
      remainingBase: isOrderActive(o.status) ? o.initialBase - o.filledBase : 0,
      filledQuoteMicro: o.filledQuoteMicro,
      status: o.status,
      updatedAtMs: o.updatedAtMs
    }
  }
}
