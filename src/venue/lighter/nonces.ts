// Nonces of one (account, API key): fetched from `nextNonce` when unknown, handed out in order
// under a lock (one tx of a key in flight at a time, so a reject can never leave a gap), kept
// when the venue refused the tx (a refused tx does not spend its nonce), and fetched again after
// "invalid nonce" or a tx whose outcome is unknown.
import { Effect, Semaphore } from "effect"
import type { VenueError } from "../errors.ts"

export interface NonceManager {
  /** Runs `send` with the next nonce; the nonce is spent unless `send` fails with a definite refusal. */
  readonly withNonce: <A>(send: (nonce: number) => Effect.Effect<A, VenueError>) => Effect.Effect<A, VenueError>
}

export const makeNonceManager = (fetchNext: Effect.Effect<number, VenueError>) =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    let next: number | undefined
    const run = <A>(send: (nonce: number) => Effect.Effect<A, VenueError>, retried: boolean): Effect.Effect<A, VenueError> =>
      Effect.gen(function*() {
        if (next === undefined) next = yield* fetchNext
        const nonce = next
        const r = yield* send(nonce).pipe(Effect.result)
        if (r._tag === "Success") {
          next = nonce + 1
          return r.success
        }
        const e = r.failure
        if (e.kind === "invalid-nonce") {
          next = undefined
          if (!retried) return yield* run(send, true)
        } else if (e.kind === "unknown-outcome") {
          next = undefined // may or may not be spent: ask the venue next time
        }
        // rejected / rate-limited / unavailable: not spent, reuse it
        return yield* Effect.fail(e)
      })
    const manager: NonceManager = { withNonce: (send) => lock.withPermits(1)(run(send, false)) }
    return manager
  })
