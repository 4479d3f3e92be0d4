// B's risk monitor (DESIGN I4): every risk.check_interval_ms it reads A's position (from a fresh
// heartbeat), B's own and the counters, applies the limits of src/domain/risk.ts, starts a force
// close when A and B stay mismatched (src/safety/force-close.ts), reconciles (reconciler.ts), and
// moves an ACTIVE pair to HALTED on a breach. Every duration and age is on B's monotonic clock: a
// wall clock stepped back (or A's host's clock an hour off) neither freezes the rules nor turns
// them off.
import { Effect, Option, Ref } from "effect"
import { beatFresh, beatToken, initialBeatWatch, observeBeat } from "../domain/freshness.ts"
import { makerBeatOf } from "../domain/heartbeat.ts"
import { evaluateRisk, initialRiskState } from "../domain/risk.ts"
import { PairState } from "../bus/PairState.ts"
import { monoMs } from "../ops/time.ts"
import { haltPair } from "../safety/halt.ts"
import { triggerForceClose } from "../safety/force-close.ts"
import type { HedgerLoopState } from "./loop-state.ts"
import type { OrderWatcher } from "./order-watcher.ts"
import { makeReconciler } from "./reconciler.ts"
import { A_HEARTBEAT_FRESH_MS, type HedgerSettings } from "./settings.ts"

export const riskMonitor = (
  watcher: OrderWatcher,
  settings: HedgerSettings,
  risk: NonNullable<HedgerSettings["risk"]>,
  loop: HedgerLoopState,
  bFreeCollateral: () => number | undefined
) =>
  Effect.gen(function*() {
    const state = yield* PairState
    let rs = initialRiskState
    // A's heartbeat as B saw it change, on B's monotonic clock (src/domain/freshness.ts).
    let beatA = initialBeatWatch
    const reconcileGraceMs = risk.reconcileGraceMs ?? 0
    const reconciler = yield* makeReconciler(settings, { minBase: risk.minBase, graceMs: reconcileGraceMs, maxCorrection: risk.maxCorrection ?? 0 })
    for (;;) {
      yield* Effect.sleep(risk.intervalMs)
      const trading = yield* state.tradingState()
      const lookMs = yield* monoMs
      const hbA = yield* state.lastHeartbeat("a")
      beatA = observeBeat(beatA, hbA._tag === "Some" ? beatToken(hbA.value) : undefined, lookMs)
      const nowMs = yield* monoMs
      const hbFresh = hbA._tag === "Some" && beatFresh(beatA, nowMs, A_HEARTBEAT_FRESH_MS)
      // A's figures only from a fresh beat that decodes as A's (src/domain/heartbeat.ts).
      const aBeat = hbFresh ? makerBeatOf(hbA.value.status) : undefined
      // B's position may be unknown (no snapshot yet): the rules that need it wait, the others do not.
      const bPosition = watcher.position(settings.market.marketId)
      const r = evaluateRisk(rs, {
        market: settings.market,
        nowMs,
        aPosition: aBeat?.position,
        bPosition,
        minBase: risk.minBase,
        consecutiveFailures: yield* Ref.get(loop.failuresInARow),
        // A publishes its free collateral only while its own reading is recent.
        aFreeCollateralMicro: aBeat?.freeCollateralMicro,
        bFreeCollateralMicro: bFreeCollateral()
      }, risk.limits)
      rs = r.state
      // While a force close runs, A and B close their own accounts: no correction, no new request.
      const forceClosing = Option.isSome(yield* state.forceClose())
      if (r.forceClose !== undefined && !forceClosing) {
        // Stryker disable next-line StringLiteral: triggerForceClose only tests action === "halt"; any other default ("" included) flattens exactly as "flatten" does
        yield* triggerForceClose(r.forceClose, risk.forceCloseAction ?? "flatten", settings.market)
        continue
      }
      if (!forceClosing && aBeat !== undefined && bPosition !== undefined && reconcileGraceMs > 0) {
        const outcome = yield* reconciler.look({ nowMs, aPosition: aBeat.position, aObservedAtMs: beatA.writtenAfterMs, bPosition })
        if (outcome._tag === "Halt" && trading === "ACTIVE") {
          yield* haltPair(`reconciliation: ${outcome.reason}`)
          continue
        }
      }
      if (r.breaches.length > 0 && trading === "ACTIVE") yield* haltPair(r.breaches.join("; "))
    }
  }).pipe(
    Effect.catch((e) => Effect.logWarning(`risk check failed: ${e.message}`)),
    Effect.forever
  )
