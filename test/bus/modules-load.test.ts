/// <reference types="vite/client" />
// Every module of src/bus loads and exports something: a module that throws while it loads (a
// Schema or a script declaration built wrong) fails here by name, not as an import error
// somewhere else. The modules are imported eagerly, as the programs import them.
import { describe, expect, it } from "vitest"

const modules = import.meta.glob<Record<string, unknown>>("../../src/bus/**/*.ts", { eager: true })

describe("src/bus modules", () => {
  it("are found", () => {
    expect(Object.keys(modules).length).toBeGreaterThanOrEqual(20)
  })

  it.each(Object.keys(modules).sort())("%s exports something", (path) => {
    expect(Object.keys(modules[path]!).length).toBeGreaterThan(0)
  })
})
