// Which fills B hedges at all: this pair's, well-formed, plausibly sized and priced; and every
// fill the schema lets through derives a valid client index (no RangeError on the hedge path).
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { decodeEntry } from "../../src/bus/codec.ts"
import { hedgeClientIndex, MAX_ATTEMPT, MAX_TAG } from "../../src/domain/client-index.ts"
import { bookReferencePrice, withinPriceBand } from "../../src/domain/hedge-plan.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { FillMessage, makeFillId, ResidualFlushMessage } from "../../src/domain/messages.ts"
import { type FillExpectations, priceRefusal, refuseFill, refuseFlush } from "../../src/hedger/fill-check.ts"

const expected: FillExpectations = { pair: "BTC:1-2", market: LIGHTER_BTC, aAccountIndex: 1, bAccountIndex: 2, maxFillBase: 600 }

const fill = (over: Partial<ConstructorParameters<typeof FillMessage>[0]> = {}) => {
  const orderIndex = over.orderIndex ?? "281474976710700"
  const filledBefore = over.filledBefore ?? 0
  const filledAfter = over.filledAfter ?? filledBefore + (over.size ?? 60)
  return new FillMessage({
    fillId: makeFillId(orderIndex, filledAfter),
    pair: "BTC:1-2",
    accountIndex: 1,
    marketId: 1,
    side: "buy",
    orderIndex,
    clientOrderIndex: 3,
    filledBefore,
    filledAfter,
    size: filledAfter - filledBefore,
    price: 1_000_000,
    venueTimestampMs: 1,
    detectedAtMs: 2,
    fillSeq: 7,
    ...over
  })
}

const residual = (over: Partial<ConstructorParameters<typeof ResidualFlushMessage>[0]> = {}) =>
  new ResidualFlushMessage({ pair: "BTC:1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 5_000, referencePrice: 1_000_000, requestedAtMs: 2, fillSeq: 9, ...over })

/** A stored entry as the stream holds it: every field a string. */
const stored = (f: FillMessage, over: Record<string, string> = {}): Record<string, string> => ({
  ...Object.fromEntries(Object.entries({ ...f }).map(([k, v]) => [k, String(v)])),
  ...over
})

describe("refuseFill: is this fill the pair's own, and plausible?", () => {
  it("accepts A's fills of this pair up to the size bound, and B's own residual flushes", () => {
    expect(refuseFill(fill(), expected)).toBeUndefined()
    expect(refuseFill(fill({ size: 600 }), expected)).toBeUndefined()
    expect(refuseFill(fill({ filledBefore: 20, filledAfter: 60, size: 40 }), expected)).toBeUndefined()
    // A residual flush hedges the pool: its size is the pool's, not a fill of A.
    expect(refuseFlush(residual(), expected)).toBeUndefined()
  })
  it("refuses another pair, market or account, naming what it expected", () => {
    expect(refuseFill(fill({ pair: "ETH:1-2" }), expected)).toBe(`not this pair's fill: pair "ETH:1-2", expected "BTC:1-2"`)
    expect(refuseFill(fill({ marketId: 0 }), expected)).toBe("not this pair's fill: market 0, expected 1")
    expect(refuseFill(fill({ accountIndex: 2 }), expected)).toBe("not this pair's fill: account 2, expected A's 1")
    expect(refuseFlush(residual({ accountIndex: 1 }), expected)).toBe("not this pair's residual flush: account 1, expected B's 2")
    expect(refuseFlush(residual({ pair: "x" }), expected)).toMatch(/^not this pair's residual flush: pair "x"/)
    expect(refuseFlush(residual({ marketId: 0 }), expected)).toBe("not this pair's residual flush: market 0, expected 1")
  })
  it("refuses a fill larger than the configured multiple of the quote size", () => {
    expect(refuseFill(fill({ size: 601 }), expected)).toBe(
      "implausible fill: size 0.00601 BTC is above hedge.max_fill_multiple × the quote size (0.00600 BTC)"
    )
    expect(refuseFill(fill({ size: 6_000 }), expected)).toMatch(/^implausible fill: size 0\.06000 BTC/)
  })
  it("refuses malformed fills: an id that is not its order and level, a size that is not its range", () => {
    expect(refuseFill(fill({ fillId: "281474976710700:61" }), expected)).toMatch(/^malformed fill: fillId "281474976710700:61"/)
    expect(refuseFill(fill({ fillId: "other:60" }), expected)).toMatch(/^malformed fill/)
    expect(refuseFill(fill({ filledAfter: 60, size: 59 }), expected)).toMatch(/^malformed fill: size 59 is not filledAfter 60 − filledBefore 0/)
  })
  it("an entry that claims to be a residual flush is one, whole, or poison; never taken for A's fill", () => {
    const flushEntry = stored(fill({ fillId: "residual:9", fillSeq: 9, orderIndex: "residual", accountIndex: 2, clientOrderIndex: 0, side: "sell", size: 5_000, filledAfter: 5_000 }))
    const ok = decodeEntry("1-0", flushEntry, 1)
    expect(ok._tag).toBe("ResidualFlush")
    if (ok._tag === "ResidualFlush") {
      // A sell answered by B's buy: the pool B is short of, at the book's price then.
      expect([ok.flush.hedgeSide, ok.flush.size, ok.flush.referencePrice, ok.flush.fillId]).toEqual(["buy", 5_000, 1_000_000, "residual:9"])
    }
    // A's fill cannot pose as B's residual flush (B refuses it: not B's account), nor a flush
    // carry another sequence number, a client index, or a range that is not (0, size].
    const posing = decodeEntry("1-0", stored(fill({ orderIndex: "residual", fillId: "residual:7", clientOrderIndex: 0 })), 1)
    expect(posing._tag === "ResidualFlush" ? refuseFlush(posing.flush, expected) : posing._tag).toMatch(/^not this pair's residual flush: account 1/)
    for (const over of [{ fillId: "residual:10" }, { orderIndex: "123" }, { clientOrderIndex: "5" }, { filledBefore: "1", size: "4999" }]) {
      const e = decodeEntry("1-0", { ...flushEntry, ...over }, 1)
      expect(e._tag, JSON.stringify(over)).toBe("Poison")
      if (e._tag === "Poison") expect(e.reason).toMatch(/^malformed residual flush/)
    }
  })
})

describe("the fill's price against the venue's band around the book", () => {
  it("the reference is the mid, else the one side there is", () => {
    expect(bookReferencePrice({ bids: [{ price: 99 }], asks: [{ price: 102 }] })).toBe(100)
    expect(bookReferencePrice({ bids: [{ price: 99 }], asks: [] })).toBe(99)
    expect(bookReferencePrice({ bids: [], asks: [{ price: 102 }] })).toBe(102)
    expect(bookReferencePrice({ bids: [], asks: [] })).toBeUndefined()
  })
  it("±5 % exactly, as the venue counts it", () => {
    expect(withinPriceBand(1_050_000, 1_000_000)).toBe(true)
    expect(withinPriceBand(1_050_001, 1_000_000)).toBe(false)
    expect(withinPriceBand(950_000, 1_000_000)).toBe(true)
    expect(withinPriceBand(949_999, 1_000_000)).toBe(false)
    expect(withinPriceBand(1, 0)).toBe(false)
    expect(priceRefusal(fill({ price: 1_000_000 }), 1_020_000, LIGHTER_BTC)).toBeUndefined()
    // ETH's price in ETH's ticks, on BTC.
    expect(priceRefusal(fill({ price: 300_000 }), 1_000_000, LIGHTER_BTC)).toBe(
      "implausible price: 30000.0 is outside the venue's ±5 % band around the book's 100000.0"
    )
  })
})

describe("every fill the schema accepts derives a client index (property)", () => {
  it("no decodable entry makes hedgeClientIndex throw, for any tag and attempt", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -5, max: 2 ** 36 }), fc.constantFrom(99_999_999_999, 2 ** 34 - 1, 2 ** 34, 0)),
        fc.integer({ min: 0, max: MAX_TAG }),
        fc.integer({ min: 1, max: MAX_ATTEMPT }),
        (fillSeq, tag, attempt) => {
          const f = fill()
          const raw = Object.fromEntries(Object.entries({ ...f, fillSeq }).map(([k, v]) => [k, String(v)]))
          const e = decodeEntry("1-0", raw, 1)
          if (e._tag === "Fill") expect(() => hedgeClientIndex(tag, e.fill.fillSeq, attempt)).not.toThrow()
          else expect(e._tag === "Poison" ? e.reason : "").toContain("fillSeq")
        }
      )
    )
  })
})
