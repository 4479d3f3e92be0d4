// This machine's wall clock, stepped for the length of a test: Date.now (and with it Effect's
// default Clock.currentTimeMillis) jumps by the step, as when NTP or an operator sets the system
// clock; monotonic time (performance.now, process.hrtime, Effect's Clock.monotonicTimeNanos) and
// timers run on undisturbed, as they do on a real machine. Restored when the scope closes.
import { Effect } from "effect"

export interface SteppedMachineClock {
  /** Steps the wall clock by `ms` (negative: back). */
  readonly step: (ms: number) => void
  readonly offsetMs: () => number
}

export const steppedMachineClock: Effect.Effect<SteppedMachineClock, never, import("effect").Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => {
    const real = Date.now
    let offset = 0
    Date.now = () => real.call(Date) + offset
    return { step: (ms: number) => void (offset += ms), offsetMs: () => offset, restore: () => void (Date.now = real) }
  }),
  (c) => Effect.sync(() => c.restore())
)
