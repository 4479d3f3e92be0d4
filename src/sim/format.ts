// Wire JSON of the simulator's records, with Lighter's field names and exact decimals
// (sizes size_decimals, prices price_decimals, USDC 6). Shapes follow test/fixtures/lighter/.
import { formatScaled, notionalMicro, QUOTE_DECIMALS } from "../domain/market.ts"
import type { MarketSpec } from "../domain/market.ts"
import type { Account } from "./accounts.ts"
import type { Engine } from "./engine.ts"
import { ORDER_TYPE_NAMES, TIF_NAMES } from "./types.ts"
import type { MarketState, SimOrder, SimPosition, SimTrade } from "./types.ts"

export type Json = Record<string, unknown>

export const usdc = (micro: bigint): string => formatScaled(micro, QUOTE_DECIMALS)
const px = (spec: MarketSpec, ticks: number): string => formatScaled(ticks, spec.priceDecimals)
const sz = (spec: MarketSpec, units: number): string => formatScaled(units, spec.sizeDecimals)
const sec = (ms: number): number => Math.floor(ms / 1000)
const micros = (ms: number): number => Math.floor(ms * 1000)

/** a / b with `decimals` digits, rounded down; "0.00…" when b is 0. */
export const ratio = (a: bigint, b: bigint, decimals: number): string => {
  if (b === 0n) return formatScaled(0, decimals)
  return formatScaled((a * 10n ** BigInt(decimals)) / b, decimals)
}

export const orderJson = (spec: MarketSpec, o: SimOrder): Json => ({
  order_index: o.orderIndex,
  client_order_index: o.clientOrderIndex,
  order_id: String(o.orderIndex),
  client_order_id: String(o.clientOrderIndex),
  market_index: o.marketId,
  owner_account_index: o.accountIndex,
  initial_base_amount: sz(spec, o.initialBase),
  price: px(spec, o.price),
  nonce: o.nonce,
  remaining_base_amount: sz(spec, o.remainingBase),
  is_ask: o.isAsk,
  base_size: o.initialBase,
  base_price: o.price,
  filled_base_amount: sz(spec, o.filledBase),
  filled_quote_amount: usdc(o.filledQuoteMicro),
  side: o.isAsk ? "sell" : "buy",
  type: ORDER_TYPE_NAMES[o.type] ?? "limit",
  time_in_force: TIF_NAMES[o.tif] ?? "Unknown",
  reduce_only: o.reduceOnly,
  trigger_price: px(spec, o.triggerPrice),
  order_expiry: o.orderExpiry,
  status: o.status,
  trigger_status: "na",
  trigger_time: 0,
  parent_order_index: 0,
  parent_order_id: "0",
  to_trigger_order_id_0: "0",
  to_trigger_order_id_1: "0",
  to_cancel_order_id_0: "0",
  integrator_fee_collector_index: "0",
  integrator_taker_fee: "0",
  integrator_maker_fee: "0",
  block_height: o.blockHeight,
  timestamp: sec(o.createdAtMs),
  created_at: sec(o.createdAtMs),
  updated_at: sec(o.updatedAtMs),
  transaction_time: micros(o.updatedAtMs)
})

export const simpleOrderJson = (spec: MarketSpec, o: SimOrder): Json => ({
  order_index: o.orderIndex,
  order_id: String(o.orderIndex),
  owner_account_index: o.accountIndex,
  initial_base_amount: sz(spec, o.initialBase),
  remaining_base_amount: sz(spec, o.remainingBase),
  price: px(spec, o.price),
  order_expiry: o.orderExpiry,
  transaction_time: micros(o.createdAtMs)
})

/** Trade JSON; `taker_fee`/`maker_fee` are omitted when zero, as the venue does. */
export const tradeJson = (spec: MarketSpec, t: SimTrade): Json => {
  const j: Json = {
    trade_id: t.tradeId,
    trade_id_str: String(t.tradeId),
    tx_hash: t.txHash,
    type: "trade",
    market_id: t.marketId,
    size: sz(spec, t.size),
    price: px(spec, t.price),
    usd_amount: usdc(t.usdMicro),
    ask_id: t.askId,
    ask_id_str: String(t.askId),
    bid_id: t.bidId,
    bid_id_str: String(t.bidId),
    ask_client_id: t.askClientId,
    ask_client_id_str: String(t.askClientId),
    bid_client_id: t.bidClientId,
    bid_client_id_str: String(t.bidClientId),
    ask_account_id: t.askAccountId,
    bid_account_id: t.bidAccountId,
    is_maker_ask: t.isMakerAsk,
    block_height: t.blockHeight,
    timestamp: Math.floor(t.timestampMs)
  }
  if (t.takerFee !== 0) j["taker_fee"] = t.takerFee
  if (t.makerFee !== 0) j["maker_fee"] = t.makerFee
  Object.assign(j, {
    taker_position_size_before: formatScaled(t.takerPositionSizeBefore, spec.sizeDecimals),
    taker_entry_quote_before: usdc(t.takerEntryQuoteBeforeMicro),
    taker_initial_margin_fraction_before: t.imfBefore,
    taker_position_sign_changed: t.takerSignChanged,
    maker_position_size_before: formatScaled(t.makerPositionSizeBefore, spec.sizeDecimals),
    maker_entry_quote_before: usdc(t.makerEntryQuoteBeforeMicro),
    maker_initial_margin_fraction_before: t.imfBefore,
    maker_position_sign_changed: t.makerSignChanged,
    transaction_time: micros(t.timestampMs)
  })
  return j
}

/** Average entry price in ticks, rounded to the nearest tick. */
const avgEntryTicks = (spec: MarketSpec, p: SimPosition): number => {
  const abs = BigInt(Math.abs(p.size))
  if (abs === 0n) return 0
  const shift = spec.sizeDecimals + spec.priceDecimals - QUOTE_DECIMALS
  const raw = shift >= 0 ? p.entryQuoteMicro * 10n ** BigInt(shift) : p.entryQuoteMicro / 10n ** BigInt(-shift)
  return Number((raw + abs / 2n) / abs)
}

export interface PositionMetrics {
  readonly valueMicro: bigint
  readonly upnlMicro: bigint
  readonly imMicro: bigint
}

export const positionMetrics = (m: MarketState, p: SimPosition, mark: number): PositionMetrics => {
  const valueMicro = notionalMicro(m.spec, Math.abs(p.size), mark)
  const upnlMicro = p.size > 0 ? valueMicro - p.entryQuoteMicro : p.size < 0 ? p.entryQuoteMicro - valueMicro : 0n
  return { valueMicro, upnlMicro, imMicro: (valueMicro * BigInt(m.imf)) / 10_000n }
}

export const markPrice = (engine: Engine, marketId: number): number => engine.referencePrice(marketId) ?? 0

export const positionJson = (engine: Engine, acc: Account, p: SimPosition): Json => {
  const m = engine.market(p.marketId)
  const spec = m.spec
  const metrics = positionMetrics(m, p, markPrice(engine, p.marketId))
  let open = 0
  for (const o of acc.active.values()) if (o.marketId === p.marketId) open++
  return {
    market_id: p.marketId,
    symbol: spec.symbol,
    initial_margin_fraction: formatScaled(m.imf, 2),
    open_order_count: open,
    pending_order_count: 0,
    position_tied_order_count: 0,
    sign: Math.sign(p.size),
    position: sz(spec, Math.abs(p.size)),
    avg_entry_price: px(spec, avgEntryTicks(spec, p)),
    position_value: usdc(metrics.valueMicro),
    unrealized_pnl: usdc(metrics.upnlMicro),
    realized_pnl: usdc(p.realizedPnlMicro),
    liquidation_price: px(spec, 0),
    total_funding_paid_out: usdc(0n),
    margin_mode: 0,
    allocated_margin: usdc(0n),
    total_discount: usdc(0n)
  }
}

export const positionsMap = (engine: Engine, acc: Account): Record<string, Json> => {
  const out: Record<string, Json> = {}
  for (const p of [...acc.positions.values()].sort((a, b) => a.marketId - b.marketId)) {
    out[String(p.marketId)] = positionJson(engine, acc, p)
  }
  return out
}

export interface AccountMetrics {
  readonly collateral: bigint
  readonly upnl: bigint
  readonly portfolio: bigint
  readonly positionValue: bigint
  readonly im: bigint
  readonly available: bigint
}

export const accountMetrics = (engine: Engine, acc: Account): AccountMetrics => {
  let upnl = 0n
  let value = 0n
  let im = 0n
  for (const p of acc.positions.values()) {
    const m = positionMetrics(engine.market(p.marketId), p, markPrice(engine, p.marketId))
    upnl += m.upnlMicro
    value += m.valueMicro
    im += m.imMicro
  }
  const portfolio = acc.collateralMicro + upnl
  return { collateral: acc.collateralMicro, upnl, portfolio, positionValue: value, im, available: portfolio - im }
}

export const usdcAsset = (acc: Account): Json => ({
  symbol: "USDC",
  asset_id: 3,
  balance: usdc(acc.collateralMicro),
  locked_balance: usdc(0n)
})

export const detailedAccountJson = (engine: Engine, acc: Account): Json => {
  const m = accountMetrics(engine, acc)
  return {
    code: 0,
    account_type: 0,
    index: acc.index,
    l1_address: acc.l1Address,
    cancel_all_time: acc.cancelAllTimeMs,
    total_order_count: acc.active.size,
    total_isolated_order_count: 0,
    pending_order_count: engine.pendingOrderCount(acc.index),
    available_balance: usdc(m.available),
    status: 1,
    collateral: usdc(acc.collateralMicro),
    transaction_time: micros(engine.clock.now()),
    account_trading_mode: 0,
    account_index: acc.index,
    name: "",
    description: "",
    can_invite: true,
    referral_points_percentage: "",
    created_at: sec(acc.createdAtMs),
    positions: [...acc.positions.values()].sort((a, b) => a.marketId - b.marketId).map((p) => positionJson(engine, acc, p)),
    assets: [usdcAsset(acc)],
    total_asset_value: usdc(m.portfolio),
    cross_asset_value: usdc(m.portfolio),
    shares: [],
    pending_unlocks: [],
    approved_integrators: []
  }
}

export const userStatsJson = (engine: Engine, acc: Account): Json => {
  const m = accountMetrics(engine, acc)
  const stats = {
    collateral: usdc(m.collateral),
    portfolio_value: usdc(m.portfolio),
    leverage: ratio(m.positionValue, m.portfolio > 0n ? m.portfolio : 0n, 4),
    available_balance: usdc(m.available),
    margin_usage: ratio(m.im, m.portfolio > 0n ? m.portfolio : 0n, 4),
    buying_power: usdc(m.available > 0n ? m.available * 20n : 0n)
  }
  return { ...stats, account_trading_mode: 0, cross_stats: { ...stats }, total_stats: { ...stats } }
}

const num = (ticks: number, decimals: number): number => Number(formatScaled(ticks, decimals))

export const orderBookJson = (m: MarketState): Json => ({
  symbol: m.spec.symbol,
  market_id: m.spec.marketId,
  market_type: "perp",
  base_asset_id: 0,
  quote_asset_id: 3,
  status: "active",
  taker_fee: "0.0000",
  maker_fee: "0.0000",
  liquidation_fee: "1.0000",
  min_base_amount: sz(m.spec, m.spec.minBaseAmount),
  min_quote_amount: usdc(BigInt(m.spec.minQuoteAmount)),
  order_quote_limit: "",
  supported_size_decimals: m.spec.sizeDecimals,
  supported_price_decimals: m.spec.priceDecimals,
  supported_quote_decimals: QUOTE_DECIMALS,
  is_taker_fee_enabled: false,
  is_maker_fee_enabled: false
})

export const orderBookDetailJson = (engine: Engine, m: MarketState): Json => {
  const mark = markPrice(engine, m.spec.marketId)
  let oi = 0
  for (const a of engine.accounts.values()) {
    const p = a.positions.get(m.spec.marketId)
    if (p !== undefined && p.size > 0) oi += p.size
  }
  const change =
    m.openPrice > 0 ? Math.round(((m.lastTradePrice - m.openPrice) * 10_000) / m.openPrice) / 100 : 0
  return {
    ...orderBookJson(m),
    size_decimals: m.spec.sizeDecimals,
    price_decimals: m.spec.priceDecimals,
    quote_multiplier: 1,
    default_initial_margin_fraction: m.imf,
    min_initial_margin_fraction: 200,
    maintenance_margin_fraction: 120,
    closeout_margin_fraction: 80,
    last_trade_price: num(m.lastTradePrice, m.spec.priceDecimals),
    daily_trades_count: m.dailyTrades,
    daily_base_token_volume: num(m.dailyBase, m.spec.sizeDecimals),
    daily_quote_token_volume: Number(usdc(m.dailyQuoteMicro)),
    daily_price_low: num(m.low, m.spec.priceDecimals),
    daily_price_high: num(m.high, m.spec.priceDecimals),
    daily_price_change: change,
    open_interest: num(oi, m.spec.sizeDecimals),
    daily_chart: {},
    market_config: {
      market_margin_mode: 0,
      insurance_fund_account_index: 281474976710655,
      liquidation_mode: 0,
      force_reduce_only: false,
      trading_hours: "",
      funding_fee_discounts_enabled: true,
      hidden: false
    },
    strategy_index: 0,
    mark_price: px(m.spec, mark),
    index_price: px(m.spec, mark)
  }
}

export const levelJson = (spec: MarketSpec, price: number, size: number): { price: string; size: string } => ({
  price: px(spec, price),
  size: sz(spec, size)
})

export const volumeNumber = (micro: bigint): number => Number(usdc(micro))
