// The verdict of a chaos run, pure: DESIGN §4 I1–I5 checked from the exchange's own trade log
// and from what Redis holds (published fill levels, fill messages, hedge results).
import { decodeHedgeClientIndex } from "../domain/client-index.ts"
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
  readonly orderIndex: string
  readonly size: number
}

export interface AuditResult {
  readonly fillSeq: number
  readonly hedgedSignedBase: number
  readonly status: string
}

export interface AuditInput {
  readonly accountA: number
  readonly accountB: number
  readonly minBase: number
  /** The pair's hedge tag (client index layout): B orders of other tags are not ours. */
  readonly hedgeTag: number
  /** Every trade of the market, from the exchange. */
  readonly trades: ReadonlyArray<AuditTrade>
  /** A's order index → highest filled level A published (Redis). */
  readonly publishedLevels: ReadonlyMap<string, number>
  readonly fills: ReadonlyArray<AuditFill>
  readonly results: ReadonlyArray<AuditResult>
  readonly finalPositionA: number
  readonly finalPositionB: number
  /** Fill messages delivered and not acknowledged at the end. */
  readonly pending: number
  readonly deadLetters: number
  readonly limits: { readonly maxUnhedged: number; readonly maxUnhedgedAgeMs: number }
  /** Times the pair went to HALTED during the run. */
  readonly halts: number
  readonly faults: ReadonlyMap<FaultKind, number>
}

export interface InvariantVerdict {
  readonly id: "I1" | "I2" | "I3" | "I4" | "I5" | "faults"
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

export interface ChaosFigures {
  readonly fillsA: number
  readonly fillMessages: number
  readonly hedgeTrades: number
  readonly hedgeResults: number
  readonly duplicatedHedges: number
  readonly overRecorded: number
  readonly unattributedBTrades: number
  readonly corrections: number
  readonly lostFills: number
  readonly lostBase: number
  readonly fillsWithoutResult: number
  readonly selfTrades: number
  readonly maxAbsNet: number
  readonly longestUnhedgedMs: number
  readonly finalNet: number
  readonly pending: number
  readonly deadLetters: number
  readonly halts: number
}

export interface ChaosVerdict {
  readonly figures: ChaosFigures
  readonly invariants: ReadonlyArray<InvariantVerdict>
  readonly ok: boolean
}

const signedFor = (t: AuditTrade, account: number): number =>
  (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0)

export const audit = (x: AuditInput): ChaosVerdict => {
  const A = x.accountA
  const B = x.accountB
  const trades = [...x.trades].sort((p, q) => p.timestampMs - q.timestampMs || p.tradeId - q.tradeId)

  // I5: a trade with A on one side and B on the other.
  const selfTrades = trades.filter((t) => (t.askAccountId === A && t.bidAccountId === B) || (t.askAccountId === B && t.bidAccountId === A)).length

  // I4: replay the log; net = signed A + signed B after every trade.
  let net = 0
  let maxAbsNet = 0
  let since: number | undefined
  let longestUnhedgedMs = 0
  for (const t of trades) {
    net += signedFor(t, A) + signedFor(t, B)
    maxAbsNet = Math.max(maxAbsNet, Math.abs(net))
    if (Math.abs(net) >= x.minBase) since ??= t.timestampMs
    else if (since !== undefined) {
      longestUnhedgedMs = Math.max(longestUnhedgedMs, t.timestampMs - since)
      since = undefined
    }
  }
  const stillOpenSince = since

  // I3: every quantity A filled on the exchange was published, and every published fill has a result.
  const filledByOrder = new Map<string, number>()
  let fillsA = 0
  for (const t of trades) {
    if (t.askAccountId === A) filledByOrder.set(String(t.askOrderId), (filledByOrder.get(String(t.askOrderId)) ?? 0) + t.size)
    if (t.bidAccountId === A) filledByOrder.set(String(t.bidOrderId), (filledByOrder.get(String(t.bidOrderId)) ?? 0) + t.size)
    if (t.askAccountId === A || t.bidAccountId === A) fillsA++
  }
  let lostFills = 0
  let lostBase = 0
  for (const [order, filled] of filledByOrder) {
    const published = x.publishedLevels.get(order) ?? 0
    if (published < filled) {
      lostFills++
      lostBase += filled - published
    }
  }
  const lastResult = new Map<number, AuditResult>()
  for (const r of x.results) lastResult.set(r.fillSeq, r)
  const fillsWithoutResult = x.fills.filter((f) => !lastResult.has(f.fillSeq)).length

  // I2: what B's hedges of each fill did on the exchange matches what B recorded; no client
  // index was used by two orders; no B trade is left unexplained.
  const venueByFill = new Map<number, number>()
  const ordersByClientIndex = new Map<number, Set<number>>()
  let unattributedBTrades = 0
  let corrections = 0
  let hedgeTrades = 0
  for (const t of trades) {
    for (const [isB, clientId, orderId] of [[t.askAccountId === B, t.askClientId, t.askOrderId], [t.bidAccountId === B, t.bidClientId, t.bidOrderId]] as const) {
      if (!isB) continue
      hedgeTrades++
      const decoded = clientId > 0 ? decodeHedgeClientIndex(clientId) : undefined
      if (decoded === undefined || decoded.tag !== x.hedgeTag) {
        unattributedBTrades++
        continue
      }
      if (decoded.attempt === 0) {
        corrections++
        continue
      }
      venueByFill.set(decoded.fillSeq, (venueByFill.get(decoded.fillSeq) ?? 0) + signedFor(t, B))
      const orders = ordersByClientIndex.get(clientId) ?? new Set<number>()
      orders.add(orderId)
      ordersByClientIndex.set(clientId, orders)
    }
  }
  let duplicatedHedges = 0
  let overRecorded = 0
  for (const [seq, venueSigned] of venueByFill) {
    const recorded = lastResult.get(seq)?.hedgedSignedBase ?? 0
    if (Math.abs(venueSigned) > Math.abs(recorded) || (venueSigned !== 0 && Math.sign(venueSigned) !== Math.sign(recorded))) duplicatedHedges++
    else if (Math.abs(venueSigned) < Math.abs(recorded)) overRecorded++
  }
  for (const [seq, r] of lastResult) if (r.hedgedSignedBase !== 0 && !venueByFill.has(seq)) overRecorded++
  for (const orders of ordersByClientIndex.values()) if (orders.size > 1) duplicatedHedges += orders.size - 1

  const finalNet = x.finalPositionA + x.finalPositionB
  const lastTradeMs = trades.at(-1)?.timestampMs ?? 0
  const openAtEndMs = stillOpenSince === undefined ? 0 : lastTradeMs - stillOpenSince
  longestUnhedgedMs = Math.round(Math.max(longestUnhedgedMs, openAtEndMs))

  const figures: ChaosFigures = {
    fillsA,
    fillMessages: x.fills.length,
    hedgeTrades,
    hedgeResults: lastResult.size,
    duplicatedHedges,
    overRecorded,
    unattributedBTrades,
    corrections,
    lostFills,
    lostBase,
    fillsWithoutResult,
    selfTrades,
    maxAbsNet,
    longestUnhedgedMs,
    finalNet,
    pending: x.pending,
    deadLetters: x.deadLetters,
    halts: x.halts
  }
  const missingKinds = FAULT_KINDS.filter((k) => (x.faults.get(k) ?? 0) === 0)
  const invariants: Array<InvariantVerdict> = [
    {
      id: "I1",
      name: "conservation: signed A + signed B = 0 at quiescence (± a sub-minimum residual)",
      ok: Math.abs(finalNet) < x.minBase && net === finalNet,
      detail: `final net ${finalNet} (trade log ${net}), venue minimum ${x.minBase}`
    },
    {
      id: "I2",
      name: "at most one hedge effect per fill",
      ok: duplicatedHedges === 0 && overRecorded === 0 && unattributedBTrades === 0,
      detail: `${duplicatedHedges} duplicated, ${overRecorded} recorded beyond what the venue did, ${unattributedBTrades} B trades not from a hedge`
    },
    {
      id: "I3",
      name: "no lost fill: every A fill published and hedged",
      ok: lostFills === 0 && fillsWithoutResult === 0 && x.pending === 0,
      detail: `${lostFills} A order(s) with ${lostBase} base unpublished, ${fillsWithoutResult} fill(s) without a hedge result, ${x.pending} pending`
    },
    {
      id: "I4",
      name: "bounded exposure (or HALTED)",
      ok: maxAbsNet <= x.limits.maxUnhedged && (longestUnhedgedMs <= x.limits.maxUnhedgedAgeMs || x.halts > 0),
      detail: `max |net| ${maxAbsNet} (limit ${x.limits.maxUnhedged}), longest unhedged ${longestUnhedgedMs} ms (limit ${x.limits.maxUnhedgedAgeMs} ms), halts ${x.halts}`
    },
    { id: "I5", name: "no A↔B self-trade", ok: selfTrades === 0, detail: `${selfTrades} self-trade(s)` },
    {
      id: "faults",
      name: "every fault kind injected",
      ok: missingKinds.length === 0,
      detail: missingKinds.length === 0 ? `${FAULT_KINDS.length} kinds` : `not injected: ${missingKinds.join(", ")}`
    }
  ]
  return { figures, invariants, ok: invariants.every((i) => i.ok) }
}
