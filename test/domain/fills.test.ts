import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { FillTracker } from "../../src/domain/fills.ts"
import type { FillEvent } from "../../src/domain/messages.ts"
import type { OrderUpdate, TradeEvent } from "../../src/domain/events.ts"
import { ACC, order, trade } from "../support/domain-fixtures.ts"

const feed = (t: FillTracker, events: ReadonlyArray<OrderUpdate | TradeEvent>) =>
  events.flatMap((e) => (e._tag === "OrderUpdate" ? t.onOrderUpdate(e, 5) : t.onTrade(e, 5)))
const sum = (fs: ReadonlyArray<FillEvent>) => fs.reduce((s, f) => s + f.size, 0)

describe("fill tracking: cumulative amounts → deltas", () => {
  it("turns cumulative updates into contiguous ranges with stable ids", () => {
    const t = new FillTracker({ pair: "p", accountIndex: ACC })
    const fs = feed(t, [order("o1", 0), order("o1", 30), order("o1", 30), order("o1", 100)])
    expect(fs.map((f) => [f.filledBefore, f.filledAfter, f.size, f.fillId])).toEqual([[0, 30, 30, "o1:30"], [30, 100, 70, "o1:100"]])
    expect(fs.every((f) => f.side === "buy" && f.clientOrderIndex === 9 && f.price === 1000)).toBe(true)
  })

  it("counts an execution once when it arrives both as a trade and as an order update, in either order", () => {
    const a = new FillTracker({ pair: "p", accountIndex: ACC })
    expect(sum(feed(a, [trade("o1", "t1", 30), order("o1", 30), trade("o1", "t2", 20), order("o1", 50)]))).toBe(50)
    const b = new FillTracker({ pair: "p", accountIndex: ACC })
    expect(sum(feed(b, [order("o1", 30), trade("o1", "t1", 30), order("o1", 50), trade("o1", "t2", 20)]))).toBe(50)
  })

  it("ignores replays, stale updates and other accounts", () => {
    const t = new FillTracker({ pair: "p", accountIndex: ACC })
    feed(t, [order("o1", 60), trade("o1", "t1", 60)])
    expect(feed(t, [order("o1", 20), order("o1", 60), trade("o1", "t1", 60), order("o1", 60, { accountIndex: 2 }), trade("o1", "tx", 5, { accountIndex: 2 })])).toEqual([])
  })

  it("a reconnect snapshot that jumps the level emits exactly the missed quantity", () => {
    const t = new FillTracker({ pair: "p", accountIndex: ACC })
    feed(t, [order("o1", 10)])
    const fs = feed(t, [order("o1", 80)])
    expect(fs.map((f) => [f.filledBefore, f.filledAfter])).toEqual([[10, 80]])
  })

  it("after a restart, levels already published are not published again", () => {
    const t = new FillTracker({ pair: "p", accountIndex: ACC, published: new Map([["o1", 40]]) })
    expect(feed(t, [order("o1", 40), trade("o1", "t1", 40)])).toEqual([])
    expect(feed(t, [order("o1", 70)]).map((f) => [f.filledBefore, f.filledAfter])).toEqual([[40, 70]])
    expect(t.level("o1")).toBe(70)
  })

  it("any delivery of an order's executions — duplicated, reordered, mixed — sums to the true filled amount (property)", () => {
    const arb = fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 12 }),
      seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
      withTrades: fc.boolean(),
      withOrders: fc.boolean()
    })
    fc.assert(
      fc.property(arb, ({ sizes, seed, withTrades, withOrders }) => {
        const total = sizes.reduce((a, b) => a + b, 0)
        const events: Array<OrderUpdate | TradeEvent> = []
        let cum = 0
        sizes.forEach((s, i) => {
          cum += s
          if (withTrades || !withOrders) events.push(trade("o1", `t${i}`, s))
          if (withOrders) events.push(order("o1", cum, { initialBase: total, remainingBase: total - cum }))
        })
        // duplicates and out-of-order delivery, then a final snapshot of the order
        const shuffled = [...events, ...events.filter((_, i) => seed[i % seed.length]! % 3 === 0)]
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = seed[i % seed.length]! % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
        }
        if (withOrders) shuffled.push(order("o1", total, { initialBase: total, remainingBase: 0 }))
        const t = new FillTracker({ pair: "p", accountIndex: ACC })
        const fs = feed(t, shuffled)
        expect(sum(fs)).toBe(total)
        // contiguous, disjoint ranges starting at 0, unique ids, never above the true amount
        let level = 0
        for (const f of fs) {
          expect(f.filledBefore).toBe(level)
          expect(f.filledAfter).toBeGreaterThan(f.filledBefore)
          expect(f.filledAfter).toBeLessThanOrEqual(total)
          level = f.filledAfter
        }
        expect(new Set(fs.map((f) => f.fillId)).size).toBe(fs.length)
      })
    )
  })
})
