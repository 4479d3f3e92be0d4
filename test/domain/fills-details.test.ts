// FillTracker details the delta property of fills.test.ts does not see: levels of orders it has
// not seen, the fields a fill carries (trade id, clamped timestamps, a client index learnt late),
// which reports it ignores, and the bound on remembered trade ids.
import { describe, expect, it } from "vitest"
import { FillTracker, MAX_FINISHED_ORDERS } from "../../src/domain/fills.ts"
import { ACC, order, trade } from "../support/domain-fixtures.ts"

const tracker = (published?: ReadonlyMap<string, number>) =>
  new FillTracker({ pair: "p", accountIndex: ACC, ...(published !== undefined ? { published } : {}) })

describe("levels", () => {
  it("an order never seen is at its published level, or 0", () => {
    const t = tracker(new Map([["o1", 40]]))
    expect(t.level("o1")).toBe(40)
    expect(t.level("o2")).toBe(0)
  })

  it("forgetting an order keeps its level: a replayed update or a late trade of it emits nothing", () => {
    const t = tracker(new Map([["o1", 40]]))
    t.onOrderUpdate(order("o1", 70), 5)
    t.onOrderUpdate(order("o2", 30), 5)
    expect([t.level("o1"), t.level("o2")]).toEqual([70, 30])
    t.forget("o1")
    t.forget("o2")
    t.forget("never-seen") // nothing to forget
    expect(t.activeOrders).toBe(0)
    expect([t.level("o1"), t.level("o2"), t.level("never-seen")]).toEqual([70, 30, 0])
    expect(t.onOrderUpdate(order("o2", 30), 5)).toEqual([])
    expect(t.onTrade(trade("o2", "late", 30), 5)).toEqual([])
    // Only what is new is emitted.
    expect(t.onOrderUpdate(order("o2", 45), 5).map((f) => [f.filledBefore, f.filledAfter])).toEqual([[30, 45]])
  })

  it("an order's last update (filled or cancelled) ends it: only its level is kept, and late frames of it are nothing", () => {
    const t = tracker()
    expect(t.onOrderUpdate(order("o1", 60), 1).map((f) => f.size)).toEqual([60])
    expect(t.onOrderUpdate(order("o1", 100), 2).map((f) => f.size)).toEqual([40]) // status filled
    expect(t.activeOrders).toBe(0)
    expect(t.level("o1")).toBe(100)
    expect(t.onTrade(trade("o1", "t-late", 100), 3)).toEqual([]) // its trade frame came after
    expect(t.activeOrders).toBe(0) // and did not bring its state back
    expect(t.onOrderUpdate(order("o1", 100), 4)).toEqual([]) // a reconnect snapshot replays it
    expect(t.onOrderUpdate(order("o1", 60), 4)).toEqual([]) // an older update, delivered late
    expect(t.activeOrders).toBe(0)
    // Cancelled part-filled: the same.
    expect(t.onOrderUpdate(order("o2", 25, { status: "canceled" }), 5).map((f) => f.size)).toEqual([25])
    expect(t.activeOrders).toBe(0)
    expect(t.onOrderUpdate(order("o2", 25, { status: "canceled" }), 6)).toEqual([])
  })

  it("an order that has not ended keeps its full state; one ended again (a late frame) is the newest to forget", () => {
    const t = tracker()
    t.onOrderUpdate(order("live", 30), 1)
    expect(t.activeOrders).toBe(1) // open: not forgotten
    t.onOrderUpdate(order("old", 100), 1) // ended first
    for (let i = 0; i < 5; i++) t.onOrderUpdate(order(`n${i}`, 100), 2)
    t.onTrade(trade("old", "late-trade", 100), 3) // a late frame ends it again: now the newest
    for (let i = 0; i < MAX_FINISHED_ORDERS - 6; i++) t.onOrderUpdate(order(`m${i}`, 100), 4)
    expect([t.level("old"), t.level("n0")]).toEqual([100, 100]) // exactly full
    t.onOrderUpdate(order("one-more", 100), 5)
    expect([t.level("old"), t.level("n0")]).toEqual([100, 0]) // n0 was the oldest; old was refreshed
  })

  it("memory stays bounded over a long run: only the newest MAX_FINISHED_ORDERS ended orders are remembered", () => {
    const t = tracker()
    const n = MAX_FINISHED_ORDERS + 5
    for (let i = 0; i < n; i++) t.onOrderUpdate(order(`q${i}`, 100), i)
    expect(t.activeOrders).toBe(0)
    expect(t.level(`q${n - 1}`)).toBe(100)
    expect(t.level(`q${n - MAX_FINISHED_ORDERS}`)).toBe(100)
    expect(t.level(`q${n - MAX_FINISHED_ORDERS - 1}`)).toBe(0) // the oldest fell out (the bus still refuses a range it has)
  })
})

describe("what a fill carries", () => {
  it("a trade's fill carries its trade id; an order update's has no trade id at all", () => {
    const t = tracker()
    const [fromTrade] = t.onTrade(trade("o1", "t-77", 30), 5)
    const [fromOrder] = t.onOrderUpdate(order("o1", 50), 5)
    expect(fromTrade?.tradeId).toBe("t-77")
    expect(fromOrder).toBeDefined()
    expect(Object.keys(fromOrder!)).not.toContain("tradeId")
  })

  it("timestamps are whole milliseconds, never negative: venue time from the report, detection time from the caller", () => {
    const t = tracker()
    const [a] = t.onOrderUpdate(order("o1", 10, { updatedAtMs: 1_700_000_000_123.9 }), 1_700_000_000_456.7)
    expect([a?.venueTimestampMs, a?.detectedAtMs]).toEqual([1_700_000_000_123, 1_700_000_000_456])
    const [b] = t.onTrade(trade("o2", "t1", 10, { timestampMs: 42.5 }), 43.2)
    expect([b?.venueTimestampMs, b?.detectedAtMs]).toEqual([42, 43])
    const [c] = t.onTrade(trade("o3", "t2", 10, { timestampMs: -5 }), -1)
    expect([c?.venueTimestampMs, c?.detectedAtMs]).toEqual([0, 0])
  })

  it("a client index missing from the first report is taken from a later one, and then kept", () => {
    const t = tracker()
    // the trade came without a client index
    expect(t.onTrade(trade("o1", "t1", 10, { clientOrderIndex: 0 }), 5).map((f) => f.clientOrderIndex)).toEqual([0])
    expect(t.onOrderUpdate(order("o1", 20, { clientOrderIndex: 9 }), 5).map((f) => f.clientOrderIndex)).toEqual([9])
    // a later report without one, or with another, does not change it
    expect(t.onOrderUpdate(order("o1", 30, { clientOrderIndex: 0 }), 5).map((f) => f.clientOrderIndex)).toEqual([9])
    expect(t.onOrderUpdate(order("o1", 40, { clientOrderIndex: 11 }), 5).map((f) => f.clientOrderIndex)).toEqual([9])
    expect(t.onTrade(trade("o1", "t2", 35, { clientOrderIndex: 12 }), 5).map((f) => f.clientOrderIndex)).toEqual([9])
  })

  it("a client index learnt from an update that adds no fill is still kept for the next fill", () => {
    const t = tracker()
    t.onTrade(trade("o1", "t1", 10, { clientOrderIndex: 0 }), 5)
    expect(t.onOrderUpdate(order("o1", 10, { clientOrderIndex: 9 }), 5)).toEqual([])
    expect(t.onTrade(trade("o1", "t2", 5, { clientOrderIndex: 0 }), 5).map((f) => f.clientOrderIndex)).toEqual([9])
  })
})

describe("reports that are ignored", () => {
  it("another account's order update neither fills nor starts the order", () => {
    const t = tracker()
    expect(t.onOrderUpdate(order("o2", 30, { accountIndex: 2, clientOrderIndex: 4 }), 5)).toEqual([])
    expect(t.level("o2")).toBe(0)
    // the order's own account later: its first fill starts at 0 and carries its own client index
    expect(t.onOrderUpdate(order("o2", 30), 5).map((f) => [f.filledBefore, f.filledAfter, f.clientOrderIndex])).toEqual([[0, 30, 9]])
  })

  it("a trade of no size, or a negative one, counts for nothing and does not use up its trade id", () => {
    const t = tracker()
    expect(t.onTrade(trade("o1", "t1", 0), 5)).toEqual([])
    expect(t.onTrade(trade("o1", "t2", -20), 5)).toEqual([])
    expect(t.level("o1")).toBe(0)
    expect(t.onTrade(trade("o1", "t1", 30), 5).map((f) => [f.filledBefore, f.filledAfter])).toEqual([[0, 30]])
    expect(t.onTrade(trade("o1", "t3", 10), 5).map((f) => [f.filledBefore, f.filledAfter])).toEqual([[30, 40]])
  })
})

describe("remembered trade ids are bounded (10 000)", () => {
  const MAX = 10_000
  it("a replay of any of the last 10 000 trades is ignored; older ids are forgotten", () => {
    const t = tracker()
    for (let i = 0; i < MAX; i++) t.onTrade(trade("o1", `t${i}`, 1), 5)
    expect(t.level("o1")).toBe(MAX)
    // all 10 000 still remembered
    expect(t.onTrade(trade("o1", "t0", 1), 5)).toEqual([])
    expect(t.onTrade(trade("o1", `t${MAX - 1}`, 1), 5)).toEqual([])
    // one more: the oldest id is dropped, the second oldest is kept
    t.onTrade(trade("o1", `t${MAX}`, 1), 5)
    expect(t.level("o1")).toBe(MAX + 1)
    expect(t.onTrade(trade("o1", "t1", 1), 5)).toEqual([])
    expect(t.onTrade(trade("o1", "t0", 1), 5).map((f) => f.filledAfter)).toEqual([MAX + 2])
  })
})
