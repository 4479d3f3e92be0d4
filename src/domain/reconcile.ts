// Reconciliation, pure: after every pending hedge lands, A + B should be flat. What is left
// (the mismatch) is repaired on B with a bounded reduce-only order when that reduces B's
// position (B over-hedged); anything else (a hedge missing) cannot be repaired that way and halts.
// Times (nowMs, aObservedAtMs, sinceMs) are on one clock, the caller's monotonic one: never A's
// wall-clock stamp against B's (A and B may run on hosts whose clocks differ).

export interface ReconcileInput {
  readonly nowMs: number
  readonly aPosition: number
  /**
   * A time A's position was measured after (B's last look that still saw A's previous heartbeat,
   * src/domain/freshness.ts): it lags, and only a report measured after the grace may decide.
   */
  readonly aObservedAtMs: number
  readonly bPosition: number
  /** signed quantity open intents will still trade on B */
  readonly inFlightSigned: number
  readonly residualPool: number
  readonly minBase: number
  readonly graceMs: number
  readonly maxCorrection: number
}

export interface ReconcileState {
  readonly mismatch: number
  readonly sinceMs: number | undefined
}
export const initialReconcileState: ReconcileState = { mismatch: 0, sinceMs: undefined }

export type ReconcileAction =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Watch"; readonly mismatch: number }
  | { readonly _tag: "Correct"; readonly side: "buy" | "sell"; readonly base: number; readonly mismatch: number }
  | { readonly _tag: "Halt"; readonly reason: string; readonly mismatch: number }

export const reconcile = (state: ReconcileState, i: ReconcileInput): { readonly state: ReconcileState; readonly action: ReconcileAction } => {
  // B's signed trade that would make the pair flat once pending hedges land.
  const mismatch = i.aPosition + i.bPosition + i.inFlightSigned + i.residualPool
  if (Math.abs(mismatch) < i.minBase) return { state: initialReconcileState, action: { _tag: "Ok" } }
  // The same mismatch must last the whole grace period (a changing one is hedging in progress).
  const since = state.sinceMs !== undefined && state.mismatch === mismatch ? state.sinceMs : i.nowMs
  const next = { mismatch, sinceMs: since }
  // Decide only on an A position measured a whole grace period after the mismatch appeared:
  // a lagging report of A must never cause a correction.
  if (i.nowMs - since < i.graceMs || i.aObservedAtMs - since < i.graceMs) return { state: next, action: { _tag: "Watch", mismatch } }
  const fix = 0 - mismatch // B must trade this (signed)
  const reducesB = i.bPosition !== 0 && Math.sign(fix) === -Math.sign(i.bPosition) && Math.abs(fix) <= Math.abs(i.bPosition)
  if (!reducesB) {
    return { state: next, action: { _tag: "Halt", mismatch, reason: `A ${i.aPosition} + B ${i.bPosition} (+ pending ${i.inFlightSigned + i.residualPool}) leaves ${mismatch} unhedged, which a reduce-only order on B cannot repair` } }
  }
  if (Math.abs(fix) > i.maxCorrection) {
    return { state: next, action: { _tag: "Halt", mismatch, reason: `mismatch ${mismatch} is larger than the largest automatic correction ${i.maxCorrection}` } }
  }
  return { state: initialReconcileState, action: { _tag: "Correct", side: fix > 0 ? "buy" : "sell", base: Math.abs(fix), mismatch } }
}
