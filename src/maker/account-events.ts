// A's account stream, event by event: order updates and trades become fills (FillTracker:
// cumulative amounts → deltas, deduplicated) published to the bus; the quote's state and A's
// position follow what the venue reports; a completed open/close cycle is logged (循环次数).
import { Effect, Option, Ref } from "effect"
import type { AccountEvent } from "../domain/events.ts"
import { isOrderTerminal } from "../domain/events.ts"
import { type MakerState, syncPosition } from "../domain/maker-cycle.ts"
import { formatBase } from "../domain/market.ts"
import type { OrderUpdate } from "../domain/events.ts"
import type { FillPublisher } from "./fill-publisher.ts"
import type { QuoteResolver } from "./quote-resolver.ts"
import type { MakerContext } from "./settings.ts"

/** Applies a venue order update to the quote we track (matched by client index). */
export const trackQuote = (state: MakerState, u: OrderUpdate): MakerState => {
  const q = state.quote
  if (q === undefined || q.clientOrderIndex !== u.clientOrderIndex) return state
  if (isOrderTerminal(u.status)) return { ...state, quote: undefined }
  return { ...state, quote: { ...q, orderIndex: u.orderIndex, state: q.state === "cancelling" ? "cancelling" : "resting" } }
}

/** Withdraws the quote published to B once A's quote is no longer the one published. */
export const clearPublishedQuote = (ctx: MakerContext) =>
  Effect.gen(function*() {
    const published = yield* Ref.get(ctx.publishedQuote)
    if (published === undefined) return
    const s = yield* Ref.get(ctx.state)
    if (s.quote !== undefined && s.quote.clientOrderIndex === published) return
    yield* Ref.set(ctx.publishedQuote, undefined)
    yield* ctx.pairState.publishQuote(Option.none()).pipe(Effect.ignore)
  })

export const makeEventHandler = (
  ctx: MakerContext,
  publisher: FillPublisher,
  resolver: Pick<QuoteResolver, "onOrderUpdate">
) =>
  Effect.gen(function*() {
    const { settings, marketId, state, tracker, clock } = ctx
    const cyclesLogged = yield* Ref.make(0)
    return (e: AccountEvent) =>
      Effect.gen(function*() {
        if (e._tag === "StreamConnected") yield* Ref.set(ctx.streamUp, true)
        if (e._tag === "StreamDisconnected") yield* Ref.set(ctx.streamUp, false)
        const now = clock.wallMs() // a fill's detectedAtMs: a record
        if (e._tag === "OrderUpdate" && e.marketId === marketId) {
          // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent: `discard` only changes the value returned, which is not used
          yield* Effect.forEach(tracker.onOrderUpdate(e, now), publisher.publish, { discard: true })
          yield* Ref.update(state, (s) => trackQuote(s, e))
          yield* resolver.onOrderUpdate(e)
        } else if (e._tag === "TradeEvent" && e.marketId === marketId) {
          // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent: `discard` only changes the value returned, which is not used
          yield* Effect.forEach(tracker.onTrade(e, now), publisher.publish, { discard: true })
        }
        if (e._tag === "PositionUpdate" && e.marketId === marketId) {
          // Fills already moved the position (together with the quote's size); the venue's report
          // normally agrees, and corrects it when it does not (restart, missed frames).
          yield* Ref.update(state, (s) => syncPosition(s, e.signedBase, settings.cycle, clock.monoMs()))
        }
        if (e._tag === "StreamDisconnected") {
          yield* Effect.logWarning(`account stream of A disconnected: ${e.reason}`)
        } else if (e._tag === "StreamConnected" && e.reconnect) {
          yield* Effect.logInfo("account stream of A reconnected; catching up from the snapshot")
        }
        if (settings.onAccountEvent !== undefined) yield* settings.onAccountEvent(e)
        yield* clearPublishedQuote(ctx)
        // The previous system logged each completed open/close cycle (循环次数); so does A.
        const after = yield* Ref.get(state)
        if (after.cycles > (yield* Ref.get(cyclesLogged))) {
          yield* Ref.set(cyclesLogged, after.cycles)
          yield* Effect.logInfo(
            `cycle ${after.cycles} complete: A opened and closed ${formatBase(settings.market, settings.cycle.quantity)} ${settings.market.symbol} ` +
              `(循环次数 ${after.cycles} since this start)`
          )
        }
      })
  })
