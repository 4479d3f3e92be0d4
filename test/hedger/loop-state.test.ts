// B's loop state (src/hedger/loop-state.ts): failures in a row and the residual-flush schedule,
// on the monotonic test clock.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { TestClock } from "effect/testing"
import { FLUSH_FIRST_MS, FLUSH_MAX_MS, flushDone, makeLoopState, nextWaitMs, recordFailure, recordSuccess, takeFlushTurn } from "../../src/hedger/loop-state.ts"

describe("B's loop state", () => {
  it.effect("a fresh state looks at the pool at once (a pool left before a restart), then not until a failure", () =>
    Effect.gen(function*() {
      const s = yield* makeLoopState
      assert.isTrue(yield* takeFlushTurn(s))
      yield* flushDone(s)
      yield* TestClock.adjust("1 hour")
      assert.isFalse(yield* takeFlushTurn(s))
    }))

  it.effect("a failure counts one more in a row and makes a look due after the backoff; a success ends the run", () =>
    Effect.gen(function*() {
      const s = yield* makeLoopState
      yield* flushDone(s)
      assert.strictEqual(yield* recordFailure(s), 1)
      assert.strictEqual(yield* recordFailure(s), 2)
      assert.isFalse(yield* takeFlushTurn(s))
      yield* TestClock.adjust(FLUSH_FIRST_MS - 1)
      assert.isFalse(yield* takeFlushTurn(s))
      yield* TestClock.adjust(1)
      assert.isTrue(yield* takeFlushTurn(s))
      yield* recordSuccess(s, false)
      assert.strictEqual(yield* Ref.get(s.failuresInARow), 0)
    }))

  it.effect("a look that finds the pool unsendable waits twice as long each time, up to FLUSH_MAX_MS", () =>
    Effect.gen(function*() {
      const s = yield* makeLoopState
      const waits: Array<number> = []
      assert.isTrue(yield* takeFlushTurn(s)) // due at start; next after FLUSH_FIRST_MS
      let waited = 0
      while (waits.length < 7) {
        yield* TestClock.adjust(100)
        waited += 100
        if (yield* takeFlushTurn(s)) {
          waits.push(waited)
          waited = 0
        }
      }
      assert.deepStrictEqual(waits, [1000, 2000, 4000, 8000, 16000, 30000, 30000].map((w) => Math.min(w, FLUSH_MAX_MS)))
    }))

  it.effect("a residual flush hedged in full resets the backoff; a plain hedge does not", () =>
    Effect.gen(function*() {
      const s = yield* makeLoopState
      for (let i = 0; i < 4; i++) {
        yield* TestClock.adjust("1 minute")
        yield* takeFlushTurn(s)
      }
      assert.strictEqual(nextWaitMs(yield* Ref.get(s.flush)), 16_000)
      yield* recordSuccess(s, false)
      assert.strictEqual(nextWaitMs(yield* Ref.get(s.flush)), 16_000)
      yield* recordSuccess(s, true)
      assert.strictEqual(nextWaitMs(yield* Ref.get(s.flush)), FLUSH_FIRST_MS)
    }))

  it.effect("a failure while a look is already due keeps the earlier time", () =>
    Effect.gen(function*() {
      const s = yield* makeLoopState
      const due = (yield* Ref.get(s.flush)).dueMonoMs
      yield* TestClock.adjust(500)
      yield* recordFailure(s)
      assert.strictEqual((yield* Ref.get(s.flush)).dueMonoMs, due)
    }))
})
