// Quotes whose state A cannot know from its own calls — a send with an unknown outcome, a cancel
// the stream never confirmed — are settled by asking the venue for their client index, as B does
// for its hedges: resting → tracked as resting; gone → its fills are published and the quote is
// forgotten; unknown to the venue for resolveQuoteMs → it never got there: forgotten, and
// cancelled should it show up later (a send held up in the network), so A never has two quotes
// resting. It never waits for ever.
import { Effect, Option, Ref, Schedule } from "effect"
import { isOrderTerminal, type OrderUpdate } from "../domain/events.ts"
import { formatBase } from "../domain/market.ts"
import type { FillPublisher } from "./fill-publisher.ts"
import type { MakerContext } from "./settings.ts"

/** A quote still "sending" or "cancelling" this long after it was sent is resolved against the venue. */
export const STUCK_QUOTE_MS = 10_000
/** How many abandoned quotes are remembered (to cancel one that arrives late). */
const ABANDONED_REMEMBERED = 1000

/** The venue's answer for a quote, polled with backoff until it knows it or resolveQuoteMs has passed. */
type Lookup = { readonly _tag: "Settled" } | { readonly _tag: "Found"; readonly order: OrderUpdate } | { readonly _tag: "NotYet" }

export const makeQuoteResolver = (ctx: MakerContext, publisher: FillPublisher) =>
  Effect.gen(function*() {
    const { settings, venue, marketId, state, tracker, clock } = ctx
    const abandoned = yield* Ref.make<ReadonlySet<number>>(new Set())
    /** When each quote entered "cancelling", monotonic (a quote "sending" counts from placedAtMs). */
    const cancellingSince = yield* Ref.make<ReadonlyMap<number, number>>(new Map())
    const forgetCancelling = (coi: number) =>
      // Stryker disable next-line BlockStatement: memory only: a quote's client index is never reused, and settleStuck prunes the rest
      Ref.update(cancellingSince, (m) => {
        const next = new Map(m)
        // Stryker disable next-line CallExpression: memory only: a quote's client index is never reused, and settleStuck prunes the rest
        next.delete(coi)
        return next
      })

    const lookup = (coi: number): Effect.Effect<Lookup> =>
      Effect.gen(function*() {
        const s = yield* Ref.get(state)
        // The account stream may have settled it meanwhile.
        if (s.quote?.clientOrderIndex !== coi || s.quote.state === "resting") return { _tag: "Settled" } as const
        const found = yield* venue.orderByClientIndex(marketId, coi).pipe(Effect.option)
        return Option.isSome(found) && Option.isSome(found.value) ? { _tag: "Found", order: found.value.value } as const : { _tag: "NotYet" } as const
      })

    const resolve = (coi: number, why: string) =>
      Effect.gen(function*() {
        yield* Effect.logWarning(`quote ${coi}: ${why}; resolving it against the venue by its client index`)
        const backoff = Schedule.max([
          Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("1 second")]),
          Schedule.during(settings.resolveQuoteMs ?? 5_000)
        ])
        const answer = yield* lookup(coi).pipe(Effect.repeat({ schedule: backoff, until: (l) => l._tag !== "NotYet" }))
        if (answer._tag === "Settled") return
        if (answer._tag === "Found") {
          const u = answer.order
          // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent: `discard` only changes the value returned, which is not used
          yield* Effect.forEach(tracker.onOrderUpdate(u, clock.wallMs()), publisher.publish, { discard: true })
          if (isOrderTerminal(u.status)) {
            yield* Effect.logInfo(
              `quote ${coi} resolved: ${u.status} at the venue (filled ${formatBase(settings.market, u.filledBase)} of ${formatBase(settings.market, u.initialBase)} ${settings.market.symbol})`
            )
            yield* Ref.update(state, (st) => (st.quote?.clientOrderIndex === coi ? { ...st, quote: undefined } : st))
          } else {
            yield* Effect.logInfo(`quote ${coi} resolved: resting at the venue as order ${u.orderIndex}`)
            yield* Ref.update(state, (st) =>
              st.quote?.clientOrderIndex === coi ? { ...st, quote: { ...st.quote, orderIndex: u.orderIndex, state: "resting" as const } } : st
            )
          }
          return yield* forgetCancelling(coi)
        }
        yield* Effect.logWarning(`quote ${coi} resolved: the venue does not know it; A moves on (and cancels it should it still arrive)`)
        yield* Ref.update(abandoned, (set) => {
          const next = new Set(set).add(coi)
          // Stryker disable next-line ConditionalExpression,EqualityOperator,CallExpression: memory bound only (1000 abandoned quotes)
          if (next.size > ABANDONED_REMEMBERED) next.delete(next.values().next().value!)
          return next
        })
        yield* forgetCancelling(coi)
        yield* Ref.update(state, (st) => (st.quote?.clientOrderIndex === coi ? { ...st, quote: undefined } : st))
      })

    /** An update of a quote A gave up: cancelled at once should it rest. */
    const onOrderUpdate = (u: OrderUpdate) =>
      Effect.gen(function*() {
        if (isOrderTerminal(u.status) || !(yield* Ref.get(abandoned)).has(u.clientOrderIndex)) return
        yield* Effect.logWarning(`quote ${u.clientOrderIndex} reached the venue after A gave it up (order ${u.orderIndex}): cancelling it`)
        yield* venue.cancel({ marketId, index: u.orderIndex }).pipe(Effect.ignore)
      })

    /**
     * A quote not resting: resolved against the venue once it has been sending or cancelling for
     * STUCK_QUOTE_MS (a cancel counts from when A first saw it cancelling). Returns whether it
     * did (the quote step then ends).
     */
    const settleStuck = Effect.gen(function*() {
      const pending = (yield* Ref.get(state)).quote
      // Stryker disable next-line MethodExpression,ArrayDeclaration,ArrowFunction,ConditionalExpression: memory only: entries are read by the pending quote's own index
      yield* Ref.update(cancellingSince, (m) => new Map([...m].filter(([coi]) => coi === pending?.clientOrderIndex)))
      if (pending === undefined || pending.state === "resting") return false
      const now = clock.monoMs()
      const since = pending.state === "sending" ? pending.placedAtMs : (yield* Ref.get(cancellingSince)).get(pending.clientOrderIndex)
      if (since === undefined) {
        yield* Ref.update(cancellingSince, (m) => new Map(m).set(pending.clientOrderIndex, now))
        return false
      }
      if (now - since < STUCK_QUOTE_MS) return false
      // Stryker disable next-line StringLiteral,ArithmeticOperator: the reason is only logged
      yield* resolve(pending.clientOrderIndex, `still ${pending.state} after ${Math.round(now - since)} ms`)
      return true
    })

    /** A cancel sent now for quote `coi`. */
    const cancelling = (coi: number) => Ref.update(cancellingSince, (m) => new Map(m).set(coi, clock.monoMs()))

    return { resolve, onOrderUpdate, settleStuck, cancelling }
  })

export type QuoteResolver = Effect.Success<ReturnType<typeof makeQuoteResolver>>
