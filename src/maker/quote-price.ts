// The price of A's next quote (market.depth): the N-th price level of the live book, or the N-th
// resting order of the venue's order list (maker.depth_unit orders, the previous system's
// meaning), read at most every maker.book_orders_refresh_ms and only when a decision needs it.
import { Effect, Ref } from "effect"
import {
  type BookOrders, crossesBook, type DepthPrice, type DepthUnit, ordersLimitFor, ordersRefreshDue, priceAtLevelDepth, priceAtOrderDepth
} from "../domain/book-depth.ts"
import type { OrderBookTop } from "../domain/events.ts"
import type { PriceNeed } from "../domain/maker-cycle.ts"
import { formatPrice } from "../domain/market.ts"
import type { MakerContext } from "./settings.ts"

/** maker.book_orders_refresh_ms's default: 12 order-list reads a minute at most, of the 60 REST requests a Standard account has. */
export const DEFAULT_BOOK_ORDERS_REFRESH_MS = 5_000

interface OrderListState {
  /** The last list read (when the last read succeeded). */
  readonly orders: BookOrders | undefined
  /** When a read was last asked for, monotonic. */
  readonly askedAtMs: number | undefined
  /** Why the last read failed (said once until it changes). */
  readonly error: string | undefined
  /** Whether "the list crosses the live book" was said for the current wait. */
  readonly crossNoted: boolean
}

export interface QuotePricer {
  readonly depthUnit: DepthUnit
  readonly refreshMs: number
  /** The price `need` asks for, or undefined when there is none to quote at now. */
  readonly priceFor: (need: PriceNeed, book: OrderBookTop, nowMs: number) => Effect.Effect<DepthPrice | undefined>
}

export const makeQuotePricer = (ctx: MakerContext): Effect.Effect<QuotePricer> =>
  Effect.gen(function*() {
    const { settings, venue, marketId } = ctx
    // Stryker disable next-line StringLiteral: equivalent: any unit but "levels" reads the order list; the text is only logged
    const depthUnit: DepthUnit = settings.depthUnit ?? "orders"
    const refreshMs = settings.bookOrdersRefreshMs ?? DEFAULT_BOOK_ORDERS_REFRESH_MS
    // Stryker disable next-line ObjectLiteral: equivalent: every field starts undefined or falsy either way
    const list = yield* Ref.make<OrderListState>({ orders: undefined, askedAtMs: undefined, error: undefined, crossNoted: false })

    const readOrderList = (now: number) =>
      Effect.gen(function*() {
        const s = yield* Ref.get(list)
        if (!ordersRefreshDue(s.askedAtMs, now, refreshMs)) return s.orders
        yield* Ref.update(list, (l) => ({ ...l, askedAtMs: now }))
        const read = venue.orderBookOrders
        // Stryker disable next-line ConditionalExpression: unreachable: runMaker refuses depth_unit orders on a venue without the list
        if (read === undefined) return undefined
        const r = yield* read(marketId, ordersLimitFor(settings.cycle.depth)).pipe(Effect.result)
        if (r._tag === "Failure") {
          const before = (yield* Ref.getAndUpdate(list, (l) => ({ ...l, orders: undefined, error: r.failure.message }))).error
          if (before !== r.failure.message) {
            yield* Effect.logWarning(
              `cannot read the venue's order list (orderBookOrders): ${r.failure.message}; no quote is placed or re-priced until it can (next try in ${refreshMs} ms)`
            )
          }
          return undefined
        }
        const before = (yield* Ref.getAndUpdate(list, (l) => ({ ...l, orders: r.success, error: undefined }))).error
        if (before !== undefined) yield* Effect.logInfo("the venue's order list (orderBookOrders) can be read again")
        return r.success
      })

    /** The price `need` asks for: the live book's levels, or the order list's N-th order (A's own left out). */
    const priceFor = (need: PriceNeed, book: OrderBookTop, now: number) =>
      Effect.gen(function*() {
        if (need.best || depthUnit === "levels") return priceAtLevelDepth(book, need.side, need.depth)
        const orders = yield* readOrderList(now)
        if (orders === undefined) return undefined
        const p = priceAtOrderDepth(orders, need.side, need.depth, venue.accountIndex)
        // A list read before the live book moved through its price: not sent (post-only would be cancelled).
        // Stryker disable next-line ConditionalExpression: equivalent: a Short has no price, and nothing crosses an undefined price
        if (p._tag === "Price" && crossesBook(book, need.side, p.price)) {
          const noted = (yield* Ref.getAndUpdate(list, (l) => ({ ...l, crossNoted: true }))).crossNoted
          if (!noted) {
            yield* Effect.logInfo(
              `the order list's ${need.side} price ${formatPrice(settings.market, p.price)} crosses the live book (the list is older); waiting for the next read`
            )
          }
          return undefined
        }
        yield* Ref.update(list, (l) => ({ ...l, crossNoted: false }))
        return p
      })
    return { depthUnit, refreshMs, priceFor }
  })
