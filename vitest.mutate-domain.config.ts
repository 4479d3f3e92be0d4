// `npm run mutate:domain`: the pure domain against its own pure tests only (fast; the domain is
// meant to be tested exhaustively there, not through the engine scenarios).
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: { include: ["test/domain/**/*.test.ts"], testTimeout: 30_000, maxWorkers: 1 }
})
