// The fault plan of a chaos run, pure and deterministic from the seed: which faults, with which
// parameters, at which fill count. Every kind appears at least once; extra faults are drawn at
// random (about one per 40 fills). Faults are injected one after the other (the harness waits for
// each to be over before the next), so the plan only orders them by the fill count that arms them.
import { Prng } from "../sim/prng.ts"

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
  "pause-stream"
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
  }
}

/** The plan for `fills` fills: every kind at least once, between 5 % and 85 % of the run. */
export const planFaults = (seed: number, fills: number): ReadonlyArray<PlannedFault> => {
  if (!Number.isSafeInteger(fills) || fills < 1) throw new RangeError(`fills must be a positive integer, got ${fills}`)
  const rng = new Prng(seed)
  const extra = Math.floor(fills / 40)
  const kinds: Array<FaultKind> = [...FAULT_KINDS]
  for (let i = 0; i < extra; i++) kinds.push(FAULT_KINDS[rng.int(0, FAULT_KINDS.length - 1)]!)
  const lo = Math.max(1, Math.floor(fills * 0.05))
  const hi = Math.max(lo, Math.floor(fills * 0.85))
  return kinds
    .map((kind) => ({ atFill: rng.int(lo, hi), fault: draw(rng, kind) }))
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
  }
}
