// How many transactions A's quoting may spend, pure (issue "drop-in compatibility", part 3).
//
// Lighter limits a Standard account to 60 transactions a minute per L1 address, REST and
// WebSocket together (PROTOCOL.md §5.1), and A and B may share that address. A's quoting is the
// only discretionary spender: B's hedges must never wait behind it. So A keeps its own sliding
// one-minute count of its quote transactions (places and cancels) and stays under a cap
// (maker.quote_tx_per_minute, default 20) well below the budget minus B's reserve (60 − 10):
// - a placement needs one free slot;
// - a re-quote (a cancel for age or drift) needs two, its cancel and the replacement's place,
//   so A never pulls a quote it could not put back;
// - corrective cancels (a quote of the wrong side or size) and pulls (halt, stream down, B gone)
//   are never held back, and count like the others.
// Times are monotonic ms (the caller's clock); the window matches the venue's rolling minute
// (src/sim/ratelimit.ts: an entry counts while now − t < 60 s).
import type { MakerAction } from "./maker-cycle.ts"

export const QUOTE_TX_WINDOW_MS = 60_000

/** A's quote transactions sent in the last minute, oldest first (monotonic ms). */
export type QuoteTxLog = ReadonlyArray<number>

/** The entries still inside the one-minute window at `nowMs`. */
export const pruneQuoteTxs = (log: QuoteTxLog, nowMs: number): QuoteTxLog => log.filter((t) => nowMs - t < QUOTE_TX_WINDOW_MS)

export type QuoteTxRoom =
  | { readonly ok: true }
  | { readonly ok: false; readonly used: number; readonly cap: number; /** until `needed` slots are free */ readonly waitMs: number }

/**
 * Whether `needed` more quote transactions fit under `cap` a minute at `nowMs`; when not, how
 * long until they would. `cap` 0 = no cap of A's own (the shared budget still applies).
 */
export const quoteTxRoom = (log: QuoteTxLog, nowMs: number, cap: number, needed: number): QuoteTxRoom => {
  if (cap <= 0 || needed <= 0) return { ok: true }
  const recent = pruneQuoteTxs(log, nowMs)
  if (recent.length + needed <= cap) return { ok: true }
  if (needed > cap) return { ok: false, used: recent.length, cap, waitMs: Number.POSITIVE_INFINITY }
  // The oldest (recent.length + needed − cap) entries must leave the window first.
  const mustLeave = recent.length + needed - cap
  const t = recent[mustLeave - 1]!
  return { ok: false, used: recent.length, cap, waitMs: Math.max(1, t + QUOTE_TX_WINDOW_MS - nowMs) }
}

/** Appends a transaction sent at `nowMs` (and drops what left the window). */
export const recordQuoteTx = (log: QuoteTxLog, nowMs: number): QuoteTxLog => [...pruneQuoteTxs(log, nowMs), nowMs]

/**
 * The slots an action must find free before it is sent: 1 for a placement, 2 for a re-quote's
 * cancel (age or drift: it and the replacement), 0 for what is never held back (a cancel of a
 * quote of the wrong side or size, waiting).
 */
export const slotsFor = (action: MakerAction): number => {
  switch (action._tag) {
    case "Place":
      return 1
    case "Cancel":
      return action.reason === "stale" || action.reason === "drift" ? 2 : 0
    case "Wait":
      return 0
  }
}

/**
 * The most quote transactions a minute A may send: maker.quote_tx_per_minute, and never more
 * than what the shared budget leaves quotes (budget.tx_per_minute − budget.hedge_reserve) when
 * the budget is on. 0 = no cap of A's own.
 */
export const effectiveQuoteTxCap = (quoteTxPerMinute: number, budgetTxPerMinute: number, hedgeReserve: number): number => {
  if (budgetTxPerMinute <= 0) return quoteTxPerMinute
  const room = Math.max(0, budgetTxPerMinute - hedgeReserve)
  return quoteTxPerMinute <= 0 ? room : Math.min(quoteTxPerMinute, room)
}
