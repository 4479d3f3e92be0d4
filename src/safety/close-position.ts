// Closing one account's position in the pair's market: cancel its orders, then reduce-only market
// orders (price-capped 1 % through the best opposite price) until it is flat, bounded. Used by
// `bin/hedge flatten` (both accounts, the operator holding both keys) and by a force close
// (strategy.force_close_timeout: A and B each close their own account).
import { Effect } from "effect"
import { priceCap } from "../domain/hedge-plan.ts"
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { Venue } from "../venue/Venue.ts"

export interface ClosePositionOptions {
  /** "A" or "B", for the lines printed. */
  readonly name: string
  readonly market: MarketSpec
  /** The n-th closing order's client index (n = 1 …): reserved closing indexes (src/domain/closing.ts). */
  readonly clientIndex: (n: number) => number
  readonly print: (line: string) => Effect.Effect<void>
  /** Reduce-only orders sent at most (default 5). */
  readonly attempts?: number
}

/** The position (signed base units) left afterwards: 0 when flat. */
export const closePosition = (o: ClosePositionOptions) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const m = o.market.marketId
    yield* venue.cancelAll()
    for (let i = 0; i < 30; i++) {
      const open = yield* venue.openOrders(m)
      if (open.length === 0) break
      if (i === 29) yield* o.print(`${o.name}: ${open.length} order(s) still open after cancel-all; closing anyway (reduce-only)`)
      yield* Effect.sleep("100 millis")
    }
    const attempts = o.attempts ?? 5
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const pos = (yield* venue.position(m)).signedBase
      if (pos === 0) {
        yield* o.print(`${o.name}: flat`)
        return 0
      }
      const side = pos > 0 ? "sell" as const : "buy" as const
      const book = yield* venue.orderBook(m, 1)
      const ref = side === "sell" ? book.bids[0]?.price : book.asks[0]?.price
      if (ref === undefined) return yield* Effect.fail(new Error(`${o.name}: the book has no ${side === "sell" ? "bids" : "asks"} to close into`))
      const base = Math.abs(pos)
      const coi = o.clientIndex(attempt)
      yield* o.print(`${o.name}: position ${formatBase(o.market, pos)} → reduce-only ${side} ${formatBase(o.market, base)} (closing order ${coi}, attempt ${attempt})`)
      yield* venue.placeMarket({ marketId: m, side, base, priceCap: priceCap(side, ref, 100), clientOrderIndex: coi, reduceOnly: true })
      yield* Effect.sleep("500 millis")
    }
    return (yield* venue.position(m)).signedBase
  })

/** The account's position now (signed base units). */
export const positionNow = (marketId: number) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    return (yield* venue.position(marketId)).signedBase
  })
