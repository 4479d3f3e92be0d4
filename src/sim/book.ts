// One market's order book: price levels with FIFO queues (price-time priority).
// Asks sorted ascending, bids descending. Reports every touched level to `onLevel`.
import type { SimOrder } from "./types.ts"

export interface Level {
  readonly price: number
  readonly orders: SimOrder[]
  /** Σ remainingBase of the level's orders. */
  size: number
}

class Side {
  readonly isAsk: boolean
  private readonly levels = new Map<number, Level>()
  /** Prices from best to worst. */
  private prices: number[] = []
  constructor(isAsk: boolean) {
    this.isAsk = isAsk
  }
  private better(a: number, b: number): boolean {
    return this.isAsk ? a < b : a > b
  }
  get(price: number): Level | undefined {
    return this.levels.get(price)
  }
  getOrCreate(price: number): Level {
    let level = this.levels.get(price)
    if (level === undefined) {
      level = { price, orders: [], size: 0 }
      this.levels.set(price, level)
      // binary search for the insertion point
      let lo = 0
      let hi = this.prices.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (this.better(this.prices[mid]!, price)) lo = mid + 1
        else hi = mid
      }
      this.prices.splice(lo, 0, price)
    }
    return level
  }
  dropIfEmpty(level: Level): void {
    if (level.orders.length > 0) return
    this.levels.delete(level.price)
    const i = this.prices.indexOf(level.price)
    if (i >= 0) this.prices.splice(i, 1)
  }
  best(): Level | undefined {
    const p = this.prices[0]
    return p === undefined ? undefined : this.levels.get(p)
  }
  /** Levels best-first (a copy of the price list, safe to mutate the book while iterating). */
  *iterate(): Generator<Level> {
    for (const p of [...this.prices]) {
      const l = this.levels.get(p)
      if (l !== undefined) yield l
    }
  }
  levelList(): Level[] {
    return this.prices.map((p) => this.levels.get(p)!)
  }
  get depth(): number {
    return this.prices.length
  }
}

export class OrderBook {
  readonly marketId: number
  readonly asks = new Side(true)
  readonly bids = new Side(false)
  private readonly onLevel: (isAsk: boolean, price: number) => void
  constructor(marketId: number, onLevel: (isAsk: boolean, price: number) => void = () => {}) {
    this.marketId = marketId
    this.onLevel = onLevel
  }
  side(isAsk: boolean): Side {
    return isAsk ? this.asks : this.bids
  }
  /** Appends a resting order at the back of its level's queue. */
  add(order: SimOrder): void {
    const level = this.side(order.isAsk).getOrCreate(order.price)
    level.orders.push(order)
    level.size += order.remainingBase
    this.onLevel(order.isAsk, order.price)
  }
  remove(order: SimOrder): boolean {
    const side = this.side(order.isAsk)
    const level = side.get(order.price)
    if (level === undefined) return false
    const i = level.orders.indexOf(order)
    if (i < 0) return false
    level.orders.splice(i, 1)
    level.size -= order.remainingBase
    side.dropIfEmpty(level)
    this.onLevel(order.isAsk, order.price)
    return true
  }
  /** Reduces a resting order's remaining size in place (after a fill); removes it at zero. */
  reduce(order: SimOrder, by: number): void {
    const side = this.side(order.isAsk)
    const level = side.get(order.price)
    if (level === undefined) return
    level.size -= by
    order.remainingBase -= by
    if (order.remainingBase === 0) {
      const i = level.orders.indexOf(order)
      if (i >= 0) level.orders.splice(i, 1)
      side.dropIfEmpty(level)
    }
    this.onLevel(order.isAsk, order.price)
  }
  bestAsk(): number | undefined {
    return this.asks.best()?.price
  }
  bestBid(): number | undefined {
    return this.bids.best()?.price
  }
  /** Mid price in ticks (rounded down), or undefined when a side is empty. */
  mid(): number | undefined {
    const a = this.bestAsk()
    const b = this.bestBid()
    return a === undefined || b === undefined ? undefined : Math.floor((a + b) / 2)
  }
  levelSize(isAsk: boolean, price: number): number {
    return this.side(isAsk).get(price)?.size ?? 0
  }
  /** Aggregated levels best-first: [price, size]. */
  levels(isAsk: boolean, limit = Infinity): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (const l of this.side(isAsk).levelList()) {
      if (out.length >= limit) break
      out.push([l.price, l.size])
    }
    return out
  }
  /** Individual resting orders best-first, FIFO within a level. */
  orders(isAsk: boolean, limit = Infinity): SimOrder[] {
    const out: SimOrder[] = []
    for (const l of this.side(isAsk).levelList()) {
      for (const o of l.orders) {
        if (out.length >= limit) return out
        out.push(o)
      }
    }
    return out
  }
  count(isAsk: boolean): number {
    let n = 0
    for (const l of this.side(isAsk).levelList()) n += l.orders.length
    return n
  }
}
