/// <reference types="vite/client" />
// Every module of src/bus loads on its own and exports something. Besides catching a module that
// throws while it loads, this is the test `npm run mutate:bus-static` runs to find the bus's
// static mutants (code that runs when a module loads: Schemas, scripts, constants).
import { describe, expect, it } from "vitest"

const modules = import.meta.glob<Record<string, unknown>>("../../src/bus/**/*.ts")

describe("src/bus modules", () => {
  it("are found", () => {
    expect(Object.keys(modules).length).toBeGreaterThanOrEqual(20)
  })

  it.each(Object.keys(modules).sort())("%s loads and exports something", async (path) => {
    const m = await modules[path]!()
    expect(Object.keys(m).length).toBeGreaterThan(0)
  })
})
