// Risk rules, pure: what in the pair's current figures breaks a configured limit.
// A limit of 0 is off. Net exposure only counts once it has lasted (hedges in flight make the
// pair briefly unflat on every fill).

export interface RiskLimits {
  /** |position| of either account, base units. */
  readonly maxPosition: number
  /** |A + B| beyond which the pair is unhedged at once, base units. */
  readonly maxUnhedged: number
  /** How long any net exposure ≥ the venue minimum may last, ms. */
  readonly maxUnhedgedAgeMs: number
  /** Hedges in a row that ended failed or partial. */
  readonly maxConsecutiveFailures: number
}

export interface RiskFigures {
  readonly nowMs: number
  /** undefined when A's position is not known (A silent). */
  readonly aPosition: number | undefined
  readonly bPosition: number
  readonly minBase: number
  readonly consecutiveFailures: number
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
): { readonly state: RiskState; readonly breaches: ReadonlyArray<string> } => {
  const breaches: Array<string> = []
  if (limits.maxPosition > 0) {
    if (f.aPosition !== undefined && Math.abs(f.aPosition) > limits.maxPosition) {
      breaches.push(`A's position ${f.aPosition} exceeds risk.max_position ${limits.maxPosition}`)
    }
    if (Math.abs(f.bPosition) > limits.maxPosition) breaches.push(`B's position ${f.bPosition} exceeds risk.max_position ${limits.maxPosition}`)
  }
  let next = state
  if (f.aPosition !== undefined) {
    const net = f.aPosition + f.bPosition
    if (limits.maxUnhedged > 0 && Math.abs(net) > limits.maxUnhedged) {
      breaches.push(`net exposure ${net} exceeds risk.max_unhedged ${limits.maxUnhedged}`)
    }
    if (Math.abs(net) >= f.minBase) {
      const since = state.unhedgedSinceMs ?? f.nowMs
      next = { unhedgedSinceMs: since }
      if (limits.maxUnhedgedAgeMs > 0 && f.nowMs - since > limits.maxUnhedgedAgeMs) {
        breaches.push(`net exposure ${net} unhedged for ${f.nowMs - since} ms (risk.max_unhedged_age_ms ${limits.maxUnhedgedAgeMs})`)
      }
    } else {
      next = { unhedgedSinceMs: undefined }
    }
  }
  if (limits.maxConsecutiveFailures > 0 && f.consecutiveFailures >= limits.maxConsecutiveFailures) {
    breaches.push(`${f.consecutiveFailures} hedges in a row failed (risk.max_consecutive_failures ${limits.maxConsecutiveFailures})`)
  }
  return { state: next, breaches }
}
