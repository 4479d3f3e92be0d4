// The one exponential backoff for code that waits by callbacks rather than by Effect (ioredis's
// retryStrategy, the venue socket's reconnect and refused-channel timers, the hedger's residual
// look, which is due-time state rather than a sleep): base × 2^attempt, capped, optionally
// jittered ±20 %. Effect loops use Schedule (src/ops/schedules.ts) instead.

export interface Backoff {
  readonly baseMs: number
  readonly maxMs: number
}

/** The wait before retry number `attempt` (0 = the first), without jitter. */
export const backoffMs = (b: Backoff, attempt: number): number => Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(0, attempt), 30))

/** The same, spread ±20 % by `random` (in [0, 1)) so that many clients do not retry in step. */
export const jitteredBackoffMs = (b: Backoff, attempt: number, random: number): number => backoffMs(b, attempt) * (0.8 + random * 0.4)
