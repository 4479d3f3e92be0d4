import { defineConfig } from "vitest/config"

// Two suites, both run by `bin/test` (CI): `unit` — pure and in-process tests (the pair as fibers
// on the memory venue, the bus against Redis, the simulator in process); `integration` — tests
// that start processes (main-a, main-b, bin/hedge, redis-servers they kill) and take minutes.
// One alone: `npm run test:unit` or `npm run test:integration`.
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests spawn redis-server, the simulator and child processes: keep parallelism modest on 2 cores.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/integration/**"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } }
    ]
  }
})
