// The one halt path of a running pair (A's and B's rules alike): an ACTIVE pair goes HALTED with
// the reason, and one `halted` alert says why and what to do next; a pair already stopped (HALTED
// by another rule or an operator, REDUCING) keeps its state and reason, and this is only logged.
// A stops quoting once it sees HALTED; B keeps hedging what is pending.
import { Effect } from "effect"
import { PairState } from "../bus/PairState.ts"
import { raiseAlert } from "../ops/alerts.ts"

/** Halts an ACTIVE pair; true when this call halted it. `next`: what the operator should do. */
export const haltPair = (reason: string, next = "After fixing the cause: bin/hedge resume") =>
  Effect.gen(function*() {
    const state = yield* PairState
    const trading = yield* state.tradingState()
    if (trading !== "ACTIVE") {
      yield* Effect.logWarning(`would halt, but the pair is ${trading} already: ${reason}`)
      return false
    }
    yield* state.setTradingState("HALTED", reason)
    yield* raiseAlert("halted", `pair HALTED: ${reason}. A stops quoting; B keeps hedging what is pending. ${next}`)
    return true
  })
