// Which price `--depth N` (market.depth) means, pure.
//
// The previous system (gread-liu/Lighter-hedge, utils.get_orderbook_price_at_depth) read the
// venue's list of individual resting orders (REST orderBookOrders, limit max(N, 10)), took the
// N-th order of the quote's own side (bids for the opening buy, asks for the closing sell) and
// quoted at its price; with fewer than N orders it logged "订单簿档位不足，需要第N档，但只有K档"
// (not enough orders: need the N-th, only K) and placed nothing. hedgeflow does the same by
// default (maker.depth_unit: orders). maker.depth_unit: levels counts aggregated price levels
// instead (the WebSocket book). Either way, a side shorter than N places no quote: never a silent
// fallback to a shallower price.
//
// A's own resting quote is in the venue's list too: it is left out of the count, so the price a
// quote is judged against (its drift) is the one it was placed at while it was not in the book.
import type { OrderBookTop } from "./events.ts"
import type { Side } from "./side.ts"

export type DepthUnit = "orders" | "levels"

export const DEPTH_UNITS: ReadonlyArray<DepthUnit> = ["orders", "levels"]

/** Most orders a side the venue lists (orderBookOrders' `limit`: 1-250, PROTOCOL.md §1.2). */
export const MAX_BOOK_ORDERS = 250

/** One resting order of the venue's order list (orderBookOrders' SimpleOrder). */
export interface BookOrder {
  readonly orderIndex: string
  readonly ownerAccountIndex: number
  /** Price ticks. */
  readonly price: number
  /** Base units still resting. */
  readonly remainingBase: number
}

/** The venue's list of individual resting orders of one market, best first on each side. */
export interface BookOrders {
  readonly marketId: number
  /** Highest price first; time priority within a price. */
  readonly bids: ReadonlyArray<BookOrder>
  /** Lowest price first; time priority within a price. */
  readonly asks: ReadonlyArray<BookOrder>
  /** The `limit` the list was asked with: a side listing this many may have more. */
  readonly limit: number
}

/** The price for depth N on one side, or why there is none. */
export type DepthPrice =
  | { readonly _tag: "Price"; readonly price: number }
  | {
    readonly _tag: "Short"
    readonly side: Side
    readonly unit: DepthUnit
    readonly depth: number
    /** Orders (or levels) the side has, A's own left out. */
    readonly have: number
    /** The venue listed as many as asked: there may be more beyond its limit. */
    readonly capped: boolean
  }

const checkDepth = (depth: number): void => {
  if (!Number.isSafeInteger(depth) || depth < 1) throw new RangeError(`depth must be an integer >= 1, got ${depth}`)
}

/**
 * How many orders a side to ask the venue for: N, plus one for A's own quote (left out of the
 * count), at most what the venue lists.
 */
export const ordersLimitFor = (depth: number): number => {
  checkDepth(depth)
  return Math.min(MAX_BOOK_ORDERS, depth + 1)
}

const better = (side: Side) => (x: BookOrder, y: BookOrder): number => (side === "buy" ? y.price - x.price : x.price - y.price)

/**
 * The price of the `depth`-th resting order on `side`'s own side (bids for a buy, asks for a
 * sell; 1 = the best), counting individual orders and leaving out those of `ownAccountIndex`
 * (A's own quote) and empty ones. Sorted best first here too (stable: the venue's time priority
 * within a price is kept), so an unsorted list cannot pick a wrong price.
 */
export const priceAtOrderDepth = (orders: BookOrders, side: Side, depth: number, ownAccountIndex: number): DepthPrice => {
  checkDepth(depth)
  const list = side === "buy" ? orders.bids : orders.asks
  const others = list.filter((o) => o.ownerAccountIndex !== ownAccountIndex && o.remainingBase > 0).sort(better(side))
  const nth = others[depth - 1]
  if (nth !== undefined) return { _tag: "Price", price: nth.price }
  return { _tag: "Short", side, unit: "orders", depth, have: others.length, capped: list.length >= orders.limit }
}

/**
 * The price of the `depth`-th price level of `side`'s own side of the aggregated book (1 = the
 * best), or Short when the side has fewer levels.
 */
export const priceAtLevelDepth = (book: OrderBookTop, side: Side, depth: number): DepthPrice => {
  checkDepth(depth)
  const levels = (side === "buy" ? book.bids : book.asks).filter((l) => l.size > 0)
  const nth = levels[depth - 1]
  if (nth !== undefined) return { _tag: "Price", price: nth.price }
  return { _tag: "Short", side, unit: "levels", depth, have: levels.length, capped: false }
}

/**
 * Whether a post-only quote at `price` would cross the live book (a buy at or above the best
 * ask, a sell at or below the best bid): a price read from an order list older than the live
 * book must not be sent then (the venue would cancel it as canceled-post-only, a wasted tx).
 */
export const crossesBook = (book: OrderBookTop, side: Side, price: number): boolean => {
  const opposite = side === "buy" ? book.asks[0] : book.bids[0]
  if (opposite === undefined) return false
  return side === "buy" ? price >= opposite.price : price <= opposite.price
}

/** Whether the order list is due to be read again: never read, or read `refreshMs` or more ago (monotonic ms). */
export const ordersRefreshDue = (lastReadAtMs: number | undefined, nowMs: number, refreshMs: number): boolean =>
  lastReadAtMs === undefined || nowMs - lastReadAtMs >= refreshMs

/** The situation a Short stands for, as a key: logged once, and again only when it changes. */
export const shortKey = (s: Extract<DepthPrice, { _tag: "Short" }>): string => `${s.side}:${s.unit}:${s.depth}`

/**
 * The log line for a side too short for depth N (prices are not in it: there is no price). The
 * previous system's was "订单簿档位不足，需要第N档，但只有K档" (need the N-th, only K).
 */
export const describeShort = (s: Extract<DepthPrice, { _tag: "Short" }>): string => {
  const book = s.side === "buy" ? "bids" : "asks"
  const what = s.unit === "orders" ? "order" : "price level"
  const beyond = s.capped ? " (the venue's list was full: there may be more beyond it)" : ""
  return `no ${s.side} quote: market.depth ${s.depth} needs the ${ordinal(s.depth)} ${what} of the ${book}, ` +
    `but there ${s.have === 1 ? "is" : "are"} only ${s.have}${s.unit === "orders" ? " (A's own quote not counted)" : ""}${beyond}; ` +
    `waiting until there are ${s.depth} (maker.depth_unit ${s.unit})`
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, … */
export const ordinal = (n: number): string => {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  switch (n % 10) {
    case 1:
      return `${n}st`
    case 2:
      return `${n}nd`
    case 3:
      return `${n}rd`
    default:
      return `${n}th`
  }
}
