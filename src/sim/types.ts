// Internal records of the simulated exchange. Sizes are integer base units, prices integer ticks,
// money micro-USDC (bigint). Decimal strings only appear in format.ts.
import type { MarketSpec } from "../domain/market.ts"

export type Tier = "standard" | "premium"

export const OrderTypeCode = { Limit: 0, Market: 1, StopLoss: 2, StopLossLimit: 3, TakeProfit: 4, TakeProfitLimit: 5, Twap: 6 } as const
export const TifCode = { Ioc: 0, Gtt: 1, PostOnly: 2 } as const

export const ORDER_TYPE_NAMES = [
  "limit",
  "market",
  "stop-loss",
  "stop-loss-limit",
  "take-profit",
  "take-profit-limit",
  "twap",
  "twap-sub",
  "liquidation"
] as const
export const TIF_NAMES = ["immediate-or-cancel", "good-till-time", "post-only"] as const

export type OrderStatus =
  | "open"
  | "filled"
  | "canceled"
  | "canceled-post-only"
  | "canceled-reduce-only"
  | "canceled-margin-not-allowed"
  | "canceled-too-much-slippage"
  | "canceled-not-enough-liquidity"
  | "canceled-self-trade"
  | "canceled-expired"

export const isActiveStatus = (s: OrderStatus): boolean => s === "open"

export interface SimOrder {
  readonly orderIndex: number
  readonly clientOrderIndex: number
  readonly marketId: number
  readonly accountIndex: number
  readonly isAsk: boolean
  readonly type: number
  readonly tif: number
  readonly reduceOnly: boolean
  price: number
  initialBase: number
  remainingBase: number
  filledBase: number
  /** Σ notional of fills, micro-USDC. */
  filledQuoteMicro: bigint
  triggerPrice: number
  orderExpiry: number
  nonce: number
  status: OrderStatus
  createdAtMs: number
  updatedAtMs: number
  blockHeight: number
  /** Time priority within a price level (lower = earlier). */
  seq: number
}

export interface SimTrade {
  readonly tradeId: number
  readonly txHash: string
  readonly marketId: number
  readonly size: number
  readonly price: number
  readonly usdMicro: bigint
  readonly askId: number
  readonly bidId: number
  readonly askClientId: number
  readonly bidClientId: number
  readonly askAccountId: number
  readonly bidAccountId: number
  readonly isMakerAsk: boolean
  readonly blockHeight: number
  readonly timestampMs: number
  readonly takerFee: number
  readonly makerFee: number
  readonly takerPositionSizeBefore: number
  readonly takerEntryQuoteBeforeMicro: bigint
  readonly makerPositionSizeBefore: number
  readonly makerEntryQuoteBeforeMicro: bigint
  readonly takerSignChanged: boolean
  readonly makerSignChanged: boolean
  readonly imfBefore: number
}

export interface SimPosition {
  readonly marketId: number
  /** Signed size in base units (+ long, − short). */
  size: number
  /** |size| × avg entry, micro-USDC. */
  entryQuoteMicro: bigint
  realizedPnlMicro: bigint
}

export interface MarketState {
  readonly spec: MarketSpec
  /** Initial margin fraction in 1e-4 (500 = 5 %). */
  readonly imf: number
  lastTradePrice: number
  dailyTrades: number
  dailyBase: number
  dailyQuoteMicro: bigint
  low: number
  high: number
  openPrice: number
}
