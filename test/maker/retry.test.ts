// How A re-sends a quote transaction (src/maker/retry.ts), on the TestClock: a failure a retry can
// cure (rate limit, venue unreachable, stale nonce) is sent again up to `times` times; a refusal
// is never sent again.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { placeRetry } from "../../src/maker/retry.ts"
import { type VenueErrorKind, VenueError } from "../../src/venue/errors.ts"

const sendsOf = (kind: VenueErrorKind, times: number) =>
  Effect.gen(function*() {
    let sends = 0
    const send = Effect.suspend(() => (sends++, Effect.fail(new VenueError({ op: "placeLimit", kind, message: kind }))))
    const fiber = yield* send.pipe(Effect.retry(placeRetry(times)), Effect.flip, Effect.forkChild)
    for (let i = 0; i < 100; i++) yield* TestClock.adjust(100)
    const last = yield* Fiber.join(fiber)
    assert.strictEqual(last.kind, kind)
    return sends
  })

describe("A's quote retries", () => {
  it.effect("retryable failures are sent again `times` times; refusals and unknown outcomes never", () =>
    Effect.gen(function*() {
      for (const kind of ["rate-limited", "unavailable", "invalid-nonce"] as const) {
        assert.strictEqual(yield* sendsOf(kind, 2), 3, kind)
        assert.strictEqual(yield* sendsOf(kind, 0), 1, kind)
      }
      for (const kind of ["rejected", "unknown-outcome"] as const) assert.strictEqual(yield* sendsOf(kind, 5), 1, kind)
    }))
})
