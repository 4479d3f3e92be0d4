// The clock scenarios over the in-memory bus, in real time: A and B get host clocks of their own
// (a wall clock stepped back, hosts an hour apart), which the TestClock cannot stand in for.
import { Effect, Layer } from "effect"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { clockScenarios } from "./clock-scenarios.ts"
import { market } from "./harness.ts"

let last: ReturnType<typeof MemoryFillBus.make> | undefined

clockScenarios({
  name: "in-memory",
  make: () => {
    last = MemoryFillBus.make({ market })
    return Layer.mergeAll(last.layer, MemoryPairState.make().layer)
  },
  injectPoison: (raw) => Effect.sync(() => void last!.inspect.injectRaw(raw)),
  deadLetters: () => Effect.sync(() => last!.inspect.deadLetters().length),
  deadLetterReasons: () => Effect.sync(() => last!.inspect.deadLetters().map((d) => d.reason))
})
