// The one halt path (src/safety/halt.ts): an ACTIVE pair halts with its reason and one alert;
// a pair already stopped keeps its state and reason, with no second alert.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { PairState } from "../../src/bus/PairState.ts"
import { Alerts, type AlertKind } from "../../src/ops/alerts.ts"
import { haltPair } from "../../src/safety/halt.ts"

const withAlerts = () => {
  const sent: Array<{ kind: AlertKind; message: string }> = []
  const layer = Layer.merge(
    MemoryPairState.layer(),
    Layer.succeed(Alerts, Alerts.of({ alert: (kind, message) => Effect.sync(() => void sent.push({ kind, message })) }))
  )
  return { sent, layer }
}

describe("haltPair", () => {
  it.effect("halts an ACTIVE pair once, saying why and what to do next", () => {
    const { sent, layer } = withAlerts()
    return Effect.gen(function*() {
      const state = yield* PairState
      assert.isTrue(yield* haltPair("net exposure 0.00060 BTC unhedged for 31000 ms"))
      assert.deepStrictEqual((yield* state.tradingStatus()).state, "HALTED")
      assert.strictEqual((yield* state.tradingStatus()).reason, "net exposure 0.00060 BTC unhedged for 31000 ms")
      assert.deepStrictEqual(sent, [{
        kind: "halted",
        message: "pair HALTED: net exposure 0.00060 BTC unhedged for 31000 ms. A stops quoting; B keeps hedging what is pending. After fixing the cause: bin/hedge resume"
      }])
      // A second rule firing: nothing changes, nothing more is sent.
      assert.isFalse(yield* haltPair("2 hedges in a row failed", "other advice"))
      assert.strictEqual((yield* state.tradingStatus()).reason, "net exposure 0.00060 BTC unhedged for 31000 ms")
      assert.strictEqual(sent.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an operator's halt keeps its reason; the advice given is the caller's", () => {
    const { sent, layer } = withAlerts()
    return Effect.gen(function*() {
      const state = yield* PairState
      yield* state.setTradingState("HALTED", "halted by operator")
      assert.isFalse(yield* haltPair("A's transactions refused 3 times in a row (21120): invalid signature"))
      assert.strictEqual((yield* state.tradingStatus()).reason, "halted by operator")
      assert.deepStrictEqual(sent, [])
      yield* state.setTradingState("ACTIVE", "resumed")
      yield* haltPair("A's key refused", "After fixing the key: bin/hedge keys check, then bin/hedge resume")
      assert.match(sent[0]!.message, /A's key refused\. A stops quoting; B keeps hedging what is pending\. After fixing the key: bin\/hedge keys check, then bin\/hedge resume$/)
    }).pipe(Effect.provide(layer))
  })
})
