// The maker cycle at its edges: the phase at exactly the quantity and at flat, which fills are the
// quote's (by order index, or by client index before the venue acknowledged it), the force-close
// timer on a clock that does not start at 0, a cycle with nothing to quote, and syncPosition's
// phase bookkeeping.
import { describe, expect, it } from "vitest"
import { applyFill, decideMakerAction, type MakerConfig, type MakerState, phaseOf, priceNeed, type RestingQuote, syncPosition } from "../../src/domain/maker-cycle.ts"

const cfg: MakerConfig = { quantity: 60, depth: 5, maxQuoteAgeMs: 10_000, requoteDriftTicks: 2, closeAtBestAfterMs: 0 }
const flat: MakerState = { position: 0, cycles: 0 }
const quote = (over: Partial<RestingQuote> = {}): RestingQuote =>
  ({ clientOrderIndex: 7, orderIndex: "o7", side: "buy", price: 995, base: 60, placedAtMs: 0, state: "resting", ...over })

describe("phases", () => {
  it("flat is opening; exactly the quantity is closing, even before the closing phase was recorded", () => {
    expect(phaseOf(flat, cfg)).toBe("opening")
    expect(phaseOf({ position: 59, cycles: 0 }, cfg)).toBe("opening")
    expect(phaseOf({ position: 60, cycles: 0 }, cfg)).toBe("closing")
    expect(phaseOf({ position: 1, cycles: 0, closingSinceMs: 5 }, cfg)).toBe("closing")
  })
  it("a closing phase with nothing left (flat or short) is opening", () => {
    expect(phaseOf({ position: 0, cycles: 0, closingSinceMs: 5 }, cfg)).toBe("opening")
    expect(phaseOf({ position: -10, cycles: 0, closingSinceMs: 5 }, cfg)).toBe("opening")
  })
})

describe("which fills are the quote's", () => {
  it("a fill with no quote resting only moves the position", () => {
    expect(applyFill(flat, { side: "buy", base: 20, orderIndex: "o1", clientOrderIndex: 3 }, cfg, 1)).toStrictEqual({ position: 20, cycles: 0, quote: undefined })
  })
  it("another order's fill leaves the quote as it is", () => {
    const s: MakerState = { ...flat, quote: quote() }
    expect(applyFill(s, { side: "buy", base: 20, orderIndex: "o8", clientOrderIndex: 8 }, cfg, 1).quote).toBe(s.quote)
    expect(applyFill(s, { side: "buy", base: 20, orderIndex: "o8" }, cfg, 1).quote).toBe(s.quote)
    expect(applyFill(s, { side: "buy", base: 20, clientOrderIndex: 8 }, cfg, 1).quote).toBe(s.quote)
    expect(applyFill(s, { side: "buy", base: 20 }, cfg, 1).quote).toBe(s.quote)
  })
  it("the quote's own fill, by order index or by client index", () => {
    const s: MakerState = { ...flat, quote: quote() }
    expect(applyFill(s, { side: "buy", base: 20, orderIndex: "o7" }, cfg, 1).quote).toStrictEqual(quote({ base: 40 }))
    expect(applyFill(s, { side: "buy", base: 20, clientOrderIndex: 7 }, cfg, 1).quote).toStrictEqual(quote({ base: 40 }))
    // the order index decides when both are known
    expect(applyFill(s, { side: "buy", base: 20, orderIndex: "o7", clientOrderIndex: 0 }, cfg, 1).quote).toStrictEqual(quote({ base: 40 }))
  })
  it("a quote the venue has not acknowledged yet (no order index) is matched by its client index only", () => {
    const { orderIndex: _, ...unacked } = quote()
    const s: MakerState = { ...flat, quote: unacked }
    expect(applyFill(s, { side: "buy", base: 20, clientOrderIndex: 7 }, cfg, 1).quote).toStrictEqual({ ...unacked, base: 40 })
    // a fill without either id, or with a client index of 0 (unknown), is not the quote's
    expect(applyFill(s, { side: "buy", base: 20 }, cfg, 1).quote).toBe(unacked)
    expect(applyFill(s, { side: "buy", base: 20, clientOrderIndex: 0 }, cfg, 1).quote).toBe(unacked)
    expect(applyFill(s, { side: "buy", base: 20, clientOrderIndex: 8 }, cfg, 1).quote).toBe(unacked)
  })
})

describe("deciding", () => {
  it("a quote in flight: waits, and says why", () => {
    expect(decideMakerAction({ ...flat, quote: quote({ state: "sending" }) }, undefined, 1, cfg)).toEqual({ _tag: "Wait", reason: "quote is sending" })
    expect(decideMakerAction({ ...flat, quote: quote({ state: "cancelling" }) }, undefined, 1, cfg)).toEqual({ _tag: "Wait", reason: "quote is cancelling" })
  })
  it("nothing to quote (a quantity of 0): waits, and cancels a resting quote", () => {
    const none = { ...cfg, quantity: 0 }
    expect(decideMakerAction(flat, undefined, 1, none)).toEqual({ _tag: "Wait", reason: "nothing to quote" })
    expect(priceNeed(flat, 1, none)).toBeUndefined()
    const q = quote({ side: "sell", base: 10 })
    expect(decideMakerAction({ ...flat, quote: q }, undefined, 1, none)).toEqual({ _tag: "Cancel", quote: q, reason: "size" })
  })
  it("the force-close counts from when closing began, on a clock that does not start at 0", () => {
    const c = { ...cfg, closeAtBestAfterMs: 1_000 }
    const s: MakerState = { position: 60, cycles: 0, closingSinceMs: 50_000 }
    expect(priceNeed(s, 50_999, c)).toEqual({ side: "sell", depth: 5, best: false })
    expect(priceNeed(s, 51_000, c)).toEqual({ side: "sell", depth: 1, best: true })
  })
})

describe("syncPosition", () => {
  it("the same position changes nothing", () => {
    for (const s of [flat, { position: 60, cycles: 1 }, { position: 30, cycles: 2, closingSinceMs: 4 }] as ReadonlyArray<MakerState>) {
      expect(syncPosition(s, s.position, cfg, 99)).toBe(s)
    }
  })
  it("a position between flat and the quantity keeps the phase it was in", () => {
    expect(syncPosition(flat, 30, cfg, 5)).toStrictEqual({ position: 30, cycles: 0 })
    expect(syncPosition({ position: 60, cycles: 0, closingSinceMs: 100 }, 40, cfg, 5_000)).toStrictEqual({ position: 40, cycles: 0, closingSinceMs: 100 })
  })
  it("closing began when the position first reached the quantity: a larger one does not restart it", () => {
    expect(syncPosition({ position: 60, cycles: 0, closingSinceMs: 100 }, 70, cfg, 5_000)).toStrictEqual({ position: 70, cycles: 0, closingSinceMs: 100 })
    expect(syncPosition({ position: 30, cycles: 0 }, 60, cfg, 5_000)).toStrictEqual({ position: 60, cycles: 0, closingSinceMs: 5_000 })
  })
  it("a cycle counts only when a closing phase ends flat", () => {
    expect(syncPosition({ position: 30, cycles: 2 }, 0, cfg, 5)).toStrictEqual({ position: 0, cycles: 2, closingSinceMs: undefined })
    expect(syncPosition({ position: 30, cycles: 2 }, -5, cfg, 5)).toStrictEqual({ position: -5, cycles: 2, closingSinceMs: undefined })
    expect(syncPosition({ position: 30, cycles: 2, closingSinceMs: 1 }, 0, cfg, 5)).toStrictEqual({ position: 0, cycles: 3, closingSinceMs: undefined })
  })
})
