// Stream entry ids ordered numerically (src/bus/codec.ts compareEntryIds), beyond codec.test.ts:
// ids with the same time ordered by their sequence part, both ways, and the same id equal.
import { describe, expect, it } from "vitest"
import { compareEntryIds } from "../../src/bus/codec.ts"

describe("compareEntryIds with the same time part", () => {
  it("orders by the sequence part, either way round, and says equal only for equal ids", () => {
    const ids = ["1700000000000-2", "1700000000000-0", "1700000000000-11", "1700000000000-1"]
    expect([...ids].sort(compareEntryIds)).toEqual(["1700000000000-0", "1700000000000-1", "1700000000000-2", "1700000000000-11"])
    expect(compareEntryIds("7-0", "7-1")).toBe(-1)
    expect(compareEntryIds("7-1", "7-0")).toBe(1)
    expect(compareEntryIds("7-1", "7-1")).toBe(0)
    expect(compareEntryIds("7", "7-1")).toBe(-1)
    expect(compareEntryIds("7-1", "7")).toBe(1)
  })
})
