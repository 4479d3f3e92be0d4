// The part of `bin/hedge status` about the pair's epoch, fences and audit log: whether Redis lost
// the pair's state (and what A and B found at the venue then), the last flatten, and the newest
// audit entries (flattens, cleared residual pools, lost and adopted epochs), and a force close
// (strategy.force_close_timeout) with what A and B did for it.
import { Effect, Option } from "effect"
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { PairState } from "../bus/PairState.ts"

const AUDIT_SHOWN = 6

export const pairControlStatus = (market: MarketSpec) =>
  Effect.gen(function*() {
    const state = yield* PairState
    const epoch = Option.getOrUndefined(yield* state.epoch())
    const fences = yield* state.fences()
    const audit = yield* state.auditLog(AUDIT_SHOWN)
    const reports = yield* state.lossReports()
    const forceClose = Option.getOrUndefined(yield* state.forceClose())
    const waiting = epoch !== undefined && epoch.adoptedAtMs === undefined
    const a = waiting && reports.a?.epochId === epoch.id ? reports.a : undefined
    const b = waiting && reports.b?.epochId === epoch.id ? reports.b : undefined
    const net = a !== undefined && b !== undefined ? a.positionBase + b.positionBase : undefined
    const lastFlatten = fences.flattenId === undefined
      ? null
      : { id: fences.flattenId, atMs: fences.flattenAtMs ?? null, quoteSeqFence: fences.flattenQuoteSeq, fillSeqFence: fences.flattenFillSeq }
    const json = {
      epoch: epoch ?? null,
      epochWaitsForOperator: waiting,
      positionsAfterLoss: waiting ? { a: a?.positionBase ?? null, b: b?.positionBase ?? null, net: net ?? null } : null,
      lastFlatten,
      forceClose: forceClose ?? null,
      audit
    }
    const base = (n: number) => `${formatBase(market, n)} ${market.symbol}`
    const iso = (ms: number) => new Date(ms).toISOString()
    const lines: Array<string> = [
      epoch === undefined
        ? "epoch            none (A or B records one when it starts)"
        : waiting
        ? `epoch            ${epoch.id} (generation ${epoch.gen}) — WAITS FOR AN OPERATOR: Redis lost the pair's state; ` +
          "A and B trade nothing until bin/hedge resume (adopts it) or bin/hedge flatten"
        : `epoch            ${epoch.id} (generation ${epoch.gen}, made ${iso(epoch.createdAtMs)})`
    ]
    if (waiting) {
      lines.push(
        `after the loss   A ${a === undefined ? "no report" : base(a.positionBase)}, B ${b === undefined ? "no report" : base(b.positionBase)}` +
          (net === undefined ? "" : `, net ${base(net)}${net === 0 ? " (flat)" : " — NOT FLAT"}`)
      )
    }
    if (lastFlatten !== null) {
      lines.push(
        `last flatten     ${lastFlatten.id}${lastFlatten.atMs === null ? "" : ` at ${iso(lastFlatten.atMs)}`}: A's quotes up to ${lastFlatten.quoteSeqFence} ` +
          `and fills up to sequence ${lastFlatten.fillSeqFence} settled`
      )
    }
    if (forceClose !== undefined) {
      const side = (name: string, r: typeof forceClose.a) =>
        r === undefined ? `${name} not answered yet (closes when it runs)` : r.flat ? `${name} flat` : `${name} NOT FLAT (${base(r.positionBase)} left: ${r.text})`
      lines.push(
        `force close      ${forceClose.request.id} at ${iso(forceClose.request.requestedAtMs)}: ${forceClose.request.reason}`,
        `                 ${side("A", forceClose.a)}; ${side("B", forceClose.b)}. The pair stays HALTED until bin/hedge resume (which clears this)`
      )
    }
    for (const [i, e] of audit.entries()) {
      lines.push(`${i === 0 ? "audit log        " : "                 "}${iso(e.atMs)} ${e.kind}: ${e.text.split("\n")[0]}`)
    }
    return { json, lines }
  })
