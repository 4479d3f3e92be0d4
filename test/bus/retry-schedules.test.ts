// The bus's two retry schedules on the TestClock (src/bus/redis/connection.ts): how many retries,
// how soon. A single operation retries a transient failure 3 times within about 0.4 s (50 ms
// doubling, capped at 0.5 s, ±20 % jitter); connecting at start-up 3 times within about 0.8 s
// (100 ms doubling, capped at 1 s). Neither retries a failure that is not transient.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { BusError } from "../../src/bus/errors.ts"
import { isTransient, startupRetry, transientRetry } from "../../src/bus/redis/connection.ts"

const transient = new BusError({ op: "x", message: "x: connect ECONNREFUSED 127.0.0.1:1" })
const permanent = new BusError({ op: "x", message: "x: NOPERM", code: "NOPERM" })

/** Runs an operation that always fails with `error` under `schedule`; returns how many attempts it makes by each moment. */
const attemptsBy = (schedule: Schedule.Schedule<unknown, BusError>, error: BusError, moments: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    let attempts = 0
    const fiber = yield* Effect.forkChild(Effect.suspend(() => {
      attempts++
      return Effect.fail(error)
    }).pipe(Effect.retry(schedule)))
    const seen: Array<number> = []
    let now = 0
    for (const at of moments) {
      yield* TestClock.adjust(`${at - now} millis`)
      now = at
      seen.push(attempts)
    }
    yield* Fiber.interrupt(fiber)
    return seen
  })

describe("transientRetry (one operation)", () => {
  it.effect("the first retry waits at least 40 ms; all three are done by 420 ms", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* attemptsBy(transientRetry, transient, [39, 420, 5000]), [1, 4, 4])
    }))
  it.effect("a failure that is not transient is not retried", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* attemptsBy(transientRetry, permanent, [5000]), [1])
    }))
})

describe("startupRetry (connecting)", () => {
  it.effect("the first retry waits at least 80 ms; all three are done by 840 ms", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* attemptsBy(startupRetry, transient, [79, 840, 10_000]), [1, 4, 4])
    }))
  it.effect("a failure that is not transient is not retried", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* attemptsBy(startupRetry, permanent, [10_000]), [1])
    }))
})

describe("isTransient: the client's own failures, as ioredis and Node word them", () => {
  const uncoded = (message: string) => new BusError({ op: "x", message: `x on Redis 127.0.0.1:6379: ${message}` })
  it.each([
    "connect ECONNREFUSED 127.0.0.1:6379",
    "read ECONNRESET",
    "write EPIPE",
    "connect ETIMEDOUT",
    "connect EHOSTUNREACH 10.0.0.1:6379",
    "Connection is closed.",
    "MaxRetriesPerRequestError: Reached the max retries per request limit (which is 20).",
    "Reached the max retries per request limit (which is 20).",
    "Stream isn't writeable and enableOfflineQueue options is false",
    "Command timed out"
  ])("%s is transient", (message) => {
    assert.isTrue(isTransient(uncoded(message)))
  })
  it("an uncoded failure that names none of them is not", () => {
    assert.isFalse(isTransient(uncoded("Unexpected end of JSON input")))
    assert.isFalse(isTransient(uncoded("")))
  })
})
