// Market specification and exact integer <-> decimal-string conversion.
// Sizes are integer base units (size × 10^sizeDecimals), prices integer ticks
// (price × 10^priceDecimals). Decimal strings exist only at the edges; floats never.

/** Integer base units of a market (BTC on Lighter: 0.00001 BTC each). */
export type BaseUnits = number
/** Integer price ticks of a market (BTC on Lighter: 0.1 USDC each). */
export type PriceTicks = number

/** Largest base amount Lighter accepts in one order (2^48 − 1). */
export const MAX_BASE_AMOUNT = 2 ** 48 - 1
/** Largest price Lighter accepts (uint32). */
export const MAX_PRICE = 2 ** 32 - 1
/** USDC amounts on Lighter carry 6 decimals. */
export const QUOTE_DECIMALS = 6

export interface MarketSpec {
  readonly marketId: number
  readonly symbol: string
  readonly sizeDecimals: number
  readonly priceDecimals: number
  /** Smallest order size the venue accepts, in base units. */
  readonly minBaseAmount: BaseUnits
  /** Smallest order notional the venue accepts, in micro-USDC (10^-6). */
  readonly minQuoteAmount: number
}

export class DecimalFormatError extends Error {
  readonly _tag = "DecimalFormatError"
  readonly input: string
  readonly reason: string
  constructor(input: string, reason: string) {
    super(`invalid decimal "${input}": ${reason}`)
    this.input = input
    this.reason = reason
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d*))?$/

/**
 * Parses a decimal string into an integer scaled by 10^decimals, exactly.
 * Rejects more fractional digits than `decimals` (unless they are zeros), signs when
 * `allowNegative` is false, and results beyond Number.MAX_SAFE_INTEGER.
 */
export const parseScaled = (
  input: string,
  decimals: number,
  options: { readonly allowNegative?: boolean } = {}
): number => {
  const m = DECIMAL.exec(input.trim())
  if (m === null) throw new DecimalFormatError(input, "not a plain decimal number")
  const [, sign, intPart, fracRaw = ""] = m
  if (sign !== undefined && options.allowNegative !== true) throw new DecimalFormatError(input, "must not be negative")
  const frac = fracRaw.replace(/0+$/, "")
  if (frac.length > decimals) {
    throw new DecimalFormatError(input, `has ${frac.length} decimals, the market allows ${decimals}`)
  }
  const digits = (intPart! + frac.padEnd(decimals, "0")).replace(/^0+(?=\d)/, "")
  const value = BigInt(digits)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecimalFormatError(input, "too large")
  const n = Number(value)
  return sign !== undefined && n !== 0 ? -n : n
}

/** Formats a scaled integer with exactly `decimals` fractional digits ("0.00020"). */
export const formatScaled = (value: number | bigint, decimals: number): string => {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`formatScaled: ${value} is not a safe integer`)
  }
  const v = BigInt(value)
  const neg = v < 0n
  const abs = (neg ? -v : v).toString().padStart(decimals + 1, "0")
  const int = abs.slice(0, abs.length - decimals)
  const frac = abs.slice(abs.length - decimals)
  return `${neg ? "-" : ""}${int}${decimals > 0 ? "." + frac : ""}`
}

export const parseBase = (market: MarketSpec, input: string): BaseUnits => parseScaled(input, market.sizeDecimals)
export const parsePrice = (market: MarketSpec, input: string): PriceTicks => parseScaled(input, market.priceDecimals)
export const formatBase = (market: MarketSpec, units: BaseUnits): string => formatScaled(units, market.sizeDecimals)
export const formatPrice = (market: MarketSpec, ticks: PriceTicks): string => formatScaled(ticks, market.priceDecimals)

/**
 * Notional of `base` units at `price` ticks, in micro-USDC, rounded down.
 * base × price carries sizeDecimals + priceDecimals decimals; bigint avoids overflow.
 */
export const notionalMicro = (market: MarketSpec, base: BaseUnits, price: PriceTicks): bigint => {
  const raw = BigInt(base) * BigInt(price)
  const shift = market.sizeDecimals + market.priceDecimals - QUOTE_DECIMALS
  return shift >= 0 ? raw / 10n ** BigInt(shift) : raw * 10n ** BigInt(-shift)
}

export const isValidBaseAmount = (units: number): boolean =>
  Number.isSafeInteger(units) && units >= 1 && units <= MAX_BASE_AMOUNT
export const isValidPrice = (ticks: number): boolean => Number.isSafeInteger(ticks) && ticks >= 1 && ticks <= MAX_PRICE

/** Lighter's perp markets the simulator lists and the defaults assume (PROTOCOL.md §2.1). */
export const LIGHTER_ETH: MarketSpec = {
  marketId: 0,
  symbol: "ETH",
  sizeDecimals: 4,
  priceDecimals: 2,
  minBaseAmount: 50, // 0.0050 ETH
  minQuoteAmount: 10_000_000 // 10 USDC
}
export const LIGHTER_BTC: MarketSpec = {
  marketId: 1,
  symbol: "BTC",
  sizeDecimals: 5,
  priceDecimals: 1,
  minBaseAmount: 20, // 0.00020 BTC
  minQuoteAmount: 10_000_000
}
