// The trading API of one account on one venue. Implementations: the Lighter protocol
// client (live venue or the embedded simulator) and an in-memory fake for tests.
import { Clock, Context, Effect, Option, Schedule } from "effect"
import type { BookOrders } from "../domain/book-depth.ts"
import type { OrderBookTop, OrderUpdate, PositionUpdate, TradeEvent } from "../domain/events.ts"
import type { BaseUnits, MarketSpec, PriceTicks } from "../domain/market.ts"
import type { Side } from "../domain/side.ts"
import type { VenueError } from "./errors.ts"

export interface LimitOrderRequest {
  readonly marketId: number
  readonly side: Side
  readonly base: BaseUnits
  readonly price: PriceTicks
  /** 1 … 2^48−1, unique among this account's active orders. */
  readonly clientOrderIndex: number
  /** Post-only: rejected (canceled-post-only) instead of taking liquidity. */
  readonly postOnly: boolean
  readonly reduceOnly: boolean
}

/** Lighter "market" order: IOC with a price cap on the average execution price; the rest is cancelled. */
export interface MarketOrderRequest {
  readonly marketId: number
  readonly side: Side
  readonly base: BaseUnits
  /** Worst acceptable price: highest for a buy, lowest for a sell. */
  readonly priceCap: PriceTicks
  readonly clientOrderIndex: number
  readonly reduceOnly: boolean
}

export interface CancelRequest {
  readonly marketId: number
  /** A client order index (≤ 2^48−1) or an exchange order index (≥ 2^48), as Lighter's `Index`. */
  readonly index: string
  /**
   * Its place in the shared tx budget (src/venue/TxBudget.ts). Default "hedge": cancels that
   * protect (a pulled quote, B's and the operator's) may use the hedge reserve. A's re-quotes
   * cancel with "quote", so they never spend what B's hedges are kept.
   */
  readonly priority?: "hedge" | "quote"
}

/** A transaction the venue accepted into its queue. Fills and rejects arrive on the account stream. */
export interface TxAck {
  readonly txHash: string
  /** When the venue received it (ms), if it says. */
  readonly acceptedAtMs: number
}

export interface VenueShape {
  readonly accountIndex: number
  /** Resolve a market by symbol ("BTC") with its decimals and minimums as the venue reports them. */
  readonly market: (symbol: string) => Effect.Effect<MarketSpec, VenueError>
  readonly orderBook: (marketId: number, depth: number) => Effect.Effect<OrderBookTop, VenueError>
  /**
   * The venue's list of individual resting orders, at most `limit` (1-250) a side, best first
   * (REST orderBookOrders). A REST read counted against the account's request limit (Standard:
   * 60 a minute, shared with every other read): never per poll. Absent: the venue cannot list
   * orders (maker.depth_unit: orders is then refused at start).
   */
  readonly orderBookOrders?: (marketId: number, limit: number) => Effect.Effect<BookOrders, VenueError>
  readonly placeLimit: (req: LimitOrderRequest) => Effect.Effect<TxAck, VenueError>
  readonly placeMarket: (req: MarketOrderRequest) => Effect.Effect<TxAck, VenueError>
  readonly cancel: (req: CancelRequest) => Effect.Effect<TxAck, VenueError>
  readonly cancelAll: () => Effect.Effect<TxAck, VenueError>
  readonly openOrders: (marketId: number) => Effect.Effect<ReadonlyArray<OrderUpdate>, VenueError>
  /** The order with this client index among recent active and inactive orders, if the venue knows it. */
  readonly orderByClientIndex: (marketId: number, clientOrderIndex: number) => Effect.Effect<Option.Option<OrderUpdate>, VenueError>
  readonly position: (marketId: number) => Effect.Effect<PositionUpdate, VenueError>
  /** This account's most recent trades, newest first. */
  readonly recentTrades: (marketId: number, limit: number) => Effect.Effect<ReadonlyArray<TradeEvent>, VenueError>
  /**
   * Collateral the account can still use (Lighter's `available_balance`), in micro-USDC; may be
   * negative. None when the venue does not say. A REST read: poll it slowly, never per order.
   */
  readonly freeCollateral: () => Effect.Effect<Option.Option<number>, VenueError>
}

export class Venue extends Context.Service<Venue, VenueShape>()("hedgeflow/venue/Venue") {}

/**
 * Reads the account's free collateral now and then every `everyMs` in a scoped fiber (the one
 * venue read of this kind per process: rate limits). `current()` is the last reading, or
 * undefined when there is none or it is older than three intervals (reads keep failing).
 */
export const pollFreeCollateral = (everyMs: number) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    // The reading's age on the monotonic clock: a wall clock stepped back would keep it "recent".
    const clock = yield* Clock.Clock
    const mono = () => Number(clock.monotonicTimeNanosUnsafe() / 1_000_000n)
    let last: { readonly micro: number; readonly atMono: number } | undefined
    yield* venue.freeCollateral().pipe(
      Effect.tap((o) => Effect.sync(() => void (last = Option.isSome(o) ? { micro: o.value, atMono: mono() } : undefined))),
      Effect.catch((e) => Effect.logWarning(`cannot read free collateral: ${e.message}`)),
      Effect.repeat(Schedule.spaced(everyMs)),
      Effect.forkScoped
    )
    return {
      current: (): number | undefined => (last !== undefined && mono() - last.atMono <= 3 * everyMs ? last.micro : undefined)
    }
  })
