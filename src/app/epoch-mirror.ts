// The small file beside each process's logs that remembers, outside Redis, what the process knew
// of its pair's Redis state: the epoch, the highest fill sequence number, A's quote sequence
// numbers and recent published levels, and the last trading state, pending fills and residual
// pool it saw. After Redis lost its state (restarted without persistence, or restored from an
// older snapshot), this file is what tells the process that something was lost, and what.
//
//   <logging.dir>/epoch-<a|b>-<prefix>.json   written atomically (temporary file + rename)
//
// A's quote sequence numbers are reserved in blocks: every number A is granted is at or below the
// file's `quoteSeqCeiling`, written before the quote is sent, so a quote placed before a loss is
// always recognised as such afterwards.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import type { EpochMarker, TradingState } from "../bus/PairState.ts"

export interface MirroredLast {
  readonly atMs: number
  readonly state: TradingState
  readonly reason?: string | undefined
  readonly sinceMs?: number | undefined
  readonly pendingFills?: number | undefined
  readonly openIntents?: number | undefined
  readonly residualPool?: number | undefined
}

export interface EpochMirrorData {
  readonly version: 1
  readonly prefix: string
  readonly role: "a" | "b"
  readonly epoch?: { readonly id: string; readonly gen: number; readonly createdAtMs: number } | undefined
  /** Highest fill sequence number this process saw (A: published; both: the counter). */
  readonly fillSeq: number
  /** A: the last quote sequence number recorded as granted. */
  readonly quoteSeq: number
  /** A: every quote sequence number granted so far is at or below this. */
  readonly quoteSeqCeiling: number
  /** A: published level of its most recent orders. */
  readonly levels: Readonly<Record<string, number>>
  readonly last?: MirroredLast | undefined
}

/** Quote sequence numbers reserved per write of the file. */
const QUOTE_SEQ_BLOCK = 100
const MAX_LEVELS = 64

export const epochMirrorPath = (logDir: string, role: "a" | "b", prefix: string): string =>
  join(logDir, `epoch-${role}-${prefix.replace(/[^A-Za-z0-9._-]/g, "_")}.json`)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)
const int = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined)

/** Decodes the file's JSON; undefined (with why) when it is not a mirror of this pair and role. */
export const decodeMirror = (raw: string, prefix: string, role: "a" | "b"): { data?: EpochMirrorData; error?: string } => {
  let j: unknown
  try {
    j = JSON.parse(raw)
  } catch (e) {
    return { error: `not JSON (${e instanceof Error ? e.message : String(e)})` }
  }
  if (!isRecord(j) || j["version"] !== 1) return { error: "not an epoch mirror (version 1)" }
  if (j["prefix"] !== prefix || j["role"] !== role) return { error: `it belongs to prefix ${String(j["prefix"])}, role ${String(j["role"])}` }
  const e = j["epoch"]
  const epoch = isRecord(e) && typeof e["id"] === "string" && int(e["gen"]) !== undefined && int(e["createdAtMs"]) !== undefined
    ? { id: e["id"], gen: int(e["gen"])!, createdAtMs: int(e["createdAtMs"])! }
    : undefined
  const levels: Record<string, number> = {}
  if (isRecord(j["levels"])) for (const [k, v] of Object.entries(j["levels"])) if (int(v) !== undefined) levels[k] = int(v)!
  const l = j["last"]
  const states = ["ACTIVE", "REDUCING", "HALTED"]
  const last = isRecord(l) && int(l["atMs"]) !== undefined && typeof l["state"] === "string" && states.includes(l["state"])
    ? {
      atMs: int(l["atMs"])!,
      state: l["state"] as TradingState,
      reason: typeof l["reason"] === "string" ? l["reason"] : undefined,
      sinceMs: int(l["sinceMs"]),
      pendingFills: int(l["pendingFills"]),
      openIntents: int(l["openIntents"]),
      residualPool: typeof l["residualPool"] === "number" && Number.isSafeInteger(l["residualPool"]) ? l["residualPool"] : undefined
    }
    : undefined
  return {
    data: {
      version: 1,
      prefix,
      role,
      epoch,
      fillSeq: int(j["fillSeq"]) ?? 0,
      quoteSeq: int(j["quoteSeq"]) ?? 0,
      quoteSeqCeiling: int(j["quoteSeqCeiling"]) ?? 0,
      levels,
      last
    }
  }
}

export class EpochMirror {
  readonly path: string
  readonly prefix: string
  readonly role: "a" | "b"
  /** Why the file that was there could not be used (it is then replaced). */
  readonly readProblem: string | undefined
  private d: EpochMirrorData
  private dirty = false

  private constructor(path: string, prefix: string, role: "a" | "b", data: EpochMirrorData, readProblem: string | undefined) {
    this.path = path
    this.prefix = prefix
    this.role = role
    this.d = data
    this.readProblem = readProblem
  }

  /** Reads the mirror of `role` for `prefix` in `logDir` (an empty one when there is none yet). */
  static open(logDir: string, prefix: string, role: "a" | "b"): EpochMirror {
    const path = epochMirrorPath(logDir, role, prefix)
    const empty: EpochMirrorData = { version: 1, prefix, role, fillSeq: 0, quoteSeq: 0, quoteSeqCeiling: 0, levels: {} }
    let raw: string
    try {
      raw = readFileSync(path, "utf8")
    } catch (e) {
      const code = (e as { code?: unknown }).code
      return new EpochMirror(path, prefix, role, empty, code === "ENOENT" ? undefined : `cannot read ${path}: ${String(e)}`)
    }
    const r = decodeMirror(raw, prefix, role)
    return r.data !== undefined ? new EpochMirror(path, prefix, role, r.data, undefined) : new EpochMirror(path, prefix, role, empty, `${path}: ${r.error}`)
  }

  get data(): EpochMirrorData {
    return this.d
  }

  /** The epoch this process trusts (undefined before the first check). */
  epochId(): string | undefined {
    return this.d.epoch?.id
  }

  /** Highest fill sequence number recorded (0: none): a lost counter continues above it. */
  fillSeqSeen(): number {
    return this.d.fillSeq
  }

  setEpoch(e: EpochMarker): void {
    if (this.d.epoch?.id === e.id && this.d.epoch.gen === e.gen) return
    this.d = { ...this.d, epoch: { id: e.id, gen: e.gen, createdAtMs: e.createdAtMs } }
    this.dirty = true
  }

  noteFillSeq(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq <= this.d.fillSeq) return
    this.d = { ...this.d, fillSeq: seq }
    this.dirty = true
  }

  noteLevel(orderIndex: string, level: number): void {
    if ((this.d.levels[orderIndex] ?? -1) >= level) return
    const levels: Record<string, number> = { ...this.d.levels }
    delete levels[orderIndex]
    levels[orderIndex] = level
    const keys = Object.keys(levels)
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_LEVELS))) delete levels[k]
    this.d = { ...this.d, levels }
    this.dirty = true
  }

  /**
   * Records a granted quote sequence number. When it passes the reserved ceiling, a new block is
   * reserved and the file written at once (returns true): the quote is sent only after that.
   */
  noteQuoteSeq(seq: number): boolean {
    if (!Number.isSafeInteger(seq)) return false
    if (seq > this.d.quoteSeq) this.d = { ...this.d, quoteSeq: seq }
    this.dirty = true
    if (seq <= this.d.quoteSeqCeiling) return false
    this.d = { ...this.d, quoteSeqCeiling: seq + QUOTE_SEQ_BLOCK }
    this.flush()
    return true
  }

  /** Raises A's quote sequence ceiling (after a loss: the counter continues above it). */
  raiseQuoteSeqCeiling(ceiling: number): void {
    if (ceiling <= this.d.quoteSeqCeiling) return
    this.d = { ...this.d, quoteSeqCeiling: ceiling }
    this.dirty = true
  }

  noteLast(last: MirroredLast): void {
    const p = this.d.last
    if (
      p !== undefined && p.state === last.state && p.reason === last.reason && p.pendingFills === last.pendingFills &&
      p.openIntents === last.openIntents && p.residualPool === last.residualPool && last.atMs - p.atMs < 60_000
    ) return
    this.d = { ...this.d, last }
    this.dirty = true
  }

  /** Writes the file when something changed; throws on an I/O error (the caller logs it). */
  flush(): void {
    if (!this.dirty) return
    mkdirSync(dirname(this.path), { recursive: true })
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(this.d, null, 1) + "\n", { mode: 0o600 })
    renameSync(tmp, this.path)
    this.dirty = false
  }
}
