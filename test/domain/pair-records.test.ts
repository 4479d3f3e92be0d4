import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { parseRestingQuote, restingQuoteText } from "../../src/domain/pair-records.ts"

describe("the quote A publishes for B", () => {
  it("reads back what it wrote, with or without a size", () => {
    fc.assert(fc.property(fc.constantFrom("buy" as const, "sell" as const), fc.integer({ min: 1, max: 2 ** 32 }), fc.integer({ min: 1, max: 2 ** 48 }), fc.option(fc.integer({ min: 1, max: 2 ** 48 }), { nil: undefined }), (side, price, clientOrderIndex, base) => {
      const q = { side, price, clientOrderIndex, ...(base === undefined ? {} : { base }) }
      expect(parseRestingQuote(restingQuoteText(q))).toEqual(q)
    }))
  })

  it("a text that is not one is refused, never guessed", () => {
    for (const bad of ["", "hold 1 2", "buy 0 2", "buy 1 0", "buy 1.5 2", "buy 1 2 3 4", "buy -1 2", "sell 1 2 0"]) {
      expect(parseRestingQuote(bad), bad).toBeUndefined()
    }
  })
})
