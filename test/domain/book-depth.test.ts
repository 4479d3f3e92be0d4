// `--depth N` counts individual resting orders, as the previous system did (its
// get_orderbook_price_at_depth: orderBookOrders, the N-th order of the quote's own side; fewer
// than N: no price, and it said so). Levels only when asked for (maker.depth_unit: levels).
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type BookOrder, type BookOrders, crossesBook, describeShort, MAX_BOOK_ORDERS, ordersLimitFor, ordersRefreshDue, ordinal, priceAtLevelDepth,
  priceAtOrderDepth, shortKey
} from "../../src/domain/book-depth.ts"
import type { OrderBookTop } from "../../src/domain/events.ts"

const A = 7
let n = 0
const order = (price: number, owner = 100, remainingBase = 10): BookOrder => ({ orderIndex: String(++n), ownerAccountIndex: owner, price, remainingBase })
/** `counts[k]` orders at the k-th level below (bids) or above (asks) the mid 1000. */
const list = (bidCounts: ReadonlyArray<number>, askCounts: ReadonlyArray<number> = bidCounts, limit = 250): BookOrders => ({
  marketId: 1,
  bids: bidCounts.flatMap((c, k) => Array.from({ length: c }, () => order(999 - k))),
  asks: askCounts.flatMap((c, k) => Array.from({ length: c }, () => order(1001 + k))),
  limit
})
const levels = (bids: ReadonlyArray<number>, asks: ReadonlyArray<number>): OrderBookTop => ({
  marketId: 1,
  bids: bids.map((price) => ({ price, size: 10 })),
  asks: asks.map((price) => ({ price, size: 10 })),
  timestampMs: 0
})

describe("depth N in orders (maker.depth_unit: orders, the default)", () => {
  it("counts individual orders, not price levels: 3 orders at the best bid, 2 at the next, 1 after", () => {
    const book = list([3, 2, 1])
    const prices = [1, 2, 3, 4, 5, 6].map((d) => priceAtOrderDepth(book, "buy", d, A))
    expect(prices).toEqual([999, 999, 999, 998, 998, 997].map((price) => ({ _tag: "Price", price })))
    // The same book in levels: depth 3 is the third level, two ticks deeper.
    expect(priceAtLevelDepth(levels([999, 998, 997], []), "buy", 3)).toEqual({ _tag: "Price", price: 997 })
    expect(priceAtOrderDepth(book, "buy", 3, A)).toEqual({ _tag: "Price", price: 999 })
  })

  it("reads the asks for the closing sell, lowest first", () => {
    const book = list([1], [2, 1, 4])
    expect([1, 2, 3, 4, 7].map((d) => priceAtOrderDepth(book, "sell", d, A))).toEqual(
      [1001, 1001, 1002, 1003, 1003].map((price) => ({ _tag: "Price", price }))
    )
  })

  it("fewer than N orders: no price, with how many there are (never the deepest one instead)", () => {
    expect(priceAtOrderDepth(list([3, 2, 1]), "buy", 7, A)).toEqual({ _tag: "Short", side: "buy", unit: "orders", depth: 7, have: 6, capped: false })
    expect(priceAtOrderDepth(list([], [1]), "buy", 1, A)).toEqual({ _tag: "Short", side: "buy", unit: "orders", depth: 1, have: 0, capped: false })
    expect(priceAtOrderDepth(list([5], [2]), "sell", 3, A)).toMatchObject({ _tag: "Short", side: "sell", have: 2 })
  })

  it("leaves A's own orders and empty ones out of the count", () => {
    const book: BookOrders = { marketId: 1, bids: [order(999), order(999, A), order(998, 100, 0), order(998), order(997, A)], asks: [], limit: 250 }
    expect(priceAtOrderDepth(book, "buy", 1, A)).toEqual({ _tag: "Price", price: 999 })
    expect(priceAtOrderDepth(book, "buy", 2, A)).toEqual({ _tag: "Price", price: 998 })
    expect(priceAtOrderDepth(book, "buy", 3, A)).toMatchObject({ _tag: "Short", have: 2 })
    // Seen from account 100, A's orders count and 100's do not.
    expect(priceAtOrderDepth(book, "buy", 2, 100)).toEqual({ _tag: "Price", price: 997 })
    expect(priceAtOrderDepth(book, "buy", 3, 100)).toMatchObject({ _tag: "Short", have: 2 })
  })

  it("sorts best first whatever order the list came in", () => {
    const book: BookOrders = { marketId: 1, bids: [order(990), order(999), order(995)], asks: [order(1010), order(1001), order(1005)], limit: 250 }
    expect(priceAtOrderDepth(book, "buy", 1, A)).toEqual({ _tag: "Price", price: 999 })
    expect(priceAtOrderDepth(book, "buy", 3, A)).toEqual({ _tag: "Price", price: 990 })
    expect(priceAtOrderDepth(book, "sell", 1, A)).toEqual({ _tag: "Price", price: 1001 })
    expect(priceAtOrderDepth(book, "sell", 2, A)).toEqual({ _tag: "Price", price: 1005 })
  })

  it("says when the venue's list was full (there may be more beyond it)", () => {
    const full: BookOrders = { marketId: 1, bids: [order(999), order(999, A), order(998, A)], asks: [], limit: 3 }
    expect(priceAtOrderDepth(full, "buy", 2, A)).toMatchObject({ _tag: "Short", have: 1, capped: true })
    expect(priceAtOrderDepth({ ...full, limit: 4 }, "buy", 2, A)).toMatchObject({ _tag: "Short", have: 1, capped: false })
  })

  it("asks the venue for N + 1 orders (A's own quote among them), at most 250", () => {
    expect([1, 5, 60, 249, 250, 10_000].map(ordersLimitFor)).toEqual([2, 6, 61, 250, 250, 250])
    expect(MAX_BOOK_ORDERS).toBe(250)
  })

  it("refuses a depth that is not a positive integer", () => {
    for (const d of [0, -1, 1.5, Number.NaN]) {
      expect(() => priceAtOrderDepth(list([1]), "buy", d, A)).toThrow(RangeError)
      expect(() => priceAtLevelDepth(levels([999], []), "buy", d)).toThrow(RangeError)
      expect(() => ordersLimitFor(d)).toThrow(RangeError)
    }
  })

  it("matches a brute-force count, and is never deeper than the N-th level of the same orders (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.integer({ min: 900, max: 999 }), owner: fc.constantFrom(A, 1, 2), base: fc.integer({ min: 0, max: 3 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 70 }),
        (raw, depth) => {
          const bids = raw.map((r) => order(r.price, r.owner, r.base))
          const got = priceAtOrderDepth({ marketId: 1, bids, asks: [], limit: 250 }, "buy", depth, A)
          const others = bids.filter((o) => o.ownerAccountIndex !== A && o.remainingBase > 0).map((o) => o.price).sort((x, y) => y - x)
          if (others.length < depth) {
            expect(got).toEqual({ _tag: "Short", side: "buy", unit: "orders", depth, have: others.length, capped: false })
            return
          }
          expect(got).toEqual({ _tag: "Price", price: others[depth - 1] })
          // Each level holds at least one order: the N-th order is at or above the N-th level.
          const lv = [...new Set(others)]
          const byLevel = priceAtLevelDepth(levels(lv, []), "buy", depth)
          if (byLevel._tag === "Price" && got._tag === "Price") expect(got.price).toBeGreaterThanOrEqual(byLevel.price)
        }
      )
    )
  })
})

describe("depth N in levels (maker.depth_unit: levels)", () => {
  it("the N-th price level of the side; fewer levels (or empty ones) is Short", () => {
    const b = levels([999, 998, 997], [1001, 1002])
    expect(priceAtLevelDepth(b, "buy", 3)).toEqual({ _tag: "Price", price: 997 })
    expect(priceAtLevelDepth(b, "sell", 2)).toEqual({ _tag: "Price", price: 1002 })
    expect(priceAtLevelDepth(b, "sell", 3)).toEqual({ _tag: "Short", side: "sell", unit: "levels", depth: 3, have: 2, capped: false })
    expect(priceAtLevelDepth({ ...b, bids: [{ price: 999, size: 0 }, { price: 998, size: 5 }] }, "buy", 2)).toMatchObject({ _tag: "Short", have: 1 })
  })
})

describe("guards around the order list", () => {
  it("a price from an older list that crosses the live book is caught", () => {
    const live = levels([999], [1001])
    expect(crossesBook(live, "buy", 1000)).toBe(false)
    expect(crossesBook(live, "buy", 1001)).toBe(true)
    expect(crossesBook(live, "buy", 1002)).toBe(true)
    expect(crossesBook(live, "sell", 1000)).toBe(false)
    expect(crossesBook(live, "sell", 999)).toBe(true)
    expect(crossesBook(live, "sell", 990)).toBe(true)
    expect(crossesBook(levels([999], []), "buy", 5000)).toBe(false)
    expect(crossesBook(levels([], [1001]), "sell", 1)).toBe(false)
  })

  it("the list is read again only once refreshMs has passed since the last read", () => {
    expect(ordersRefreshDue(undefined, 0, 5_000)).toBe(true)
    expect(ordersRefreshDue(1_000, 5_999, 5_000)).toBe(false)
    expect(ordersRefreshDue(1_000, 6_000, 5_000)).toBe(true)
  })
})

describe("what is logged when the side is too short", () => {
  it("one line with N, the side and the count; one key per situation", () => {
    const s = { _tag: "Short", side: "buy", unit: "orders", depth: 60, have: 12, capped: false } as const
    expect(describeShort(s)).toBe(
      "no buy quote: market.depth 60 needs the 60th order of the bids, but there are only 12 (A's own quote not counted); waiting until there are 60 (maker.depth_unit orders)"
    )
    expect(describeShort({ ...s, side: "sell", unit: "levels", depth: 3, have: 1 })).toBe(
      "no sell quote: market.depth 3 needs the 3rd price level of the asks, but there is only 1; waiting until there are 3 (maker.depth_unit levels)"
    )
    expect(describeShort({ ...s, capped: true })).toContain("(the venue's list was full: there may be more beyond it)")
    // The count is not part of the situation: 12 then 13 orders is the same situation (logged once).
    expect(shortKey(s)).toBe(shortKey({ ...s, have: 13 }))
    expect(shortKey(s)).not.toBe(shortKey({ ...s, side: "sell" }))
    expect(shortKey(s)).not.toBe(shortKey({ ...s, unit: "levels" }))
  })

  it("ordinals", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112, 250].map(ordinal)).toEqual(
      ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th", "250th"]
    )
  })
})
