// Process B: reads A's fills from the bus and hedges each on account B. This module starts B's
// parts and keeps them running; each part is its own module:
// - consume.ts: the consume loop (own pending entries, dead consumers' entries, new ones);
// - entry.ts: one entry, admitted or refused, hedged (hedge-fill.ts), recorded and acknowledged;
// - residual-flush.ts: the residual pool hedged when no fill comes to carry it;
// - risk-monitor.ts and reconciler.ts: the limits, the force close, reconciliation;
// - loop-state.ts: what they share (failures in a row, the flush schedule), in Refs.
// Besides those: B's heartbeat, the restart alert, the clock-skew watch and the force-close responder.
import { Effect, Option, Schedule } from "effect"
import { closingClientIndexB } from "../domain/closing.ts"
import type { HedgerBeat } from "../domain/heartbeat.ts"
import { PairState } from "../bus/PairState.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { watchClockSkew } from "../ops/clock-skew.ts"
import { supervisorBackoff } from "../ops/schedules.ts"
import { wallMs } from "../ops/time.ts"
import { forceCloseResponder } from "../safety/force-close.ts"
import { AccountStream } from "../venue/AccountStream.ts"
import { pollFreeCollateral, Venue } from "../venue/Venue.ts"
import { consumeLoop } from "./consume.ts"
import { makeLoopState } from "./loop-state.ts"
import { makeOrderWatcher } from "./order-watcher.ts"
import { riskMonitor } from "./risk-monitor.ts"
import { FREE_COLLATERAL_POLL_MS, type HedgerSettings } from "./settings.ts"

export { A_HEARTBEAT_FRESH_MS, FREE_COLLATERAL_POLL_MS, type HedgerSettings, STOP_GRACE_MS } from "./settings.ts"

/** Runs B until interrupted. */
export const runHedger = (settings: HedgerSettings) =>
  Effect.gen(function*() {
    const stream = yield* AccountStream
    const state = yield* PairState
    const watcher = yield* makeOrderWatcher(stream.events, settings.onAccountEvent)
    // Every fill's price is checked against the book: subscribe to it now, not on the first fill.
    yield* (yield* Venue).orderBook(settings.market.marketId, 1).pipe(Effect.ignore, Effect.forkScoped)
    // Suspended: the status is read at every beat (streamConnected is live, not the value at start).
    // `beat` counts up: A judges B alive by seeing it change, not by B's clock (src/domain/freshness.ts).
    let beats = 0
    yield* Effect.suspend(() =>
      state.heartbeat("b", { consumer: settings.consumer, streamConnected: watcher.connected(), beat: ++beats } satisfies HedgerBeat, settings.heartbeatMs * 3)
    )
      .pipe(
        Effect.catch((e) => Effect.logWarning(`heartbeat failed: ${e.message}`)),
        Effect.repeat(Schedule.spaced(settings.heartbeatMs)),
        Effect.forkScoped
      )
    const previous = yield* state.lastHeartbeat("b").pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(previous)) {
      // By this host's wall clock, as B's last beat was stamped (a message, not a rule).
      yield* raiseAlert("process-restart", `hedger ${settings.consumer} restarted (B was alive ${(yield* wallMs) - previous.value.atMs} ms ago)`)
    }
    // risk.max_clock_skew_ms 0 is checked by watchClockSkew itself (it does not look).
    if (settings.clockSkew !== undefined) {
      yield* watchClockSkew({ ...settings.clockSkew, marketId: settings.market.marketId, who: `B (hedger ${settings.consumer})` }).pipe(Effect.forkScoped)
    }
    const loop = yield* makeLoopState
    if (settings.risk !== undefined) {
      // B's own collateral is read only when the limit is on (rate limits); A reads its own.
      const collateral = (settings.risk.limits.minFreeCollateralMicro ?? 0) > 0
        ? yield* pollFreeCollateral(settings.risk.freeCollateralEveryMs || FREE_COLLATERAL_POLL_MS)
        : undefined
      yield* riskMonitor(watcher, settings, settings.risk, loop, () => collateral?.current()).pipe(Effect.forkScoped)
    }
    // B closes its own account when a force close asks (strategy.force_close_timeout), even one
    // requested before this start.
    yield* forceCloseResponder({
      role: "b",
      market: settings.market,
      closingIndex: (startedAtMs, n) => closingClientIndexB(settings.clientIndexTag, startedAtMs, n),
      // Stryker disable next-line ConditionalExpression: the `true` mutant is equivalent: an undefined pollMs takes the same default
      ...(settings.forceClosePollMs !== undefined ? { pollMs: settings.forceClosePollMs } : {})
    }).pipe(Effect.forkScoped)
    yield* Effect.logInfo(`hedger ${settings.consumer} started`)
    return yield* consumeLoop(watcher, settings, loop).pipe(
      Effect.tapError((e) => Effect.logError(`hedger loop failed, restarting: ${e.message}`)),
      Effect.retry(supervisorBackoff),
      Effect.forever
    )
  })
