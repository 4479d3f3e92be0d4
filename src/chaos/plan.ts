// The fault plan of a chaos run, pure and deterministic from the seed: which faults, with which
// parameters, at which fill count. Every kind appears at least once; extra faults are drawn at
// random (about one per 40 fills). Faults are injected one after the other (the harness waits for
// each to be over before the next), so the plan only orders them by the fill count that arms them.
// The last three kinds are an operator's world rather than a machine's: Redis restarted with no
// data (the harness then acts as the operator: flatten when the pair is not flat, then resume), a
// copy of a real fill entry added to the stream, and `bin/hedge flatten` while A and B run.
import { Prng } from "../domain/prng.ts"

export const FAULT_KINDS = [
  "kill-b",
  "kill-a",
  "redis-restart",
  "redis-down",
  "ws-drop",
  "b-delay",
  "b-reject",
  "b-partial",
  "rate-limit",
  "duplicate-frames",
  "reorder-frames",
  "pause-stream",
  "redis-empty",
  "duplicate-fill",
  "flatten-mid-run"
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export type DelayMode = "both" | "reply" | "execution"

export type Fault =
  /** kill -9 of a process, started again after `restartAfterMs`. */
  | { readonly kind: "kill-a" | "kill-b"; readonly restartAfterMs: number }
  /** kill -9 of Redis, started again at once (its AOF brings the data back). */
  | { readonly kind: "redis-restart" }
  /** Redis stopped for `downMs`, then started again. */
  | { readonly kind: "redis-down"; readonly downMs: number }
  /** The exchange closes the WebSockets of both accounts. */
  | { readonly kind: "ws-drop" }
  /** B's next `count` txs are delayed by `ms` (whole tx, only the reply, or only the execution). */
  | { readonly kind: "b-delay"; readonly count: number; readonly ms: number; readonly mode: DelayMode }
  /** B's next `count` txs are rejected. */
  | { readonly kind: "b-reject"; readonly count: number }
  /** B's next `count` market orders fill only `fractionPct` % of their size. */
  | { readonly kind: "b-partial"; readonly count: number; readonly fractionPct: number }
  /** The next `count` txs of `account` are answered with 429. */
  | { readonly kind: "rate-limit"; readonly account: "a" | "b"; readonly count: number }
  /** A's next `count` account frames are sent twice. */
  | { readonly kind: "duplicate-frames"; readonly count: number }
  /** A's next `count` account frames arrive after the frame that follows them. */
  | { readonly kind: "reorder-frames"; readonly count: number }
  /** The account stream of `account` is held for `ms`, then delivered in order. */
  | { readonly kind: "pause-stream"; readonly account: "a" | "b"; readonly ms: number }
  /**
   * Redis frozen (writes paused while the harness notes what it holds), killed, and started again
   * with NO data — a Redis without persistence. With `pendingFill`, B is killed first and the loss
   * waits for a fill of A to be pending (B is started again once Redis is back): a fill nobody
   * hedged is lost with Redis. A and B must halt; `operatorAfterMs` after they reported, the
   * harness acts as an operator: `bin/hedge flatten --yes` when A + B is not flat, then
   * `bin/hedge resume` (which adopts the new epoch).
   */
  | { readonly kind: "redis-empty"; readonly operatorAfterMs: number; readonly pendingFill: boolean }
  /** A copy of the fill entry `back` entries before the newest (0: the newest), added with XADD under a new stream id. */
  | { readonly kind: "duplicate-fill"; readonly back: number }
  /** `bin/hedge flatten --yes` while A and B run; `bin/hedge resume` `resumeAfterMs` after it ended. */
  | { readonly kind: "flatten-mid-run"; readonly resumeAfterMs: number }

export interface PlannedFault {
  /** Armed once A has this many fills on the exchange. */
  readonly atFill: number
  readonly fault: Fault
}

const draw = (rng: Prng, kind: FaultKind): Fault => {
  switch (kind) {
    case "kill-a":
    case "kill-b":
      return { kind, restartAfterMs: rng.int(300, 3000) }
    case "redis-restart":
      return { kind }
    case "redis-down":
      return { kind, downMs: rng.int(2000, 6000) }
    case "ws-drop":
      return { kind }
    case "b-delay":
      // Up to 6.5 s: beyond the 5 s tx timeout, so some sends end with an unknown outcome.
      return { kind, count: rng.int(1, 3), ms: rng.int(300, 6500), mode: (["both", "reply", "execution"] as const)[rng.int(0, 2)]! }
    case "b-reject":
      return { kind, count: rng.int(1, 2) }
    case "b-partial":
      return { kind, count: rng.int(1, 2), fractionPct: rng.int(30, 70) }
    case "rate-limit":
      return { kind, account: rng.bool() ? "a" : "b", count: rng.int(1, 3) }
    case "duplicate-frames":
    case "reorder-frames":
      return { kind, count: rng.int(2, 6) }
    case "pause-stream":
      return { kind, account: rng.bool() ? "a" : "b", ms: rng.int(500, 3000) }
    case "redis-empty":
      return { kind, operatorAfterMs: rng.int(2000, 5000), pendingFill: rng.bool() }
    case "duplicate-fill":
      // Half the copies are of the newest entry (possibly still being hedged), half of an older one.
      return { kind, back: rng.bool() ? 0 : rng.int(1, 30) }
    case "flatten-mid-run":
      return { kind, resumeAfterMs: rng.int(2000, 5000) }
  }
}

/**
 * The plan for `fills` fills: every kind at least once, between 5 % and 85 % of the run. The one
 * `redis-empty` every plan has loses a pending fill (`pendingFill`), so that every run exercises
 * a fill lost with Redis; extra ones draw it.
 */
export const planFaults = (seed: number, fills: number): ReadonlyArray<PlannedFault> => {
  if (!Number.isSafeInteger(fills) || fills < 1) throw new RangeError(`fills must be a positive integer, got ${fills}`)
  const rng = new Prng(seed)
  const extra = Math.floor(fills / 40)
  const kinds: Array<FaultKind> = [...FAULT_KINDS]
  for (let i = 0; i < extra; i++) kinds.push(FAULT_KINDS[rng.int(0, FAULT_KINDS.length - 1)]!)
  const lo = Math.max(1, Math.floor(fills * 0.05))
  const hi = Math.max(lo, Math.floor(fills * 0.85))
  return kinds
    .map((kind, i): PlannedFault => {
      const atFill = rng.int(lo, hi)
      const fault = draw(rng, kind)
      return { atFill, fault: fault.kind === "redis-empty" && i < FAULT_KINDS.length ? { ...fault, pendingFill: true } : fault }
    })
    .sort((x, y) => x.atFill - y.atFill)
}

/** One line per fault, for the progress output. */
export const describeFault = (f: Fault): string => {
  switch (f.kind) {
    case "kill-a":
    case "kill-b":
      return `${f.kind}: kill -9, restart after ${f.restartAfterMs} ms`
    case "redis-restart":
      return "redis-restart: kill -9 Redis, start it again (AOF)"
    case "redis-down":
      return `redis-down: Redis stopped for ${f.downMs} ms`
    case "ws-drop":
      return "ws-drop: the exchange closes both accounts' sockets"
    case "b-delay":
      return `b-delay: B's next ${f.count} tx(s) delayed ${f.ms} ms (${f.mode})`
    case "b-reject":
      return `b-reject: B's next ${f.count} tx(s) rejected`
    case "b-partial":
      return `b-partial: B's next ${f.count} market order(s) fill ${f.fractionPct} %`
    case "rate-limit":
      return `rate-limit: ${f.account.toUpperCase()}'s next ${f.count} tx(s) answered 429`
    case "duplicate-frames":
      return `duplicate-frames: A's next ${f.count} account frames sent twice`
    case "reorder-frames":
      return `reorder-frames: A's next ${f.count} account frames out of order`
    case "pause-stream":
      return `pause-stream: ${f.account.toUpperCase()}'s account stream held ${f.ms} ms`
    case "redis-empty":
      return `redis-empty: ${f.pendingFill ? "B killed, a fill of A pending, then " : ""}kill -9 Redis, start it again with NO data; operator acts ${f.operatorAfterMs} ms after A and B halt`
    case "duplicate-fill":
      return `duplicate-fill: XADD a copy of the fill entry ${f.back === 0 ? "just published (the newest)" : `${f.back} before the newest`}`
    case "flatten-mid-run":
      return `flatten-mid-run: bin/hedge flatten --yes while A and B run, resume ${f.resumeAfterMs} ms later`
  }
}
