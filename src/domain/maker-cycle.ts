// A's maker cycle, pure: flat → buy `quantity` resting (open long) → long → sell `position`
// resting (close long) → flat → … Partial fills in either phase shrink the next quote; a quote
// is replaced when it is stale, has drifted from its target price (once it has rested
// minRequoteIntervalMs), or no longer fits the phase.
// A decision is made in two steps, so the price is read only when it matters (the order list is a
// REST read: src/domain/book-depth.ts): `priceNeed` says which price the decision needs, if any
// (side, depth); the caller reads it; `decideMakerAction` decides with it.
// Times (placedAtMs, closingSinceMs, nowMs) are on one monotonic clock, the caller's: only their
// differences count, so a wall clock that steps never ages a quote wrongly.
import { type DepthPrice, priceAtLevelDepth } from "./book-depth.ts"
import type { OrderBookTop } from "./events.ts"
import type { Side } from "./side.ts"

export interface MakerConfig {
  /** Position to open each cycle, base units. */
  readonly quantity: number
  /** Quote at the price of the N-th order (or price level: maker.depth_unit) of the order's own side (1 = best). */
  readonly depth: number
  readonly maxQuoteAgeMs: number
  readonly requoteDriftTicks: number
  /** After this long in the closing phase, close at the best ask (still post-only). 0 = never. */
  readonly closeAtBestAfterMs: number
  /**
   * A quote is replaced for drift only once it has rested this long (maker.min_requote_interval_ms);
   * age, phase and size replace it sooner, and so does the force-close. Absent or 0: no minimum.
   */
  readonly minRequoteIntervalMs?: number
}

export interface RestingQuote {
  readonly clientOrderIndex: number
  readonly orderIndex?: string
  readonly side: Side
  readonly price: number
  readonly base: number
  readonly placedAtMs: number
  readonly state: "sending" | "resting" | "cancelling"
}

export interface MakerState {
  /** A's position in base units (long ≥ 0 in normal operation). */
  readonly position: number
  readonly quote?: RestingQuote | undefined
  readonly closingSinceMs?: number | undefined
  readonly cycles: number
}

export type MakerAction =
  | { readonly _tag: "Place"; readonly side: Side; readonly base: number; readonly price: number }
  | { readonly _tag: "Cancel"; readonly quote: RestingQuote; readonly reason: "stale" | "drift" | "phase" | "size" }
  | {
    readonly _tag: "Wait"
    readonly reason: string
    /** The side is shorter than market.depth: no quote (logged once by the caller). */
    readonly short?: Extract<DepthPrice, { _tag: "Short" }>
  }

/**
 * The price a decision needs: the `depth`-th order (or level) of `side`'s own side, or with
 * `best` the best price of that side (the force-close, read from the live book whatever the unit).
 */
export interface PriceNeed {
  readonly side: Side
  readonly depth: number
  readonly best: boolean
}

export const phaseOf = (state: MakerState, cfg: MakerConfig): "opening" | "closing" =>
  state.position >= cfg.quantity ? "closing" : state.position > 0 && state.closingSinceMs !== undefined ? "closing" : "opening"

/** What the next quote should be in this state (side, size), ignoring price. */
const wanted = (state: MakerState, cfg: MakerConfig): { side: Side; base: number } =>
  phaseOf(state, cfg) === "closing" ? { side: "sell", base: state.position } : { side: "buy", base: cfg.quantity - Math.max(0, state.position) }

/**
 * Applies one fill of A: position and the quote's remaining size change together (so the
 * maker never sees a half-updated state and cancel/replaces a quote that is still right),
 * the closing phase starts when the position reaches the quantity, and a cycle ends when the
 * position is flat again.
 */
export const applyFill = (
  state: MakerState,
  fill: { readonly side: Side; readonly base: number; readonly orderIndex?: string; readonly clientOrderIndex?: number },
  cfg: MakerConfig,
  nowMs: number
): MakerState => {
  const position = state.position + (fill.side === "buy" ? fill.base : -fill.base)
  const q = state.quote
  const ofQuote = q !== undefined &&
    ((fill.orderIndex !== undefined && q.orderIndex === fill.orderIndex) ||
      (fill.clientOrderIndex !== undefined && fill.clientOrderIndex !== 0 && q.clientOrderIndex === fill.clientOrderIndex))
  const quote = ofQuote ? (q.base - fill.base > 0 ? { ...q, base: q.base - fill.base } : undefined) : q
  const closing = state.closingSinceMs !== undefined
  if (position <= 0) return { ...state, position, quote, closingSinceMs: undefined, cycles: state.cycles + (closing ? 1 : 0) }
  if (!closing && position >= cfg.quantity) return { ...state, position, quote, closingSinceMs: nowMs }
  return { ...state, position, quote }
}

/** What the state decides without a price, or the price it needs to decide. */
const preDecide = (state: MakerState, nowMs: number, cfg: MakerConfig): MakerAction | PriceNeed => {
  const want = wanted(state, cfg)
  const q = state.quote
  if (q !== undefined && q.state !== "resting") return { _tag: "Wait", reason: `quote is ${q.state}` }
  if (want.base <= 0) {
    return q === undefined ? { _tag: "Wait", reason: "nothing to quote" } : { _tag: "Cancel", quote: q, reason: "size" }
  }
  const forceClose = want.side === "sell" && cfg.closeAtBestAfterMs > 0 && state.closingSinceMs !== undefined &&
    nowMs - state.closingSinceMs >= cfg.closeAtBestAfterMs
  if (q !== undefined) {
    if (q.side !== want.side) return { _tag: "Cancel", quote: q, reason: "phase" }
    if (q.base !== want.base) return { _tag: "Cancel", quote: q, reason: "size" }
    if (nowMs - q.placedAtMs >= cfg.maxQuoteAgeMs) return { _tag: "Cancel", quote: q, reason: "stale" }
    if (!forceClose && nowMs - q.placedAtMs < (cfg.minRequoteIntervalMs ?? 0)) return { _tag: "Wait", reason: "quote is fine (too young to requote)" }
  }
  return { side: want.side, depth: forceClose ? 1 : cfg.depth, best: forceClose }
}

const isAction = (x: MakerAction | PriceNeed): x is MakerAction => "_tag" in x

/** The price the next decision needs (read it, then call decideMakerAction), or undefined when none. */
export const priceNeed = (state: MakerState, nowMs: number, cfg: MakerConfig): PriceNeed | undefined => {
  const d = preDecide(state, nowMs, cfg)
  return isAction(d) ? undefined : d
}

/**
 * Decides with `price`, the answer to `priceNeed` for this state and time (undefined: it could not
 * be read, or none was needed). A side shorter than market.depth places nothing and keeps a
 * resting quote (it still ages out): never a silent fallback to a shallower price.
 */
export const decideMakerAction = (state: MakerState, price: DepthPrice | undefined, nowMs: number, cfg: MakerConfig): MakerAction => {
  const d = preDecide(state, nowMs, cfg)
  if (isAction(d)) return d
  const q = state.quote
  if (price === undefined) return { _tag: "Wait", reason: `no ${d.side} price to judge by` }
  if (price._tag === "Short") return { _tag: "Wait", reason: "book too thin for market.depth", short: price }
  if (q !== undefined) {
    return Math.abs(q.price - price.price) > cfg.requoteDriftTicks
      ? { _tag: "Cancel", quote: q, reason: "drift" }
      : { _tag: "Wait", reason: "quote is fine" }
  }
  const want = wanted(state, cfg)
  return { _tag: "Place", side: want.side, base: want.base, price: price.price }
}

/** Both steps over the aggregated book, counting price levels (maker.depth_unit: levels). */
export const decideFromLevels = (state: MakerState, book: OrderBookTop, nowMs: number, cfg: MakerConfig): MakerAction => {
  const need = priceNeed(state, nowMs, cfg)
  return decideMakerAction(state, need === undefined ? undefined : priceAtLevelDepth(book, need.side, need.depth), nowMs, cfg)
}

/**
 * Takes the venue's reported position as the truth (it normally equals what the fills already
 * gave; after a restart or a missed frame it corrects it), keeping the phase consistent.
 */
export const syncPosition = (state: MakerState, position: number, cfg: MakerConfig, nowMs: number): MakerState => {
  if (position === state.position) return state
  const closing = state.closingSinceMs !== undefined
  if (position <= 0) return { ...state, position, closingSinceMs: undefined, cycles: state.cycles + (closing && state.position > 0 ? 1 : 0) }
  if (!closing && position >= cfg.quantity) return { ...state, position, closingSinceMs: nowMs }
  return { ...state, position }
}
