// How A re-sends a quote transaction the venue did not take: exponential from 100 ms with jitter,
// `times` retries at most, and only for failures where a retry can work (rate limit, unreachable).
import { Schedule } from "effect"
import type { VenueError } from "../venue/errors.ts"

export const placeRetry = (times: number) =>
  Schedule.exponential("100 millis").pipe(
    Schedule.jittered,
    Schedule.upTo({ times }),
    Schedule.setInputType<VenueError>(),
    Schedule.while(({ input }) => input.retryable)
  )
