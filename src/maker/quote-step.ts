// One decision of A's quote loop, every strategy.poll_interval: pull the quote when the pair is
// not ACTIVE, B's heartbeat is stale or A's stream is down; settle a quote stuck sending or
// cancelling; otherwise price the next quote (market.depth), and place, re-quote or wait
// (src/domain/maker-cycle.ts), within A's quote-tx cap. A quote is published to PairState before
// it exists and only then checked against hedges in flight, so B never trades into it (I5).
import { Effect, Option, Ref } from "effect"
import { describeShort, shortKey } from "../domain/book-depth.ts"
import { quoteClientIndex } from "../domain/client-index.ts"
import { isOrderTerminal } from "../domain/events.ts"
import { beatFresh, beatToken, initialBeatWatch, observeBeat } from "../domain/freshness.ts"
import { conflictingHedge } from "../domain/hedge-plan.ts"
import { decideMakerAction, type MakerAction, priceNeed, type RestingQuote } from "../domain/maker-cycle.ts"
import { formatBase } from "../domain/market.ts"
import { slotsFor } from "../domain/quote-pacing.ts"
import { isSignatureRefusal } from "../venue/errors.ts"
import type { QuotePricer } from "./quote-price.ts"
import type { QuoteResolver } from "./quote-resolver.ts"
import type { SignatureRefusals } from "./signature-refusals.ts"
import type { QuoteTxCap } from "./quote-tx-cap.ts"
import { placeRetry } from "./retry.ts"
import { amountText, type MakerContext } from "./settings.ts"

interface QuoteStepDeps {
  readonly pricer: QuotePricer
  readonly cap: QuoteTxCap
  readonly resolver: QuoteResolver
  readonly refusals: SignatureRefusals
}

/** What was said once and not again until it changes. */
interface Noted {
  /** The in-flight hedge a quote last waited for. */
  readonly waitingFor: string | undefined
  /** Why the last quote sequence number was refused. */
  readonly refusedClaim: string | undefined
  /** The side too short for market.depth. */
  readonly short: string | undefined
}

export const makeQuoteStep = (ctx: MakerContext, deps: QuoteStepDeps) =>
  Effect.gen(function*() {
    const { settings, venue, pairState, marketId, state, clock } = ctx
    const { pricer, cap, resolver, refusals } = deps
    // Stryker disable next-line all: text for log lines only
    const amount = (base: number, price: number) => amountText(settings.market, base, price)
    // Stryker disable next-line ObjectLiteral: equivalent: every field starts undefined either way
    const noted = yield* Ref.make<Noted>({ waitingFor: undefined, refusedClaim: undefined, short: undefined })
    /** B's heartbeat as A saw it change, on A's monotonic clock (src/domain/freshness.ts). */
    const beatB = yield* Ref.make(initialBeatWatch)

    const pull = (why: string) =>
      Effect.gen(function*() {
        const q = (yield* Ref.get(state)).quote
        if (q === undefined || q.state !== "resting") return
        yield* Effect.logWarning(`pulling quote${why}`)
        yield* Ref.update(state, (s) => (s.quote === undefined ? s : { ...s, quote: { ...s.quote, state: "cancelling" as const } }))
        yield* cap.sent
        yield* venue.cancel({ marketId, index: q.orderIndex ?? String(q.clientOrderIndex) }).pipe(Effect.ignore)
      })

    const hedgerStale = Effect.gen(function*() {
      if (settings.requireHedgerHeartbeatMs <= 0) return false
      const look = clock.monoMs()
      const hb = yield* pairState.lastHeartbeat("b")
      const watch = yield* Ref.updateAndGet(beatB, (w) => observeBeat(w, hb._tag === "Some" ? beatToken(hb.value) : undefined, look))
      return !beatFresh(watch, clock.monoMs(), settings.requireHedgerHeartbeatMs)
    })

    const place = (side: "buy" | "sell", price: number, base: number) =>
      Effect.gen(function*() {
        // Granted only while the pair is ACTIVE and Redis still holds A's epoch (a halt or a
        // loss of Redis state that raced with the checks above places nothing).
        const claim = yield* pairState.claimQuoteSeq({ epochId: settings.epoch?.epochId() })
        if (claim._tag === "Refused") {
          // Stryker disable next-line EqualityOperator: decides only whether the refusal is logged again
          if ((yield* Ref.getAndUpdate(noted, (n) => ({ ...n, refusedClaim: claim.reason }))).refusedClaim !== claim.reason) {
            yield* Effect.logWarning(`quote ${side} not placed: ${claim.reason}`)
          }
          return
        }
        yield* Ref.update(noted, (n) => ({ ...n, refusedClaim: undefined }))
        if (settings.epoch !== undefined) yield* settings.epoch.onQuoteSeq(claim.seq)
        const coi = quoteClientIndex(claim.seq)
        // Published before the order exists, so B never prices a hedge through it (I5).
        yield* pairState.publishQuote(Option.some({ side, price, clientOrderIndex: coi, base }))
        yield* Ref.set(ctx.publishedQuote, coi)
        // Checked after publishing (B reads the quote after recording its intent, so one of the two
        // always sees the other): an open hedge heading for this side could still execute into it.
        const inFlight = conflictingHedge(side, yield* pairState.openIntents())
        if (inFlight !== undefined) {
          // Stryker disable next-line EqualityOperator: decides only whether the wait is logged again
          if ((yield* Ref.getAndUpdate(noted, (n) => ({ ...n, waitingFor: inFlight.fillId }))).waitingFor !== inFlight.fillId) {
            yield* Effect.logInfo(
              `quote ${side} waits: hedge ${inFlight.fillId} (B to ${inFlight.targetSignedBase > 0 ? "buy" : "sell"} ` +
                `${formatBase(settings.market, Math.abs(inFlight.targetSignedBase))} ${settings.market.symbol}) is still in flight`
            )
          }
          yield* pairState.publishQuote(Option.none())
          yield* Ref.set(ctx.publishedQuote, undefined)
          return
        }
        yield* Ref.update(state, (s) => ({ ...s, quote: { clientOrderIndex: coi, side, price, base, placedAtMs: clock.monoMs(), state: "sending" as const } }))
        yield* cap.sent
        const placed = yield* venue
          .placeLimit({ marketId, side, base, price, clientOrderIndex: coi, postOnly: true, reduceOnly: side === "sell" })
          .pipe(Effect.retry(placeRetry(settings.orderRetries)), Effect.result)
        if (placed._tag === "Failure") {
          const e = placed.failure
          // Every refusal is told: a signature refusal counts toward the halt, any other one ends the row.
          // Stryker disable next-line StringLiteral: the text is only logged
          yield* refusals.note(`quote ${side} ${amount(base, price)}`, e)
          // Stryker disable next-line ConditionalExpression,BooleanLiteral: decides only whether the refusal is logged here (a signature refusal is logged by the row)
          if (!isSignatureRefusal(e)) yield* Effect.logWarning(`quote not placed (${e.kind}${e.code === undefined ? "" : ` ${e.code}`}): ${e.message}`)
          // The venue may or may not have it: ask it, never wait for ever.
          // Stryker disable next-line StringLiteral: the reason is only logged
          if (e.kind === "unknown-outcome") return yield* resolver.resolve(coi, "the send's outcome is unknown")
          return yield* Ref.update(state, (s) => (s.quote?.clientOrderIndex === coi ? { ...s, quote: undefined } : s))
        }
        yield* refusals.accepted
        yield* Ref.update(state, (s) =>
          s.quote?.clientOrderIndex === coi && s.quote.state === "sending" ? { ...s, quote: { ...s.quote, state: "resting" as const } } : s
        )
      })

    const cancel = (q: RestingQuote, reason: Extract<MakerAction, { readonly _tag: "Cancel" }>["reason"]) =>
      Effect.gen(function*() {
        yield* resolver.cancelling(q.clientOrderIndex)
        // Stryker disable next-line ConditionalExpression,OptionalChaining: race guard: only another fiber changing the quote since the decision (no I/O between) reaches the other branch
        yield* Ref.update(state, (s) => (s.quote?.clientOrderIndex === q.clientOrderIndex ? { ...s, quote: { ...q, state: "cancelling" as const } } : s))
        yield* cap.sent
        // A re-quote (age, drift) is A's own business: it never spends the hedges' reserve.
        const requote = reason === "stale" || reason === "drift"
        const cancelled = yield* venue
          .cancel({ marketId, index: q.orderIndex ?? String(q.clientOrderIndex), ...(requote ? { priority: "quote" as const } : {}) })
          .pipe(Effect.retry(placeRetry(settings.orderRetries)), Effect.result)
        if (cancelled._tag === "Success") return
        // Stryker disable next-line StringLiteral: the text is only logged
        yield* refusals.note(`cancel of quote ${q.clientOrderIndex}`, cancelled.failure)
        // Most likely filled or gone already: the venue's view decides.
        const still = yield* venue.orderByClientIndex(marketId, q.clientOrderIndex).pipe(Effect.option)
        const gone = still._tag === "None" || still.value._tag === "None" || isOrderTerminal(still.value.value.status)
        yield* Ref.update(state, (s) =>
          s.quote?.clientOrderIndex !== q.clientOrderIndex ? s : gone ? { ...s, quote: undefined } : { ...s, quote: { ...q, state: "resting" as const } }
        )
      })

    return Effect.gen(function*() {
      const trading = yield* pairState.tradingState()
      const stopReason = trading !== "ACTIVE" ? `pair is ${trading}` : undefined
      if (!(yield* Ref.get(ctx.streamUp))) {
        // Keep what rests (fills are caught up from the snapshot on reconnect); place nothing new.
        // A pair halted meanwhile (e.g. because this very stream stays refused) still pulls it.
        if (stopReason !== undefined) yield* pull(` while the account stream is down: ${stopReason}`)
        return
      }
      // A quote the stream never settled (a cancel it never confirmed) is asked for at the venue.
      if (yield* resolver.settleStuck) return
      const stop = stopReason ?? ((yield* hedgerStale) ? "hedger (B) heartbeat is stale" : undefined)
      if (stop !== undefined) return yield* pull(`: ${stop}`)
      const current = yield* Ref.get(state)
      const now = clock.monoMs()
      const need = priceNeed(current, now, settings.cycle)
      // A's quote-tx cap: a decision that could send is not even priced (no order-list read) when
      // its transactions would not fit: a placement needs one slot, a re-quote two.
      if (need !== undefined && (yield* cap.blocks(current.quote === undefined ? 1 : 2, now))) return
      const book = need === undefined ? undefined : yield* venue.orderBook(marketId, Math.max(need.depth, 1))
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: book is undefined exactly when need is
      const price = need === undefined || book === undefined ? undefined : yield* pricer.priceFor(need, book, now)
      const action = decideMakerAction(current, price, now, settings.cycle)
      // Stryker disable next-line ConditionalExpression: equivalent: only a Wait carries `short`
      const short = action._tag === "Wait" ? action.short : undefined
      if (short !== undefined) {
        const key = shortKey(short)
        if ((yield* Ref.getAndUpdate(noted, (n) => ({ ...n, short: key }))).short !== key) yield* Effect.logWarning(describeShort(short))
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator: decides only whether the recovery is logged
      if (short === undefined && price?._tag === "Price" && (yield* Ref.getAndUpdate(noted, (n) => ({ ...n, short: undefined }))).short !== undefined) {
        yield* Effect.logInfo(`market.depth ${settings.cycle.depth}: the book has enough ${pricer.depthUnit === "orders" ? "orders" : "price levels"} again; quoting`)
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: no slot needed never blocks (quoteTxRoom)
      if (slotsFor(action) > 0 && (yield* cap.blocks(slotsFor(action), now))) return
      if (action._tag === "Place") return yield* place(action.side, action.price, action.base)
      if (action._tag === "Cancel") return yield* cancel(action.quote, action.reason)
    })
  })
