// The in-process suites StrykerJS runs against each mutant (`npm run mutate`): pure domain tests,
// the bus contract on the in-memory bus and on Redis, and the engine scenarios. Suites that start
// child processes (e2e, chaos) are left out: a mutant in the sandbox would not reach them reliably.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/domain/**/*.test.ts", "test/bus/**/*.test.ts", "test/pair/**/*.test.ts", "test/hedger/**/*.test.ts", "test/maker/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 1
  }
})
