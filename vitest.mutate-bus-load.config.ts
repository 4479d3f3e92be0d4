// `npm run mutate:bus-static`, step 1: the test that only loads every bus module, so Stryker can
// tell which mutants run while a module loads (scripts/mutate-bus-static.ts).
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: { include: ["test/bus/modules-load.test.ts"], maxWorkers: 1 }
})
