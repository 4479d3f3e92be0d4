// What B's loop keeps between fills, in Refs: hedges in a row that ended failed or partial (the
// risk monitor and the consecutive-failure rule read it), and when to look at the residual pool
// next (with backoff). All times are on the monotonic clock: a wall clock set back would hold the
// flush off for as long.
import { Effect, Ref } from "effect"
import { type Backoff, backoffMs } from "../domain/backoff.ts"
import { monoMs } from "../ops/time.ts"

/** The first look at the pool after a failed hedge, and the longest wait between two looks. */
export const FLUSH_FIRST_MS = 1000
export const FLUSH_MAX_MS = 30_000
const FLUSH_BACKOFF: Backoff = { baseMs: FLUSH_FIRST_MS, maxMs: FLUSH_MAX_MS }

export interface FlushSchedule {
  /** When to look at the residual pool next; undefined: no failed hedge since the last look. */
  readonly dueMonoMs: number | undefined
  /** Looks since the backoff was last reset: the next wait is FLUSH_FIRST_MS × 2^looks, at most FLUSH_MAX_MS. */
  readonly looks: number
}

/** The wait before the look after the next one. */
export const nextWaitMs = (f: FlushSchedule): number => backoffMs(FLUSH_BACKOFF, f.looks)

export interface HedgerLoopState {
  readonly failuresInARow: Ref.Ref<number>
  readonly flush: Ref.Ref<FlushSchedule>
}

/** A fresh state; a pool left by hedges that failed before a restart is looked at once on start. */
export const makeLoopState: Effect.Effect<HedgerLoopState> = Effect.gen(function*() {
  const now = yield* monoMs
  return {
    failuresInARow: yield* Ref.make(0),
    flush: yield* Ref.make<FlushSchedule>({ dueMonoMs: now, looks: 0 })
  }
})

/** A failed or partial hedge: one more in a row, and a look at the pool soon (unless one is due). Returns the count. */
export const recordFailure = (s: HedgerLoopState): Effect.Effect<number> =>
  Effect.gen(function*() {
    const now = yield* monoMs
    yield* Ref.update(s.flush, (f) => (f.dueMonoMs === undefined ? { ...f, dueMonoMs: now + nextWaitMs(f) } : f))
    return yield* Ref.updateAndGet(s.failuresInARow, (n) => n + 1)
  })

/** A hedge done in full: the run of failures ends; a residual flush that went through resets the backoff. */
export const recordSuccess = (s: HedgerLoopState, wasResidualFlush: boolean): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Ref.set(s.failuresInARow, 0)
    if (wasResidualFlush) yield* Ref.update(s.flush, (f) => ({ ...f, looks: 0 }))
  })

/**
 * Whether a look at the pool is due now; when it is, the next one is scheduled after the current
 * backoff, which doubles (up to FLUSH_MAX_MS) for the look after that.
 */
export const takeFlushTurn = (s: HedgerLoopState): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const now = yield* monoMs
    return yield* Ref.modify(s.flush, (f) =>
      f.dueMonoMs === undefined || now < f.dueMonoMs
        ? [false, f] as const
        : [true, { dueMonoMs: now + nextWaitMs(f), looks: f.looks + 1 }] as const
    )
  })

/** Nothing left to look at (the pool is empty, below the minimum, or was just published). */
export const flushDone = (s: HedgerLoopState): Effect.Effect<void> => Ref.update(s.flush, (f) => ({ ...f, dueMonoMs: undefined }))
