// Two clocks, never mixed (issue 8, item 6):
// - wall time (`wallMs`: Effect's Clock.currentTimeMillis, Date.now by default) only for records:
//   timestamps written to Redis, results and logs (sentAtMs, doneAtMs, createdAtMs, heartbeats'
//   atMs). A wall clock steps (NTP, an operator, a VM resumed) and differs between hosts.
// - monotonic time (`monoMs`: Effect's Clock.monotonicTimeNanos, process.hrtime by default) for
//   every duration compared against a limit: timeouts, backoffs, ages, grace periods, freshness.
//   It never steps, and means nothing outside this process: never stored, never sent to another.
// Both come from Effect's Clock service, so a test can give a process its own clock: see
// `makeHostClock` (wall steps while monotonic time and timers run on).
import { Clock, Effect, Layer } from "effect"

/**
 * This process's wall clock, whole ms since the epoch: for records only, never for a duration
 * checked against a limit. Whole: records are integers (a Clock may report fractions, as the
 * TestClock does after a jittered sleep).
 */
export const wallMs: Effect.Effect<number> = Clock.clockWith((c) => Effect.sync(() => Math.floor(c.currentTimeMillisUnsafe())))

const nanosToMs = (n: bigint): number => Number(n / 1_000_000n)

/** This process's monotonic clock, ms from an arbitrary origin: for durations only (never stored or sent). */
export const monoMs: Effect.Effect<number> = Clock.clockWith((c) => Effect.sync(() => nanosToMs(c.monotonicTimeNanosUnsafe())))

/** Both clocks for synchronous use (callbacks), read from the fiber's Clock service. */
export interface Clocks {
  readonly wallMs: () => number
  readonly monoMs: () => number
}

export const clocks: Effect.Effect<Clocks> = Clock.clockWith((c) =>
  Effect.succeed({ wallMs: () => Math.floor(c.currentTimeMillisUnsafe()), monoMs: () => nanosToMs(c.monotonicTimeNanosUnsafe()) })
)

/**
 * A host's clock for tests and simulations: the wall clock is the live one plus an offset that can
 * be stepped (a clock set back by an hour, another host's skew), while monotonic time and sleeps
 * are the live ones and run on undisturbed — as on a real machine whose clock is stepped.
 */
export interface HostClock {
  readonly clock: Clock.Clock
  /** The current wall offset from the live clock, ms. */
  readonly offsetMs: () => number
  /** Steps the wall clock by `ms` (negative: back). */
  readonly step: (ms: number) => void
  readonly setOffset: (ms: number) => void
  /** Provides this clock to a program (e.g. one process of a pair run in one test). */
  readonly provide: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly layer: Layer.Layer<never>
}

export const makeHostClock = (initialOffsetMs = 0, live: Clock.Clock = Clock.Clock.defaultValue()): HostClock => {
  let offset = initialOffsetMs
  const wall = () => live.currentTimeMillisUnsafe() + offset
  const wallNanos = () => live.currentTimeNanosUnsafe() + BigInt(Math.round(offset * 1_000_000))
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: wall,
    currentTimeMillis: Effect.sync(wall),
    currentTimeNanosUnsafe: wallNanos,
    currentTimeNanos: Effect.sync(wallNanos),
    monotonicTimeNanosUnsafe: () => live.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: Effect.sync(() => live.monotonicTimeNanosUnsafe()),
    sleep: (d) => live.sleep(d)
  }
  return {
    clock,
    offsetMs: () => offset,
    step: (ms) => void (offset += ms),
    setOffset: (ms) => void (offset = ms),
    provide: (effect) => Effect.provideService(effect, Clock.Clock, clock),
    layer: Layer.succeed(Clock.Clock, clock)
  }
}
