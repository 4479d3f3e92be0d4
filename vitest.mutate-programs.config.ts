// `npm run mutate:maker` / `mutate:hedger`: the suites that run in process and in virtual time —
// the pure domain, the maker's and hedger's unit tests, and the engine scenarios on the memory
// bus and the TestClock — so a mutant costs seconds, not minutes. Left out: the Redis bus and
// the clock scenarios (real time), and everything that starts processes.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: [
      "test/domain/**/*.test.ts",
      "test/hedger/**/*.test.ts",
      "test/maker/**/*.test.ts",
      "test/pair/engine.memory.test.ts",
      "test/pair/maker-depth.test.ts",
      "test/pair/quote-budget.test.ts"
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 1
  }
})
