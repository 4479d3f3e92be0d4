// Hedges one fill of A on account B, exactly once:
// 1. the intent is recorded (atomically with the residual pool) before anything is sent;
// 2. every attempt is recorded before it is sent, with a client index derived from (fillSeq, attempt);
// 3. a redelivered fill resumes its intent: attempts whose outcome is unknown are resolved by
//    asking the venue for that client index, never by sending again blindly;
// 4. what an IOC leaves unfilled is re-hedged with the next attempt, within bounds; what is left
//    after that returns to the residual pool and shows in the result;
// 5. a client index is never reused for another intent: an index the venue already has an order
//    for is not sent, and an order found for an index that is not this attempt's (another side or
//    size) is never adopted as its outcome — both alarm (alert + halt).
import { haltPair } from "../safety/halt.ts"
import { Effect, Option, Schedule, Schema } from "effect"
import type { OrderUpdate } from "../domain/events.ts"
import { hedgeClientIndex } from "../domain/client-index.ts"
import { blockedByQuote, effectiveMinBase, guardSelfTrade, hedgeOrderFor, planNextAttempt, quoteStillResting } from "../domain/hedge-plan.ts"
import { averagePriceTicks } from "../domain/slippage.ts"
import { formatPrice, type MarketSpec } from "../domain/market.ts"
import { HedgeAttempt, HedgeResult, type HedgeSubject } from "../domain/messages.ts"
import { hedgeSideFor, signedBase } from "../domain/side.ts"
import type { BusError } from "../bus/errors.ts"
import { type HedgeIntent, PairState } from "../bus/PairState.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { wallMs } from "../ops/time.ts"
import { isSignatureRefusal, VenueError } from "../venue/errors.ts"
import { Venue } from "../venue/Venue.ts"
import type { OrderWatcher } from "./order-watcher.ts"

/**
 * The fill's intent was begun by another entry with the same fillId but another sequence number
 * (a copy of a fill still in flight): this entry is a duplicate, the other one hedges the fill.
 */
export class FillInFlight extends Schema.TaggedError<FillInFlight>()("FillInFlight", {
  fillId: Schema.String,
  fillSeq: Schema.Number,
  intentFillSeq: Schema.Number,
  message: Schema.String
}) {}


/**
 * A client index B derived is already taken at the venue by an order that is not this attempt's:
 * an alarm, raised even when the pair is stopped already, and the pair halts.
 */
const clientIndexAlarm = (fillId: string, message: string) =>
  Effect.gen(function*() {
    yield* Effect.logError(`client index conflict: ${message}`).pipe(Effect.annotateLogs({ fillId }))
    const trading = yield* (yield* PairState).tradingState()
    if (trading === "ACTIVE") yield* haltPair(`client index conflict on fill ${fillId}: ${message}`)
    else yield* raiseAlert("halted", `client index conflict on fill ${fillId} (pair ${trading} already): ${message}`)
  })

/** Whether an order the venue reports for an attempt's client index is that attempt's order. */
const isAttemptOrder = (market: MarketSpec, a: HedgeAttempt) => (u: OrderUpdate): boolean =>
  u.marketId === market.marketId && u.side === a.side && u.initialBase === a.base

const describeOrder = (u: OrderUpdate): string => `order ${u.orderIndex} (${u.side} ${u.initialBase}, ${u.status})`

export interface HedgeSettings {
  readonly market: MarketSpec
  readonly clientIndexTag: number
  readonly slippageBps: number
  readonly maxAttempts: number
  /** How long to wait for an order's outcome on the stream before asking the venue. */
  readonly outcomeTimeoutMs: number
  /** Retries of one attempt that was not sent (rate limit, venue unreachable, stale nonce). */
  readonly sendRetries: number
  readonly sendRetryBaseMs: number
}

/** How long a hedge waits for A's quote to get out of its way before sending anyway (capped short of it). */
const GUARD_WAIT_MS = 3000
const GUARD_POLL_MS = 100

const filledSigned = (a: HedgeAttempt): number => signedBase(a.side, a.filledBase ?? 0)

/** Signed quantity B has traded for this intent, counting only attempts with a known outcome. */
export const intentFilledSigned = (intent: HedgeIntent): number => intent.attempts.reduce((s, a) => s + filledSigned(a), 0)

const withOutcome = (market: MarketSpec, a: HedgeAttempt, u: OrderUpdate | undefined, error?: string): HedgeAttempt =>
  new HedgeAttempt({
    ...a,
    filledBase: u?.filledBase ?? 0,
    ...(u !== undefined && u.filledBase > 0 ? { avgPrice: avgPriceTicks(market, u) } : {}),
    // Stryker disable next-line all: equivalent: the venue reports a notional > 0 exactly when something filled; the bound is 2^53 micro-USDC (9 billion USDC)
    ...(u !== undefined && u.filledBase > 0 && u.filledQuoteMicro > 0n && u.filledQuoteMicro <= BigInt(Number.MAX_SAFE_INTEGER)
      ? { filledQuoteMicro: Number(u.filledQuoteMicro) }
      : {}),
    ...(u !== undefined ? { orderIndex: u.orderIndex } : {}),
    // Stryker disable next-line ConditionalExpression: equivalent: `error` is an optional key; { error: undefined } reads and encodes as no error
    ...(error !== undefined ? { error } : {})
  })

/**
 * Average execution price in whole ticks from cumulative notional (micro-USDC) and size, scaled
 * by the market's decimals; the order's price when the venue gave no notional. Never a fraction:
 * an IOC across several levels averages between ticks, and HedgeAttempt.avgPrice is an integer.
 */
const avgPriceTicks = (market: MarketSpec, u: OrderUpdate): number => averagePriceTicks(market, u.filledBase, u.filledQuoteMicro) ?? u.price

/** What became of an attempt: its order's terminal state, the venue never saw it, or the index is another order's. */
type Resolution =
  | { readonly _tag: "Found"; readonly order: OrderUpdate }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Foreign"; readonly order: OrderUpdate }

/**
 * Finds out what became of an attempt whose send outcome is unknown: the stream first,
 * then the venue's order lookup (retrying a few times: the order may still be in flight).
 * Only an order of this attempt's side and size counts; an order of another intent found under
 * the index is "Foreign", never this attempt's outcome.
 */
const resolveAttempt = (watcher: OrderWatcher, settings: HedgeSettings, attempt: HedgeAttempt) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const mine = isAttemptOrder(settings.market, attempt)
    const fromStream = yield* watcher.awaitTerminal(attempt.clientOrderIndex, settings.outcomeTimeoutMs, mine)
    if (Option.isSome(fromStream)) return { _tag: "Found", order: fromStream.value } as Resolution
    const lookup = venue.orderByClientIndex(settings.market.marketId, attempt.clientOrderIndex).pipe(
      Effect.flatMap((o) =>
        Option.isSome(o) && mine(o.value) && (o.value.status === "open" || o.value.status === "pending" || o.value.status === "in-progress")
          ? Effect.fail(new VenueError({ op: "resolve", kind: "unavailable", message: "order still active" }))
          : Effect.succeed(o)
      ),
      Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 6 })))
    )
    const found = yield* lookup
    if (Option.isSome(found) && mine(found.value)) return { _tag: "Found", order: found.value } as Resolution
    // Not known to the venue (or only another order under this index): it may still be queued.
    // One last look on the stream, then conclude.
    const last = yield* watcher.awaitTerminal(attempt.clientOrderIndex, settings.outcomeTimeoutMs, mine)
    if (Option.isSome(last)) return { _tag: "Found", order: last.value } as Resolution
    return Option.isSome(found) ? { _tag: "Foreign", order: found.value } as Resolution : { _tag: "Absent" } as Resolution
  })

/** The attempt with the resolution's outcome; a foreign order alarms and is not adopted. */
const resolvedAttempt = (settings: HedgeSettings, fillId: string, attempt: HedgeAttempt, r: Resolution, absent: string) =>
  Effect.gen(function*() {
    if (r._tag === "Found") return withOutcome(settings.market, attempt, r.order)
    if (r._tag === "Absent") return withOutcome(settings.market, attempt, undefined, absent)
    const why = `client index ${attempt.clientOrderIndex} (attempt ${attempt.attempt}: ${attempt.side} ${attempt.base}) belongs to another ${describeOrder(r.order)} at the venue: its outcome is not adopted`
    yield* clientIndexAlarm(fillId, why)
    return withOutcome(settings.market, attempt, undefined, why)
  })

/** Sends one attempt (retrying only failures where the order was certainly not sent) and gets its outcome. */
const runAttempt = (watcher: OrderWatcher, settings: HedgeSettings, fillId: string, attempt: HedgeAttempt) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const send = venue.placeMarket({
      marketId: settings.market.marketId,
      side: attempt.side,
      base: attempt.base,
      priceCap: attempt.priceCap,
      clientOrderIndex: attempt.clientOrderIndex,
      reduceOnly: false
    })
    const sent = yield* send.pipe(
      Effect.retry(
        Schedule.exponential(settings.sendRetryBaseMs).pipe(
          Schedule.jittered,
          Schedule.upTo({ times: settings.sendRetries }),
          Schedule.setInputType<VenueError>(),
          Schedule.while(({ input }) => input.retryable)
        )
      ),
      Effect.result
    )
    if (sent._tag === "Failure") {
      const e = sent.failure
      if (e.kind === "unknown-outcome") {
        yield* Effect.logWarning("hedge send outcome unknown, resolving against the venue").pipe(
          Effect.annotateLogs({ clientOrderIndex: attempt.clientOrderIndex })
        )
        const resolved = yield* resolveAttempt(watcher, settings, attempt)
        return yield* resolvedAttempt(settings, fillId, attempt, resolved, "never reached the venue")
      }
      // Stryker disable next-line ConditionalExpression,BlockStatement: its block only logs
      if (isSignatureRefusal(e)) {
        // Not sent again as is: the same key, signature or clock would be refused again. The
        // attempt fails, what it should have hedged stays in the intent / residual pool, and
        // failed hedges in a row halt the pair (risk.max_consecutive_failures).
        yield* Effect.logError(`hedge refused by the venue (${e.code}): ${e.message}`).pipe(
          Effect.annotateLogs({ clientOrderIndex: attempt.clientOrderIndex, attempt: attempt.attempt, base: attempt.base, code: e.code ?? 0 })
        )
      }
      return withOutcome(settings.market, attempt, undefined, `${e.kind}${e.code === undefined ? "" : ` ${e.code}`}: ${e.message}`)
    }
    const outcome = yield* resolveAttempt(watcher, settings, attempt)
    return yield* resolvedAttempt(settings, fillId, attempt, outcome, "accepted but never seen")
  })

/**
 * Hedges `fill` and returns the result to record. Safe to call again for the same fill after a
 * crash at any point: it resumes from the stored intent.
 */
export const hedgeFill = (fill: HedgeSubject, watcher: OrderWatcher, settings: HedgeSettings, receivedAtMs: number) =>
  Effect.gen(function*() {
    const state = yield* PairState
    const venue = yield* Venue
    const hedgeSide = hedgeSideFor(fill.side)
    const minBase = effectiveMinBase(settings.market, fill.price)
    // The intent first, then A's quote: in this order (with A publishing its quote before it looks
    // for open intents) either B sees A's quote or A sees B's intent — never neither (I5).
    const begun = yield* state.beginHedge({
      fillId: fill.fillId,
      fillSeq: fill.fillSeq,
      // A residual flush adds nothing: it hedges what the pool holds.
      signedDelta: fill.residual ? 0 : signedBase(hedgeSide, fill.size),
      minBase,
      nowMs: yield* wallMs // the intent's createdAtMs: a record
    })
    const aQuoteAtStart = yield* state.restingQuote()
    let intent = begun.intent
    // Stryker disable next-line ConditionalExpression: equivalent: an intent created now carries this fill's fillSeq
    if (begun._tag === "Existing" && intent.fillSeq !== fill.fillSeq) {
      // Another entry with this fillId began the intent: that one hedges the fill.
      return yield* new FillInFlight({
        fillId: fill.fillId,
        fillSeq: fill.fillSeq,
        intentFillSeq: intent.fillSeq,
        message: `fill ${fill.fillId} (fillSeq ${fill.fillSeq}) is already being hedged under fillSeq ${intent.fillSeq}`
      })
    }
    if (begun._tag === "Existing") {
      yield* Effect.logInfo("fill redelivered: resuming its hedge intent").pipe(
        Effect.annotateLogs({ fillId: fill.fillId, status: intent.status, attempts: intent.attempts.length })
      )
    }

    let attempts = [...intent.attempts]
    let returnToPool = 0
    // Set when a flatten closed this fill's intent (bin/hedge flatten fences fills up to a sequence
    // number and closes the intents still open): the flatten settles what B did not finish.
    let settledByFlatten: string | undefined
    const flattenThatSettled = Effect.gen(function*() {
      const fences = yield* state.fences()
      return fill.fillSeq <= fences.flattenFillSeq ? fences.flattenId ?? "a flatten" : undefined
    })
    /** recordAttempt, or the flatten's id when a flatten closed the intent meanwhile (nothing recorded). */
    const record = (attempt: HedgeAttempt) =>
      state.recordAttempt(fill.fillId, attempt).pipe(
        Effect.as(undefined),
        Effect.catch((e) =>
          Effect.gen(function*() {
            const by = yield* flattenThatSettled
            if (by === undefined) return yield* Effect.fail(e)
            return by
          })
        )
      )
    if (intent.status === "open") {
      // Resolve attempts recorded before a crash whose outcome was never written.
      for (let i = 0; i < attempts.length; i++) {
        const a = attempts[i]!
        if (a.filledBase === undefined && a.error === undefined) {
          const resolved = yield* resolveAttempt(watcher, settings, a)
          attempts[i] = yield* resolvedAttempt(settings, fill.fillId, a, resolved, "never reached the venue")
          settledByFlatten ??= yield* record(attempts[i]!)
        }
      }
      for (;;) {
        // Stryker disable next-line ConditionalExpression: equivalent: the loop's next turn breaks on the same test (and a record after a flatten is refused)
        if (settledByFlatten !== undefined) break
        const filledSoFar = attempts.reduce((s, a) => s + filledSigned(a), 0)
        const next = planNextAttempt({
          targetSignedBase: intent.targetSignedBase,
          filledSignedSoFar: filledSoFar,
          attemptsMade: attempts.length,
          maxAttempts: settings.maxAttempts,
          minBase
        })
        if (next._tag === "Done") {
          returnToPool = next.returnToPool
          break
        }
        const wanted = hedgeOrderFor(next.remainingSigned, fill.price, settings.slippageBps)
        let aQuote = quoteStillResting(Option.getOrUndefined(attempts.length === 0 ? aQuoteAtStart : yield* state.restingQuote()), fill)
        let order = guardSelfTrade(wanted, aQuote)
        // A's quote stands where B must trade: an order now would only fill nothing (or trade with
        // A). A pulls or moves its quote within moments of its own fill; wait for that, bounded.
        // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent: one more 100 ms poll at the bound; with equal caps blockedByQuote is false and the loop breaks at once
        for (let waited = 0; waited < GUARD_WAIT_MS && order.priceCap !== wanted.priceCap; waited += GUARD_POLL_MS) {
          const top = yield* venue.orderBook(settings.market.marketId, 1).pipe(Effect.option)
          // Stryker disable next-line ObjectLiteral: equivalent: blockedByQuote only reads book.bestBid / book.bestAsk, undefined in {} as in { bestBid: undefined, bestAsk: undefined }
          const book = Option.isSome(top) ? { bestBid: top.value.bids[0]?.price, bestAsk: top.value.asks[0]?.price } : { bestBid: undefined, bestAsk: undefined }
          if (!blockedByQuote(order, wanted, book)) break
          if (waited === 0) yield* Effect.logInfo(`hedge waits for A's ${aQuote?.side} quote at ${aQuote === undefined ? "?" : formatPrice(settings.market, aQuote.price)} to move (self-trade guard)`).pipe(Effect.annotateLogs({ fillId: fill.fillId }))
          yield* Effect.sleep(GUARD_POLL_MS)
          aQuote = quoteStillResting(Option.getOrUndefined(yield* state.restingQuote()), fill)
          order = guardSelfTrade(wanted, aQuote)
        }
        const n = attempts.length + 1
        const planned = new HedgeAttempt({
          attempt: n,
          // From the intent's sequence number: the one its earlier attempts used.
          clientOrderIndex: hedgeClientIndex(settings.clientIndexTag, intent.fillSeq, n),
          side: order.side,
          base: order.base,
          priceCap: order.priceCap,
          sentAtMs: yield* wallMs
        })
        // A fresh attempt's index was never sent for this intent: an order the venue already has
        // under it belongs to another intent. Not sent (nothing traded), alarmed.
        const taken = watcher.latest(planned.clientOrderIndex)
        if (taken !== undefined) {
          const why = `client index ${planned.clientOrderIndex} (fillSeq ${intent.fillSeq}, attempt ${n}) is already taken by ${describeOrder(taken)}: not sent`
          yield* clientIndexAlarm(fill.fillId, why)
          const notSent = new HedgeAttempt({ ...planned, filledBase: 0, error: why })
          yield* state.recordAttempt(fill.fillId, notSent)
          attempts.push(notSent)
          continue
        }
        // A flatten that closed the intent before this attempt was recorded: it is never sent.
        settledByFlatten = yield* record(planned)
        if (settledByFlatten !== undefined) break
        const done = yield* runAttempt(watcher, settings, fill.fillId, planned).pipe(Effect.annotateLogs({ fillId: fill.fillId }))
        attempts.push(done)
        // A flatten that closed the intent while the order was out: what it did is kept in the result.
        settledByFlatten = yield* record(done)
        // Stryker disable next-line ConditionalExpression: equivalent: the loop's next turn breaks on the same test
        if (settledByFlatten !== undefined) break
        if (done.error !== undefined) {
          yield* Effect.logWarning(`hedge attempt ${n} failed: ${done.error}`).pipe(Effect.annotateLogs({ fillId: fill.fillId }))
        }
      }
      // A flatten-closed intent is done already, and its fill's position is the flatten's: no pool.
      // Stryker disable next-line ConditionalExpression: equivalent: finishHedge leaves an intent a flatten closed (done) as it is
      if (settledByFlatten === undefined) yield* state.finishHedge(fill.fillId, returnToPool)
      else returnToPool = 0
      // Stryker disable next-line StringLiteral: equivalent: only `deferred` is read from the status after this point
      intent = { ...intent, status: "done", attempts }
    } else if (intent.status === "done") {
      settledByFlatten = yield* flattenThatSettled
      if (settledByFlatten !== undefined) {
        // Closed by a flatten (B may have died or been interrupted meanwhile): what B's orders did is
        // asked of the venue, for the record; the rest was the flatten's to close, never the pool's.
        for (let i = 0; i < attempts.length; i++) {
          const a = attempts[i]!
          if (a.filledBase === undefined && a.error === undefined) {
            attempts[i] = yield* resolvedAttempt(settings, fill.fillId, a, yield* resolveAttempt(watcher, settings, a), "never reached the venue")
          }
        }
        returnToPool = 0
      } else {
        // Finished before a crash but not acknowledged: rebuild the result from the intent.
        returnToPool = intent.targetSignedBase - intentFilledSigned(intent)
      }
    }

    const hedged = attempts.reduce((s, a) => s + filledSigned(a), 0)
    // Stryker disable next-line ConditionalExpression: equivalent: without a flatten returnToPool is exactly target - hedged
    const short = settledByFlatten !== undefined ? intent.targetSignedBase - hedged : returnToPool
    const status = intent.status === "deferred"
      ? "deferred" as const
      : short === 0
      ? "hedged" as const
      : hedged === 0
      ? "failed" as const
      : "partial" as const
    return new HedgeResult({
      fillId: fill.fillId,
      fillSeq: fill.fillSeq,
      pair: fill.pair,
      marketId: fill.marketId,
      aSide: fill.side,
      fillSize: fill.size,
      // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent: a deferred intent is stored with target 0
      targetSignedBase: intent.status === "deferred" ? 0 : intent.targetSignedBase,
      hedgedSignedBase: hedged,
      residualSignedBase: returnToPool,
      status,
      attempts,
      ...(settledByFlatten !== undefined ? { settledByFlatten } : {}),
      fillDetectedAtMs: fill.detectedAtMs,
      receivedAtMs,
      doneAtMs: yield* wallMs
    })
  })

export type HedgeFillError = BusError | FillInFlight
