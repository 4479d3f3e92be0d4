import { Schedule } from "effect"

/** Supervisor backoff: exponential from 200 ms, capped at 5 s, with jitter; never gives up. */
export const supervisorBackoff = Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")]).pipe(
  Schedule.jittered
)
