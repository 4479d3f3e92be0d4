// Reconciliation on B (rules in src/domain/reconcile.ts): once every hedge in flight has landed,
// A + B should be flat. A mismatch that lasts risk.reconcile_grace_ms is repaired on B with a
// bounded reduce-only order when B over-hedged; anything else halts the pair.
import { Effect, Ref } from "effect"
import { correctionClientIndex } from "../domain/client-index.ts"
import { computeExposure } from "../domain/exposure.ts"
import { priceCap } from "../domain/hedge-plan.ts"
import { formatBase } from "../domain/market.ts"
import { initialReconcileState, reconcile, type ReconcileState } from "../domain/reconcile.ts"
import { PairState } from "../bus/PairState.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { wallMs } from "../ops/time.ts"
import { Venue } from "../venue/Venue.ts"
import type { HedgerSettings } from "./settings.ts"

export interface ReconcileLook {
  /** B's monotonic clock now. */
  readonly nowMs: number
  /** A's position from a fresh heartbeat of A's. */
  readonly aPosition: number
  /** A time A's position was measured after (src/domain/freshness.ts). */
  readonly aObservedAtMs: number
  readonly bPosition: number
}

/** What one look decided: nothing, a correction sent (or tried), or a halt with its reason. */
export type ReconcileOutcome = { readonly _tag: "Nothing" } | { readonly _tag: "Corrected" } | { readonly _tag: "Halt"; readonly reason: string }

const NOTHING: ReconcileOutcome = { _tag: "Nothing" }
const CORRECTED: ReconcileOutcome = { _tag: "Corrected" }
const halt = (reason: string): ReconcileOutcome => ({ _tag: "Halt", reason })

export const makeReconciler = (
  settings: Pick<HedgerSettings, "market" | "slippageBps" | "clientIndexTag">,
  rules: { readonly minBase: number; readonly graceMs: number; readonly maxCorrection: number }
) =>
  Effect.gen(function*() {
    const state = yield* Ref.make<ReconcileState>(initialReconcileState)
    // Corrections take their client index from the wall clock's second; never one already used
    // in this run, whatever that clock does.
    const lastCorrectionMs = yield* Ref.make(-Infinity)
    const look = (l: ReconcileLook) =>
      Effect.gen(function*() {
        const pairState = yield* PairState
        const pool = yield* pairState.residualPool()
        const open = yield* pairState.openIntents()
        const x = computeExposure({ aPosition: l.aPosition, bPosition: l.bPosition, openIntents: open, residualPool: pool })
        const rc = reconcile(yield* Ref.get(state), {
          nowMs: l.nowMs,
          // A measured its position after B's last look that still saw A's previous beat.
          aObservedAtMs: l.aObservedAtMs,
          aPosition: x.aPosition,
          bPosition: x.bPosition,
          inFlightSigned: x.inFlightSigned,
          residualPool: x.residualPool,
          minBase: rules.minBase,
          graceMs: rules.graceMs,
          maxCorrection: rules.maxCorrection
        })
        yield* Ref.set(state, rc.state)
        if (rc.action._tag === "Halt") return halt(rc.action.reason)
        if (rc.action._tag !== "Correct") return NOTHING
        const venue = yield* Venue
        const fix = rc.action
        const m = settings.market
        yield* raiseAlert(
          "reconciliation-mismatch",
          `B is over-hedged by ${formatBase(m, -fix.mismatch)} ${m.symbol}: correcting with a reduce-only ${fix.side} of ${formatBase(m, fix.base)} ${m.symbol}`
        )
        const book = yield* venue.orderBook(m.marketId, 1)
        const ref = fix.side === "buy" ? book.asks[0]?.price : book.bids[0]?.price
        if (ref === undefined) return NOTHING
        const wall = yield* wallMs
        const at = yield* Ref.updateAndGet(lastCorrectionMs, (last) => Math.max(last + 1000, wall))
        yield* venue.placeMarket({
          marketId: m.marketId,
          side: fix.side,
          base: fix.base,
          priceCap: priceCap(fix.side, ref, settings.slippageBps),
          clientOrderIndex: correctionClientIndex(settings.clientIndexTag, at),
          reduceOnly: true
        }).pipe(Effect.catch((e) => raiseAlert("reconciliation-mismatch", `correction not sent: ${e.message}`)))
        return CORRECTED
      })
    return { look }
  })
