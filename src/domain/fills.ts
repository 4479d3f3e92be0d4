// Turns A's account events into fills. Every measure of an order's filled amount — cumulative
// filled_base_amount on order updates, and the sum of distinct trades — is a monotone level;
// a fill is emitted whenever the highest level seen exceeds what was already emitted.
// Duplicates, replays, out-of-order updates and the same execution reported both as a trade
// and as an order update therefore never count twice, and a reconnect snapshot catches up.
import { isOrderTerminal, type OrderUpdate, type TradeEvent } from "./events.ts"
import { FillEvent, makeFillId } from "./messages.ts"
import type { Side } from "./side.ts"

interface OrderFills {
  accounted: number
  tradeSum: number
  maxCumulative: number
  side: Side
  clientOrderIndex: number
  marketId: number
  price: number
}

const MAX_TRADE_IDS = 10_000
/**
 * Orders that ended (filled, cancelled) are kept only as their final level, the newest this
 * many: a late or replayed frame of one finds its level and emits nothing, and the maker's
 * memory stays bounded however long it runs (one order per quote, ~29 000 a day at 20 a minute).
 */
export const MAX_FINISHED_ORDERS = 10_000

export class FillTracker {
  private readonly pair: string
  private readonly accountIndex: number
  private readonly orders = new Map<string, OrderFills>()
  /** Final levels of ended orders, oldest first (MAX_FINISHED_ORDERS). */
  private readonly finished = new Map<string, number>()
  private readonly seenTrades = new Set<string>()
  private readonly published: ReadonlyMap<string, number>

  constructor(opts: { readonly pair: string; readonly accountIndex: number; readonly published?: ReadonlyMap<string, number> }) {
    this.pair = opts.pair
    this.accountIndex = opts.accountIndex
    this.published = opts.published ?? new Map()
  }

  level(orderIndex: string): number {
    return this.orders.get(orderIndex)?.accounted ?? this.startLevel(orderIndex)
  }

  /** Orders whose full state is held (ended ones are held as a level only). */
  get activeOrders(): number {
    return this.orders.size
  }

  /** An ended order: keeps only its level (bounded), so nothing of it is ever emitted twice. */
  forget(orderIndex: string): void {
    const s = this.orders.get(orderIndex)
    if (s === undefined) return
    this.orders.delete(orderIndex)
    this.finished.delete(orderIndex)
    this.finished.set(orderIndex, Math.max(s.accounted, this.finished.get(orderIndex) ?? 0))
    if (this.finished.size > MAX_FINISHED_ORDERS) this.finished.delete(this.finished.keys().next().value!)
  }

  private startLevel(orderIndex: string): number {
    return Math.max(this.finished.get(orderIndex) ?? 0, this.published.get(orderIndex) ?? 0)
  }

  private state(orderIndex: string, init: { side: Side; clientOrderIndex: number; marketId: number; price: number }): OrderFills {
    let s = this.orders.get(orderIndex)
    if (s === undefined) {
      const accounted = this.startLevel(orderIndex)
      s = { accounted, tradeSum: 0, maxCumulative: accounted, ...init }
      this.orders.set(orderIndex, s)
    }
    return s
  }

  private emit(orderIndex: string, s: OrderFills, level: number, price: number, nowMs: number, venueMs: number, tradeId?: string): ReadonlyArray<FillEvent> {
    if (level <= s.accounted) return []
    const before = s.accounted
    s.accounted = level
    return [
      new FillEvent({
        fillId: makeFillId(orderIndex, level),
        pair: this.pair,
        accountIndex: this.accountIndex,
        marketId: s.marketId,
        side: s.side,
        orderIndex,
        clientOrderIndex: s.clientOrderIndex,
        filledBefore: before,
        filledAfter: level,
        size: level - before,
        price: Math.max(1, price),
        ...(tradeId !== undefined ? { tradeId } : {}),
        venueTimestampMs: Math.max(0, Math.floor(venueMs)),
        detectedAtMs: Math.max(0, Math.floor(nowMs))
      })
    ]
  }

  onTrade(t: TradeEvent, nowMs: number): ReadonlyArray<FillEvent> {
    if (t.accountIndex !== this.accountIndex || t.size <= 0) return []
    const key = `${t.marketId}:${t.tradeId}`
    if (this.seenTrades.has(key)) return []
    this.seenTrades.add(key)
    if (this.seenTrades.size > MAX_TRADE_IDS) this.seenTrades.delete(this.seenTrades.values().next().value!)
    const ended = this.finished.has(t.orderIndex) && !this.orders.has(t.orderIndex)
    const s = this.state(t.orderIndex, { side: t.side, clientOrderIndex: t.clientOrderIndex, marketId: t.marketId, price: t.price })
    s.tradeSum += t.size
    const out = this.emit(t.orderIndex, s, Math.max(s.tradeSum, s.maxCumulative), t.price, nowMs, t.timestampMs, t.tradeId)
    // A trade of an order that already ended (its frame came after the order's last update).
    if (ended) this.forget(t.orderIndex)
    return out
  }

  onOrderUpdate(u: OrderUpdate, nowMs: number): ReadonlyArray<FillEvent> {
    if (u.accountIndex !== this.accountIndex) return []
    const ended = this.finished.has(u.orderIndex) && !this.orders.has(u.orderIndex)
    const s = this.state(u.orderIndex, { side: u.side, clientOrderIndex: u.clientOrderIndex, marketId: u.marketId, price: u.price })
    if (s.clientOrderIndex === 0 && u.clientOrderIndex !== 0) s.clientOrderIndex = u.clientOrderIndex
    let out: ReadonlyArray<FillEvent> = []
    if (u.filledBase > s.maxCumulative) {
      s.maxCumulative = u.filledBase
      // A's quotes are resting limit orders: they execute at their own price.
      out = this.emit(u.orderIndex, s, Math.max(s.tradeSum, s.maxCumulative), u.price, nowMs, u.updatedAtMs)
    }
    // An ended order's last update carries its final filled amount: keep only that level. An
    // older update of an order that already ended (delivered late) leaves it ended.
    if (ended || isOrderTerminal(u.status)) this.forget(u.orderIndex)
    return out
  }
}
