import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { hedgeSideFor, isAskSide, oppositeSide, sideFromIsAsk, signedBase, type Side } from "../../src/domain/side.ts"

describe("direction rule", () => {
  it("A buy (open long) → B sells (open short, is_ask = true)", () => {
    expect(hedgeSideFor("buy")).toBe("sell")
    expect(isAskSide(hedgeSideFor("buy"))).toBe(true)
  })
  it("A sell (close long) → B buys (close short, is_ask = false)", () => {
    expect(hedgeSideFor("sell")).toBe("buy")
    expect(isAskSide(hedgeSideFor("sell"))).toBe(false)
  })
  it("a fill and its hedge cancel out for every size (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom<Side>("buy", "sell"), fc.integer({ min: 1, max: 2 ** 48 - 1 }), (side, size) => {
        expect(signedBase(side, size) + signedBase(hedgeSideFor(side), size)).toBe(0)
        expect(oppositeSide(oppositeSide(side))).toBe(side)
        expect(sideFromIsAsk(isAskSide(side))).toBe(side)
      })
    )
  })
})
