// What process B is told: its pair, market, consumer, limits and hooks (src/app/process.ts
// fills it from the config), and the constants its parts share.
import type { Effect } from "effect"
import type { RiskLimits } from "../domain/risk.ts"
import type { AccountEvent } from "../domain/events.ts"
import type { HedgeResult } from "../domain/messages.ts"
import type { ForceCloseAction } from "../safety/force-close.ts"
import type { HedgeSettings } from "./hedge-fill.ts"

export interface HedgerSettings extends HedgeSettings {
  /**
   * On a stop, how long the hedge in flight may take to settle before it is cut off (default
   * STOP_GRACE_MS). 0: cut off at once, as a crash would (tests that model one).
   */
  readonly stopGraceMs?: number
  /** The pair's name (config pair.name): fills of another pair are refused; residual flushes carry it. */
  readonly pair: string
  /** A's account index: fills that name another account are refused. */
  readonly aAccountIndex: number
  /** Largest fill B hedges, base units (hedge.max_fill_multiple × the quote size); larger ones are refused. */
  readonly maxFillBase: number
  readonly consumer: string
  readonly batch: number
  readonly blockMs: number
  /** Entries of other consumers idle longer than this are claimed. */
  readonly claimIdleMs: number
  /** How often to look for stale entries of dead consumers while running. */
  readonly claimEveryMs: number
  readonly heartbeatMs: number
  /**
   * B's clock against the venue's (risk.max_clock_skew_ms): beyond `maxSkewMs` an alert, and
   * another when it recovers. Absent or 0: not checked. everyMs / windowMs: see src/ops/clock-skew.ts.
   */
  readonly clockSkew?: { readonly maxSkewMs: number; readonly everyMs?: number; readonly windowMs?: number }
  /** Called after each fill is recorded (console view, metrics). */
  readonly onResult?: (result: HedgeResult) => Effect.Effect<void>
  readonly onAccountEvent?: (e: AccountEvent) => Effect.Effect<void>
  /** Called for each entry moved to the dead-letter stream. */
  readonly onPoison?: (reason: string) => Effect.Effect<void>
  /** Called for each entry acknowledged as a duplicate of a fill already hedged (or being hedged). */
  readonly onDuplicate?: () => Effect.Effect<void>
  /** Limits checked every `intervalMs`; a breach halts the pair (DESIGN I4). */
  readonly risk?: {
    readonly limits: RiskLimits
    readonly intervalMs: number
    readonly minBase: number
    /** A mismatch must last this long before it is repaired; 0 = no reconciliation. */
    readonly reconcileGraceMs?: number
    /** Largest automatic reduce-only correction on B, base units. */
    readonly maxCorrection?: number
    /** How often B reads its free collateral when limits.minFreeCollateralMicro is on (absent or 0: 5 s, for rate limits). */
    readonly freeCollateralEveryMs?: number
    /** What limits.forceCloseAfterMs does (risk.force_close_action): close both accounts (default) or only halt. */
    readonly forceCloseAction?: ForceCloseAction
  }
  /** How often B looks for a force-close request to answer (default FORCE_CLOSE_POLL_MS). */
  readonly forceClosePollMs?: number
}

/** Free collateral is read this rarely by default: a REST call, never on the hedge path. */
export const FREE_COLLATERAL_POLL_MS = 5_000

/**
 * A's heartbeat (written every second) counts as fresh while B saw it change within this long,
 * on B's monotonic clock: never A's stamp against B's clock (their hosts' clocks may differ).
 */
export const A_HEARTBEAT_FRESH_MS = 5_000

/** On a stop (SIGINT/SIGTERM), the entry B is hedging gets this long to settle before it is cut off. */
export const STOP_GRACE_MS = 10_000
