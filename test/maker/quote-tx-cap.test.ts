// A's own cap on its quote transactions (src/maker/quote-tx-cap.ts), on the TestClock: within the
// cap nothing waits; at the cap a decision that needs room waits, says so once per wait, and
// goes again once the minute has moved on. The cap is kept within what the shared budget leaves quotes.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import { makeQuoteTxCap } from "../../src/maker/quote-tx-cap.ts"
import { makeContext } from "./context.ts"

const withLines = <A, E, R>(body: (lines: Array<string>) => Effect.Effect<A, E, R>) => {
  const lines: Array<string> = []
  return body(lines).pipe(Effect.provide(Logger.layer([Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))])))
}

describe("A's quote-tx cap", () => {
  it.effect("at the cap a decision waits and says so once; a minute later there is room again", () =>
    withLines((lines) =>
      Effect.gen(function*() {
        const { ctx } = yield* makeContext({ quoteTxPerMinute: 4 })
        const cap = yield* makeQuoteTxCap(ctx)
        assert.strictEqual(cap.cap, 4)
        for (let i = 0; i < 3; i++) yield* cap.sent
        const now = () => ctx.clock.monoMs()
        assert.isFalse(yield* cap.blocks(1, now()))
        // A re-quote needs two: only one left.
        assert.isTrue(yield* cap.blocks(2, now()))
        assert.isTrue(yield* cap.blocks(2, now()))
        assert.strictEqual(lines.filter((l) => l.startsWith("quote waits")).length, 1)
        assert.match(lines[0]!, /A sent 3 quote transactions in the last minute \(maker\.quote_tx_per_minute 4\); room again in 60 s/)
        yield* TestClock.adjust("60 seconds")
        assert.isFalse(yield* cap.blocks(2, now()))
        // A new wait is said again.
        for (let i = 0; i < 4; i++) yield* cap.sent
        assert.isTrue(yield* cap.blocks(1, now()))
        assert.strictEqual(lines.filter((l) => l.startsWith("quote waits")).length, 2)
      })
    ))

  it.effect("the cap never exceeds what the shared budget leaves quotes; 0 and no budget mean no cap", () =>
    Effect.gen(function*() {
      const capOf = (over: Parameters<typeof makeContext>[0]) => makeContext(over).pipe(Effect.flatMap(({ ctx }) => makeQuoteTxCap(ctx)), Effect.map((c) => c.cap))
      assert.strictEqual(yield* capOf({ quoteTxPerMinute: 20, sharedTxBudget: { txPerMinute: 60, hedgeReserve: 10 } }), 20)
      assert.strictEqual(yield* capOf({ quoteTxPerMinute: 80, sharedTxBudget: { txPerMinute: 60, hedgeReserve: 10 } }), 50)
      assert.strictEqual(yield* capOf({ quoteTxPerMinute: 0, sharedTxBudget: { txPerMinute: 60, hedgeReserve: 10 } }), 50)
      assert.strictEqual(yield* capOf({ quoteTxPerMinute: 0 }), 0)
      const { ctx } = yield* makeContext({ quoteTxPerMinute: 0 })
      const none = yield* makeQuoteTxCap(ctx)
      for (let i = 0; i < 100; i++) yield* none.sent
      assert.isFalse(yield* none.blocks(2, ctx.clock.monoMs()))
    }))
})
