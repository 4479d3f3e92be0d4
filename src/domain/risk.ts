// Risk rules, pure: what in the pair's current figures breaks a configured limit.
// A limit of 0 is off. Net exposure only counts once it has lasted (hedges in flight make the
// pair briefly unflat on every fill).
// Times (nowMs, unhedgedSinceMs) are on the caller's monotonic clock: only their differences
// count, so a wall clock stepped back never holds the age rule off.
import { formatBase, formatPrice, formatScaled, type MarketSpec, QUOTE_DECIMALS } from "./market.ts"
import type { Side } from "./side.ts"
import { type HedgeLeg, hedgeSlippage, slippageCentiBps, slippageExceeds } from "./slippage.ts"

export interface RiskLimits {
  /** |position| of either account, base units. */
  readonly maxPosition: number
  /** |A + B| beyond which the pair is unhedged at once, base units. */
  readonly maxUnhedged: number
  /** How long any net exposure ≥ the venue minimum may last, ms. */
  readonly maxUnhedgedAgeMs: number
  /** Hedges in a row that ended failed or partial. */
  readonly maxConsecutiveFailures: number
  /** How much worse than A's fill price a completed hedge may execute, bps; absent or 0 = off. */
  readonly maxHedgeSlippageBps?: number
  /** Free collateral each account must keep, micro-USDC; absent or 0 = off. */
  readonly minFreeCollateralMicro?: number
  /**
   * strategy.force_close_timeout, the previous system's meaning: A's and B's positions mismatched
   * (|A + B| ≥ the venue minimum) this long closes both (or only halts: risk.force_close_action).
   * Not a breach like the others: its action is the caller's. Absent or 0 = off.
   */
  readonly forceCloseAfterMs?: number
}

export interface RiskFigures {
  /** The pair's market: sizes in the messages are in its units (integers stay internal). */
  readonly market: MarketSpec
  readonly nowMs: number
  /** undefined when A's position is not known (A silent). */
  readonly aPosition: number | undefined
  /** undefined when B's position is not known yet (no snapshot): only the other rules apply. */
  readonly bPosition: number | undefined
  readonly minBase: number
  readonly consecutiveFailures: number
  /** Free collateral (Lighter's available_balance) in micro-USDC; undefined when not known or stale. */
  readonly aFreeCollateralMicro?: number | undefined
  readonly bFreeCollateralMicro?: number | undefined
}

export interface RiskState {
  /** Since when |net| ≥ minBase without a break. */
  readonly unhedgedSinceMs: number | undefined
}

export const initialRiskState: RiskState = { unhedgedSinceMs: undefined }

export const evaluateRisk = (
  state: RiskState,
  f: RiskFigures,
  limits: RiskLimits
): { readonly state: RiskState; readonly breaches: ReadonlyArray<string>; readonly forceClose?: string } => {
  const breaches: Array<string> = []
  let forceClose: string | undefined
  const base = (n: number) => `${formatBase(f.market, n)} ${f.market.symbol}`
  if (limits.maxPosition > 0) {
    if (f.aPosition !== undefined && Math.abs(f.aPosition) > limits.maxPosition) {
      breaches.push(`A's position ${base(f.aPosition)} exceeds risk.max_position ${base(limits.maxPosition)}`)
    }
    if (f.bPosition !== undefined && Math.abs(f.bPosition) > limits.maxPosition) breaches.push(`B's position ${base(f.bPosition)} exceeds risk.max_position ${base(limits.maxPosition)}`)
  }
  let next = state
  if (f.aPosition !== undefined && f.bPosition !== undefined) {
    const net = f.aPosition + f.bPosition
    if (limits.maxUnhedged > 0 && Math.abs(net) > limits.maxUnhedged) {
      breaches.push(`net exposure ${base(net)} exceeds risk.max_unhedged ${base(limits.maxUnhedged)}`)
    }
    if (Math.abs(net) >= f.minBase) {
      const since = state.unhedgedSinceMs ?? f.nowMs
      next = { unhedgedSinceMs: since }
      if (limits.maxUnhedgedAgeMs > 0 && f.nowMs - since > limits.maxUnhedgedAgeMs) {
        breaches.push(`net exposure ${base(net)} unhedged for ${f.nowMs - since} ms (risk.max_unhedged_age_ms ${limits.maxUnhedgedAgeMs})`)
      }
      const forceAfter = limits.forceCloseAfterMs ?? 0
      if (forceAfter > 0 && f.nowMs - since >= forceAfter) {
        forceClose = `A's position ${base(f.aPosition)} and B's ${base(f.bPosition)} mismatched (net ${base(net)}) for ${f.nowMs - since} ms ` +
          `(strategy.force_close_timeout ${forceAfter / 1000} s)`
      }
    } else {
      next = { unhedgedSinceMs: undefined }
    }
  }
  if (limits.maxConsecutiveFailures > 0 && f.consecutiveFailures >= limits.maxConsecutiveFailures) {
    breaches.push(`${f.consecutiveFailures} hedges in a row failed (risk.max_consecutive_failures ${limits.maxConsecutiveFailures})`)
  }
  const minFree = limits.minFreeCollateralMicro ?? 0
  if (minFree > 0) {
    // Unknown collateral is no breach: a venue read failing must not halt the pair by itself.
    for (const [who, free] of [["A", f.aFreeCollateralMicro], ["B", f.bFreeCollateralMicro]] as const) {
      if (free !== undefined && free < minFree) {
        breaches.push(`${who}'s free collateral ${usdc(free)} USDC is below risk.min_free_collateral ${usdc(minFree)} USDC`)
      }
    }
  }
  return forceClose === undefined ? { state: next, breaches } : { state: next, breaches, forceClose }
}

const usdc = (micro: number): string => formatScaled(micro, QUOTE_DECIMALS)

/**
 * The breach, if any, of one completed hedge against risk.max_hedge_slippage_bps: B's
 * size-weighted execution price compared with A's fill price, exactly (integers only).
 * A hedge is checked once, when its result is recorded; it is an event, not a lasting state.
 */
export const hedgeSlippageBreach = (
  hedge: { readonly market: MarketSpec; readonly fillId: string; readonly fillPrice: number; readonly hedgeSide: Side; readonly attempts: ReadonlyArray<HedgeLeg> },
  limitBps: number | undefined
): string | undefined => {
  if (limitBps === undefined || limitBps <= 0) return undefined
  const s = hedgeSlippage(hedge.fillPrice, hedge.attempts)
  if (s === undefined || !slippageExceeds(s, limitBps)) return undefined
  const m = hedge.market
  return `hedge of fill ${hedge.fillId} slipped ${formatScaled(slippageCentiBps(s), 2)} bps: B ${hedge.hedgeSide === "sell" ? "sold" : "bought"} ` +
    `${formatBase(m, s.base)} ${m.symbol} at ${formatPrice(m, s.avgPrice)} on average against A's fill at ${formatPrice(m, hedge.fillPrice)} ` +
    `(risk.max_hedge_slippage_bps ${limitBps})`
}
