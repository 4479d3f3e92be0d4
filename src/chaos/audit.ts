// The verdict of a chaos run, pure: DESIGN §4 I1–I5 checked from the exchange's own trade log
// and from what Redis held (fill messages and hedge results — of every Redis "epoch": a Redis
// restarted empty takes its data with it, so the harness notes what it held just before), plus
// what each operator-like fault was expected to do.
//
// Trades are told apart by their client order index:
//   A  quote (index < 2^47)            closing order of `bin/hedge flatten` (2^47 and up)
//   B  hedge (pair tag, attempt ≥ 1)   reconciliation correction (tag, attempt 0)
//      closing order of a flatten (tag, attempt 0, sequence at the top of the 34-bit range)
//      anything else: not ours (fails I2)
//
// Quantities the engine could not hedge by design are never counted as hedged and never hidden:
//   - lost with Redis: A's fills on the exchange that never reached the bus because Redis died
//     under them, and fills pending in a Redis that came back empty (whether B hedged them is
//     unknowable to the engine; the audit looks at the exchange) — excused from I3 only when the
//     engine detected the loss and both processes reported their positions, and the pair ends flat;
//   - settled by a flatten: A's fills the flatten fenced before A published them (the flatten
//     closed the position instead) — excused from I3 only inside a flatten's window.
import { isSelfTrade, replayNet } from "../domain/trade-log.ts"
import { MAX_FILL_SEQ, decodeHedgeClientIndex } from "../domain/client-index.ts"
import { isClosingClientIndex } from "../domain/closing.ts"
import { FAULT_KINDS, type FaultKind } from "./plan.ts"

export interface AuditTrade {
  readonly tradeId: number
  readonly timestampMs: number
  readonly size: number
  readonly askAccountId: number
  readonly bidAccountId: number
  readonly askOrderId: number
  readonly bidOrderId: number
  readonly askClientId: number
  readonly bidClientId: number
}

export interface AuditFill {
  readonly fillSeq: number
  /** `orderIndex:filledAfter` for A's fills; `residual:<seq>` for B's residual flushes. */
  readonly fillId: string
  readonly orderIndex: string
  /** A's side. */
  readonly side: "buy" | "sell"
  readonly size: number
  readonly filledAfter: number
  /** The Redis epoch whose stream held it: 0 first, n after the n-th Redis restarted empty. */
  readonly epoch: number
}

export interface AuditResult {
  readonly fillSeq: number
  readonly hedgedSignedBase: number
  readonly status: string
  readonly epoch: number
}

/** A Redis restarted empty (fault `redis-empty`), and what the harness did as the operator. */
export interface AuditRedisLoss {
  /** The epoch whose data was lost (the fills and results noted before the kill carry it). */
  readonly epoch: number
  /** When Redis was frozen and killed (exchange clock). */
  readonly atMs: number
  /** When the operator acted (flatten or resume), after A and B halted and reported. */
  readonly decidedAtMs: number
  /** The engine halted with a new epoch waiting for an operator. */
  readonly detected: boolean
  /** The positions A and B reported for the new epoch (undefined: no report). */
  readonly reportedA: number | undefined
  readonly reportedB: number | undefined
  /** A + B at the exchange when the operator decided. */
  readonly netAtDecision: number
  /**
   * Fills pending in the new Redis when the operator decided: published before A and B noticed the
   * loss (their other halves may have died with the old Redis), so the operator flattens.
   */
  readonly pendingAtDecision: number
  readonly action: "resume" | "flatten+resume"
  /** `bin/hedge resume` ended with 0 and the epoch was adopted. */
  readonly resumed: boolean
  /** A and B trading again (fresh heartbeats, no longer waiting for an operator). */
  readonly running: boolean
  /** What the lost Redis held when it died. */
  readonly pendingAtLoss: number
  readonly poolAtLoss: number
  readonly openIntentsAtLoss: number
}

/** A `bin/hedge flatten --yes` the harness ran (fault `flatten-mid-run`, or after a Redis loss). */
export interface AuditFlatten {
  readonly cause: "flatten-mid-run" | "redis-empty"
  readonly startMs: number
  readonly endMs: number
  readonly exitCode: number
  /** Positions at the exchange right after it ended. */
  readonly positionA: number
  readonly positionB: number
  /** Trades of A or B between its end and `bin/hedge resume` (must be 0: nothing trades until resume). */
  readonly tradesWhileHalted: number
  readonly resumeExitCode: number
  /**
   * The hedge intents the flatten closed (fill ids; its "fenced:" line): B picked their fills up
   * between the flatten's settle check and its fence. B's order may still have executed; the
   * flatten's closing (and its re-check a second later) takes that position out with the rest.
   */
  readonly intentsClosed?: ReadonlyArray<string>
}

/** A copy of a real fill entry added under a new stream id (fault `duplicate-fill`). */
export interface AuditDuplicate {
  readonly fillSeq: number
  readonly fillId: string
  readonly originalEntryId: string
  readonly copyEntryId: string
  /** The copy was delivered and acknowledged. */
  readonly acknowledged: boolean
  /** B logged it as a duplicate entry (not hedged again). */
  readonly loggedAsDuplicate: boolean
  /** A dead letter appeared meanwhile. */
  readonly deadLettered: boolean
  /** The pair went HALTED meanwhile. */
  readonly haltedMeanwhile: boolean
}

export interface AuditInput {
  readonly accountA: number
  readonly accountB: number
  readonly minBase: number
  /** The pair's hedge tag (client index layout): B orders of other tags are not ours. */
  readonly hedgeTag: number
  /** Every trade of the market, from the exchange. */
  readonly trades: ReadonlyArray<AuditTrade>
  /** Fill messages of every Redis epoch (copies included). */
  readonly fills: ReadonlyArray<AuditFill>
  /** Hedge results of every Redis epoch. */
  readonly results: ReadonlyArray<AuditResult>
  readonly finalPositionA: number
  readonly finalPositionB: number
  /** Fills not hedged at the end: the group's lag plus its delivered, unacknowledged entries. */
  readonly pending: number
  readonly deadLetters: number
  /** Published fills a flatten settled instead of B hedging them (the engine's audit log, every epoch). */
  readonly fillsSettledByFlatten?: number
  readonly limits: { readonly maxUnhedged: number; readonly maxUnhedgedAgeMs: number }
  /** Times the pair went HALTED by itself during the run (resumed by the harness with `bin/hedge resume`). */
  readonly halts: number
  readonly faults: ReadonlyMap<FaultKind, number>
  readonly losses?: ReadonlyArray<AuditRedisLoss>
  readonly flattens?: ReadonlyArray<AuditFlatten>
  readonly duplicates?: ReadonlyArray<AuditDuplicate>
}

export interface InvariantVerdict {
  readonly id: "I1" | "I2" | "I3" | "I4" | "I5" | "faults" | "outcomes"
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

export interface ChaosFigures {
  /** A's quote fills (its flatten closing trades are counted apart). */
  readonly fillsA: number
  /** Distinct fills on the bus (copies injected by the harness not counted). */
  readonly fillMessages: number
  readonly copiesInjected: number
  /** B's hedge trades (its corrections and flatten closing trades are counted apart). */
  readonly hedgeTrades: number
  readonly hedgeResults: number
  readonly duplicatedHedges: number
  readonly overRecorded: number
  readonly unattributedBTrades: number
  readonly corrections: number
  readonly closingTradesA: number
  readonly closingTradesB: number
  /** Closing trades outside any flatten the harness ran. */
  readonly strayClosingTrades: number
  /** Fills on the bus that name one of A's closing orders (must be 0: never hedged). */
  readonly closingFillsPublished: number
  /** Hedge trades of a fill lost with Redis, made after the operator acted (trading on lost state). */
  readonly hedgesOfLostFillsAfterLoss: number
  /** Unexplained: A's quantity never published, outside any Redis loss or flatten. */
  readonly lostFills: number
  readonly lostBase: number
  /** Unexplained: fills on the bus without a hedge result (in a Redis that did not lose its data). */
  readonly fillsWithoutResult: number
  /** A's fills (exchange trades) that never reached the bus because Redis lost its state under them. */
  readonly lostWithRedisUnpublished: number
  readonly lostWithRedisUnpublishedBase: number
  /** Fills pending in a Redis that came back empty (their hedge results, if any, are gone). */
  readonly lostWithRedisPending: number
  readonly lostWithRedisPendingBase: number
  /** … of which B's hedge had executed at the exchange anyway. */
  readonly lostWithRedisPendingHedged: number
  /** A's fills a flatten fenced before A published them (the flatten closed them). */
  readonly settledByFlatten: number
  readonly settledByFlattenBase: number
  /** Fills on the bus a flatten settled: recorded with 0 hedged, closed by the flatten (engine's audit log). */
  readonly publishedSettledByFlatten: number
  /** Signed A quote fills + B hedges and corrections: what the hedging left open. */
  readonly hedgeGap: number
  /** Signed flatten closing trades of A and B. */
  readonly closedByFlattens: number
  readonly selfTrades: number
  readonly maxAbsNet: number
  readonly longestUnhedgedMs: number
  readonly finalNet: number
  readonly pending: number
  readonly deadLetters: number
  readonly halts: number
  readonly redisLosses: number
  readonly flattens: number
}

export interface ChaosVerdict {
  readonly figures: ChaosFigures
  readonly invariants: ReadonlyArray<InvariantVerdict>
  /** One line per Redis loss, flatten and duplicate: what happened, plainly. */
  readonly events: ReadonlyArray<string>
  readonly ok: boolean
}

/** A's fills up to this long before Redis froze may not have reached the bus yet when it died. */
export const LOSS_SLACK_MS = 5_000
/** A's fills up to this long before a flatten started may be fenced by it before A publishes them. */
export const FLATTEN_SLACK_MS = 5_000

/** B's closing orders count their sequence down from the top of the 34-bit range (src/domain/closing.ts). */
const B_CLOSING_SEQ_MIN = MAX_FILL_SEQ - 2 ** 26 + 1

export type BOrderKind = "hedge" | "correction" | "closing" | "foreign"

/** What one of B's orders is, from its client order index. */
export const classifyBClientIndex = (clientId: number, tag: number): BOrderKind => {
  if (!Number.isSafeInteger(clientId) || clientId <= 0) return "foreign"
  const d = decodeHedgeClientIndex(clientId)
  if (d.tag !== tag) return "foreign"
  if (d.attempt > 0) return "hedge"
  return d.fillSeq >= B_CLOSING_SEQ_MIN ? "closing" : "correction"
}

const within = (ms: number, from: number, to: number) => ms >= from && ms <= to

export const audit = (x: AuditInput): ChaosVerdict => {
  const A = x.accountA
  const B = x.accountB
  const losses = x.losses ?? []
  const flattens = x.flattens ?? []
  const duplicates = x.duplicates ?? []
  const trades = [...x.trades].sort((p, q) => p.timestampMs - q.timestampMs || p.tradeId - q.tradeId)
  const events: Array<string> = []

  // I5: a trade with A on one side and B on the other.
  const selfTrades = trades.filter((t) => isSelfTrade(t, A, B)).length

  // The legs of A and B in each trade, classified.
  type Leg = { readonly t: AuditTrade; readonly orderId: number; readonly clientId: number; readonly signed: number }
  const legsOf = (t: AuditTrade, account: number): Array<Leg> => {
    const out: Array<Leg> = []
    if (t.askAccountId === account) out.push({ t, orderId: t.askOrderId, clientId: t.askClientId, signed: -t.size })
    if (t.bidAccountId === account) out.push({ t, orderId: t.bidOrderId, clientId: t.bidClientId, signed: t.size })
    return out
  }
  const isClosingLeg = (t: AuditTrade): boolean =>
    legsOf(t, A).some((l) => isClosingClientIndex(l.clientId)) || legsOf(t, B).some((l) => classifyBClientIndex(l.clientId, x.hedgeTag) === "closing")

  // I4: replay the log; net = signed A + signed B after every trade. Also the net a flatten found
  // (just before its first closing trade).
  const netBeforeFlatten = new Map<number, number>()
  const flattenOf = (ms: number) => flattens.findIndex((f) => within(ms, f.startMs, f.endMs))
  const replay = replayNet(trades, A, B, x.minBase, (t, netBefore) => {
    if (!isClosingLeg(t)) return
    const i = flattenOf(t.timestampMs)
    if (i >= 0 && !netBeforeFlatten.has(i)) netBeforeFlatten.set(i, netBefore)
  })
  const net = replay.finalNet
  const maxAbsNet = replay.maxAbsNet
  let longestUnhedgedMs = replay.longestUnhedgedMs
  const stillOpenSince = replay.openSinceMs

  // A's legs: quote fills by order (for I3), closing trades.
  const quoteTradesByOrder = new Map<string, Array<Leg>>()
  const closingOrdersA = new Set<string>()
  let fillsA = 0
  let closingTradesA = 0
  let closingTradesB = 0
  let strayClosingTrades = 0
  let hedgeGap = 0
  let closedByFlattens = 0
  for (const t of trades) {
    for (const l of legsOf(t, A)) {
      if (isClosingClientIndex(l.clientId)) {
        closingTradesA++
        closedByFlattens += l.signed
        closingOrdersA.add(String(l.orderId))
        if (flattenOf(t.timestampMs) < 0) strayClosingTrades++
        continue
      }
      fillsA++
      hedgeGap += l.signed
      const list = quoteTradesByOrder.get(String(l.orderId)) ?? []
      list.push(l)
      quoteTradesByOrder.set(String(l.orderId), list)
    }
  }

  // Fill messages: one per (epoch, sequence number); copies counted apart.
  const fillBySeq = new Map<number, AuditFill>()
  let copiesInjected = 0
  let seqReused = 0
  for (const f of x.fills) {
    const seen = fillBySeq.get(f.fillSeq)
    if (seen === undefined) fillBySeq.set(f.fillSeq, f)
    else if (seen.fillId === f.fillId && seen.epoch === f.epoch) copiesInjected++
    else seqReused++
  }
  const lastEpoch = losses.length
  const lossOfEpoch = new Map(losses.map((l) => [l.epoch, l]))
  const lossExcused = (l: AuditRedisLoss | undefined) => l !== undefined && l.detected && l.reportedA !== undefined && l.reportedB !== undefined
  const lastResult = new Map<number, AuditResult>()
  for (const r of x.results) lastResult.set(r.fillSeq, r)

  // I2: what B's hedges of each fill did on the exchange matches what B recorded; no client index
  // was used by two orders; no fill identity hedged under two sequence numbers; no B trade left
  // unexplained; A's closing trades never on the bus; nothing hedged on state Redis lost.
  const venueByFill = new Map<number, number>()
  const lastHedgeMsByFill = new Map<number, number>()
  const ordersByClientIndex = new Map<number, Set<number>>()
  let unattributedBTrades = 0
  let corrections = 0
  let hedgeTrades = 0
  for (const t of trades) {
    for (const l of legsOf(t, B)) {
      const kind = classifyBClientIndex(l.clientId, x.hedgeTag)
      if (kind === "foreign") {
        unattributedBTrades++
        continue
      }
      if (kind === "closing") {
        closingTradesB++
        closedByFlattens += l.signed
        if (flattenOf(t.timestampMs) < 0) strayClosingTrades++
        continue
      }
      hedgeGap += l.signed
      if (kind === "correction") {
        corrections++
        continue
      }
      hedgeTrades++
      const seq = decodeHedgeClientIndex(l.clientId).fillSeq
      venueByFill.set(seq, (venueByFill.get(seq) ?? 0) + l.signed)
      lastHedgeMsByFill.set(seq, Math.max(lastHedgeMsByFill.get(seq) ?? 0, t.timestampMs))
      const orders = ordersByClientIndex.get(l.clientId) ?? new Set<number>()
      orders.add(l.orderId)
      ordersByClientIndex.set(l.clientId, orders)
    }
  }

  let duplicatedHedges = seqReused
  let overRecorded = 0
  let hedgesOfLostFillsAfterLoss = 0
  let lostWithRedisPending = 0
  let lostWithRedisPendingBase = 0
  let lostWithRedisPendingHedged = 0
  let fillsWithoutResult = 0
  for (const [seq, f] of fillBySeq) {
    if (lastResult.has(seq)) continue
    const loss = f.epoch < lastEpoch ? lossOfEpoch.get(f.epoch) : undefined
    if (loss === undefined || !lossExcused(loss)) {
      fillsWithoutResult++
      continue
    }
    // Pending when Redis died: its record (if B made one) is gone. What the exchange shows is the
    // truth: at most the fill (plus a pooled sub-minimum residual) in the hedge's direction.
    lostWithRedisPending++
    lostWithRedisPendingBase += f.size
    const venue = venueByFill.get(seq) ?? 0
    if (venue !== 0) lostWithRedisPendingHedged++
    const hedgeSign = f.side === "buy" ? -1 : 1
    const bound = f.size + Math.max(Math.abs(loss.poolAtLoss), x.minBase - 1)
    if (venue !== 0 && (Math.sign(venue) !== hedgeSign || Math.abs(venue) > bound)) duplicatedHedges++
    if ((lastHedgeMsByFill.get(seq) ?? 0) > loss.decidedAtMs) hedgesOfLostFillsAfterLoss++
  }
  // Fills whose open intents a flatten closed: B's hedge may have executed after B recorded
  // nothing (the flatten closed the intent under it); at most the fill, in the hedge's direction,
  // which the flatten's closing took out (its outcome: both flat). More is a duplicate.
  const closedByFlatten = new Set((x.flattens ?? []).flatMap((fl) => fl.intentsClosed ?? []))
  let hedgesClosedByFlatten = 0
  for (const [seq, venueSigned] of venueByFill) {
    const f = fillBySeq.get(seq)
    const r = lastResult.get(seq)
    if (r === undefined && f !== undefined && f.epoch < lastEpoch && lossExcused(lossOfEpoch.get(f.epoch))) continue // judged above
    if (f !== undefined && closedByFlatten.has(f.fillId) && (r?.hedgedSignedBase ?? 0) === 0) {
      const hedgeSign = f.side === "buy" ? -1 : 1
      if (venueSigned !== 0 && (Math.sign(venueSigned) !== hedgeSign || Math.abs(venueSigned) > f.size + x.minBase - 1)) duplicatedHedges++
      else if (venueSigned !== 0) hedgesClosedByFlatten++
      continue
    }
    const recorded = r?.hedgedSignedBase ?? 0
    if (Math.abs(venueSigned) > Math.abs(recorded) || (venueSigned !== 0 && Math.sign(venueSigned) !== Math.sign(recorded))) duplicatedHedges++
    else if (Math.abs(venueSigned) < Math.abs(recorded)) overRecorded++
  }
  for (const [seq, r] of lastResult) if (r.hedgedSignedBase !== 0 && !venueByFill.has(seq)) overRecorded++
  for (const orders of ordersByClientIndex.values()) if (orders.size > 1) duplicatedHedges += orders.size - 1
  // One fill identity (A's order and range) hedged under two sequence numbers: hedged twice.
  const hedgedSeqsById = new Map<string, Set<number>>()
  for (const [seq, f] of fillBySeq) {
    const effect = (venueByFill.get(seq) ?? 0) !== 0 || (lastResult.get(seq)?.hedgedSignedBase ?? 0) !== 0
    if (!effect) continue
    const s = hedgedSeqsById.get(f.fillId) ?? new Set<number>()
    s.add(seq)
    hedgedSeqsById.set(f.fillId, s)
  }
  for (const s of hedgedSeqsById.values()) if (s.size > 1) duplicatedHedges += s.size - 1
  const closingFillsPublished = [...fillBySeq.values()].filter((f) => closingOrdersA.has(f.orderIndex)).length

  // I3: every quantity A filled on the exchange reached the bus (over every epoch), unless Redis
  // died under it or a flatten fenced it; every fill on the bus has a result (see above).
  const published = new Map<string, number>()
  for (const f of fillBySeq.values()) published.set(f.orderIndex, Math.max(published.get(f.orderIndex) ?? 0, f.filledAfter))
  let lostFills = 0
  let lostBase = 0
  let lostWithRedisUnpublished = 0
  let lostWithRedisUnpublishedBase = 0
  let settledByFlatten = 0
  let settledByFlattenBase = 0
  /** Flatten → signed quantity of A's fills it fenced before A published them (it closed them itself). */
  const settledSignedByFlatten = new Map<number, number>()
  for (const [order, legs] of quoteTradesByOrder) {
    const filled = legs.reduce((s, l) => s + l.t.size, 0)
    let missing = filled - (published.get(order) ?? 0)
    if (missing <= 0) continue
    // The quantity not on the bus is the order's newest: walk its trades back.
    let unexplained = 0
    for (let k = legs.length - 1; k >= 0 && missing > 0; k--) {
      const leg = legs[k]!
      const t = leg.t
      const part = Math.min(missing, t.size)
      missing -= part
      const loss = losses.find((l) => within(t.timestampMs, l.atMs - LOSS_SLACK_MS, l.decidedAtMs))
      const fenced = flattens.findIndex((f) => within(t.timestampMs, f.startMs - FLATTEN_SLACK_MS, f.endMs))
      if (loss !== undefined && lossExcused(loss)) {
        lostWithRedisUnpublished++
        lostWithRedisUnpublishedBase += part
      } else if (fenced >= 0) {
        settledByFlatten++
        settledByFlattenBase += part
        settledSignedByFlatten.set(fenced, (settledSignedByFlatten.get(fenced) ?? 0) + Math.sign(leg.signed) * part)
      } else unexplained += part
    }
    if (unexplained > 0) {
      lostFills++
      lostBase += unexplained
    }
  }

  const finalNet = x.finalPositionA + x.finalPositionB
  const lastTradeMs = trades.at(-1)?.timestampMs ?? 0
  const openAtEndMs = stillOpenSince === undefined ? 0 : lastTradeMs - stillOpenSince
  longestUnhedgedMs = Math.round(Math.max(longestUnhedgedMs, openAtEndMs))

  // What each operator-like fault did, and whether it did what it should.
  const outcomeFailures: Array<string> = []
  losses.forEach((l, i) => {
    const n = `Redis loss ${i + 1}`
    const bothReported = l.reportedA !== undefined && l.reportedB !== undefined
    const reported = bothReported
      ? `A and B reported positions ${l.reportedA} and ${l.reportedB} (net ${l.reportedA + l.reportedB})`
      : `positions NOT reported (A ${l.reportedA ?? "none"}, B ${l.reportedB ?? "none"})`
    events.push(
      `${n}: Redis restarted empty holding ${l.pendingAtLoss} pending fill(s), ${l.openIntentsAtLoss} open intent(s), a pool of ${l.poolAtLoss}; ` +
        `${l.detected ? "A and B halted, a new epoch waited for an operator" : "NOT DETECTED"}; ${reported}; net at the exchange ${l.netAtDecision}, ` +
        `${l.pendingAtDecision} fill(s) pending in the new Redis (published before the loss was noticed) → ` +
        `${l.action === "flatten+resume" ? "bin/hedge flatten, then bin/hedge resume" : "bin/hedge resume"}${l.resumed ? " (epoch adopted)" : " FAILED"}` +
        `${l.running ? "; A and B trading again" : "; A and B NOT trading again"}`
    )
    if (!l.detected) outcomeFailures.push(`${n}: not detected (no HALT with an epoch waiting)`)
    if (!bothReported) outcomeFailures.push(`${n}: A's and B's positions not both reported`)
    if (!l.resumed) outcomeFailures.push(`${n}: bin/hedge resume failed or did not adopt the epoch`)
    if (!l.running) outcomeFailures.push(`${n}: A and B did not trade again after resume`)
    if (l.action === "resume" && (l.netAtDecision !== 0 || l.pendingAtDecision !== 0)) {
      outcomeFailures.push(`${n}: resumed with a net of ${l.netAtDecision} and ${l.pendingAtDecision} pending fill(s) (not flattened)`)
    }
  })
  flattens.forEach((f, i) => {
    const n = `flatten ${i + 1} (${f.cause})`
    const found = netBeforeFlatten.get(i) ?? 0
    const fencedSigned = settledSignedByFlatten.get(i) ?? 0
    events.push(
      `${n}: exit code ${f.exitCode}; found A + B = ${found} when it started closing` +
        `${fencedSigned !== 0 ? ` (${fencedSigned} of it A's fills it fenced before A published them)` : ""}; A ${f.positionA}, B ${f.positionB} right after; ` +
        `${f.tradesWhileHalted} trade(s) before resume; resume exit code ${f.resumeExitCode}`
    )
    if (f.exitCode !== 0) outcomeFailures.push(`${n}: exit code ${f.exitCode}`)
    if (f.positionA !== 0 || f.positionB !== 0) outcomeFailures.push(`${n}: not flat right after (A ${f.positionA}, B ${f.positionB})`)
    if (f.tradesWhileHalted !== 0) outcomeFailures.push(`${n}: ${f.tradesWhileHalted} trade(s) of A or B between the flatten and resume`)
    if (f.resumeExitCode !== 0) outcomeFailures.push(`${n}: bin/hedge resume exit code ${f.resumeExitCode}`)
    // With A and B running, the flatten settles the fills in flight first: it closes no more than a
    // sub-minimum residual (more would be a fill it closed instead of B hedging it).
    // A's fills it fenced before A published them are its own to close (DESIGN: settled by the flatten).
    if (f.cause === "flatten-mid-run" && Math.abs(found - fencedSigned) >= x.minBase) {
      outcomeFailures.push(`${n}: found A + B = ${found} unhedged (not settled before closing${fencedSigned !== 0 ? `; ${fencedSigned} fenced` : ""})`)
    }
  })
  duplicates.forEach((d, i) => {
    const n = `duplicate ${i + 1}`
    events.push(
      `${n}: copy ${d.copyEntryId} of entry ${d.originalEntryId} (fill ${d.fillId}, seq ${d.fillSeq}): ` +
        `${d.acknowledged ? "acknowledged" : "NOT acknowledged"}${d.loggedAsDuplicate ? " as a duplicate" : " (no duplicate log line)"}` +
        `${d.deadLettered ? ", dead-lettered" : ""}${d.haltedMeanwhile ? ", pair HALTED" : ", no halt"}`
    )
    if (!d.acknowledged) outcomeFailures.push(`${n}: copy not acknowledged`)
    if (!d.loggedAsDuplicate) outcomeFailures.push(`${n}: B did not log it as a duplicate`)
    if (d.deadLettered) outcomeFailures.push(`${n}: dead-lettered`)
    if (d.haltedMeanwhile) outcomeFailures.push(`${n}: the pair halted`)
  })

  const figures: ChaosFigures = {
    fillsA,
    fillMessages: fillBySeq.size,
    copiesInjected,
    hedgeTrades,
    hedgeResults: lastResult.size,
    duplicatedHedges,
    overRecorded,
    unattributedBTrades,
    corrections,
    closingTradesA,
    closingTradesB,
    strayClosingTrades,
    closingFillsPublished,
    hedgesOfLostFillsAfterLoss,
    lostFills,
    lostBase,
    fillsWithoutResult,
    lostWithRedisUnpublished,
    lostWithRedisUnpublishedBase,
    lostWithRedisPending,
    lostWithRedisPendingBase,
    lostWithRedisPendingHedged,
    settledByFlatten,
    settledByFlattenBase,
    publishedSettledByFlatten: x.fillsSettledByFlatten ?? 0,
    hedgeGap,
    closedByFlattens,
    selfTrades,
    maxAbsNet,
    longestUnhedgedMs,
    finalNet,
    pending: x.pending,
    deadLetters: x.deadLetters,
    halts: x.halts,
    redisLosses: losses.length,
    flattens: flattens.length
  }
  const missingKinds = FAULT_KINDS.filter((k) => (x.faults.get(k) ?? 0) === 0)
  const lostWithRedis = lostWithRedisUnpublished + lostWithRedisPending
  const invariants: Array<InvariantVerdict> = [
    {
      id: "I1",
      name: "conservation: signed A + signed B = 0 at quiescence (± a sub-minimum residual)",
      ok: Math.abs(finalNet) < x.minBase && net === finalNet,
      detail: `final net ${finalNet} (trade log ${net}) = A's fills + B's hedges ${hedgeGap}` +
        (closingTradesA + closingTradesB > 0 ? ` + flatten closing trades ${closedByFlattens} (${closingTradesA} of A, ${closingTradesB} of B)` : "") +
        `, venue minimum ${x.minBase}`
    },
    {
      id: "I2",
      name: "at most one hedge effect per fill",
      ok: duplicatedHedges === 0 && overRecorded === 0 && unattributedBTrades === 0 && closingFillsPublished === 0 && strayClosingTrades === 0 &&
        hedgesOfLostFillsAfterLoss === 0,
      detail: `${duplicatedHedges} duplicated, ${overRecorded} recorded beyond what the venue did, ${unattributedBTrades} B trades not from a hedge` +
        `, ${closingFillsPublished} closing trade(s) on the bus, ${strayClosingTrades} closing trade(s) outside a flatten` +
        (losses.length > 0 ? `, ${hedgesOfLostFillsAfterLoss} hedge(s) of fills lost with Redis after the operator acted` : "") +
        (copiesInjected > 0 ? `; ${copiesInjected} copied entr${copiesInjected === 1 ? "y" : "ies"} not hedged again` : "") +
        (hedgesClosedByFlatten > 0 ? `; ${hedgesClosedByFlatten} hedge(s) executed as a flatten closed their intent (closed out by the flatten)` : "")
    },
    {
      id: "I3",
      name: "no lost fill: every A fill published and hedged",
      ok: lostFills === 0 && fillsWithoutResult === 0 && x.pending === 0,
      detail: `${lostFills} A order(s) with ${lostBase} base unpublished, ${fillsWithoutResult} fill(s) without a hedge result, ${x.pending} pending` +
        (lostWithRedis > 0 || losses.length > 0
          ? `; lost with Redis (detected and reported by A and B): ${lostWithRedisUnpublished} A trade(s) (${lostWithRedisUnpublishedBase} base) never published, ` +
            `${lostWithRedisPending} pending fill(s) (${lostWithRedisPendingBase} base, ${lostWithRedisPendingHedged} hedged at the venue before the loss)`
          : "") +
        (settledByFlatten > 0 ? `; ${settledByFlatten} A trade(s) (${settledByFlattenBase} base) fenced and closed by a flatten` : "") +
        ((x.fillsSettledByFlatten ?? 0) > 0 ? `; ${x.fillsSettledByFlatten} published fill(s) settled by a flatten (not hedged, closed by it)` : "")
    },
    {
      id: "I4",
      name: "bounded exposure (or HALTED)",
      ok: maxAbsNet <= x.limits.maxUnhedged && (longestUnhedgedMs <= x.limits.maxUnhedgedAgeMs || x.halts + losses.length > 0),
      detail: `max |net| ${maxAbsNet} (limit ${x.limits.maxUnhedged}), longest unhedged ${longestUnhedgedMs} ms (limit ${x.limits.maxUnhedgedAgeMs} ms), ` +
        `halts ${x.halts}${losses.length > 0 ? ` (+ ${losses.length} after Redis losses)` : ""}`
    },
    { id: "I5", name: "no A↔B self-trade", ok: selfTrades === 0, detail: `${selfTrades} self-trade(s)` },
    {
      id: "faults",
      name: "every fault kind injected",
      ok: missingKinds.length === 0,
      detail: missingKinds.length === 0 ? `${FAULT_KINDS.length} kinds` : `not injected: ${missingKinds.join(", ")}`
    },
    {
      id: "outcomes",
      name: "Redis losses detected and resumed, flattens flat and final, copies acknowledged as duplicates",
      ok: outcomeFailures.length === 0,
      detail: outcomeFailures.length === 0
        ? `${losses.length} loss(es), ${flattens.length} flatten(s), ${duplicates.length} cop${duplicates.length === 1 ? "y" : "ies"}: as expected`
        : outcomeFailures.join("; ")
    }
  ]
  return { figures, invariants, events, ok: invariants.every((i) => i.ok) }
}
