// A's maker cycle, pure: flat → buy `quantity` resting (open long) → long → sell `position`
// resting (close long) → flat → … Partial fills in either phase shrink the next quote; a quote
// is replaced when it is stale, has drifted from its target level, or no longer fits the phase.
// Times (placedAtMs, closingSinceMs, nowMs) are on one monotonic clock, the caller's: only their
// differences count, so a wall clock that steps never ages a quote wrongly.
import type { OrderBookTop } from "./events.ts"
import type { Side } from "./side.ts"

export interface MakerConfig {
  /** Position to open each cycle, base units. */
  readonly quantity: number
  /** Quote at the N-th price level of the order's own side (1 = best). */
  readonly depth: number
  readonly maxQuoteAgeMs: number
  readonly requoteDriftTicks: number
  /** After this long in the closing phase, close at the best ask (still post-only). 0 = never. */
  readonly forceCloseAfterMs: number
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
  | { readonly _tag: "Wait"; readonly reason: string }

/** Price of the depth-th level on `side`'s own side of the book (the deepest one if there are fewer). */
export const targetPrice = (book: OrderBookTop, side: Side, depth: number): number | undefined => {
  const levels = side === "buy" ? book.bids : book.asks
  if (levels.length === 0) return undefined
  return levels[Math.min(Math.max(depth, 1), levels.length) - 1]!.price
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

export const decideMakerAction = (state: MakerState, book: OrderBookTop, nowMs: number, cfg: MakerConfig): MakerAction => {
  const want = wanted(state, cfg)
  const q = state.quote
  if (q !== undefined && q.state !== "resting") return { _tag: "Wait", reason: `quote is ${q.state}` }
  if (want.base <= 0) {
    return q === undefined ? { _tag: "Wait", reason: "nothing to quote" } : { _tag: "Cancel", quote: q, reason: "size" }
  }
  const forceClose = want.side === "sell" && cfg.forceCloseAfterMs > 0 && state.closingSinceMs !== undefined &&
    nowMs - state.closingSinceMs >= cfg.forceCloseAfterMs
  const target = targetPrice(book, want.side, forceClose ? 1 : cfg.depth)
  if (q !== undefined) {
    if (q.side !== want.side) return { _tag: "Cancel", quote: q, reason: "phase" }
    if (q.base !== want.base) return { _tag: "Cancel", quote: q, reason: "size" }
    if (nowMs - q.placedAtMs >= cfg.maxQuoteAgeMs) return { _tag: "Cancel", quote: q, reason: "stale" }
    if (target !== undefined && Math.abs(q.price - target) > cfg.requoteDriftTicks) return { _tag: "Cancel", quote: q, reason: "drift" }
    return { _tag: "Wait", reason: "quote is fine" }
  }
  if (target === undefined) return { _tag: "Wait", reason: `no ${want.side === "buy" ? "bids" : "asks"} in the book` }
  return { _tag: "Place", side: want.side, base: want.base, price: target }
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
