// The chaos table: faults by kind, the run's figures, what each Redis loss, flatten and copied
// entry did, and one line per invariant.
import { formatBase, type MarketSpec } from "../domain/market.ts"
import type { AuditDuplicate, AuditFlatten, AuditRedisLoss, ChaosVerdict } from "./audit.ts"
import { FAULT_KINDS, type FaultKind } from "./plan.ts"

export interface ChaosReport {
  readonly seed: number
  readonly fillsTarget: number
  readonly durationSec: number
  readonly faults: Readonly<Record<FaultKind, number>>
  readonly faultLog: ReadonlyArray<{ readonly atMs: number; readonly atFill: number; readonly what: string; readonly consumed: boolean }>
  /** Halts the pair went into by itself, with their reason (each resumed with `bin/hedge resume`). */
  readonly halts: ReadonlyArray<{ readonly atFill: number; readonly reason: string }>
  /** Every `bin/hedge` command the harness ran as the operator. */
  readonly operatorCommands: ReadonlyArray<{ readonly atMs: number; readonly command: string; readonly code: number; readonly ms: number }>
  readonly redisLosses: ReadonlyArray<AuditRedisLoss>
  readonly flattens: ReadonlyArray<AuditFlatten>
  readonly duplicates: ReadonlyArray<AuditDuplicate>
  readonly unplannedExits: ReadonlyArray<string>
  readonly stalled: string | undefined
  readonly verdict: ChaosVerdict
  readonly market: string
  readonly minBase: number
  readonly quantity: string
  /** The exchange's count of txs whose signature verified and of txs it refused at verification (must be 0). */
  readonly signatures: { readonly verified: number; readonly rejected: number }
  /**
   * The exchange's count of auth checks (private WS subscribes, private REST reads) passed and
   * refused (must be 0: no fault of the plan refuses tokens, and a reconnect after ws-drop, a
   * restart after kill -9 or an operator command all mint fresh ones).
   */
  readonly auth: { readonly accepted: number; readonly rejected: number }
  readonly ok: boolean
  readonly workDir: string
}

export const renderChaosReport = (r: ChaosReport, market: MarketSpec): string => {
  const f = r.verdict.figures
  const row = (label: string, value: string | number) => `  ${label.padEnd(44)} ${value}`
  const base = (n: number) => `${formatBase(market, n)} ${market.symbol}`
  const lines = [
    "",
    `──────── hedgeflow chaos · seed ${r.seed} · ${r.fillsTarget} fills · ${r.durationSec.toFixed(0)} s / 混沌测试 ────────`,
    "faults injected / 注入的故障",
    ...FAULT_KINDS.map((k) => row(k, r.faults[k])),
    "figures / 结果",
    row("fills of A (exchange trade log)", f.fillsA),
    row("fill messages on the bus", `${f.fillMessages}${f.copiesInjected > 0 ? ` (+ ${f.copiesInjected} cop${f.copiesInjected === 1 ? "y" : "ies"} injected)` : ""}`),
    row("hedge trades of B", `${f.hedgeTrades} (${f.hedgeResults} hedge results)`),
    row("duplicated hedges", f.duplicatedHedges),
    row("lost fills", f.lostFills + f.fillsWithoutResult),
    row("fills lost with Redis (restarted empty)", lostWithRedis(f, base)),
    row(
      "fills settled by a flatten (not hedged)",
      f.settledByFlatten + f.publishedSettledByFlatten === 0
        ? 0
        : `${f.publishedSettledByFlatten} published${f.settledByFlatten > 0 ? `, ${f.settledByFlatten} A trade(s) never published (${base(f.settledByFlattenBase)})` : ""}`
    ),
    row("flattens / closing trades of A, B", `${f.flattens} / ${f.closingTradesA}, ${f.closingTradesB} (net closed ${base(f.closedByFlattens)})`),
    row("A↔B self-trades", f.selfTrades),
    row("max |net position|", base(f.maxAbsNet)),
    row("longest time a quantity stayed unhedged", `${(f.longestUnhedgedMs / 1000).toFixed(2)} s`),
    row("net position at the end", base(f.finalNet)),
    row("halts (resumed by the harness)", `${f.halts}${f.redisLosses > 0 ? ` (+ ${f.redisLosses} after Redis losses)` : ""}`),
    row("reconciliation corrections", f.corrections),
    row("dead letters", f.deadLetters),
    row("unplanned process exits", r.unplannedExits.length === 0 ? 0 : r.unplannedExits.join("; ")),
    row("signatures verified / refused (exchange)", `${r.signatures.verified} / ${r.signatures.rejected}`),
    row("auth tokens accepted / refused (exchange)", `${r.auth.accepted} / ${r.auth.rejected}`),
    ...(r.verdict.events.length > 0 ? ["operator faults / 运维类故障", ...r.verdict.events.map((e) => `  ${e}`)] : []),
    "invariants / 不变量",
    ...r.verdict.invariants.map((i) => `  ${i.ok ? "PASS" : "FAIL"}  ${i.id.padEnd(8)} ${i.name} — ${i.detail}`),
    ...(r.stalled !== undefined ? [`  FAIL  stall    ${r.stalled}`] : []),
    ...(r.signatures.rejected > 0 ? [`  FAIL  sigs     the exchange refused ${r.signatures.rejected} signature(s): signer and verifier disagree`] : []),
    ...(r.auth.rejected > 0
      ? [`  FAIL  auth     the exchange refused ${r.auth.rejected} auth token(s) on private channels or reads (see "invalid auth" in main_A.log, main_B.log, operator.log)`]
      : []),
    "",
    r.ok ? `chaos seed ${r.seed}: PASS` : `chaos seed ${r.seed}: FAIL (logs in ${r.workDir})`,
    ""
  ]
  return lines.join("\n")
}

const lostWithRedis = (f: ChaosReport["verdict"]["figures"], base: (n: number) => string): string => {
  if (f.redisLosses === 0) return "0 (no Redis loss)"
  const n = f.lostWithRedisUnpublished + f.lostWithRedisPending
  if (n === 0) return `0 in ${f.redisLosses} loss(es)`
  return `${n} in ${f.redisLosses} loss(es): ${f.lostWithRedisUnpublished} A trade(s) never published (${base(f.lostWithRedisUnpublishedBase)}), ` +
    `${f.lostWithRedisPending} pending (${base(f.lostWithRedisPendingBase)}; ${f.lostWithRedisPendingHedged} hedged before the loss) — detected and reported by A and B; see below`
}
