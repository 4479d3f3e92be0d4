// Fault injection state, per account. Consumed by the tx pipeline (exchange.ts) and the
// WebSocket hub (ws.ts), and the auth check (auth.ts). Every fault is also reachable over HTTP:
// POST /sim/fault.
import { systemClock } from "./clock.ts"
import type { Clock } from "./clock.ts"
import { ErrorCode, SimError } from "./errors.ts"

export type DelayMode = "both" | "reply" | "execution"

export type FaultSpec =
  | { readonly type: "drop_sockets"; readonly account?: number }
  | { readonly type: "delay_txs"; readonly account: number; readonly count: number; readonly ms: number; readonly mode?: DelayMode }
  | { readonly type: "reject_txs"; readonly account: number; readonly count: number; readonly code?: number; readonly message?: string }
  | { readonly type: "rate_limit_txs"; readonly account: number; readonly count: number }
  | { readonly type: "pause_stream"; readonly account: number; readonly ms: number }
  | { readonly type: "partial_fill_market"; readonly account: number; readonly count: number; readonly fraction: number }
  | { readonly type: "duplicate_frames"; readonly account: number; readonly count: number }
  | { readonly type: "reorder_frames"; readonly account: number; readonly count: number }
  | { readonly type: "drop_book_updates"; readonly market: number; readonly count: number }
  | { readonly type: "refuse_auth"; readonly account: number; readonly ms: number }
  | { readonly type: "refuse_margin"; readonly account: number; readonly ms: number }
  | { readonly type: "clear" }

interface Counted<T> {
  count: number
  readonly value: T
}

export interface FaultHooks {
  dropSockets(account: number | undefined): number
  pauseStream(account: number, ms: number): void
  /** Ends every token-bearing WS subscription of `account` with the auth error frame; returns how many. */
  endAuthSubscriptions(account: number): number
}

export class Faults {
  private readonly delays = new Map<number, Array<Counted<{ ms: number; mode: DelayMode }>>>()
  private readonly rejects = new Map<number, Array<Counted<SimError>>>()
  private readonly tooMany = new Map<number, number>()
  private readonly partial = new Map<number, Array<Counted<number>>>()
  private readonly duplicates = new Map<number, number>()
  private readonly reorders = new Map<number, number>()
  private readonly bookGaps = new Map<number, number>()
  /** refuse_auth: account → until (exchange clock, epoch ms). */
  private readonly authRefusals = new Map<number, number>()
  /** refuse_margin: account → until (exchange clock, epoch ms). */
  private readonly marginRefusals = new Map<number, number>()
  private readonly clock: Clock
  hooks: FaultHooks | undefined

  /** `clock`: the exchange's clock, which times refuse_auth (default the system clock). */
  constructor(clock: Clock = systemClock) {
    this.clock = clock
  }

  /** Closes every WebSocket, or those that touched `account` (subscribed to it or sent its txs). */
  dropSockets(account?: number): number {
    return this.hooks?.dropSockets(account) ?? 0
  }
  /** Delays the next `count` txs of `account` by `ms`. mode "both" (default): the whole tx is held
   *  (as a slow network would); "reply": executed at once, the reply held; "execution": replied at
   *  once, executed late. */
  delayTxs(account: number, count: number, ms: number, mode: DelayMode = "both"): void {
    pushCounted(this.delays, account, count, { ms, mode })
  }
  /** Rejects the next `count` txs of `account` (nonce not consumed). Default code 29500. */
  rejectTxs(account: number, count: number, code: number = ErrorCode.Internal, message?: string): void {
    pushCounted(this.rejects, account, count, new SimError(code, message))
  }
  /** Answers the next `count` txs of `account` with HTTP 429 / 23000. */
  rateLimitTxs(account: number, count: number): void {
    this.tooMany.set(account, (this.tooMany.get(account) ?? 0) + count)
  }
  /** Holds every account-channel frame of `account` for `ms`, then delivers them in order. */
  pauseStream(account: number, ms: number): void {
    this.hooks?.pauseStream(account, ms)
  }
  /** The next `count` market orders of `account` fill at most `fraction` (0..1) of their size. */
  partialFillMarketOrders(account: number, count: number, fraction: number): void {
    if (!(fraction >= 0 && fraction <= 1)) throw new Error("fraction must be within 0..1")
    pushCounted(this.partial, account, count, Math.round(fraction * 1_000_000))
  }
  /** The next `count` account-channel updates of `account` are sent twice (the copy a little later,
   *  so other frames may come in between): a replayed frame, as after a resubscribe. */
  duplicateFrames(account: number, count: number): void {
    addCount(this.duplicates, account, count)
  }
  /** The next `count` account-channel updates of `account` are held back and sent after the frame
   *  that follows them (on the same socket): out-of-order delivery. */
  reorderFrames(account: number, count: number): void {
    addCount(this.reorders, account, count)
  }
  /** The next `count` order-book deltas of `market` are not sent (a gap in the nonce chain). */
  dropBookUpdates(market: number, count: number): void {
    addCount(this.bookGaps, market, count)
  }
  /** For `ms` (exchange clock) every auth check of `account` (WS subscribe, private REST read) is
   *  refused with "refused by fault"; the account's token-bearing subscriptions end now with the
   *  auth error frame. Returns `{ended}`: how many subscriptions were ended. */
  refuseAuth(account: number, ms: number): { ended: number } {
    if (!Number.isInteger(account)) throw new Error("account must be an integer")
    if (!(typeof ms === "number" && Number.isFinite(ms) && ms > 0)) throw new Error("ms must be a positive number")
    const until = this.clock.now() + ms
    this.authRefusals.set(account, Math.max(until, this.authRefusals.get(account) ?? 0))
    return { ended: this.hooks?.endAuthSubscriptions(account) ?? 0 }
  }
  /** True while a refuse_auth fault holds for `account` at `nowMs`. */
  authRefused(account: number, nowMs: number): boolean {
    const until = this.authRefusals.get(account)
    if (until === undefined) return false
    if (nowMs < until) return true
    this.authRefusals.delete(account)
    return false
  }
  /**
   * For `ms`, every order of `account` that is not reduce-only is accepted and then cancelled by
   * the engine with canceled-margin-not-allowed, as the venue does when an account's margin is
   * used up; reduce-only orders (closing a position) still execute.
   */
  refuseMargin(account: number, ms: number): { readonly until: number } {
    if (!Number.isInteger(account)) throw new Error("account must be an integer")
    if (!(typeof ms === "number" && Number.isFinite(ms) && ms > 0)) throw new Error("ms must be a positive number")
    const until = Math.max(this.clock.now() + ms, this.marginRefusals.get(account) ?? 0)
    this.marginRefusals.set(account, until)
    return { until }
  }
  /** True while a refuse_margin fault holds for `account` at `nowMs`. */
  marginRefused(account: number, nowMs: number): boolean {
    const until = this.marginRefusals.get(account)
    if (until === undefined) return false
    if (nowMs < until) return true
    this.marginRefusals.delete(account)
    return false
  }
  /** How many armed counted faults (txs, market orders, frames) have not happened yet. */
  outstanding(): number {
    let n = 0
    for (const m of [this.delays, this.rejects, this.partial]) for (const l of m.values()) for (const c of l) n += c.count
    for (const m of [this.tooMany, this.duplicates, this.reorders, this.bookGaps]) for (const c of m.values()) n += c
    return n
  }
  clear(): void {
    this.authRefusals.clear()
    this.marginRefusals.clear()
    this.duplicates.clear()
    this.reorders.clear()
    this.bookGaps.clear()
    this.delays.clear()
    this.rejects.clear()
    this.tooMany.clear()
    this.partial.clear()
  }

  apply(spec: FaultSpec): unknown {
    switch (spec.type) {
      case "drop_sockets":
        return { dropped: this.dropSockets(spec.account) }
      case "delay_txs":
        return this.delayTxs(spec.account, spec.count, spec.ms, spec.mode)
      case "reject_txs":
        return this.rejectTxs(spec.account, spec.count, spec.code, spec.message)
      case "rate_limit_txs":
        return this.rateLimitTxs(spec.account, spec.count)
      case "pause_stream":
        return this.pauseStream(spec.account, spec.ms)
      case "partial_fill_market":
        return this.partialFillMarketOrders(spec.account, spec.count, spec.fraction)
      case "duplicate_frames":
        return this.duplicateFrames(spec.account, spec.count)
      case "reorder_frames":
        return this.reorderFrames(spec.account, spec.count)
      case "drop_book_updates":
        return this.dropBookUpdates(spec.market, spec.count)
      case "refuse_auth":
        return this.refuseAuth(spec.account, spec.ms)
      case "refuse_margin":
        return this.refuseMargin(spec.account, spec.ms)
      case "clear":
        return this.clear()
      default:
        throw new SimError(ErrorCode.InvalidParam, `unknown fault type`)
    }
  }

  takeDelay(account: number): { ms: number; mode: DelayMode } | undefined {
    return takeCounted(this.delays, account)
  }
  takeReject(account: number): SimError | undefined {
    return takeCounted(this.rejects, account)
  }
  takeTooMany(account: number): boolean {
    const n = this.tooMany.get(account) ?? 0
    if (n <= 0) return false
    this.tooMany.set(account, n - 1)
    return true
  }
  takePartialFill(account: number): number | undefined {
    return takeCounted(this.partial, account)
  }
  takeDuplicate(account: number): boolean {
    return takeCount(this.duplicates, account)
  }
  takeReorder(account: number): boolean {
    return takeCount(this.reorders, account)
  }
  takeBookGap(market: number): boolean {
    return takeCount(this.bookGaps, market)
  }
}

const addCount = (m: Map<number, number>, account: number, count: number): void => {
  if (!Number.isInteger(count) || count < 1) throw new Error("count must be a positive integer")
  m.set(account, (m.get(account) ?? 0) + count)
}

const takeCount = (m: Map<number, number>, account: number): boolean => {
  const n = m.get(account) ?? 0
  if (n <= 0) return false
  m.set(account, n - 1)
  return true
}

const pushCounted = <T>(m: Map<number, Array<Counted<T>>>, account: number, count: number, value: T): void => {
  if (!Number.isInteger(count) || count < 1) throw new Error("count must be a positive integer")
  let l = m.get(account)
  if (l === undefined) m.set(account, (l = []))
  l.push({ count, value })
}

const takeCounted = <T>(m: Map<number, Array<Counted<T>>>, account: number): T | undefined => {
  const l = m.get(account)
  const head = l?.[0]
  if (head === undefined) return undefined
  head.count--
  if (head.count <= 0) l!.shift()
  return head.value
}
