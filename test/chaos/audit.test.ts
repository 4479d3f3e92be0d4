// The chaos verdict over hand-made trade logs: each invariant fails when, and only when, its
// condition is broken.
import { describe, expect, it } from "vitest"
import { audit, type AuditInput, type AuditTrade } from "../../src/chaos/audit.ts"
import { hedgeClientIndex } from "../../src/domain/client-index.ts"
import { FAULT_KINDS } from "../../src/chaos/plan.ts"

const A = 1
const B = 2
const M = 100 // maker of B's hedges (the market)
const TAG = 9
let nextId = 1

/** A's quote order `order` filled `size` (A buys when `aBuys`). */
const aFill = (t: number, order: number, size: number, aBuys: boolean): AuditTrade => ({
  tradeId: nextId++, timestampMs: t, size,
  askAccountId: aBuys ? M : A, bidAccountId: aBuys ? A : M,
  askOrderId: aBuys ? 9000 + t : order, bidOrderId: aBuys ? order : 9000 + t,
  askClientId: 0, bidClientId: 0
})

/** B's hedge of fill `seq` (attempt `attempt`), B selling when `bSells`. */
const bHedge = (t: number, seq: number, size: number, bSells: boolean, attempt = 1, orderId = 5000 + seq * 10 + attempt): AuditTrade => ({
  tradeId: nextId++, timestampMs: t, size,
  askAccountId: bSells ? B : M, bidAccountId: bSells ? M : B,
  askOrderId: bSells ? orderId : 8000 + t, bidOrderId: bSells ? 8000 + t : orderId,
  askClientId: bSells ? hedgeClientIndex(TAG, seq, attempt) : 0, bidClientId: bSells ? 0 : hedgeClientIndex(TAG, seq, attempt)
})

const allFaults = new Map(FAULT_KINDS.map((k) => [k, 1]))

/** A clean run: A buys 20 (order 11), B sells 20; A sells 20 (order 12), B buys 20. */
const clean = (): AuditInput => ({
  accountA: A, accountB: B, minBase: 20, hedgeTag: TAG,
  trades: [aFill(1000, 11, 20, true), bHedge(1010, 1, 20, true), aFill(2000, 12, 20, false), bHedge(2015, 2, 20, false)],
  publishedLevels: new Map([["11", 20], ["12", 20]]),
  fills: [{ fillSeq: 1, orderIndex: "11", size: 20 }, { fillSeq: 2, orderIndex: "12", size: 20 }],
  results: [{ fillSeq: 1, hedgedSignedBase: -20, status: "hedged" }, { fillSeq: 2, hedgedSignedBase: 20, status: "hedged" }],
  finalPositionA: 0, finalPositionB: 0, pending: 0, deadLetters: 0,
  limits: { maxUnhedged: 100, maxUnhedgedAgeMs: 30_000 }, halts: 0, faults: allFaults
})

const failing = (x: AuditInput) => audit(x).invariants.filter((i) => !i.ok).map((i) => i.id)

describe("chaos audit", () => {
  it("a clean run passes every invariant, with its figures", () => {
    const v = audit(clean())
    expect(v.ok).toBe(true)
    expect(v.figures).toMatchObject({ fillsA: 2, hedgeTrades: 2, duplicatedHedges: 0, lostFills: 0, selfTrades: 0, maxAbsNet: 20, longestUnhedgedMs: 15, finalNet: 0 })
  })

  it("I1: the pair left unflat by the venue minimum or more", () => {
    const x = clean()
    expect(failing({ ...x, trades: x.trades.slice(0, 3), finalPositionB: -20, results: x.results.slice(0, 1) })).toContain("I1")
    // a sub-minimum residual is allowed
    const sub = { ...x, trades: [...x.trades.slice(0, 3), bHedge(2015, 2, 5, false)], finalPositionA: 0, finalPositionB: -15, results: [x.results[0]!, { fillSeq: 2, hedgedSignedBase: 5, status: "partial" }] }
    expect(failing(sub)).not.toContain("I1")
  })

  it("I2: a second order for the same fill, or a hedge effect beyond the record", () => {
    const x = clean()
    const twice = { ...x, trades: [...x.trades, bHedge(1020, 1, 20, true, 1, 7777)], finalPositionB: -20 }
    expect(failing(twice)).toContain("I2")
    expect(audit(twice).figures.duplicatedHedges).toBeGreaterThanOrEqual(1)
    const unrecorded = { ...x, results: [{ fillSeq: 1, hedgedSignedBase: 0, status: "failed" }, x.results[1]!] }
    expect(failing(unrecorded)).toContain("I2")
    const stranger = { ...x, trades: [...x.trades, { ...bHedge(3000, 3, 20, true), askClientId: 12345 }] }
    expect(audit(stranger).figures.unattributedBTrades).toBe(1)
  })

  it("I3: an A fill never published, a fill without a result, or a pending entry", () => {
    const x = clean()
    expect(failing({ ...x, publishedLevels: new Map([["11", 20]]) })).toContain("I3")
    expect(audit({ ...x, publishedLevels: new Map([["11", 20], ["12", 10]]) }).figures.lostBase).toBe(10)
    expect(failing({ ...x, results: x.results.slice(0, 1) })).toContain("I3")
    expect(failing({ ...x, pending: 1 })).toContain("I3")
  })

  it("I4: exposure beyond max_unhedged, or unhedged too long without a halt", () => {
    const x = clean()
    const late = {
      ...x,
      trades: [aFill(1000, 11, 20, true), bHedge(40_000, 1, 20, true)],
      publishedLevels: new Map([["11", 20]]),
      fills: x.fills.slice(0, 1),
      results: x.results.slice(0, 1)
    }
    expect(audit(late).figures.longestUnhedgedMs).toBe(39_000)
    expect(failing(late)).toContain("I4")
    expect(failing({ ...late, halts: 1 })).not.toContain("I4")
    expect(failing({ ...x, limits: { maxUnhedged: 10, maxUnhedgedAgeMs: 30_000 } })).toContain("I4")
  })

  it("I5: a trade between A and B", () => {
    const x = clean()
    const self: AuditTrade = { ...aFill(3000, 13, 20, true), askAccountId: B }
    expect(failing({ ...x, trades: [...x.trades, self] })).toContain("I5")
  })

  it("a fault kind never injected fails the run", () => {
    const faults = new Map(allFaults)
    faults.set("redis-down", 0)
    const v = audit({ ...clean(), faults })
    expect(v.ok).toBe(false)
    expect(v.invariants.find((i) => i.id === "faults")!.detail).toContain("redis-down")
  })
})
