import { describe, expect, it } from "vitest"
import fc from "fast-check"
import type { OrderBookTop } from "../../src/domain/events.ts"
import { applyFill, decideMakerAction, type MakerConfig, type MakerState, phaseOf, syncPosition, targetPrice } from "../../src/domain/maker-cycle.ts"

const book = (mid = 1000, levels = 10): OrderBookTop => ({
  marketId: 1,
  bids: Array.from({ length: levels }, (_, k) => ({ price: mid - 1 - k, size: 100 })),
  asks: Array.from({ length: levels }, (_, k) => ({ price: mid + 1 + k, size: 100 })),
  timestampMs: 0
})
const cfg: MakerConfig = { quantity: 60, depth: 5, maxQuoteAgeMs: 10_000, requoteDriftTicks: 2, forceCloseAfterMs: 0 }
const flat: MakerState = { position: 0, cycles: 0 }
const resting = (side: "buy" | "sell", price: number, base: number, placedAtMs = 0) =>
  ({ clientOrderIndex: 1, orderIndex: "o", side, price, base, placedAtMs, state: "resting" as const })

describe("maker cycle", () => {
  it("quotes at the N-th level of its own side", () => {
    expect(targetPrice(book(), "buy", 5)).toBe(995)
    expect(targetPrice(book(), "sell", 5)).toBe(1005)
    expect(targetPrice(book(1000, 3), "buy", 5)).toBe(997) // fewer levels: the deepest
    expect(targetPrice({ ...book(), bids: [] }, "buy", 5)).toBeUndefined()
    expect(decideMakerAction(flat, book(), 0, cfg)).toEqual({ _tag: "Place", side: "buy", base: 60, price: 995 })
  })

  it("opens long, closes long, counts the cycle, with partial fills in both phases", () => {
    let s: MakerState = { ...flat, quote: resting("buy", 995, 60) }
    s = applyFill(s, { side: "buy", base: 20, orderIndex: "o" }, cfg, 1)
    expect(s.position).toBe(20)
    expect(s.quote?.base).toBe(40) // the same quote keeps resting: no cancel/replace
    expect(decideMakerAction(s, book(), 2, cfg)).toMatchObject({ _tag: "Wait" })
    s = applyFill(s, { side: "buy", base: 40, orderIndex: "o" }, cfg, 3)
    expect(s.quote).toBeUndefined()
    expect(phaseOf(s, cfg)).toBe("closing")
    expect(decideMakerAction(s, book(), 4, cfg)).toEqual({ _tag: "Place", side: "sell", base: 60, price: 1005 })
    s = { ...s, quote: { ...resting("sell", 1005, 60), orderIndex: "c" } }
    s = applyFill(s, { side: "sell", base: 25, orderIndex: "c" }, cfg, 5)
    expect(phaseOf(s, cfg)).toBe("closing") // below quantity but still closing
    expect(decideMakerAction({ ...s, quote: undefined }, book(), 6, cfg)).toEqual({ _tag: "Place", side: "sell", base: 35, price: 1005 })
    s = applyFill(s, { side: "sell", base: 35, orderIndex: "c" }, cfg, 7)
    expect(s).toMatchObject({ position: 0, cycles: 1, closingSinceMs: undefined, quote: undefined })
    expect(decideMakerAction(s, book(), 8, cfg)).toMatchObject({ _tag: "Place", side: "buy", base: 60 })
  })

  it("requotes a stale quote, a drifted one, and one of the wrong side or size", () => {
    expect(decideMakerAction({ ...flat, quote: resting("buy", 995, 60, 0) }, book(), 10_000, cfg)).toMatchObject({ _tag: "Cancel", reason: "stale" })
    expect(decideMakerAction({ ...flat, quote: resting("buy", 990, 60) }, book(), 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "drift" })
    expect(decideMakerAction({ ...flat, quote: resting("buy", 993, 60) }, book(), 1, cfg)).toMatchObject({ _tag: "Wait" })
    expect(decideMakerAction({ position: 60, cycles: 0, closingSinceMs: 0, quote: resting("buy", 995, 60) }, book(), 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "phase" })
    expect(decideMakerAction({ ...flat, quote: resting("buy", 995, 30) }, book(), 1, cfg)).toMatchObject({ _tag: "Cancel", reason: "size" })
  })

  it("never acts on a quote that is being sent or cancelled", () => {
    for (const state of ["sending", "cancelling"] as const) {
      expect(decideMakerAction({ ...flat, quote: { ...resting("buy", 900, 60, -1e9), state } }, book(), 1e9, cfg)._tag).toBe("Wait")
    }
  })

  it("force-closes at the best ask after forceCloseAfterMs", () => {
    const c = { ...cfg, forceCloseAfterMs: 1000 }
    const s: MakerState = { position: 60, cycles: 0, closingSinceMs: 0 }
    expect(decideMakerAction(s, book(), 999, c)).toMatchObject({ _tag: "Place", price: 1005 })
    expect(decideMakerAction(s, book(), 1000, c)).toMatchObject({ _tag: "Place", price: 1001 })
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
          const a = decideMakerAction(s, book(), now, cfg)
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
          const a = decideMakerAction(s, book(), ++now, cfg)
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
