// The chaos table: faults by kind, the run's figures, and one line per invariant.
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { FAULT_KINDS } from "./plan.ts"
import type { ChaosReport } from "./run.ts"

export const renderChaosReport = (r: ChaosReport, market: MarketSpec): string => {
  const f = r.verdict.figures
  const row = (label: string, value: string | number) => `  ${label.padEnd(44)} ${value}`
  const lines = [
    "",
    `──────── hedgeflow chaos · seed ${r.seed} · ${r.fillsTarget} fills · ${r.durationSec.toFixed(0)} s / 混沌测试 ────────`,
    "faults injected / 注入的故障",
    ...FAULT_KINDS.map((k) => row(k, r.faults[k])),
    "figures / 结果",
    row("fills of A (exchange trade log)", f.fillsA),
    row("fill messages on the bus", f.fillMessages),
    row("hedge trades of B", `${f.hedgeTrades} (${f.hedgeResults} hedge results)`),
    row("duplicated hedges", f.duplicatedHedges),
    row("lost fills", f.lostFills + f.fillsWithoutResult),
    row("A↔B self-trades", f.selfTrades),
    row("max |net position|", `${formatBase(market, f.maxAbsNet)} ${market.symbol}`),
    row("longest time a quantity stayed unhedged", `${(f.longestUnhedgedMs / 1000).toFixed(2)} s`),
    row("net position at the end", `${formatBase(market, f.finalNet)} ${market.symbol}`),
    row("halts (resumed by the harness)", f.halts),
    row("reconciliation corrections", f.corrections),
    row("dead letters", f.deadLetters),
    row("unplanned process exits", r.unplannedExits.length === 0 ? 0 : r.unplannedExits.join("; ")),
    row("signatures verified / refused (exchange)", `${r.signatures.verified} / ${r.signatures.rejected}`),
    "invariants / 不变量",
    ...r.verdict.invariants.map((i) => `  ${i.ok ? "PASS" : "FAIL"}  ${i.id.padEnd(6)} ${i.name} — ${i.detail}`),
    ...(r.stalled !== undefined ? [`  FAIL  stall  ${r.stalled}`] : []),
    ...(r.signatures.rejected > 0 ? [`  FAIL  sigs   the exchange refused ${r.signatures.rejected} signature(s): signer and verifier disagree`] : []),
    "",
    r.ok ? `chaos seed ${r.seed}: PASS` : `chaos seed ${r.seed}: FAIL (logs in ${r.workDir})`,
    ""
  ]
  return lines.join("\n")
}
