// A's own cap on its quote transactions (src/domain/quote-pacing.ts), checked against the
// simulator's rolling-minute limiter (src/sim/ratelimit.ts), the venue's rule.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { RestingQuote } from "../../src/domain/maker-cycle.ts"
import { effectiveQuoteTxCap, pruneQuoteTxs, QUOTE_TX_WINDOW_MS, quoteTxRoom, recordQuoteTx, slotsFor } from "../../src/domain/quote-pacing.ts"
import { RateLimiter } from "../../src/sim/ratelimit.ts"

const q: RestingQuote = { clientOrderIndex: 1, side: "buy", price: 1, base: 1, placedAtMs: 0, state: "resting" }

describe("A's quote-tx cap", () => {
  it("no cap (0) lets everything through", () => {
    expect(quoteTxRoom(Array.from({ length: 1000 }, () => 0), 1, 0, 2)).toEqual({ ok: true })
  })

  it("fills up to the cap, then says how long until the oldest leaves the minute", () => {
    let log = [0, 10_000, 20_000].reduce(recordQuoteTx, [] as ReadonlyArray<number>)
    expect(quoteTxRoom(log, 30_000, 4, 1)).toEqual({ ok: true })
    log = recordQuoteTx(log, 30_000)
    expect(quoteTxRoom(log, 30_000, 4, 1)).toEqual({ ok: false, used: 4, cap: 4, waitMs: 30_000 })
    // A re-quote needs two slots: the second-oldest must leave too.
    expect(quoteTxRoom(log, 59_999, 4, 1)).toEqual({ ok: false, used: 4, cap: 4, waitMs: 1 })
    expect(quoteTxRoom(log, 60_000, 4, 1)).toEqual({ ok: true })
    expect(quoteTxRoom(log, 60_000, 4, 2)).toEqual({ ok: false, used: 3, cap: 4, waitMs: 10_000 })
    expect(quoteTxRoom(log, 70_000, 4, 2)).toEqual({ ok: true })
    // More than the cap at once never fits.
    expect(quoteTxRoom([], 0, 1, 2)).toMatchObject({ ok: false, waitMs: Number.POSITIVE_INFINITY })
    expect(quoteTxRoom(log, 0, 4, 0)).toEqual({ ok: true })
  })

  it("an entry counts while less than a minute old, as the venue's rolling minute", () => {
    expect(QUOTE_TX_WINDOW_MS).toBe(60_000)
    expect(pruneQuoteTxs([0, 1, 2], 60_000)).toEqual([1, 2])
    expect(pruneQuoteTxs([0, 1, 2], 60_002)).toEqual([])
    expect(recordQuoteTx([0, 5], 60_001)).toEqual([5, 60_001])
  })

  it("slots: 1 to place, 2 to re-quote (its cancel and the replacement), 0 for what is never held back", () => {
    expect(slotsFor({ _tag: "Place", side: "buy", base: 1, price: 1 })).toBe(1)
    expect(slotsFor({ _tag: "Cancel", quote: q, reason: "stale" })).toBe(2)
    expect(slotsFor({ _tag: "Cancel", quote: q, reason: "drift" })).toBe(2)
    expect(slotsFor({ _tag: "Cancel", quote: q, reason: "phase" })).toBe(0)
    expect(slotsFor({ _tag: "Cancel", quote: q, reason: "size" })).toBe(0)
    expect(slotsFor({ _tag: "Wait", reason: "x" })).toBe(0)
  })

  it("the cap never exceeds what the shared budget leaves quotes", () => {
    expect(effectiveQuoteTxCap(20, 60, 10)).toBe(20)
    expect(effectiveQuoteTxCap(80, 60, 10)).toBe(50)
    expect(effectiveQuoteTxCap(0, 60, 10)).toBe(50)
    expect(effectiveQuoteTxCap(20, 0, 10)).toBe(20) // no shared budget
    expect(effectiveQuoteTxCap(0, 0, 10)).toBe(0)
    expect(effectiveQuoteTxCap(20, 5, 10)).toBe(0)
  })

  it("whatever A tries and whenever, what the cap lets through passes the venue's limiter at the cap (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 8_000 }), slots: fc.constantFrom(0, 1, 2) }), { maxLength: 400 }),
        (cap, tries) => {
          const limiter = new RateLimiter()
          let log: ReadonlyArray<number> = []
          let now = 0
          for (const t of tries) {
            now += t.gapMs
            const room = quoteTxRoom(log, now, cap, Math.max(1, t.slots))
            if (t.slots > 0 && !room.ok) {
              expect(room.waitMs).toBeGreaterThan(0)
              continue
            }
            // Corrective cancels (0 slots) are never held back: not part of what the cap bounds.
            if (t.slots === 0) continue
            for (let i = 0; i < t.slots; i++) {
              log = recordQuoteTx(log, now)
              expect(limiter.take("A", 1, cap, now)).toBe(true)
            }
          }
        }
      )
    )
  })
})
