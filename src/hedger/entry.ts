// One entry of the fill stream, start to end: decoded or poison; admitted (this pair's, plausible,
// not hedged before) or refused to the dead-letter stream (halt, alert) or acknowledged as a
// duplicate; hedged (hedge-fill.ts); recorded and acknowledged in one step; then the rules that
// look at one result (consecutive failures, slippage).
import { Cause, Effect, Option } from "effect"
import { hedgeSlippageBreach } from "../domain/risk.ts"
import { hedgeClientIndex } from "../domain/client-index.ts"
import { hedgeSideFor } from "../domain/side.ts"
import { bookReferencePrice } from "../domain/hedge-plan.ts"
import { formatBase } from "../domain/market.ts"
import { type HedgeResult, type HedgeSubject, isResidualFlush, subjectOfFill, subjectOfFlush } from "../domain/messages.ts"
import { VenueError } from "../venue/errors.ts"
import { Venue } from "../venue/Venue.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { wallMs } from "../ops/time.ts"
import { type BusEntry, FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { haltPair } from "../safety/halt.ts"
import { priceRefusal, refuseFill, refuseFlush } from "./fill-check.ts"
import { hedgeFill } from "./hedge-fill.ts"
import { type HedgerLoopState, recordFailure, recordSuccess } from "./loop-state.ts"
import type { OrderWatcher } from "./order-watcher.ts"
import type { HedgerSettings } from "./settings.ts"

/**
 * An entry B will not hedge: the pair halts first (so a failure after it cannot leave the pair
 * trading on), then the entry goes to the dead-letter stream (acknowledged) and the alert fires.
 */
const refuseEntry = (entry: BusEntry, reason: string, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    yield* Effect.logError(`fill entry refused, moved to the dead-letter stream, never hedged: ${reason}`).pipe(
      Effect.annotateLogs({ entryId: entry.entryId, ...(entry._tag === "Poison" ? {} : { fillId: subjectOf(entry).fillId, fillSeq: subjectOf(entry).fillSeq }) })
    )
    yield* haltPair(`fill entry ${entry.entryId} moved to the dead-letter stream: ${reason.slice(0, 200)}`)
    yield* bus.deadLetter(entry.entryId, entry.raw, reason)
    yield* raiseAlert("poison-message", `fill entry ${entry.entryId} moved to the dead-letter stream, never hedged: ${reason.slice(0, 300)}`)
    if (settings.onPoison !== undefined) yield* settings.onPoison(reason)
  })

/** An entry whose fill was hedged already (or is being hedged by another entry): acknowledged, not hedged. */
const acknowledgeDuplicate = (entryId: string, fillId: string, why: string, settings: HedgerSettings) =>
  Effect.gen(function*() {
    yield* (yield* FillBus).ackDuplicate(entryId)
    yield* Effect.logWarning(`duplicate fill entry acknowledged, not hedged again: fill ${fillId} ${why}`).pipe(
      Effect.annotateLogs({ entryId, fillId })
    )
    if (settings.onDuplicate !== undefined) yield* settings.onDuplicate()
  })

/** An entry B hedges: A's fill, or B's own residual flush. */
export type HedgeableEntry = Exclude<BusEntry, { readonly _tag: "Poison" }>

/** What the entry asks B to hedge. */
export const subjectOf = (entry: HedgeableEntry): HedgeSubject =>
  entry._tag === "Fill" ? subjectOfFill(entry.fill) : subjectOfFlush(entry.flush)

/**
 * Whether B may hedge this entry's fill: "refuse" (not ours, implausible, or a client index that
 * is another intent's), "duplicate" (hedged already), or "hedge".
 */
const admit = (entry: HedgeableEntry, watcher: OrderWatcher, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const fill = subjectOf(entry)
    const expected = {
      pair: settings.pair,
      market: settings.market,
      aAccountIndex: settings.aAccountIndex,
      bAccountIndex: venue.accountIndex,
      maxFillBase: settings.maxFillBase
    }
    const refused = entry._tag === "Fill" ? refuseFill(entry.fill, expected) : refuseFlush(entry.flush, expected)
    if (refused !== undefined) return { _tag: "Refuse", reason: refused } as const
    // Hedged once, whatever its stream id: by the fill's identity, recorded with each result.
    const hedged = yield* (yield* FillBus).hedgedFill(fill.fillId)
    if (Option.isSome(hedged)) {
      const h = hedged.value
      return h.size === fill.size && h.side === fill.side
        ? { _tag: "Duplicate", why: `was hedged already (fillSeq ${h.fillSeq}, entry ${h.entryId}); this copy: fillSeq ${fill.fillSeq}` } as const
        : {
          _tag: "Refuse",
          reason: `conflicts with the hedged fill ${h.fillId} (A ${h.side} ${h.size}, fillSeq ${h.fillSeq}, entry ${h.entryId}): this entry says A ${fill.side} ${fill.size}`
        } as const
    }
    // An intent can exist only when the entry was delivered before, or when the venue knows the
    // order of its first attempt; then it was admitted already (and its price checked then).
    const firstIndex = hedgeClientIndex(settings.clientIndexTag, fill.fillSeq, 1)
    const taken = watcher.latest(firstIndex)
    const intent = entry.deliveries > 1 || taken !== undefined ? yield* (yield* PairState).getIntent(fill.fillId) : Option.none()
    if (Option.isSome(intent)) {
      // Stryker disable next-line ConditionalExpression: equivalent: a copy under another fillSeq admitted here is refused by hedgeFill (FillInFlight), which acknowledges it as a duplicate all the same
      return intent.value.fillSeq === fill.fillSeq
        ? { _tag: "Hedge" } as const
        : { _tag: "Duplicate", why: `is being hedged under fillSeq ${intent.value.fillSeq}; this copy: fillSeq ${fill.fillSeq}` } as const
    }
    if (taken !== undefined) {
      return {
        _tag: "Refuse",
        reason: `client index ${firstIndex} of fillSeq ${fill.fillSeq} already belongs to order ${taken.orderIndex} (${taken.side} ${taken.initialBase}) of another intent: a sequence number used twice`
      } as const
    }
    const book = yield* venue.orderBook(settings.market.marketId, 1)
    const ref = bookReferencePrice(book)
    if (ref === undefined) {
      // Not a verdict on the fill: it stays pending and is looked at again after a backoff.
      return yield* new VenueError({ op: "checkFill", kind: "unavailable", message: `no order book to check fill ${fill.fillId}'s price against` })
    }
    const badPrice = priceRefusal(fill, ref, settings.market)
    return badPrice === undefined ? { _tag: "Hedge" } as const : { _tag: "Refuse", reason: badPrice } as const
  })

export const handleEntry = (entry: BusEntry, watcher: OrderWatcher, settings: HedgerSettings, loop: HedgerLoopState) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    if (entry._tag === "Poison") return yield* refuseEntry(entry, entry.reason, settings)
    const verdict = yield* admit(entry, watcher, settings)
    const subject = subjectOf(entry)
    if (verdict._tag === "Refuse") return yield* refuseEntry(entry, verdict.reason, settings)
    if (verdict._tag === "Duplicate") return yield* acknowledgeDuplicate(entry.entryId, subject.fillId, verdict.why, settings)
    const receivedAtMs = yield* wallMs
    const hedged = yield* hedgeFill(subject, watcher, settings, receivedAtMs).pipe(
      Effect.map((r) => ({ _tag: "Result", result: r }) as const),
      Effect.catchTag("FillInFlight", (e) => Effect.succeed({ _tag: "InFlight", message: e.message } as const))
    )
    if (hedged._tag === "InFlight") return yield* acknowledgeDuplicate(entry.entryId, subject.fillId, hedged.message, settings)
    const result = hedged.result
    yield* bus.completeFill(entry.entryId, result)
    // Acknowledged: the intent is history now (the result is in <prefix>:hedges). Off the hedge
    // path: the next fill need not wait for this round trip, and a lost one only leaves a record.
    yield* (yield* PairState).forgetIntent(result.fillId).pipe(
      // Stryker disable next-line ArrowFunction: equivalent: a detached fiber; what it does on failure is a log line (the intent stays as a record)
      Effect.catch((e) => Effect.logWarning(`could not forget intent ${result.fillId}: ${e.message}`)),
      Effect.forkDetach
    )
    // Sizes in market units for people; the integers stay in the annotations for machines.
    // Stryker disable next-line all: log text only (the log call itself is not mutated)
    const units = (n: number) => `${formatBase(settings.market, Math.abs(n))} ${settings.market.symbol}`
    // Stryker disable next-line all: log text only (the log call itself is not mutated)
    const bSide = result.hedgedSignedBase > 0 ? "buy" : result.hedgedSignedBase < 0 ? "sell" : "nothing"
    yield* Effect.logInfo(
      `hedged fill ${result.fillId}: A ${result.aSide} ${units(result.fillSize)} -> B ${bSide}${result.hedgedSignedBase === 0 ? "" : ` ${units(result.hedgedSignedBase)}`} (${result.status})`
    ).pipe(Effect.annotateLogs({
      fillSeq: result.fillSeq,
      latencyMs: result.doneAtMs - result.fillDetectedAtMs,
      fillSize: result.fillSize,
      hedgedSignedBase: result.hedgedSignedBase
    }))
    if (result.settledByFlatten !== undefined) {
      // Not a failure of B: a flatten took the fill over while B hedged it (its closing orders take
      // out whatever B's order did); nothing went to the pool.
      yield* Effect.logInfo(
        `fill ${result.fillId} settled by flatten ${result.settledByFlatten} while B hedged it: B's orders did ${
          result.hedgedSignedBase === 0 ? "nothing" : `${bSide} ${units(result.hedgedSignedBase)}`
        }, which the flatten closes; nothing returned to the residual pool`
      )
    } else if (result.status === "failed" || result.status === "partial") {
      // What went back to the pool must not wait for a fill that may never come (residual-flush.ts).
      const inARow = yield* recordFailure(loop)
      yield* raiseAlert(
        "hedge-retries-exhausted",
        `fill ${result.fillId}: ${result.status} after ${result.attempts.length} attempt(s); ${formatBase(settings.market, Math.abs(result.residualSignedBase))} ${settings.market.symbol} ` +
          // Stryker disable next-line EqualityOperator: equivalent: a failed or partial result never has a residual of 0
          `returned to the residual pool (for B to ${result.residualSignedBase > 0 ? "buy" : "sell"})`
      )
      // Checked here, not only by the periodic monitor: a success right after (a residual flush)
      // resets the count before a sampling monitor would see it.
      const limit = settings.risk?.limits.maxConsecutiveFailures ?? 0
      if (limit > 0 && inARow >= limit) {
        yield* haltPair(`${inARow} hedges in a row failed (risk.max_consecutive_failures ${limit})`)
      }
    } else if (result.status === "hedged") {
      yield* recordSuccess(loop, isResidualFlush(result))
    }
    yield* checkSlippage(subject, result, settings)
    if (settings.onResult !== undefined) yield* settings.onResult(result)
  })

/** A completed hedge that executed worse than risk.max_hedge_slippage_bps halts the pair at once. */
const checkSlippage = (fill: HedgeSubject, result: HedgeResult, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const breach = hedgeSlippageBreach(
      { market: settings.market, fillId: result.fillId, fillPrice: fill.price, hedgeSide: hedgeSideFor(fill.side), attempts: result.attempts },
      // Stryker disable next-line OptionalChaining: equivalent: without limits the check finds no breach, and a failing check is only logged (catchCause below)
      settings.risk?.limits.maxHedgeSlippageBps
    )
    if (breach === undefined) return
    yield* haltPair(breach)
  }).pipe(
    // The fill is recorded already: a failed check must not replay it through the consume loop.
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logError(`risk.max_hedge_slippage_bps check of fill ${result.fillId} failed: ${Cause.pretty(cause).slice(0, 300)}`)
    )
  )
