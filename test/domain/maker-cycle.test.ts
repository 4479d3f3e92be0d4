import { describe, expect, it } from "vitest"
import fc from "fast-check"
import type { OrderBookTop } from "../../src/domain/events.ts"
import { priceAtLevelDepth } from "../../src/domain/book-depth.ts"
import { applyFill, decideFromLevels, decideMakerAction, type MakerConfig, type MakerState, phaseOf, priceNeed, syncPosition } from "../../src/domain/maker-cycle.ts"

const book = (mid = 1000, levels = 10): OrderBookTop => ({
  marketId: 1,
  bids: Array.from({ length: levels }, (_, k) => ({ price: mid - 1 - k, size: 100 })),
  asks: Array.from({ length: levels }, (_, k) => ({ price: mid + 1 + k, size: 100 })),
  timestampMs: 0
})
const cfg: MakerConfig = { quantity: 60, depth: 5, maxQuoteAgeMs: 10_000, requoteDriftTicks: 2, closeAtBestAfterMs: 0 }
const flat: MakerState = { position: 0, cycles: 0 }
const resting = (side: "buy" | "sell", price: number, base: number, placedAtMs = 0) =>
  ({ clientOrderIndex: 1, orderIndex: "o", side, price, base, placedAtMs, state: "resting" as const })

describe("maker cycle", () => {
  it("quotes at the N-th level of its own side (maker.depth_unit: levels)", () => {
    expect(priceAtLevelDepth(book(), "buy", 5)).toEqual({ _tag: "Price", price: 995 })
    expect(priceAtLevelDepth(book(), "sell", 5)).toEqual({ _tag: "Price", price: 1005 })
    expect(decideFromLevels(flat, book(), 0, cfg)).toEqual({ _tag: "Place", side: "buy", base: 60, price: 995 })
  })

  it("never falls back to a shallower level: fewer than N levels places nothing, and says why", () => {
    const short = { _tag: "Short", side: "buy", unit: "levels", depth: 5, have: 3, capped: false }
    expect(priceAtLevelDepth(book(1000, 3), "buy", 5)).toEqual(short)
    expect(decideFromLevels(flat, book(1000, 3), 0, cfg)).toEqual({ _tag: "Wait", reason: "book too thin for market.depth", short })
    expect(decideFromLevels(flat, { ...book(), bids: [] }, 0, cfg)).toMatchObject({ _tag: "Wait", short: { have: 0 } })
    // A resting quote is kept (no drift to judge), and still ages out.
    const s: MakerState = { ...flat, quote: resting("buy", 995, 60, 0) }
    expect(decideFromLevels(s, book(1000, 3), 1, cfg)).toMatchObject({ _tag: "Wait", short: { have: 3 } })
    expect(decideFromLevels(s, book(1000, 3), 10_000, cfg)).toMatchObject({ _tag: "Cancel", reason: "stale" })
  })

  it("asks for a price only when the decision depends on it", () => {
    const c = { ...cfg, minRequoteIntervalMs: 3_000 }
    expect(priceNeed(flat, 0, c)).toEqual({ side: "buy", depth: 5, best: false })
    expect(priceNeed({ position: 60, cycles: 0, closingSinceMs: 0 }, 1, c)).toEqual({ side: "sell", depth: 5, best: false })
    // A resting quote: not before it may be re-quoted for drift, then yes until it is stale.
    const s: MakerState = { ...flat, quote: resting("buy", 995, 60, 1_000) }
    expect(priceNeed(s, 3_999, c)).toBeUndefined()
    expect(priceNeed(s, 4_000, c)).toEqual({ side: "buy", depth: 5, best: false })
    expect(priceNeed(s, 10_999, c)).toEqual({ side: "buy", depth: 5, best: false })
    expect(priceNeed(s, 11_000, c)).toBeUndefined() // stale: cancelled whatever the price
    // In flight, nothing to quote, wrong side or size: no price.
    expect(priceNeed({ ...flat, quote: { ...resting("buy", 995, 60), state: "sending" } }, 5_000, c)).toBeUndefined()
    expect(priceNeed({ position: 60, cycles: 0, closingSinceMs: 0, quote: resting("buy", 995, 60) }, 5_000, c)).toBeUndefined()
    expect(priceNeed({ ...flat, quote: resting("buy", 995, 30) }, 5_000, c)).toBeUndefined()
    // The force-close asks for the best price, at once.
    const fc = { ...c, closeAtBestAfterMs: 1_000 }
    const closing: MakerState = { position: 60, cycles: 0, closingSinceMs: 0, quote: resting("sell", 1005, 60, 900) }
    expect(priceNeed(closing, 1_000, fc)).toEqual({ side: "sell", depth: 1, best: true })
  })

  it("decides with the price it is given, and waits without one", () => {
    expect(decideMakerAction(flat, { _tag: "Price", price: 990 }, 0, cfg)).toEqual({ _tag: "Place", side: "buy", base: 60, price: 990 })
    expect(decideMakerAction(flat, undefined, 0, cfg)).toMatchObject({ _tag: "Wait", reason: "no buy price to judge by" })
    const s: MakerState = { ...flat, quote: resting("buy", 995, 60) }
    expect(decideMakerAction(s, undefined, 1, cfg)).toMatchObject({ _tag: "Wait" })
    expect(decideMakerAction(s, { _tag: "Price", price: 997 }, 1, cfg)).toMatchObject({ _tag: "Wait", reason: "quote is fine" })
    expect(decideMakerAction(s, { _tag: "Price", price: 998 }, 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "drift" })
    expect(decideMakerAction(s, { _tag: "Price", price: 992 }, 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "drift" })
    expect(decideMakerAction(s, { _tag: "Price", price: 993 }, 1, cfg)).toMatchObject({ _tag: "Wait", reason: "quote is fine" })
  })

  it("replaces a drifted quote only once it has rested maker.min_requote_interval_ms; age, phase and size at once", () => {
    const c = { ...cfg, minRequoteIntervalMs: 5_000 }
    const drifted: MakerState = { ...flat, quote: resting("buy", 990, 60, 1_000) }
    expect(decideFromLevels(drifted, book(), 5_999, c)).toEqual({ _tag: "Wait", reason: "quote is fine (too young to requote)" })
    expect(decideFromLevels(drifted, book(), 6_000, c)).toMatchObject({ _tag: "Cancel", reason: "drift" })
    expect(decideFromLevels({ position: 60, cycles: 0, closingSinceMs: 0, quote: resting("buy", 995, 60, 1_000) }, book(), 1_001, c)).toMatchObject({ _tag: "Cancel", reason: "phase" })
    expect(decideFromLevels({ ...flat, quote: resting("buy", 995, 30, 1_000) }, book(), 1_001, c)).toMatchObject({ _tag: "Cancel", reason: "size" })
    expect(decideFromLevels({ ...flat, quote: resting("buy", 995, 60, 1_000) }, book(), 11_000, { ...c, maxQuoteAgeMs: 10_000 })).toMatchObject({ _tag: "Cancel", reason: "stale" })
    // The force-close does not wait for the interval.
    const fc = { ...c, closeAtBestAfterMs: 1_000 }
    const closing: MakerState = { position: 60, cycles: 0, closingSinceMs: 0, quote: resting("sell", 1005, 60, 900) }
    expect(decideFromLevels(closing, book(), 1_000, fc)).toMatchObject({ _tag: "Cancel", reason: "drift" })
  })

  it("opens long, closes long, counts the cycle, with partial fills in both phases", () => {
    let s: MakerState = { ...flat, quote: resting("buy", 995, 60) }
    s = applyFill(s, { side: "buy", base: 20, orderIndex: "o" }, cfg, 1)
    expect(s.position).toBe(20)
    expect(s.quote?.base).toBe(40) // the same quote keeps resting: no cancel/replace
    expect(decideFromLevels(s, book(), 2, cfg)).toMatchObject({ _tag: "Wait" })
    s = applyFill(s, { side: "buy", base: 40, orderIndex: "o" }, cfg, 3)
    expect(s.quote).toBeUndefined()
    expect(phaseOf(s, cfg)).toBe("closing")
    expect(decideFromLevels(s, book(), 4, cfg)).toEqual({ _tag: "Place", side: "sell", base: 60, price: 1005 })
    s = { ...s, quote: { ...resting("sell", 1005, 60), orderIndex: "c" } }
    s = applyFill(s, { side: "sell", base: 25, orderIndex: "c" }, cfg, 5)
    expect(phaseOf(s, cfg)).toBe("closing") // below quantity but still closing
    expect(decideFromLevels({ ...s, quote: undefined }, book(), 6, cfg)).toEqual({ _tag: "Place", side: "sell", base: 35, price: 1005 })
    s = applyFill(s, { side: "sell", base: 35, orderIndex: "c" }, cfg, 7)
    expect(s).toMatchObject({ position: 0, cycles: 1, closingSinceMs: undefined, quote: undefined })
    expect(decideFromLevels(s, book(), 8, cfg)).toMatchObject({ _tag: "Place", side: "buy", base: 60 })
  })

  it("requotes a stale quote, a drifted one, and one of the wrong side or size", () => {
    expect(decideFromLevels({ ...flat, quote: resting("buy", 995, 60, 0) }, book(), 10_000, cfg)).toMatchObject({ _tag: "Cancel", reason: "stale" })
    expect(decideFromLevels({ ...flat, quote: resting("buy", 990, 60) }, book(), 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "drift" })
    expect(decideFromLevels({ ...flat, quote: resting("buy", 993, 60) }, book(), 1, cfg)).toMatchObject({ _tag: "Wait" })
    expect(decideFromLevels({ position: 60, cycles: 0, closingSinceMs: 0, quote: resting("buy", 995, 60) }, book(), 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "phase" })
    expect(decideFromLevels({ ...flat, quote: resting("buy", 995, 30) }, book(), 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "size" })
  })

  it("never acts on a quote that is being sent or cancelled", () => {
    for (const state of ["sending", "cancelling"] as const) {
      expect(decideFromLevels({ ...flat, quote: { ...resting("buy", 900, 60, -1e9), state } }, book(), 1e9, cfg)._tag).toBe("Wait")
    }
  })

  it("force-closes at the best ask after closeAtBestAfterMs", () => {
    const c = { ...cfg, closeAtBestAfterMs: 1000 }
    const s: MakerState = { position: 60, cycles: 0, closingSinceMs: 0 }
    expect(decideFromLevels(s, book(), 999, c)).toMatchObject({ _tag: "Place", price: 1005 })
    expect(decideFromLevels(s, book(), 1000, c)).toMatchObject({ _tag: "Place", price: 1001 })
  })

  it("syncPosition takes the venue's position, entering and leaving the closing phase", () => {
    expect(syncPosition(flat, 60, cfg, 5)).toMatchObject({ position: 60, closingSinceMs: 5 })
    expect(syncPosition({ position: 30, cycles: 2, closingSinceMs: 1 }, 0, cfg, 5)).toMatchObject({ position: 0, cycles: 3, closingSinceMs: undefined })
  })

  it("any sequence of partial fills of the quotes it places ends flat after whole cycles (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 80 }), (parts) => {
        let s: MakerState = flat
        let now = 0
        let placed = 0
        for (const p of parts) {
          now += 10
          const a = decideFromLevels(s, book(), now, cfg)
          if (a._tag === "Place") {
            s = { ...s, quote: { clientOrderIndex: ++placed, orderIndex: `o${placed}`, side: a.side, price: a.price, base: a.base, placedAtMs: now, state: "resting" } }
          }
          const q = s.quote!
          expect(q.side === "buy" ? s.position + q.base : s.position - q.base).toBe(q.side === "buy" ? cfg.quantity : 0)
          s = applyFill(s, { side: q.side, base: Math.min(p, q.base), orderIndex: q.orderIndex! }, cfg, now)
          expect(s.position).toBeGreaterThanOrEqual(0)
          expect(s.position).toBeLessThanOrEqual(cfg.quantity)
        }
        // Finish: fill whatever rests until flat.
        for (let i = 0; i < 4 && (s.position > 0 || s.quote !== undefined); i++) {
          const a = decideFromLevels(s, book(), ++now, cfg)
          if (a._tag === "Place" && a.side === "buy") break
          if (a._tag === "Place") s = { ...s, quote: { clientOrderIndex: ++placed, orderIndex: `o${placed}`, side: a.side, price: a.price, base: a.base, placedAtMs: now, state: "resting" } }
          if (s.quote !== undefined) s = applyFill(s, { side: s.quote.side, base: s.quote.base, orderIndex: s.quote.orderIndex! }, cfg, now)
          if (s.position === 0) break
        }
        if (s.position === 0) expect(s.closingSinceMs).toBeUndefined()
      })
    )
  })
})
