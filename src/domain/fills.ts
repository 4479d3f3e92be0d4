// Turns A's account events into fills. Every measure of an order's filled amount — cumulative
// filled_base_amount on order updates, and the sum of distinct trades — is a monotone level;
// a fill is emitted whenever the highest level seen exceeds what was already emitted.
// Duplicates, replays, out-of-order updates and the same execution reported both as a trade
// and as an order update therefore never count twice, and a reconnect snapshot catches up.
import type { OrderUpdate, TradeEvent } from "./events.ts"
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

export class FillTracker {
  private readonly pair: string
  private readonly accountIndex: number
  private readonly orders = new Map<string, OrderFills>()
  private readonly seenTrades = new Set<string>()
  private readonly published: ReadonlyMap<string, number>

  constructor(opts: { readonly pair: string; readonly accountIndex: number; readonly published?: ReadonlyMap<string, number> }) {
    this.pair = opts.pair
    this.accountIndex = opts.accountIndex
    this.published = opts.published ?? new Map()
  }

  level(orderIndex: string): number {
    return this.orders.get(orderIndex)?.accounted ?? this.published.get(orderIndex) ?? 0
  }

  forget(orderIndex: string): void {
    this.orders.delete(orderIndex)
  }

  private state(orderIndex: string, init: { side: Side; clientOrderIndex: number; marketId: number; price: number }): OrderFills {
    let s = this.orders.get(orderIndex)
    if (s === undefined) {
      const accounted = this.published.get(orderIndex) ?? 0
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
    const s = this.state(t.orderIndex, { side: t.side, clientOrderIndex: t.clientOrderIndex, marketId: t.marketId, price: t.price })
    s.tradeSum += t.size
    return this.emit(t.orderIndex, s, Math.max(s.tradeSum, s.maxCumulative), t.price, nowMs, t.timestampMs, t.tradeId)
  }

  onOrderUpdate(u: OrderUpdate, nowMs: number): ReadonlyArray<FillEvent> {
    if (u.accountIndex !== this.accountIndex) return []
    const s = this.state(u.orderIndex, { side: u.side, clientOrderIndex: u.clientOrderIndex, marketId: u.marketId, price: u.price })
    if (s.clientOrderIndex === 0 && u.clientOrderIndex !== 0) s.clientOrderIndex = u.clientOrderIndex
    if (u.filledBase <= s.maxCumulative) return []
    s.maxCumulative = u.filledBase
    // A's quotes are resting limit orders: they execute at their own price.
    const level = Math.max(s.tradeSum, s.maxCumulative)
    const price = u.price
    return this.emit(u.orderIndex, s, level, price, nowMs, u.updatedAtMs)
  }
}
