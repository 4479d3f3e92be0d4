// Venue-neutral account events, in integer units. Venue adapters decode their wire
// format into these; everything downstream (fill tracking, hedging) only sees these.
import type { BaseUnits, PriceTicks } from "./market.ts"
import type { Side } from "./side.ts"

/** Lighter's order statuses; unknown statuses from the wire are kept as "unknown". */
export type OrderStatus =
  | "in-progress"
  | "pending"
  | "open"
  | "filled"
  | "canceled"
  | "canceled-post-only"
  | "canceled-reduce-only"
  | "canceled-position-not-allowed"
  | "canceled-margin-not-allowed"
  | "canceled-too-much-slippage"
  | "canceled-not-enough-liquidity"
  | "canceled-self-trade"
  | "canceled-expired"
  | "canceled-oco"
  | "canceled-child"
  | "canceled-liquidation"
  | "canceled-invalid-balance"
  | "unknown"

export const isOrderActive = (s: OrderStatus): boolean => s === "open" || s === "pending" || s === "in-progress"
export const isOrderTerminal = (s: OrderStatus): boolean => !isOrderActive(s) && s !== "unknown"

export type OrderKind = "limit" | "market" | "other"
export type TimeInForce = "good-till-time" | "immediate-or-cancel" | "post-only" | "unknown"

/** State of one order as last reported by the venue. Ids are strings: order indexes reach 2^60. */
export interface OrderUpdate {
  readonly _tag: "OrderUpdate"
  readonly accountIndex: number
  readonly marketId: number
  readonly orderIndex: string
  /** 0 when the order has no client index. */
  readonly clientOrderIndex: number
  readonly side: Side
  readonly kind: OrderKind
  readonly timeInForce: TimeInForce
  readonly reduceOnly: boolean
  readonly price: PriceTicks
  readonly initialBase: BaseUnits
  /** Cumulative filled amount: the only fill measure every update carries. */
  readonly filledBase: BaseUnits
  readonly remainingBase: BaseUnits
  /** Cumulative filled notional in micro-USDC. */
  readonly filledQuoteMicro: bigint
  readonly status: OrderStatus
  readonly updatedAtMs: number
}

/** One execution; this account is on `side` of it. */
export interface TradeEvent {
  readonly _tag: "TradeEvent"
  readonly accountIndex: number
  readonly marketId: number
  readonly tradeId: string
  readonly orderIndex: string
  readonly clientOrderIndex: number
  readonly side: Side
  readonly isMaker: boolean
  readonly size: BaseUnits
  readonly price: PriceTicks
  /** Counterparty account index (for self-trade checks). */
  readonly counterpartyAccountIndex: number
  readonly timestampMs: number
}

/** Signed position of the account in one market (positive = long). */
export interface PositionUpdate {
  readonly _tag: "PositionUpdate"
  readonly accountIndex: number
  readonly marketId: number
  readonly signedBase: BaseUnits
  readonly avgEntryPrice: PriceTicks
}

/**
 * Marks the stream (re)connecting: everything after it until `SnapshotEnd` is a full
 * snapshot of open orders / positions / recent trades. Consumers recompute deltas
 * from cumulative amounts, so missed updates are caught up.
 */
export interface StreamConnected {
  readonly _tag: "StreamConnected"
  readonly reconnect: boolean
}
export interface StreamDisconnected {
  readonly _tag: "StreamDisconnected"
  readonly reason: string
  /** Set when the venue refused one of the stream's channels (the socket itself may be up). */
  readonly refusal?: StreamRefusal
}

/** A channel of the account stream that the venue refused, and when it is tried again. */
export interface StreamRefusal {
  readonly channel: string
  /** The venue's error code, when its answer had one (none: no snapshot in time). */
  readonly code?: number
  readonly message: string
  readonly retryInMs: number
  /** The first refusal while the stream was otherwise healthy. */
  readonly first: boolean
}

export type AccountEvent = OrderUpdate | TradeEvent | PositionUpdate | StreamConnected | StreamDisconnected

/** Aggregated book level. */
export interface BookLevel {
  readonly price: PriceTicks
  readonly size: BaseUnits
}
export interface OrderBookTop {
  readonly marketId: number
  /** Best first (highest bid). */
  readonly bids: ReadonlyArray<BookLevel>
  /** Best first (lowest ask). */
  readonly asks: ReadonlyArray<BookLevel>
  readonly timestampMs: number
  /**
   * The venue's own timestamp (ms) of the newest frame this book was built from, and how long ago
   * that frame arrived (this process's monotonic clock): to judge this machine's clock against the
   * venue's (src/ops/clock-skew.ts). Absent when the venue gave none.
   */
  readonly venueTime?: { readonly venueMs: number; readonly receivedAgoMs: number }
}
