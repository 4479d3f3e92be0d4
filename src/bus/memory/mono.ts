// Monotonic ms from Effect's Clock, for the in-memory bus's own notion of time (idle times of
// pending entries, heartbeat expiry): as Redis judges these by its own clock, never by a client's
// wall clock, a client whose wall clock steps or is an hour off changes nothing. TestClock's
// adjust moves it too.
import { Clock, Effect } from "effect"

export const monoNow: Effect.Effect<number> = Clock.clockWith((c) => Effect.sync(() => Number(c.monotonicTimeNanosUnsafe() / 1_000_000n)))
