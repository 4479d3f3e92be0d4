// Read-only views of a pair's Redis state for the operator (bin/hedge status, inspect), and the
// one repair they may make (bin/hedge drop-intent), recorded in the pair's audit stream
// (`<prefix>:audit`, see pair-keys.ts: { atMs, kind, text }, here with who, where and the details).
// Reads go straight to Redis (raw), so a corrupt record is shown as corrupt instead of making the
// whole view fail.
import { userInfo, hostname } from "node:os"
import { Effect, Option } from "effect"
import type { HedgeIntent } from "../PairState.ts"
import { decodeIntent, pairsToRecord } from "../codec.ts"
import { BusError } from "../errors.ts"
import { RedisConnection } from "./connection.ts"
import { redisScript, ZeroOrOne } from "./script.ts"
import { AUDIT_MAX_LEN, pairControlKeys } from "./pair-keys.ts"
import { pairStateKeys } from "./RedisPairState.ts"

/** The consumer group B reads with (RedisFillBus's default). */
export const HEDGER_GROUP = "hedgers"

export const inspectKeys = (prefix: string) => ({
  fills: `${prefix}:fills`,
  deadLetter: `${prefix}:dead-letter`,
  hedges: `${prefix}:hedges`,
  audit: pairControlKeys(prefix).audit,
  ...pairStateKeys(prefix)
})

/** Milliseconds of a stream entry id ("1712345678901-0"): Redis's clock when it was added. */
export const entryIdMs = (id: string): number | undefined => {
  const ms = Number(id.split("-")[0])
  return Number.isSafeInteger(ms) ? ms : undefined
}

export interface Backlog {
  /** Whether the consumer group exists (B created it at its first start). */
  readonly groupExists: boolean
  /** Entries not yet delivered to any consumer (XINFO GROUPS lag, or counted). */
  readonly undelivered: number
  /** True when `undelivered` was counted and hit the count limit. */
  readonly undeliveredAtLeast: boolean
  /** Delivered, not yet acknowledged (XPENDING). */
  readonly delivered: number
  /** undelivered + delivered: every fill B has not finished. */
  readonly total: number
  /** Redis time (ms) of the oldest unfinished entry, when there is one. */
  readonly oldestAtMs: number | undefined
  readonly consumers: ReadonlyArray<{ readonly name: string; readonly pending: number; readonly idleMs: number }>
}

const COUNT_LIMIT = 10_000

const flatRecord = (a: ReadonlyArray<unknown>): Record<string, unknown> => {
  const o: Record<string, unknown> = {}
  // Stryker disable next-line EqualityOperator,ArithmeticOperator: XINFO replies are field/value pairs (even length), so i + 1 never equals the length; with i - 1 the extra round only sets o["undefined"] = undefined, a field nothing reads
  for (let i = 0; i + 1 < a.length; i += 2) o[String(a[i])] = a[i + 1]
  return o
}

/** The fill stream's backlog: the group's lag plus its pending entries, and the oldest of them. */
export const readBacklog = (prefix: string, group = HEDGER_GROUP) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = inspectKeys(prefix)
    const exists = (yield* conn.run("exists", (c) => c.exists(keys.fills))) === 1
    if (!exists) {
      return { groupExists: false, undelivered: 0, undeliveredAtLeast: false, delivered: 0, total: 0, oldestAtMs: undefined, consumers: [] } satisfies Backlog
    }
    const groups = (yield* conn.run("xinfoGroups", (c) => c.call("XINFO", "GROUPS", keys.fills) as Promise<Array<Array<unknown>>>)).map(flatRecord)
    const g = groups.find((x) => x["name"] === group)
    if (g === undefined) {
      // No group yet: every entry is undelivered.
      const len = yield* conn.run("xlen", (c) => c.xlen(keys.fills))
      const first = yield* conn.run("xrange", (c) => c.xrange(keys.fills, "-", "+", "COUNT", 1))
      return {
        groupExists: false,
        undelivered: len,
        undeliveredAtLeast: false,
        delivered: 0,
        total: len,
        oldestAtMs: first[0] === undefined ? undefined : entryIdMs(first[0][0]),
        consumers: []
      } satisfies Backlog
    }
    // Stryker disable next-line StringLiteral: XINFO GROUPS always reports last-delivered-id; the fallback is never used
    const lastId = String(g["last-delivered-id"] ?? "0-0")
    const delivered = Number(g["pending"] ?? 0)
    let undelivered: number
    let atLeast = false
    const lag = g["lag"]
    // A safe integer, or nothing Redis could tell (nil when entries in the range were deleted).
    if (Number.isSafeInteger(lag)) {
      undelivered = lag as number
    } else {
      // Redis cannot tell the lag (entries deleted in the range): count after the last delivered id.
      const after = yield* conn.run("xrange", (c) => c.xrange(keys.fills, `(${lastId}`, "+", "COUNT", COUNT_LIMIT))
      undelivered = after.length
      atLeast = after.length >= COUNT_LIMIT
    }
    const firstUndelivered = undelivered > 0
      ? (yield* conn.run("xrange", (c) => c.xrange(keys.fills, `(${lastId}`, "+", "COUNT", 1)))[0]?.[0]
      : undefined
    const summary = delivered > 0
      ? (yield* conn.run("xpending", (c) => c.xpending(keys.fills, group) as Promise<[number, string | null, string | null, Array<[string, string]> | null]>))
      : undefined
    const oldestIds = [summary?.[1] ?? undefined, firstUndelivered].filter((x): x is string => typeof x === "string")
    const oldest = oldestIds.map(entryIdMs).filter((x): x is number => x !== undefined)
    const consumerRows = (yield* conn.run("xinfoConsumers", (c) =>
      c.call("XINFO", "CONSUMERS", keys.fills, group) as Promise<Array<Array<unknown>>>)).map(flatRecord)
    return {
      groupExists: true,
      undelivered,
      undeliveredAtLeast: atLeast,
      delivered,
      total: undelivered + delivered,
      oldestAtMs: oldest.length === 0 ? undefined : Math.min(...oldest),
      consumers: consumerRows.map((r) => ({ name: String(r["name"]), pending: Number(r["pending"] ?? 0), idleMs: Number(r["idle"] ?? 0) }))
    } satisfies Backlog
  })

export type IntentRow =
  | { readonly _tag: "Intent"; readonly fillId: string; readonly intent: HedgeIntent; readonly raw: string }
  | { readonly _tag: "Corrupt"; readonly fillId: string; readonly raw: string; readonly reason: string }

/** Every record of `<prefix>:intents`, decoded where possible (oldest fill first). */
export const readIntents = (prefix: string) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const all = yield* conn.run("readIntents", (c) => c.hgetall(inspectKeys(prefix).intents))
    const rows: Array<IntentRow> = Object.entries(all).map(([fillId, raw]) => {
      const r = decodeIntent(raw)
      return r._tag === "Success"
        ? { _tag: "Intent", fillId, intent: r.success as HedgeIntent, raw }
        // split answers at least one element
        : { _tag: "Corrupt", fillId, raw, reason: r.failure.message.split("\n")[0]! }
    })
    const seq = (r: IntentRow) => (r._tag === "Intent" ? r.intent.fillSeq : Number.MAX_SAFE_INTEGER)
    return rows.sort((a, b) => seq(a) - seq(b) || a.fillId.localeCompare(b.fillId))
  })

export interface DeadLetter {
  readonly id: string
  readonly entryId: string
  readonly reason: string
  readonly deadAtMs: number | undefined
  /** The entry's fields as they were (`raw.` prefix removed). */
  readonly raw: Readonly<Record<string, string>>
}

/** The newest `count` dead letters (newest first) and how many there are. */
export const readDeadLetters = (prefix: string, count = 50) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const key = inspectKeys(prefix).deadLetter
    const total = yield* conn.run("xlen", (c) => c.xlen(key))
    // COUNT 0 answers nil, not an empty list (status asks for the total only).
    // Stryker disable next-line ArrayDeclaration: XREVRANGE answers nil only for COUNT 0, which never gets here (count <= 0 is answered with [] before)
    const entries = count <= 0 ? [] : (yield* conn.run("xrevrange", (c) => c.xrevrange(key, "+", "-", "COUNT", count))) ?? []
    const letters: Array<DeadLetter> = entries.map(([id, fields]) => {
      const rec = pairsToRecord(fields)
      const raw: Record<string, string> = {}
      for (const [k, v] of Object.entries(rec)) if (k.startsWith("raw.")) raw[k.slice(4)] = v
      const at = Number(rec["deadAtMs"])
      return { id, entryId: rec["entryId"] ?? "", reason: rec["reason"] ?? "", deadAtMs: Number.isFinite(at) ? at : undefined, raw }
    })
    return { total, letters }
  })

/** Stream entries of the fill stream still unfinished whose `fillId` field is `fillId` (searched among the backlog, bounded). */
export const findPendingEntry = (prefix: string, fillId: string, group = HEDGER_GROUP) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = inspectKeys(prefix)
    const exists = (yield* conn.run("exists", (c) => c.exists(keys.fills))) === 1
    if (!exists) return Option.none<string>()
    const pending = yield* conn.run("xpending", (c) => c.xpending(keys.fills, group, "-", "+", 1000) as Promise<Array<[string, string, number, number]>>).pipe(
      Effect.catchIf((e) => e.code === "NOGROUP", () => Effect.succeed([] as Array<[string, string, number, number]>))
    )
    for (const [id] of pending) {
      const e = yield* conn.run("xrange", (c) => c.xrange(keys.fills, id, id))
      if (e[0] !== undefined && pairsToRecord(e[0][1])["fillId"] === fillId) return Option.some(id)
    }
    return Option.none<string>()
  })

// Removes the intent only if it is still exactly what was resolved, and records the audit entry
// in the same step. 1 removed | 0 changed or gone meanwhile.
export const DROP_INTENT = redisScript({
  name: "dropIntent",
  keys: ["intents", "audit"],
  args: ["fillId", "expectedRaw", "maxLen"],
  rest: "the audit entry's field pairs",
  reply: ZeroOrOne,
  source: `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local fields = {}
for i = 4, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
return 1
`
})

/** Who and where, for audit records. */
export const operator = (): { readonly by: string; readonly host: string } => {
  // Stryker disable next-line StringLiteral: overwritten in both the try and the catch below
  let by = "unknown"
  try {
    by = userInfo().username
  } catch {
    by = process.env.USER ?? "unknown"
  }
  return { by, host: hostname() }
}

/**
 * Removes intent `fillId` if it still holds `expectedRaw`, appending an audit entry (kind
 * "drop-intent", `text`, time, user, host and `details`) to `<prefix>:audit` atomically. Fails
 * when the intent changed meanwhile.
 */
export const dropIntent = (prefix: string, fillId: string, expectedRaw: string, text: string, details: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = inspectKeys(prefix)
    const who = operator()
    const fields: Record<string, string> = {
      atMs: String(Date.now()),
      kind: "drop-intent",
      text: `${text} (by ${who.by}@${who.host})`,
      by: who.by,
      host: who.host,
      fillId,
      intent: expectedRaw,
      ...details
    }
    const pairs = Object.entries(fields).flat()
    const r = yield* conn.runScript(
      DROP_INTENT,
      { intents: keys.intents, audit: keys.audit },
      { fillId, expectedRaw, maxLen: AUDIT_MAX_LEN },
      pairs
    )
    if (r !== 1) {
      return yield* new BusError({ op: "dropIntent", message: `intent ${fillId} changed (or was removed) while it was being resolved; nothing was dropped — look again with bin/hedge inspect` })
    }
  })

/** The newest `count` audit records, newest first. */
export const readAudit = (prefix: string, count = 20) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const entries = yield* conn.run("xrevrange", (c) => c.xrevrange(inspectKeys(prefix).audit, "+", "-", "COUNT", count))
    return entries.map(([id, fields]): Readonly<Record<string, string>> & { readonly id: string } => ({ ...pairsToRecord(fields), id }))
  })
