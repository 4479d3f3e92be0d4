// The schemas of what crosses Redis: every bounded field accepts its edges and refuses one past
// them, so an out-of-range value is a dead letter at the edge, never a RangeError in the hedge path.
import { describe, expect, it } from "vitest"
import { MAX_FILL_SEQ } from "../../src/domain/client-index.ts"
import { makeFillId, MAX_ACCOUNT_INDEX, MAX_BASE, MAX_MARKET_ID, MAX_PRICE, isResidualFlush } from "../../src/domain/messages.ts"
import { decodesFill } from "../support/domain-fixtures.ts"

const decodes = decodesFill

describe("FillMessage ranges", () => {
  it("a plain fill decodes", () => expect(decodes({})).toBe(true))
  const edges: ReadonlyArray<readonly [string, number, number]> = [
    // field, lowest accepted, highest accepted
    ["accountIndex", 0, MAX_ACCOUNT_INDEX],
    ["marketId", 0, MAX_MARKET_ID],
    ["clientOrderIndex", 0, MAX_BASE],
    ["filledBefore", 0, MAX_BASE],
    ["filledAfter", 1, MAX_BASE],
    ["size", 1, MAX_BASE],
    ["price", 1, MAX_PRICE],
    ["fillSeq", 1, MAX_FILL_SEQ],
    ["venueTimestampMs", 0, Number.MAX_SAFE_INTEGER],
    ["detectedAtMs", 0, Number.MAX_SAFE_INTEGER]
  ]
  for (const [field, lo, hi] of edges) {
    it(`${field}: ${lo} … ${hi} accepted, ${lo - 1} and ${hi + 1} refused, fractions refused`, () => {
      expect(decodes({ [field]: lo }), `${field}=${lo}`).toBe(true)
      expect(decodes({ [field]: hi }), `${field}=${hi}`).toBe(true)
      expect(decodes({ [field]: lo - 1 }), `${field}=${lo - 1}`).toBe(false)
      if (Number.isSafeInteger(hi + 1)) expect(decodes({ [field]: hi + 1 }), `${field}=${hi + 1}`).toBe(false)
      expect(decodes({ [field]: lo + 0.5 }), `${field}=${lo + 0.5}`).toBe(false)
    })
  }
  it("the crash-loop fillSeq of issue 8 (99 999 999 999) is refused", () => expect(decodes({ fillSeq: 99_999_999_999 })).toBe(false))
  it("strings: empty or too long refused; side only buy or sell", () => {
    expect(decodes({ fillId: "" })).toBe(false)
    expect(decodes({ fillId: "x".repeat(80) })).toBe(true)
    expect(decodes({ fillId: "x".repeat(81) })).toBe(false)
    expect(decodes({ pair: "p".repeat(64) })).toBe(true)
    expect(decodes({ pair: "p".repeat(65) })).toBe(false)
    expect(decodes({ orderIndex: "1".repeat(40) })).toBe(true)
    expect(decodes({ orderIndex: "1".repeat(41) })).toBe(false)
    expect(decodes({ tradeId: "t".repeat(128) })).toBe(true)
    expect(decodes({ tradeId: "t".repeat(129) })).toBe(false)
    expect(decodes({ side: "sell" })).toBe(true)
    expect(decodes({ side: "short" })).toBe(false)
  })
  it("fill ids name their order and level; residual flushes are recognised by their prefix", () => {
    expect(makeFillId("281474976710700", 40)).toBe("281474976710700:40")
    expect(isResidualFlush({ fillId: "residual:12" })).toBe(true)
    expect(isResidualFlush({ fillId: "281474976710700:40" })).toBe(false)
  })
})
