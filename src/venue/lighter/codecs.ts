// Lighter wire payloads → domain events, decoded with Schema at the edge. Tolerant of unknown
// fields and of fields omitted when zero; ids taken from their string twins when present
// (order indexes reach 2^60, beyond JSON numbers); decimals parsed exactly with the market's digits.
import { Result, Schema } from "effect"
import type { BookOrder, BookOrders } from "../../domain/book-depth.ts"
import type { BookLevel, OrderStatus, OrderUpdate, PositionUpdate, TradeEvent } from "../../domain/events.ts"
import { type MarketSpec, parseScaled, QUOTE_DECIMALS } from "../../domain/market.ts"

/** A payload that did not decode: what it was and why. Never crashes a stream. */
export class WireDecodeError extends Schema.TaggedError<WireDecodeError>()("WireDecodeError", {
  what: Schema.String,
  message: Schema.String,
  snippet: Schema.String
}) {}

const Flag = Schema.Union([Schema.Boolean, Schema.Number])
const IdNum = Schema.Union([Schema.Number, Schema.String])
const Dec = Schema.String

export const WireOrder = Schema.Struct({
  order_index: IdNum,
  order_id: Schema.optional(Schema.String),
  client_order_index: IdNum,
  client_order_id: Schema.optional(Schema.String),
  market_index: Schema.Number,
  owner_account_index: Schema.Number,
  initial_base_amount: Dec,
  price: Dec,
  remaining_base_amount: Dec,
  filled_base_amount: Dec,
  filled_quote_amount: Dec,
  is_ask: Flag,
  type: Schema.String,
  time_in_force: Schema.String,
  reduce_only: Schema.optional(Flag),
  status: Schema.String,
  updated_at: Schema.optional(Schema.Number),
  timestamp: Schema.optional(Schema.Number)
})
export type WireOrder = typeof WireOrder.Type

export const WireTrade = Schema.Struct({
  trade_id: IdNum,
  trade_id_str: Schema.optional(Schema.String),
  market_id: Schema.Number,
  size: Dec,
  price: Dec,
  ask_id: IdNum,
  ask_id_str: Schema.optional(Schema.String),
  bid_id: IdNum,
  bid_id_str: Schema.optional(Schema.String),
  ask_client_id: Schema.optional(IdNum),
  bid_client_id: Schema.optional(IdNum),
  ask_account_id: Schema.Number,
  bid_account_id: Schema.Number,
  is_maker_ask: Flag,
  timestamp: Schema.Number
})
export type WireTrade = typeof WireTrade.Type

export const WirePosition = Schema.Struct({
  market_id: Schema.Number,
  sign: Schema.Number,
  position: Dec,
  avg_entry_price: Schema.optional(Dec)
})

export const WireLevel = Schema.Struct({ price: Dec, size: Dec })

export const WireMarketDetail = Schema.Struct({
  symbol: Schema.String,
  market_id: Schema.Number,
  status: Schema.optional(Schema.String),
  size_decimals: Schema.Number,
  price_decimals: Schema.Number,
  min_base_amount: Dec,
  min_quote_amount: Dec
})
export const WireOrderBookDetails = Schema.Struct({
  code: Schema.Number,
  order_book_details: Schema.Array(WireMarketDetail)
})

export const WireOrdersReply = Schema.Struct({ code: Schema.Number, orders: Schema.Array(WireOrder) })
export const WireTradesReply = Schema.Struct({ code: Schema.Number, trades: Schema.Array(WireTrade) })
export const WireAccountReply = Schema.Struct({
  code: Schema.Number,
  accounts: Schema.Array(Schema.Struct({ index: Schema.Number, positions: Schema.Array(WirePosition) }))
})
/**
 * The `account` reply read for free collateral only: every other field may be missing, and
 * `available_balance` itself may be absent or "" (sub-account listings carry "").
 */
export const WireAccountBalanceReply = Schema.Struct({
  code: Schema.Number,
  accounts: Schema.Array(Schema.Struct({ index: Schema.optional(Schema.Number), available_balance: Schema.optional(Schema.NullOr(Dec)) }))
})
/** orderBookOrders' SimpleOrder (PROTOCOL.md §1.4): one resting order, not an aggregated level. */
export const WireSimpleOrder = Schema.Struct({
  order_index: IdNum,
  order_id: Schema.optional(Schema.String),
  owner_account_index: Schema.Number,
  remaining_base_amount: Dec,
  price: Dec
})
export const WireBookOrdersReply = Schema.Struct({
  code: Schema.Number,
  asks: Schema.Array(WireSimpleOrder),
  bids: Schema.Array(WireSimpleOrder)
})
export const WireNextNonce = Schema.Struct({ code: Schema.Number, nonce: Schema.Number })
export const WireSendTxReply = Schema.Struct({ code: Schema.Number, tx_hash: Schema.optional(Schema.String), message: Schema.optional(Schema.String) })

export const WireOrdersFrame = Schema.Struct({ orders: Schema.Record(Schema.String, Schema.Array(WireOrder)) })
export const WireTradesFrame = Schema.Struct({ trades: Schema.Record(Schema.String, Schema.Array(WireTrade)) })
export const WirePositionsFrame = Schema.Struct({ positions: Schema.Record(Schema.String, WirePosition) })
export const WireBookFrame = Schema.Struct({
  order_book: Schema.Struct({
    asks: Schema.Array(WireLevel),
    bids: Schema.Array(WireLevel),
    nonce: Schema.optional(Schema.Number),
    begin_nonce: Schema.optional(Schema.Number)
  }),
  timestamp: Schema.optional(Schema.Number)
})

/** A frame field as text for routing: strings as they are, numbers and booleans printed, anything else "" (never calls a hostile toString). */
export const wireText = (u: unknown): string =>
  typeof u === "string" ? u : typeof u === "number" || typeof u === "boolean" ? String(u) : ""

const snippet = (u: unknown) => {
  try {
    return (JSON.stringify(u) ?? typeof u).slice(0, 200)
  } catch {
    return `<unprintable ${typeof u}>`
  }
}

/** Decodes `u` with `schema`; a failure is a WireDecodeError naming `what`. */
export const decodeWire = <S extends Schema.Codec<unknown, unknown, never, never>>(schema: S, what: string, u: unknown): Result.Result<S["Type"], WireDecodeError> => {
  const r = Schema.decodeUnknownResult(schema)(u)
  return Result.isSuccess(r)
    ? Result.succeed(r.success)
    : Result.fail(new WireDecodeError({ what, message: r.failure.message.split("\n").slice(0, 3).join(" "), snippet: snippet(u) }))
}

const idText = (n: number | string, twin: string | undefined) => twin ?? String(n)
const truthy = (f: boolean | number | undefined) => f === true || f === 1
const STATUSES: ReadonlySet<string> = new Set([
  "in-progress", "pending", "open", "filled", "canceled", "canceled-post-only", "canceled-reduce-only",
  "canceled-position-not-allowed", "canceled-margin-not-allowed", "canceled-too-much-slippage",
  "canceled-not-enough-liquidity", "canceled-self-trade", "canceled-expired", "canceled-oco", "canceled-child",
  "canceled-liquidation", "canceled-invalid-balance"
])

export type Markets = ReadonlyMap<number, MarketSpec>

const marketOf = (markets: Markets, id: number, what: string): MarketSpec => {
  const m = markets.get(id)
  if (m === undefined) throw new Error(`${what}: unknown market ${id}`)
  return m
}

/** Converts a decoded order; throws (caught by the caller into a WireDecodeError) on bad decimals. */
export const toOrderUpdate = (o: WireOrder, markets: Markets): OrderUpdate => {
  const m = marketOf(markets, o.market_index, "order")
  const tif = o.time_in_force
  return {
    _tag: "OrderUpdate",
    accountIndex: o.owner_account_index,
    marketId: o.market_index,
    orderIndex: idText(o.order_index, o.order_id),
    clientOrderIndex: Number(idText(o.client_order_index, o.client_order_id)),
    side: truthy(o.is_ask) ? "sell" : "buy",
    kind: o.type === "limit" ? "limit" : o.type === "market" ? "market" : "other",
    timeInForce: tif === "good-till-time" || tif === "immediate-or-cancel" || tif === "post-only" ? tif : "unknown",
    reduceOnly: truthy(o.reduce_only),
    price: parseScaled(o.price, m.priceDecimals),
    initialBase: parseScaled(o.initial_base_amount, m.sizeDecimals),
    filledBase: parseScaled(o.filled_base_amount, m.sizeDecimals),
    remainingBase: parseScaled(o.remaining_base_amount, m.sizeDecimals),
    filledQuoteMicro: BigInt(parseScaled(o.filled_quote_amount === "" ? "0" : o.filled_quote_amount, QUOTE_DECIMALS)),
    status: (STATUSES.has(o.status) ? o.status : "unknown") as OrderStatus,
    // order timestamps are seconds on Lighter
    updatedAtMs: (o.updated_at ?? o.timestamp ?? 0) * 1000
  }
}

/** A trade as seen by `accountIndex` (which must be one of its two sides). */
export const toTradeEvent = (t: WireTrade, accountIndex: number, markets: Markets): TradeEvent => {
  const m = marketOf(markets, t.market_id, "trade")
  const isAsk = t.ask_account_id === accountIndex
  const makerAsk = truthy(t.is_maker_ask)
  return {
    _tag: "TradeEvent",
    accountIndex,
    marketId: t.market_id,
    tradeId: idText(t.trade_id, t.trade_id_str),
    orderIndex: isAsk ? idText(t.ask_id, t.ask_id_str) : idText(t.bid_id, t.bid_id_str),
    clientOrderIndex: Number(isAsk ? t.ask_client_id ?? 0 : t.bid_client_id ?? 0),
    side: isAsk ? "sell" : "buy",
    isMaker: isAsk ? makerAsk : !makerAsk,
    size: parseScaled(t.size, m.sizeDecimals),
    price: parseScaled(t.price, m.priceDecimals),
    counterpartyAccountIndex: isAsk ? t.bid_account_id : t.ask_account_id,
    timestampMs: t.timestamp
  }
}

export const toPositionUpdate = (p: typeof WirePosition.Type, accountIndex: number, markets: Markets): PositionUpdate => {
  const m = marketOf(markets, p.market_id, "position")
  const size = parseScaled(p.position, m.sizeDecimals)
  const entry = p.avg_entry_price === undefined || p.avg_entry_price === "" ? 0 : parseScaled(p.avg_entry_price, m.priceDecimals)
  return { _tag: "PositionUpdate", accountIndex, marketId: p.market_id, signedBase: p.sign < 0 ? 0 - size : size, avgEntryPrice: entry }
}

/** Lighter's available_balance (USDC, 6 decimals, may be negative) in micro-USDC; undefined when absent or "". Throws on a malformed decimal. */
export const toFreeCollateralMicro = (availableBalance: string | null | undefined): number | undefined =>
  availableBalance === undefined || availableBalance === null || availableBalance.trim() === ""
    ? undefined
    : parseScaled(availableBalance, QUOTE_DECIMALS, { allowNegative: true })

/** The order list in ticks and base units, best first on each side; throws on a bad decimal. */
export const toBookOrders = (r: typeof WireBookOrdersReply.Type, m: MarketSpec, limit: number): BookOrders => {
  const side = (orders: ReadonlyArray<typeof WireSimpleOrder.Type>): ReadonlyArray<BookOrder> =>
    orders.map((o) => ({
      orderIndex: idText(o.order_index, o.order_id),
      ownerAccountIndex: o.owner_account_index,
      price: parseScaled(o.price, m.priceDecimals),
      remainingBase: parseScaled(o.remaining_base_amount, m.sizeDecimals)
    }))
  return { marketId: m.marketId, bids: side(r.bids), asks: side(r.asks), limit }
}

export const toLevels = (levels: ReadonlyArray<typeof WireLevel.Type>, m: MarketSpec): ReadonlyArray<BookLevel> =>
  levels.map((l) => ({ price: parseScaled(l.price, m.priceDecimals), size: parseScaled(l.size, m.sizeDecimals) }))

export const toMarketSpec = (d: typeof WireMarketDetail.Type): MarketSpec => ({
  marketId: d.market_id,
  symbol: d.symbol,
  sizeDecimals: d.size_decimals,
  priceDecimals: d.price_decimals,
  minBaseAmount: parseScaled(d.min_base_amount, d.size_decimals),
  minQuoteAmount: parseScaled(d.min_quote_amount, QUOTE_DECIMALS)
})
