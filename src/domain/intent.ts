// B's record of a hedge, written before any order is sent. A redelivered fill whose intent
// exists is resumed from here (resolving sent attempts against the venue), never re-planned.
// Defined once: the Schema (what the bus stores and decodes), and the type derived from it.
import { Schema } from "effect"
import { HedgeAttempt } from "./messages.ts"

export const HedgeIntentSchema = Schema.Struct({
  fillId: Schema.String,
  fillSeq: Schema.Int,
  /** "deferred": pooled, nothing to send. "open": attempts in progress. "done": result recorded. */
  status: Schema.Literals(["deferred", "open", "done"]),
  /** Signed quantity to trade (negative = sell), including the residual taken from the pool. */
  targetSignedBase: Schema.Int,
  /** Residual taken from the pool into this intent (signed). */
  takenFromPool: Schema.Int,
  attempts: Schema.Array(HedgeAttempt),
  createdAtMs: Schema.Int
})

export type HedgeIntent = typeof HedgeIntentSchema.Type

/** Applies `recordAttempt`: replaces the attempt with the same number, or appends it. */
export const withAttempt = (intent: HedgeIntent, attempt: HedgeAttempt): HedgeIntent => {
  const i = intent.attempts.findIndex((a) => a.attempt === attempt.attempt)
  const attempts = i === -1
    ? [...intent.attempts, attempt].sort((a, b) => a.attempt - b.attempt)
    : intent.attempts.map((a, j) => (j === i ? attempt : a))
  return { ...intent, attempts }
}
