// The chaos verdict over hand-made trade logs: each invariant fails when, and only when, its
// condition is broken — also around the operator faults (Redis restarted empty, a flatten, a
// copied fill entry).
import { describe, expect, it } from "vitest"
import {
  audit,
  type AuditDuplicate,
  type AuditFill,
  type AuditFlatten,
  type AuditInput,
  type AuditRedisLoss,
  type AuditTrade,
  classifyBClientIndex
} from "../../src/chaos/audit.ts"
import { correctionClientIndex, hedgeClientIndex } from "../../src/domain/client-index.ts"
import { closingClientIndexA, closingClientIndexB } from "../../src/domain/closing.ts"
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

/** A flatten's closing trade: A's (reserved index from 2^47) or B's (attempt 0, top of the range); `sells` as the account sells. */
const closing = (t: number, account: number, size: number, sells: boolean, n = 1): AuditTrade => {
  const coi = account === A ? closingClientIndexA(t, n) : closingClientIndexB(TAG, t, n)
  return {
    tradeId: nextId++, timestampMs: t, size,
    askAccountId: sells ? account : M, bidAccountId: sells ? M : account,
    askOrderId: sells ? 6000 + t : 8000 + t, bidOrderId: sells ? 8000 + t : 6000 + t,
    askClientId: sells ? coi : 0, bidClientId: sells ? 0 : coi
  }
}

const fill = (fillSeq: number, order: number, size: number, aBuys: boolean, filledAfter = size, epoch = 0): AuditFill => ({
  fillSeq, fillId: `${order}:${filledAfter}`, orderIndex: String(order), side: aBuys ? "buy" : "sell", size, filledAfter, epoch
})

const allFaults = new Map(FAULT_KINDS.map((k) => [k, 1]))

/** A clean run: A buys 20 (order 11), B sells 20; A sells 20 (order 12), B buys 20. */
const clean = (): AuditInput => ({
  accountA: A, accountB: B, minBase: 20, hedgeTag: TAG,
  trades: [aFill(1000, 11, 20, true), bHedge(1010, 1, 20, true), aFill(2000, 12, 20, false), bHedge(2015, 2, 20, false)],
  fills: [fill(1, 11, 20, true), fill(2, 12, 20, false)],
  results: [{ fillSeq: 1, hedgedSignedBase: -20, status: "hedged", epoch: 0 }, { fillSeq: 2, hedgedSignedBase: 20, status: "hedged", epoch: 0 }],
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
    const sub = { ...x, trades: [...x.trades.slice(0, 3), bHedge(2015, 2, 5, false)], finalPositionA: 0, finalPositionB: -15, results: [x.results[0]!, { fillSeq: 2, hedgedSignedBase: 5, status: "partial", epoch: 0 }] }
    expect(failing(sub)).not.toContain("I1")
  })

  it("I2: a second order for the same fill, or a hedge effect beyond the record", () => {
    const x = clean()
    const twice = { ...x, trades: [...x.trades, bHedge(1020, 1, 20, true, 1, 7777)], finalPositionB: -20 }
    expect(failing(twice)).toContain("I2")
    expect(audit(twice).figures.duplicatedHedges).toBeGreaterThanOrEqual(1)
    const unrecorded = { ...x, results: [{ fillSeq: 1, hedgedSignedBase: 0, status: "failed", epoch: 0 }, x.results[1]!] }
    expect(failing(unrecorded)).toContain("I2")
    const stranger = { ...x, trades: [...x.trades, { ...bHedge(3000, 3, 20, true), askClientId: 12345 }] }
    expect(audit(stranger).figures.unattributedBTrades).toBe(1)
  })

  it("I3: an A fill never published, a fill without a result, or a pending entry", () => {
    const x = clean()
    expect(failing({ ...x, fills: x.fills.slice(0, 1), results: x.results.slice(0, 1) })).toContain("I3")
    expect(audit({ ...x, fills: [x.fills[0]!, fill(2, 12, 10, false)] }).figures.lostBase).toBe(10)
    expect(failing({ ...x, results: x.results.slice(0, 1) })).toContain("I3")
    expect(failing({ ...x, pending: 1 })).toContain("I3")
  })

  it("I4: exposure beyond max_unhedged, or unhedged too long without a halt", () => {
    const x = clean()
    const late = {
      ...x,
      trades: [aFill(1000, 11, 20, true), bHedge(40_000, 1, 20, true)],
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

describe("chaos audit: B's orders told apart by their client index", () => {
  it("hedges, corrections, a flatten's closing orders, and anything else", () => {
    expect(classifyBClientIndex(hedgeClientIndex(TAG, 7_000_000_000, 1), TAG)).toBe("hedge")
    expect(classifyBClientIndex(correctionClientIndex(TAG, 1_766_000_000_000), TAG)).toBe("correction")
    for (const n of [1, 5, 63]) expect(classifyBClientIndex(closingClientIndexB(TAG, 1_766_000_000_000, n), TAG)).toBe("closing")
    expect(classifyBClientIndex(hedgeClientIndex(TAG + 1, 7, 1), TAG)).toBe("foreign")
    expect(classifyBClientIndex(0, TAG)).toBe("foreign")
  })
})

describe("chaos audit: flatten", () => {
  /** After the clean run A buys 20 more (order 13), hedged; then a flatten closes A (−20) and B (+20). */
  const flattened = (): AuditInput & { flattens: Array<AuditFlatten> } => {
    const x = clean()
    return {
      ...x,
      trades: [...x.trades, aFill(3000, 13, 20, true), bHedge(3010, 3, 20, true), closing(4100, A, 20, true), closing(4200, B, 20, false)],
      fills: [...x.fills, fill(3, 13, 20, true)],
      results: [...x.results, { fillSeq: 3, hedgedSignedBase: -20, status: "hedged", epoch: 0 }],
      flattens: [{ cause: "flatten-mid-run", startMs: 4000, endMs: 4500, exitCode: 0, positionA: 0, positionB: 0, tradesWhileHalted: 0, resumeExitCode: 0 }]
    }
  }

  it("closing trades are neither fills of A nor hedges of B, and conservation counts them", () => {
    const v = audit(flattened())
    expect(v.ok).toBe(true)
    expect(v.figures).toMatchObject({ fillsA: 3, hedgeTrades: 3, closingTradesA: 1, closingTradesB: 1, unattributedBTrades: 0, hedgeGap: 0, closedByFlattens: 0, finalNet: 0 })
    expect(v.events.join("\n")).toMatch(/flatten 1 \(flatten-mid-run\): exit code 0; found A \+ B = 0/)
  })

  it("I2: a closing trade of A on the bus, or a closing trade outside any flatten", () => {
    const x = flattened()
    const closingOrderOfA = String(x.trades.find((t) => t.askAccountId === A && t.askClientId >= 2 ** 47)!.askOrderId)
    const published = { ...x, fills: [...x.fills, { ...fill(4, 0, 20, false), orderIndex: closingOrderOfA, fillId: `${closingOrderOfA}:20` }] }
    expect(failing(published)).toContain("I2")
    expect(audit(published).figures.closingFillsPublished).toBe(1)
    expect(failing({ ...x, flattens: [] })).toContain("I2")
  })

  it("I2: a hedge that executed as the flatten closed its intent (B recorded nothing) is closed out by the flatten, not a duplicate; twice the fill is", () => {
    // A buys 20 (order 13, seq 3); B picks it up between the flatten's settle check and its fence:
    // the flatten closes the intent, B's sell still executes, the flatten's closing buys it back.
    const x = clean()
    const raced: AuditInput & { flattens: Array<AuditFlatten> } = {
      ...x,
      trades: [...x.trades, aFill(3000, 13, 20, true), bHedge(4050, 3, 20, true), closing(4100, A, 20, true), closing(4200, B, 20, false)],
      fills: [...x.fills, fill(3, 13, 20, true)],
      results: [...x.results, { fillSeq: 3, hedgedSignedBase: 0, status: "failed", epoch: 0 }],
      flattens: [{ cause: "flatten-mid-run", startMs: 4000, endMs: 4500, exitCode: 0, positionA: 0, positionB: 0, tradesWhileHalted: 0, resumeExitCode: 0, intentsClosed: ["13:20"] }]
    }
    expect(failing(raced)).toEqual([])
    expect(audit(raced).invariants.find((i) => i.id === "I2")!.detail).toMatch(/1 hedge\(s\) executed as a flatten closed their intent/)
    // Without the flatten's word that it closed that intent, the same log is a duplicated hedge.
    expect(failing({ ...raced, flattens: [{ ...raced.flattens[0]!, intentsClosed: [] }] })).toContain("I2")
    // Hedged twice (a second attempt also executed): more than the fill, a duplicate even so.
    const twice = { ...raced, trades: [...raced.trades, bHedge(4060, 3, 20, true, 2), closing(4210, B, 20, false, 2)] }
    expect(audit(twice).figures.duplicatedHedges).toBeGreaterThan(0)
  })

  it("outcomes: not flat right after, a trade before resume, a failed command, or a fill closed instead of hedged", () => {
    const x = flattened()
    const f = x.flattens[0]!
    expect(failing({ ...x, flattens: [{ ...f, positionB: 20 }] })).toEqual(["outcomes"])
    expect(failing({ ...x, flattens: [{ ...f, tradesWhileHalted: 1 }] })).toEqual(["outcomes"])
    expect(failing({ ...x, flattens: [{ ...f, exitCode: 1 }] })).toEqual(["outcomes"])
    expect(failing({ ...x, flattens: [{ ...f, resumeExitCode: 1 }] })).toEqual(["outcomes"])
    // B never hedged fill 3: the flatten closed A's +20 alone. Flat at the end, but a mid-run
    // flatten must have found the pair hedged.
    const unhedged = {
      ...x,
      trades: x.trades.filter((t) => !(t.askClientId === hedgeClientIndex(TAG, 3, 1))).filter((t) => !(t.bidAccountId === B && t.bidClientId >= 2 ** 40 && t.timestampMs === 4200)),
      results: [...x.results.slice(0, 2), { fillSeq: 3, hedgedSignedBase: 0, status: "deferred", epoch: 0 }]
    }
    const v = audit(unhedged)
    expect(v.figures.finalNet).toBe(0)
    expect(v.invariants.find((i) => i.id === "outcomes")!.detail).toMatch(/found A \+ B = 20 unhedged/)
  })

  it("I3: A's fill the flatten fenced before A published it is settled by the flatten, not lost", () => {
    const x = flattened()
    // A's quote 14 filled 20 just before the flatten started; A never published it; the flatten closed 40.
    const trades = [...x.trades.slice(0, 6), aFill(3900, 14, 20, true), closing(4100, A, 40, true), closing(4200, B, 20, false)]
    const v = audit({ ...x, trades })
    expect(v.figures).toMatchObject({ lostFills: 0, settledByFlatten: 1, settledByFlattenBase: 20, finalNet: 0 })
    expect(v.ok).toBe(true)
    // The same unpublished fill long before the flatten is lost.
    const early = audit({ ...x, trades: [...x.trades.slice(0, 6), aFill(3100 - 5000, 14, 20, true), closing(4100, A, 40, true), closing(4200, B, 20, false)] })
    expect(early.figures.lostFills).toBe(1)
    expect(early.invariants.find((i) => i.id === "I3")!.ok).toBe(false)
  })
})

describe("chaos audit: Redis restarted empty", () => {
  const loss = (over: Partial<AuditRedisLoss> = {}): AuditRedisLoss => ({
    epoch: 0, atMs: 3000, decidedAtMs: 8000, detected: true, reportedA: 20, reportedB: 0, netAtDecision: 20, pendingAtDecision: 0,
    action: "flatten+resume", resumed: true, running: true, pendingAtLoss: 1, poolAtLoss: 0, openIntentsAtLoss: 0, ...over
  })
  const flattenAfterLoss: AuditFlatten = { cause: "redis-empty", startMs: 8000, endMs: 9000, exitCode: 0, positionA: 0, positionB: 0, tradesWhileHalted: 0, resumeExitCode: 0 }
  /**
   * A buys 20 (order 11), hedged; A buys 20 more (order 13, fill 2) and Redis dies with it pending;
   * the operator flattens (A sells 40, B buys 20) and resumes; in the new epoch A buys 20 (order 15,
   * fill seq 100 002), hedged, and sells 20 (order 16), hedged.
   */
  const lost = (): AuditInput => ({
    accountA: A, accountB: B, minBase: 20, hedgeTag: TAG,
    trades: [
      aFill(1000, 11, 20, true), bHedge(1010, 1, 20, true), aFill(2900, 13, 20, true),
      closing(8100, A, 40, true), closing(8200, B, 20, false),
      aFill(10_000, 15, 20, true), bHedge(10_010, 100_002, 20, true), aFill(11_000, 16, 20, false), bHedge(11_010, 100_003, 20, false)
    ],
    fills: [fill(1, 11, 20, true), fill(2, 13, 20, true), fill(100_002, 15, 20, true, 20, 1), fill(100_003, 16, 20, false, 20, 1)],
    results: [
      { fillSeq: 1, hedgedSignedBase: -20, status: "hedged", epoch: 0 },
      { fillSeq: 100_002, hedgedSignedBase: -20, status: "hedged", epoch: 1 },
      { fillSeq: 100_003, hedgedSignedBase: 20, status: "hedged", epoch: 1 }
    ],
    finalPositionA: 0, finalPositionB: 0, pending: 0, deadLetters: 0,
    limits: { maxUnhedged: 100, maxUnhedgedAgeMs: 30_000 }, halts: 0, faults: allFaults,
    losses: [loss()],
    flattens: [flattenAfterLoss]
  })

  it("a pending fill lost with Redis, detected and reported, the pair flattened: counted apart, never hidden, and the run passes", () => {
    const v = audit(lost())
    expect(v.invariants.filter((i) => !i.ok)).toEqual([])
    expect(v.figures).toMatchObject({ lostFills: 0, fillsWithoutResult: 0, lostWithRedisPending: 1, lostWithRedisPendingBase: 20, lostWithRedisPendingHedged: 0, finalNet: 0 })
    expect(v.invariants.find((i) => i.id === "I3")!.detail).toMatch(/lost with Redis .*1 pending fill\(s\) \(20 base/)
    expect(v.events[0]).toMatch(/Redis loss 1: Redis restarted empty holding 1 pending fill\(s\).*reported positions 20 and 0.*flatten, then bin\/hedge resume/)
  })

  it("a loss the engine did not detect or report excuses nothing", () => {
    const x = lost()
    const undetected = { ...x, losses: [loss({ detected: false })] }
    expect(failing(undetected)).toEqual(expect.arrayContaining(["I3", "outcomes"]))
    expect(audit(undetected).figures.fillsWithoutResult).toBe(1)
    expect(failing({ ...x, losses: [loss({ reportedB: undefined })] })).toEqual(expect.arrayContaining(["I3", "outcomes"]))
  })

  it("outcomes: resume failed, A and B not trading again, or resumed with a net not flattened", () => {
    const x = lost()
    expect(failing({ ...x, losses: [loss({ resumed: false })] })).toEqual(["outcomes"])
    expect(failing({ ...x, losses: [loss({ running: false })] })).toEqual(["outcomes"])
    expect(failing({ ...x, losses: [loss({ action: "resume" })] })).toEqual(["outcomes"])
    // Flat at the exchange, but a fill A published into the empty Redis before it noticed: not to be trusted either.
    expect(failing({ ...x, losses: [loss({ action: "resume", netAtDecision: 0, pendingAtDecision: 1 })] })).toEqual(["outcomes"])
  })

  it("A's fill that never reached the bus because Redis died under it is lost with Redis; one long before the loss is lost", () => {
    const x = lost()
    // Order 13's fill never published (no fill 2): within the loss window.
    const unpublished = { ...x, fills: x.fills.filter((f) => f.fillSeq !== 2), losses: [loss({ pendingAtLoss: 0 })] }
    const v = audit(unpublished)
    expect(v.ok).toBe(true)
    expect(v.figures).toMatchObject({ lostWithRedisUnpublished: 1, lostWithRedisUnpublishedBase: 20, lostFills: 0 })
    // The same, had the loss come 10 s later: A did not publish a fill long before Redis died.
    const late = { ...unpublished, losses: [loss({ atMs: 13_000, decidedAtMs: 14_000, pendingAtLoss: 0 })] }
    expect(audit(late).figures.lostFills).toBe(1)
  })

  it("I2: a lost fill B had hedged before the loss (record gone) is fine; hedged twice, or after the operator acted, is not", () => {
    const x = lost()
    // B hedged fill 2 before Redis died (its result was lost with it): the pair was flat, so resume only.
    const hedgedBefore = {
      ...x,
      trades: [...x.trades.slice(0, 3), bHedge(2950, 2, 20, true), ...x.trades.slice(5)],
      losses: [loss({ netAtDecision: 0, reportedA: 40, reportedB: -40, action: "resume" })],
      flattens: []
    }
    const v = audit(hedgedBefore)
    expect(v.invariants.filter((i) => !i.ok)).toEqual([])
    expect(v.figures.lostWithRedisPendingHedged).toBe(1)
    expect(v.figures.finalNet).toBe(0)
    // Hedged twice at the exchange (a second order under another attempt).
    const twice = { ...hedgedBefore, trades: [...hedgedBefore.trades, bHedge(2960, 2, 20, true, 2)], finalPositionB: -20 }
    expect(failing(twice)).toContain("I2")
    // Hedged after the operator acted: trading on state Redis lost.
    const after = { ...x, trades: [...x.trades, bHedge(12_000, 2, 20, true)], finalPositionB: -20 }
    expect(audit(after).figures.hedgesOfLostFillsAfterLoss).toBe(1)
    expect(failing(after)).toContain("I2")
  })

  it("I2: one fill identity hedged under two sequence numbers (A re-published an old fill after the loss)", () => {
    const x = lost()
    const replayed = {
      ...x,
      trades: [...x.trades, bHedge(12_000, 100_004, 20, true)],
      fills: [...x.fills, { ...fill(100_004, 11, 20, true, 20, 1) }],
      results: [...x.results, { fillSeq: 100_004, hedgedSignedBase: -20, status: "hedged", epoch: 1 }],
      finalPositionB: -20
    }
    expect(failing(replayed)).toContain("I2")
  })
})

describe("chaos audit: a copied fill entry", () => {
  const dup = (over: Partial<AuditDuplicate> = {}): AuditDuplicate => ({
    fillSeq: 2, fillId: "12:20", originalEntryId: "1-0", copyEntryId: "5-0", acknowledged: true, loggedAsDuplicate: true, deadLettered: false, haltedMeanwhile: false, ...over
  })
  const copied = (): AuditInput => {
    const x = clean()
    return { ...x, fills: [...x.fills, x.fills[1]!], duplicates: [dup()] }
  }

  it("is counted apart, not as a fill, and passes when acknowledged as a duplicate without a halt", () => {
    const v = audit(copied())
    expect(v.ok).toBe(true)
    expect(v.figures).toMatchObject({ fillMessages: 2, copiesInjected: 1, duplicatedHedges: 0 })
    expect(v.events[0]).toMatch(/duplicate 1: copy 5-0 of entry 1-0 \(fill 12:20, seq 2\): acknowledged as a duplicate, no halt/)
  })

  it("outcomes: not acknowledged, not logged as a duplicate, dead-lettered, or a halt", () => {
    const x = copied()
    for (const over of [{ acknowledged: false }, { loggedAsDuplicate: false }, { deadLettered: true }, { haltedMeanwhile: true }]) {
      expect(failing({ ...x, duplicates: [dup(over)] })).toEqual(["outcomes"])
    }
  })

  it("I2: the copy hedged again", () => {
    const x = copied()
    expect(failing({ ...x, trades: [...x.trades, bHedge(2100, 2, 20, false, 2)], finalPositionB: 20 })).toContain("I2")
  })
})
