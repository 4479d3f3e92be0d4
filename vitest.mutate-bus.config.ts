// `npm run mutate:bus`: the bus contract on both buses and the bus's own tests (Redis scripts,
// fences, leases, pair identity, the previous system's messages), the tx budget's window on
// Redis, plus the engine scenarios on the memory bus
// (virtual time). The engine scenarios over Redis run in real time and are left out: the Redis
// bus is judged by its contract tests.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/bus/**/*.test.ts", "test/pair/engine.memory.test.ts", "test/venue/tx-budget*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 1
  }
})
