// docs/CONFIG.md's key, environment and flag tables are generated from the key table
// (src/config/docs.ts); this fails when they are stale: run `npm run docs:config`.
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { defaultCell, keySectionsIn, keyTable, regenerate } from "../../src/config/docs.ts"
import { KEY_ENTRIES, KEYS } from "../../src/config/keys.ts"

const doc = readFileSync("docs/CONFIG.md", "utf8")

describe("docs/CONFIG.md is generated from the key table", () => {
  it("its generated tables are up to date (else: npm run docs:config)", () => {
    expect(regenerate(doc)).toBe(doc)
  })

  it("every section of the key table has exactly one generated table", () => {
    expect([...keySectionsIn(doc)].sort()).toEqual(Object.keys(KEYS).sort())
  })

  it("a key's row shows its default, unit and note, or how it is derived", () => {
    const rowOf = (key: string) => keyTable(key.split(".")[0]!).split("\n").find((l) => l.startsWith(`| \`${key}\` |`))
    expect(rowOf("lighter.maker_order_time_out")).toContain("| `30` (s) |")
    expect(rowOf("accounts.account_a.account_index")).toContain("| `1` (simulator only) |")
    expect(rowOf("market.quantity")).toContain("| `\"0.0002\"` |")
    expect(rowOf("metrics.port_a")).toContain("| — (off) |")
    expect(rowOf("risk.max_position")).toContain("| 5 × `market.quantity` |")
    for (const { path, spec } of KEY_ENTRIES) {
      expect(defaultCell(spec), path.join(".")).not.toBe("")
    }
  })

  it("an unknown generated block is refused, not silently kept", () => {
    expect(() => regenerate("<!-- generated: nonsense -->\nx\n<!-- /generated -->")).toThrow(/unknown generated block/)
    expect(() => regenerate("<!-- generated: keys nosuch -->\nx\n<!-- /generated -->")).toThrow(/no keys in section nosuch/)
  })
})
