// Fill→hedge latency measured by the exchange's own clock: the first frame the exchange sent to
// account A carrying one of the fill's trades, to the first transaction it received from B for
// that fill. Pure functions over the simulator's timeline and trade log.
import { percentile } from "../testkit/figures.ts"

export interface FrameRec {
  readonly t: number
  readonly trade_ids?: ReadonlyArray<number>
}
export interface TxRec {
  readonly t: number
  readonly client_order_index?: number
}
export interface TradeRec {
  readonly tradeId: number
  /** A's order index in this trade. */
  readonly aOrder: string
}
/** One hedge: the A order it hedged and the client index of its first attempt. */
export interface HedgeRec {
  readonly aOrder: string
  readonly clientOrderIndex: number
}

export interface LatencyFigures {
  readonly samples: number
  readonly p50: number | null
  readonly p90: number | null
  readonly p99: number | null
  readonly max: number | null
}

export const figures = (xs: ReadonlyArray<number>): LatencyFigures => ({
  samples: xs.length,
  p50: percentile(xs, 50) ?? null,
  p90: percentile(xs, 90) ?? null,
  p99: percentile(xs, 99) ?? null,
  max: xs.length === 0 ? null : Math.max(...xs)
})

/** Latency per hedge, in ms; hedges whose frame or tx is missing from the timeline are skipped. */
export const fillToHedge = (args: {
  readonly framesToA: ReadonlyArray<FrameRec>
  readonly txsFromB: ReadonlyArray<TxRec>
  readonly tradesOfA: ReadonlyArray<TradeRec>
  readonly hedges: ReadonlyArray<HedgeRec>
}): ReadonlyArray<number> => {
  const firstFrameOfTrade = new Map<number, number>()
  for (const f of args.framesToA) {
    for (const id of f.trade_ids ?? []) {
      const prev = firstFrameOfTrade.get(id)
      if (prev === undefined || f.t < prev) firstFrameOfTrade.set(id, f.t)
    }
  }
  const tradesByOrder = new Map<string, Array<number>>()
  for (const t of args.tradesOfA) tradesByOrder.set(t.aOrder, [...(tradesByOrder.get(t.aOrder) ?? []), t.tradeId])
  const firstTxOfCoi = new Map<number, number>()
  for (const tx of args.txsFromB) {
    if (tx.client_order_index === undefined) continue
    const prev = firstTxOfCoi.get(tx.client_order_index)
    if (prev === undefined || tx.t < prev) firstTxOfCoi.set(tx.client_order_index, tx.t)
  }
  const out: Array<number> = []
  for (const h of args.hedges) {
    const times = (tradesByOrder.get(h.aOrder) ?? []).map((id) => firstFrameOfTrade.get(id)).filter((t): t is number => t !== undefined)
    const sent = firstTxOfCoi.get(h.clientOrderIndex)
    if (times.length === 0 || sent === undefined) continue
    out.push(sent - Math.min(...times))
  }
  return out
}
