// B's consume loop: on start it drains its own pending entries (fills it received before a
// crash), then claims entries dead consumers left behind, then reads new ones, looking at the
// residual pool and for dead consumers' entries between reads. A stop lets the entry in hand
// settle (up to STOP_GRACE_MS) and starts no other.
import { Effect, Fiber, Option } from "effect"
import { type BusEntry, FillBus } from "../bus/FillBus.ts"
import { monoMs } from "../ops/time.ts"
import { shutdownIncomplete } from "../ops/shutdown-report.ts"
import { handleEntry, subjectOf } from "./entry.ts"
import type { HedgerLoopState } from "./loop-state.ts"
import type { OrderWatcher } from "./order-watcher.ts"
import { maybeFlushResidual } from "./residual-flush.ts"
import { type HedgerSettings, STOP_GRACE_MS } from "./settings.ts"

/**
 * Handles one entry so that a stop lets it finish: the hedge runs in a fiber of its own, which a
 * stop does not interrupt; the stop waits for it up to STOP_GRACE_MS, then interrupts it and
 * reports the shutdown as incomplete (exit code 1, src/app/exit.ts). Next entries are not
 * started once a stop has come.
 */
const settleBeforeStop = <A, E, R>(e: BusEntry, work: Effect.Effect<A, E, R>, graceMs: number) =>
  graceMs <= 0 ? work.pipe(Effect.onInterrupt(() => reportCutOff(e, 0))) : Effect.gen(function*() {
    const fiber = yield* Effect.forkDetach(work)
    return yield* Fiber.join(fiber).pipe(
      Effect.onInterrupt(() =>
        Effect.gen(function*() {
          const settled = yield* Fiber.await(fiber).pipe(Effect.timeoutOption(graceMs))
          if (Option.isSome(settled)) return
          yield* Fiber.interrupt(fiber)
          yield* reportCutOff(e, graceMs)
        })
      )
    )
  })

const reportCutOff = (e: BusEntry, waitedMs: number) =>
  e._tag !== "Poison"
    ? shutdownIncomplete(
      `B's hedge of fill ${subjectOf(e).fillId} (seq ${subjectOf(e).fillSeq}) was interrupted before it settled` +
        `${waitedMs > 0 ? ` (waited ${waitedMs / 1000} s)` : ""}; B resumes it from its intent on its next start`
    )
    : Effect.void

/** Hedges every entry of a batch in order (fills of one pair are hedged one at a time). */
const handleAll = (entries: ReadonlyArray<BusEntry>, watcher: OrderWatcher, settings: HedgerSettings, loop: HedgerLoopState) =>
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent: `discard` only changes the value returned, which is not used
  Effect.forEach(entries, (e) => settleBeforeStop(e, handleEntry(e, watcher, settings, loop), settings.stopGraceMs ?? STOP_GRACE_MS), { discard: true })

/** Drains this consumer's pending entries, then stale entries of dead consumers. */
const recover = (watcher: OrderWatcher, settings: HedgerSettings, loop: HedgerLoopState) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    for (;;) {
      const own = yield* bus.readOwnPending(settings.consumer, settings.batch)
      if (own.length === 0) break
      yield* Effect.logInfo(`resuming ${own.length} fill(s) received before a restart`)
      yield* handleAll(own, watcher, settings, loop)
    }
    for (;;) {
      const claimed = yield* bus.claimStale(settings.consumer, settings.claimIdleMs, settings.batch)
      if (claimed.length === 0) break
      yield* Effect.logWarning(`claimed ${claimed.length} fill(s) left by a dead consumer`)
      yield* handleAll(claimed, watcher, settings, loop)
    }
  })

export const consumeLoop = (watcher: OrderWatcher, settings: HedgerSettings, loop: HedgerLoopState) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    yield* recover(watcher, settings, loop)
    // On the monotonic clock: a wall clock set back would stop the claims for as long.
    let lastClaim = yield* monoMs
    for (;;) {
      const entries = yield* bus.readNew({ consumer: settings.consumer, count: settings.batch, blockMs: settings.blockMs })
      yield* handleAll(entries, watcher, settings, loop)
      yield* maybeFlushResidual(settings, loop)
      const now = yield* monoMs
      if (now - lastClaim >= settings.claimEveryMs) {
        lastClaim = now
        yield* recover(watcher, settings, loop)
      }
    }
  })
