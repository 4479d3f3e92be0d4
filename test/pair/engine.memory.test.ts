// The engine scenarios over the in-memory bus, on the TestClock (the clock scenarios, which give A
// and B host clocks of their own, are in engine.memory-clocks.test.ts, in real time).
import { Effect, Layer } from "effect"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../../src/bus/memory/MemoryPairState.ts"
import { market } from "./harness.ts"
import { forceCloseScenarios } from "./force-close-scenarios.ts"
import { type BusUnderTest, engineScenarios } from "./scenarios.ts"

let last: ReturnType<typeof MemoryFillBus.make> | undefined

const memoryBus: BusUnderTest = {
  name: "in-memory",
  // No real I/O: the scenarios run on the TestClock.
  virtualTime: true,
  make: () => {
    last = MemoryFillBus.make({ market })
    return Layer.mergeAll(last.layer, MemoryPairState.make().layer)
  },
  injectPoison: (raw) => Effect.sync(() => void last!.inspect.injectRaw(raw)),
  deadLetters: () => Effect.sync(() => last!.inspect.deadLetters().length),
  deadLetterReasons: () => Effect.sync(() => last!.inspect.deadLetters().map((d) => d.reason))
}

engineScenarios(memoryBus)
forceCloseScenarios(memoryBus)
