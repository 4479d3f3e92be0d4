// The demo's summary: counts, volume, net position, latency percentiles (src/testkit/figures.ts).
import { latencyFigures } from "../testkit/figures.ts"

export { latencyFigures }

export interface DemoSummary {
  readonly venue: string
  readonly market: string
  readonly durationSec: number
  readonly fills: number
  readonly hedges: number
  readonly hedgeFailures: number
  readonly deferred: number
  /** decimal strings with the market's size decimals */
  readonly volumeA: string
  readonly volumeB: string
  readonly positionA: string
  readonly positionB: string
  readonly netPosition: string
  readonly residualPool: string
  readonly latencyMs: { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null; readonly max: number | null; readonly samples: number }
  readonly cycles: number
  /** Txs whose signature the simulator verified, and txs it refused at verification (simulator demo only). */
  readonly signatures?: { readonly verified: number; readonly rejected: number }
  /** Auth tokens the simulator accepted and refused (private WS subscribes, private REST reads; simulator demo only). */
  readonly auth?: { readonly accepted: number; readonly rejected: number }
}

const fmt = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(1)} ms`)

export const renderSummary = (s: DemoSummary): string =>
  [
    "",
    "──────── hedgeflow summary / 汇总 ────────",
    `venue            ${s.venue}   market ${s.market}   ran ${s.durationSec.toFixed(1)} s`,
    `fills (A)        ${s.fills}        hedges (B) ${s.hedges}   deferred ${s.deferred}   failures ${s.hedgeFailures}`,
    `cycles           ${s.cycles}`,
    `volume           A ${s.volumeA}   B ${s.volumeB}`,
    `positions        A ${s.positionA}   B ${s.positionB}   net ${s.netPosition}   residual pool ${s.residualPool}`,
    `fill→hedge       p50 ${fmt(s.latencyMs.p50)}   p90 ${fmt(s.latencyMs.p90)}   p99 ${fmt(s.latencyMs.p99)}   max ${fmt(s.latencyMs.max)}   (${s.latencyMs.samples} samples)`,
    ...(s.signatures === undefined ? [] : [`signatures       verified ${s.signatures.verified}   rejected ${s.signatures.rejected}`]),
    ...(s.auth === undefined ? [] : [`auth tokens      accepted ${s.auth.accepted}   rejected ${s.auth.rejected}`]),
    ""
  ].join("\n")
