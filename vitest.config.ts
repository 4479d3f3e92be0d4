import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests spawn redis-server, the simulator and child processes: keep parallelism modest on 2 cores.
    maxWorkers: 2
  }
})
