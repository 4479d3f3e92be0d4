// bin/hedge inspect | drop-intent: look at a pair's hedge intents and dead letters, and remove a
// stuck intent — after asking the venue what became of its orders — with an audit record, so no
// operator needs redis-cli.
import { Effect, Option } from "effect"
import { formatBase, formatPrice, type MarketSpec } from "../domain/market.ts"
import type { OrderUpdate } from "../domain/events.ts"
import { findPendingEntry, type IntentRow, inspectKeys, readAudit, readDeadLetters, readIntents, dropIntent } from "../bus/redis/inspect.ts"
import { LEASE_STALE_AFTER_MS, readPresence, redisNowMs } from "../bus/redis/lease.ts"
import type { HedgeflowConfig } from "../config/load.ts"
import { Venue } from "../venue/Venue.ts"
import { defineCommand, switchFlag } from "../config/argv.ts"
import { CONFIG_FLAG, MARKET_FLAG, parsePairArgv } from "./market-flag.ts"
import { withPairRedis } from "./status-command.ts"
import { venueLayers } from "../app/venue-layers.ts"

const secs = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`
const out = (text: string) => Effect.sync(() => void process.stdout.write(text + "\n"))

// ---------------------------------------------------------------------------------------------
// inspect

const INSPECT = defineCommand({
  name: "hedge inspect",
  about: "List open hedge intents (with their orders), corrupt intents, dead letters with their reasons and the operator audit log.",
  flags: {
    config: CONFIG_FLAG,
    market: MARKET_FLAG,
    json: switchFlag("--json", "print it as JSON"),
    all: switchFlag("--all", "up to 1000 dead letters instead of the newest 50")
  }
})

const describeAttempts = (row: IntentRow & { readonly _tag: "Intent" }, market: MarketSpec, now: number): ReadonlyArray<string> =>
  row.intent.attempts.map((a) =>
    `    attempt ${a.attempt}: client index ${a.clientOrderIndex}, ${a.side} ${formatBase(market, a.base)} cap ${formatPrice(market, a.priceCap)}, ` +
    `sent ${secs(now - a.sentAtMs)} ago, ` +
    (a.filledBase !== undefined ? `filled ${formatBase(market, a.filledBase)}` : "outcome unknown") +
    (a.orderIndex !== undefined ? `, order ${a.orderIndex}` : "") +
    (a.error !== undefined ? `, error: ${a.error.slice(0, 160)}` : "")
  )

export const inspect = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parsePairArgv(INSPECT, argv)
    yield* withPairRedis("inspect", args.config, (config, market) =>
      Effect.gen(function*() {
        const prefix = config.redis.keyPrefix
        const now = yield* redisNowMs
        const rows = yield* readIntents(prefix)
        const dead = yield* readDeadLetters(prefix, args.all === true ? 1000 : 50)
        const audit = yield* readAudit(prefix, 10)
        const open = rows.filter((r) => r._tag === "Intent" && r.intent.status === "open") as Array<IntentRow & { _tag: "Intent" }>
        const other = rows.filter((r) => r._tag === "Intent" && r.intent.status !== "open") as Array<IntentRow & { _tag: "Intent" }>
        const corrupt = rows.filter((r) => r._tag === "Corrupt") as Array<IntentRow & { _tag: "Corrupt" }>
        if (args.json === true) {
          return yield* out(JSON.stringify({
            openIntents: open.map((r) => r.intent),
            otherIntents: other.map((r) => r.intent),
            corruptIntents: corrupt.map((r) => ({ fillId: r.fillId, reason: r.reason, raw: r.raw })),
            deadLetters: { total: dead.total, newest: dead.letters },
            audit
          }, null, 2))
        }
        const lines: Array<string> = [`pair ${config.pair.name} · prefix ${prefix}`, "", `open hedge intents: ${open.length}`]
        for (const r of open) {
          const i = r.intent
          lines.push(
            `  ${i.fillId}  fillSeq ${i.fillSeq}  target ${formatBase(market, i.targetSignedBase)} ${market.symbol} (from the pool ${formatBase(market, i.takenFromPool)})  ` +
              `created ${secs(now - i.createdAtMs)} ago, ${i.attempts.length} attempt(s)`,
            ...describeAttempts(r, market, now)
          )
        }
        if (other.length > 0) {
          const by = new Map<string, number>()
          for (const r of other) by.set(r.intent.status, (by.get(r.intent.status) ?? 0) + 1)
          const what: Record<string, string> = { deferred: "pooled below the venue minimum", done: "hedged, not yet forgotten" }
          lines.push(`other intents: ${other.length} (${[...by].map(([st, k]) => `${k} ${st}${what[st] === undefined ? "" : `: ${what[st]}`}`).join("; ")})`)
          if (args.all === true) for (const r of other) lines.push(`  ${r.fillId}  fillSeq ${r.intent.fillSeq}  ${r.intent.status}  target ${formatBase(market, r.intent.targetSignedBase)}`)
        }
        if (corrupt.length > 0) {
          lines.push(`corrupt intents: ${corrupt.length} (B cannot read them; remove with bin/hedge drop-intent ID --yes)`)
          for (const r of corrupt) lines.push(`  ${r.fillId}: ${r.reason.slice(0, 160)} — ${JSON.stringify(r.raw.slice(0, 120))}`)
        }
        lines.push("", `dead letters: ${dead.total}${dead.total > dead.letters.length ? ` (newest ${dead.letters.length} shown)` : ""} (${inspectKeys(prefix).deadLetter})`)
        for (const d of dead.letters) {
          const fields = Object.entries(d.raw).filter(([k]) => ["fillId", "fillSeq", "side", "size", "price", "marketId", "pair", "accountIndex"].includes(k))
          lines.push(
            `  ${d.id}  entry ${d.entryId}${d.deadAtMs === undefined ? "" : `  ${secs(now - d.deadAtMs)} ago`}`,
            `    reason: ${d.reason.slice(0, 300)}`,
            ...(fields.length > 0 ? [`    ${fields.map(([k, v]) => `${k}=${v.slice(0, 40)}`).join(" ")}`] : [])
          )
        }
        if (audit.length > 0) {
          lines.push("", `audit log (${inspectKeys(prefix).audit}, newest first):`)
          for (const a of audit) {
            const at = Number(a["atMs"])
            lines.push(`  ${Number.isFinite(at) ? new Date(at).toISOString() : a.id}  ${a["kind"] ?? "?"}  ${(a["text"] ?? "").slice(0, 300)}`)
          }
        }
        yield* out(lines.join("\n"))
      }))
  })

// ---------------------------------------------------------------------------------------------
// drop-intent

const DROP_INTENT_USAGE = "usage: bin/hedge drop-intent FILL_ID --yes [--force] [--config FILE] [--market SYMBOL] (bin/hedge inspect lists the intents)"

const DROP_INTENT = defineCommand({
  name: "hedge drop-intent",
  usage: DROP_INTENT_USAGE,
  about: "Remove a stuck hedge intent: first asks the venue (as account B, so B's key is needed) what became of its orders;\n" +
    "refuses when one executed or may still trade, when the venue cannot be asked, or when its fill is still pending.\n" +
    "Records the action in <prefix>:audit.",
  flags: {
    config: CONFIG_FLAG,
    market: MARKET_FLAG,
    yes: switchFlag("--yes", "drop it (without: only show what was found)"),
    force: switchFlag("--force", "drop it even when the venue or the pending fill says not to")
  }
})

type Finding =
  | { readonly _tag: "Executed"; readonly clientOrderIndex: number; readonly attempt: number | undefined; readonly order: OrderUpdate }
  | { readonly _tag: "Active"; readonly clientOrderIndex: number; readonly attempt: number | undefined; readonly order: OrderUpdate }
  | { readonly _tag: "NotExecuted"; readonly clientOrderIndex: number; readonly attempt: number | undefined; readonly order: OrderUpdate }
  | { readonly _tag: "NotFound"; readonly clientOrderIndex: number; readonly attempt: number | undefined }

const describeFinding = (f: Finding, market: MarketSpec): string => {
  const head = `${f.attempt === undefined ? "" : `attempt ${f.attempt}, `}client index ${f.clientOrderIndex}`
  switch (f._tag) {
    case "Executed":
      return `${head}: EXECUTED — order ${f.order.orderIndex} filled ${formatBase(market, f.order.filledBase)} of ${formatBase(market, f.order.initialBase)} (${f.order.side}, ${f.order.status})`
    case "Active":
      return `${head}: STILL OPEN at the venue — order ${f.order.orderIndex} (${f.order.side} ${formatBase(market, f.order.remainingBase)} left)`
    case "NotExecuted":
      return `${head}: not executed — order ${f.order.orderIndex} ended ${f.order.status} with nothing filled`
    case "NotFound":
      return `${head}: no such order among B's open orders and its last 100 finished ones`
  }
}

/** The client order indexes an intent's attempts used (also from a record that does not decode). */
const attemptsOf = (row: IntentRow): ReadonlyArray<{ readonly clientOrderIndex: number; readonly attempt: number | undefined }> =>
  row._tag === "Intent"
    ? row.intent.attempts.map((a) => ({ clientOrderIndex: a.clientOrderIndex, attempt: a.attempt }))
    : [...row.raw.matchAll(/"clientOrderIndex"\s*:\s*(\d{1,16})/g)].map((m) => ({ clientOrderIndex: Number(m[1]), attempt: undefined }))

/** Asks the venue (as account B) what became of each attempt's order. */
const resolveAtVenue = (config: HedgeflowConfig, row: IntentRow) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const market = yield* venue.market(config.market.symbol)
    const findings: Array<Finding> = []
    for (const a of attemptsOf(row)) {
      const o = yield* venue.orderByClientIndex(market.marketId, a.clientOrderIndex)
      if (Option.isNone(o)) findings.push({ _tag: "NotFound", ...a })
      else if (o.value.filledBase > 0) findings.push({ _tag: "Executed", ...a, order: o.value })
      else if (o.value.status === "open" || o.value.status === "pending" || o.value.status === "in-progress") findings.push({ _tag: "Active", ...a, order: o.value })
      else findings.push({ _tag: "NotExecuted", ...a, order: o.value })
    }
    return { market, findings }
  }).pipe(Effect.provide(venueLayers("b", config)))

export const dropIntentCommand = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const [fillId, ...rest] = argv
    if (fillId === "-h" || fillId === "--help") return yield* parsePairArgv(DROP_INTENT, [fillId])
    if (fillId === undefined || fillId.startsWith("--")) return yield* Effect.fail(new Error(DROP_INTENT_USAGE))
    const args = yield* parsePairArgv(DROP_INTENT, rest)
    const force = args.force === true
    yield* withPairRedis("drop-intent", args.config, (config, fallbackMarket) =>
      Effect.gen(function*() {
        const prefix = config.redis.keyPrefix
        const row = (yield* readIntents(prefix)).find((r) => r.fillId === fillId)
        if (row === undefined) return yield* Effect.fail(new Error(`no hedge intent "${fillId}" under ${prefix}:intents (bin/hedge inspect lists them); nothing was dropped`))
        const refusals: Array<string> = []

        // B finishes an intent whose fill is still pending by itself: dropping it under B's feet
        // would make B plan that fill again.
        const pendingEntry = yield* findPendingEntry(prefix, fillId)
        const now = yield* redisNowMs
        const b = yield* readPresence(prefix, "b")
        const bRunning = b.lease !== undefined && b.seen !== undefined && now - b.seen.atMs <= LEASE_STALE_AFTER_MS
        if (Option.isSome(pendingEntry)) {
          refusals.push(
            `fill ${fillId} is still pending in ${prefix}:fills (entry ${pendingEntry.value}): ${bRunning ? "B is running and resolves this intent itself" : "B resolves this intent itself when it starts"}; ` +
              `dropping it would make B plan the fill again`
          )
        }

        // The venue first: did any of its orders execute?
        const attempts = attemptsOf(row)
        let market = fallbackMarket
        let findings: ReadonlyArray<Finding> = []
        let venueProblem: string | undefined
        if (attempts.length > 0) {
          const resolved = yield* resolveAtVenue(config, row).pipe(Effect.result)
          if (resolved._tag === "Success") {
            market = resolved.success.market
            findings = resolved.success.findings
          } else {
            const e = resolved.failure as { readonly message?: unknown }
            venueProblem = `cannot ask the venue about its ${attempts.length} order(s) as account B: ${String(e.message ?? e)}`
            refusals.push(venueProblem)
          }
        }
        const executed = findings.filter((f) => f._tag === "Executed")
        const active = findings.filter((f) => f._tag === "Active")
        for (const f of executed) refusals.push(`${describeFinding(f, market)}: the hedge happened, and dropping the intent forgets it`)
        for (const f of active) refusals.push(`${describeFinding(f, market)}: it may still trade`)

        const target = row._tag === "Intent" ? row.intent.targetSignedBase : undefined
        const executedBase = executed.reduce((s, f) => s + (f.order.side === "buy" ? f.order.filledBase : -f.order.filledBase), 0)
        const lines: Array<string> = [
          `intent ${fillId} (${row._tag === "Intent" ? `${row.intent.status}, fillSeq ${row.intent.fillSeq}, target ${formatBase(market, row.intent.targetSignedBase)} ${market.symbol}` : `CORRUPT: ${row.reason.slice(0, 120)}`})`,
          attempts.length === 0 ? "  no order was sent for it (no attempts recorded)" : `  the venue, for its ${attempts.length} order(s):`,
          ...findings.map((f) => `    ${describeFinding(f, market)}`),
          ...(venueProblem === undefined ? [] : [`    ${venueProblem}`])
        ]
        yield* out(lines.join("\n"))

        if (refusals.length > 0 && !force) {
          return yield* Effect.fail(new Error(`not dropped: ${refusals.join("; ")}. Pass --force to drop it anyway (recorded in ${prefix}:audit)`))
        }
        if (args.yes !== true) {
          return yield* Effect.fail(new Error(`not dropped: pass --yes to drop intent ${fillId} (recorded in ${prefix}:audit)`))
        }
        const unhedged = target === undefined ? undefined : target - executedBase
        const summary = (row._tag === "Corrupt" ? "corrupt record; " : "") +
          (attempts.length === 0 ? "no orders sent" : `${executed.length} of ${attempts.length} order(s) executed (${formatBase(market, executedBase)})`) +
          (unhedged === undefined ? "" : `; never hedged ${formatBase(market, unhedged)}`) + (force && refusals.length > 0 ? "; FORCED" : "")
        yield* dropIntent(prefix, fillId, row.raw, `dropped hedge intent ${fillId}: ${summary}`, {
          forced: String(force && refusals.length > 0),
          refusals: refusals.join(" | ").slice(0, 2000),
          findings: JSON.stringify(findings.map((f) => ({ tag: f._tag, clientOrderIndex: f.clientOrderIndex, attempt: f.attempt ?? null, ...("order" in f ? { orderIndex: f.order.orderIndex, filledBase: f.order.filledBase, status: f.order.status } : {}) }))),
          ...(Option.isSome(pendingEntry) ? { pendingEntry: pendingEntry.value } : {})
        })
        yield* out(
          `dropped intent ${fillId} (${summary}); recorded in ${prefix}:audit.` +
            (unhedged !== undefined && unhedged !== 0
              ? ` ${formatBase(market, Math.abs(unhedged))} ${market.symbol} of it was never hedged: if its fill was real, the pair is not flat by that much — ` +
                "`bin/hedge status` shows the net; `bin/hedge flatten` closes both accounts."
              : "")
        )
      }))
  })
