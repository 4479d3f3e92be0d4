// Prints one machine-readable closing line: "N passed, N failed, N skipped".
// Vitest's own summary is coloured and not in a form CI reads.
import type { Reporter, TestModule } from "vitest/node"

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const m of modules) {
      const state = m.state()
      // A file that failed to load has no tests: count it as one failure.
      if (state === "failed" && [...m.children.allTests()].length === 0) failed++
      for (const t of m.children.allTests()) {
        const s = t.result().state
        if (s === "passed") passed++
        else if (s === "failed") failed++
        else skipped++
      }
    }
    failed += unhandledErrors.length
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
