// Process B's consumer: reads A's fills from the bus and hedges each on account B.
// On start it drains its own pending entries (fills it received before a crash), then claims
// entries dead consumers left behind, then reads new ones. A fill is acknowledged only together
// with its recorded result (and its identity, so a copy under another stream id is a duplicate).
// Entries B will not hedge — undecodable, another pair's, implausible — go to the dead-letter
// stream, alert and halt the pair; they never block the pipeline.
import { Cause, Effect, Fiber, Option, Schedule } from "effect"
import { evaluateRisk, hedgeSlippageBreach, initialRiskState, type RiskLimits } from "../domain/risk.ts"
import { initialReconcileState, reconcile } from "../domain/reconcile.ts"
import { computeExposure } from "../domain/exposure.ts"
import { beatFresh, beatToken, initialBeatWatch, observeBeat } from "../domain/freshness.ts"
import { type HedgerBeat, makerBeatOf } from "../domain/heartbeat.ts"
import { correctionClientIndex, hedgeClientIndex } from "../domain/client-index.ts"
import { hedgeSideFor } from "../domain/side.ts"
import { bookReferencePrice, effectiveMinBase, priceCap } from "../domain/hedge-plan.ts"
import { formatBase } from "../domain/market.ts"
import { VenueError } from "../venue/errors.ts"
import { pollFreeCollateral, Venue } from "../venue/Venue.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { watchClockSkew } from "../ops/clock-skew.ts"
import { monoMs, wallMs } from "../ops/time.ts"
import type { AccountEvent } from "../domain/events.ts"
import { FillEvent, type FillMessage, type HedgeResult, isResidualFlush, RESIDUAL_FILL_PREFIX, RESIDUAL_ORDER_INDEX } from "../domain/messages.ts"
import { type BusEntry, FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { AccountStream } from "../venue/AccountStream.ts"
import { hedgeFill, type HedgeSettings } from "./hedge-fill.ts"
import { haltPair } from "../safety/halt.ts"
import { priceRefusal, refuseFill } from "./fill-check.ts"
import { makeOrderWatcher, type OrderWatcher } from "./order-watcher.ts"
import { supervisorBackoff } from "../ops/schedules.ts"
import { type ForceCloseAction, forceCloseResponder, triggerForceClose } from "../safety/force-close.ts"
import { closingClientIndexB } from "../domain/closing.ts"
import { shutdownIncomplete } from "../ops/shutdown-report.ts"

export interface HedgerSettings extends HedgeSettings {
  /**
   * On a stop, how long the hedge in flight may take to settle before it is cut off (default
   * STOP_GRACE_MS). 0: cut off at once, as a crash would (tests that model one).
   */
  readonly stopGraceMs?: number
  /** The pair's name (config pair.name): fills of another pair are refused; residual flushes carry it. */
  readonly pair: string
  /** A's account index: fills that name another account are refused. */
  readonly aAccountIndex: number
  /** Largest fill B hedges, base units (hedge.max_fill_multiple × the quote size); larger ones are refused. */
  readonly maxFillBase: number
  readonly consumer: string
  readonly batch: number
  readonly blockMs: number
  /** Entries of other consumers idle longer than this are claimed. */
  readonly claimIdleMs: number
  /** How often to look for stale entries of dead consumers while running. */
  readonly claimEveryMs: number
  readonly heartbeatMs: number
  /**
   * B's clock against the venue's (risk.max_clock_skew_ms): beyond `maxSkewMs` an alert, and
   * another when it recovers. Absent or 0: not checked. everyMs / windowMs: see src/ops/clock-skew.ts.
   */
  readonly clockSkew?: { readonly maxSkewMs: number; readonly everyMs?: number; readonly windowMs?: number }
  /** Called after each fill is recorded (console view, metrics). */
  readonly onResult?: (result: HedgeResult) => Effect.Effect<void>
  readonly onAccountEvent?: (e: AccountEvent) => Effect.Effect<void>
  /** Called for each entry moved to the dead-letter stream. */
  readonly onPoison?: (reason: string) => Effect.Effect<void>
  /** Called for each entry acknowledged as a duplicate of a fill already hedged (or being hedged). */
  readonly onDuplicate?: () => Effect.Effect<void>
  /** Limits checked every `intervalMs`; a breach halts the pair (DESIGN I4). */
  readonly risk?: {
    readonly limits: RiskLimits
    readonly intervalMs: number
    readonly minBase: number
    /** A mismatch must last this long before it is repaired; 0 = no reconciliation. */
    readonly reconcileGraceMs?: number
    /** Largest automatic reduce-only correction on B, base units. */
    readonly maxCorrection?: number
    /** How often B reads its free collateral when limits.minFreeCollateralMicro is on (absent or 0: 5 s, for rate limits). */
    readonly freeCollateralEveryMs?: number
    /** What limits.forceCloseAfterMs does (risk.force_close_action): close both accounts (default) or only halt. */
    readonly forceCloseAction?: ForceCloseAction
  }
  /** How often B looks for a force-close request to answer (default FORCE_CLOSE_POLL_MS). */
  readonly forceClosePollMs?: number
}

/** Free collateral is read this rarely by default: a REST call, never on the hedge path. */
export const FREE_COLLATERAL_POLL_MS = 5_000

/**
 * A's heartbeat (written every second) counts as fresh while B saw it change within this long,
 * on B's monotonic clock: never A's stamp against B's clock (their hosts' clocks may differ).
 */
export const A_HEARTBEAT_FRESH_MS = 5_000

/**
 * An entry B will not hedge: the pair halts first (so a failure after it cannot leave the pair
 * trading on), then the entry goes to the dead-letter stream (acknowledged) and the alert fires.
 */
const refuseEntry = (entry: BusEntry, reason: string, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    yield* Effect.logError(`fill entry refused, moved to the dead-letter stream, never hedged: ${reason}`).pipe(
      Effect.annotateLogs({ entryId: entry.entryId, ...(entry._tag === "Fill" ? { fillId: entry.fill.fillId, fillSeq: entry.fill.fillSeq } : {}) })
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

/**
 * Whether B may hedge this entry's fill: "refuse" (not ours, implausible, or a client index that
 * is another intent's), "duplicate" (hedged already), or "hedge".
 */
const admit = (entry: BusEntry & { readonly _tag: "Fill" }, watcher: OrderWatcher, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const fill = entry.fill
    const refused = refuseFill(fill, {
      pair: settings.pair,
      market: settings.market,
      aAccountIndex: settings.aAccountIndex,
      bAccountIndex: venue.accountIndex,
      maxFillBase: settings.maxFillBase
    })
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

const handleEntry = (entry: BusEntry, watcher: OrderWatcher, settings: HedgerSettings, failuresInARow: Counters) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    if (entry._tag === "Poison") return yield* refuseEntry(entry, entry.reason, settings)
    const verdict = yield* admit(entry, watcher, settings)
    if (verdict._tag === "Refuse") return yield* refuseEntry(entry, verdict.reason, settings)
    if (verdict._tag === "Duplicate") return yield* acknowledgeDuplicate(entry.entryId, entry.fill.fillId, verdict.why, settings)
    const receivedAtMs = yield* wallMs
    const hedged = yield* hedgeFill(entry.fill, watcher, settings, receivedAtMs).pipe(
      Effect.map((r) => ({ _tag: "Result", result: r }) as const),
      Effect.catchTag("FillInFlight", (e) => Effect.succeed({ _tag: "InFlight", message: e.message } as const))
    )
    if (hedged._tag === "InFlight") return yield* acknowledgeDuplicate(entry.entryId, entry.fill.fillId, hedged.message, settings)
    const result = hedged.result
    yield* bus.completeFill(entry.entryId, result)
    // Acknowledged: the intent is history now (the result is in <prefix>:hedges). Off the hedge
    // path: the next fill need not wait for this round trip, and a lost one only leaves a record.
    yield* (yield* PairState).forgetIntent(result.fillId).pipe(
      Effect.catch((e) => Effect.logWarning(`could not forget intent ${result.fillId}: ${e.message}`)),
      Effect.forkDetach
    )
    // Sizes in market units for people; the integers stay in the annotations for machines.
    const units = (n: number) => `${formatBase(settings.market, Math.abs(n))} ${settings.market.symbol}`
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
      failuresInARow.n++
      yield* raiseAlert(
        "hedge-retries-exhausted",
        `fill ${result.fillId}: ${result.status} after ${result.attempts.length} attempt(s); ${formatBase(settings.market, Math.abs(result.residualSignedBase))} ${settings.market.symbol} ` +
          `returned to the residual pool (for B to ${result.residualSignedBase > 0 ? "buy" : "sell"})`
      )
      // What went back to the pool must not wait for a fill that may never come.
      failuresInARow.flushDueMonoMs ??= (yield* monoMs) + (failuresInARow.flushBackoffMs ?? FLUSH_FIRST_MS)
      // Checked here, not only by the periodic monitor: a success right after (a residual flush)
      // resets the count before a sampling monitor would see it.
      const limit = settings.risk?.limits.maxConsecutiveFailures ?? 0
      if (limit > 0 && failuresInARow.n >= limit) {
        yield* haltPair(`${failuresInARow.n} hedges in a row failed (risk.max_consecutive_failures ${limit})`)
      }
    } else if (result.status === "hedged") {
      failuresInARow.n = 0
      if (isResidualFlush(result)) failuresInARow.flushBackoffMs = FLUSH_FIRST_MS
    }
    yield* checkSlippage(entry.fill, result, settings)
    if (settings.onResult !== undefined) yield* settings.onResult(result)
  })

/** A completed hedge that executed worse than risk.max_hedge_slippage_bps halts the pair at once. */
const checkSlippage = (fill: FillMessage, result: HedgeResult, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const breach = hedgeSlippageBreach(
      { market: settings.market, fillId: result.fillId, fillPrice: fill.price, hedgeSide: hedgeSideFor(fill.side), attempts: result.attempts },
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

/**
 * One hedger's loop state, shared with its risk monitor: hedges in a row that ended failed or
 * partial, and when to look at the residual pool next.
 */
interface Counters {
  n: number
  /**
   * When to look at the residual pool next, on the monotonic clock (a wall clock set back would
   * hold the flush off for as long; undefined: no failed hedge since the last look).
   */
  flushDueMonoMs?: number | undefined
  flushBackoffMs?: number
}

const FLUSH_FIRST_MS = 1000
const FLUSH_MAX_MS = 30_000

/**
 * A failed or partial hedge returns its remainder to the residual pool, where the next fill of A
 * picks it up — but when none comes (A stopped, halted, or quiet) it would stay unhedged. So after
 * such a result B looks at the pool (with backoff) and, when it can be sent, puts a residual flush
 * on the fill stream: it is then hedged with the stream's crash safety, in order with the fills.
 */
const maybeFlushResidual = (settings: HedgerSettings, c: Counters) =>
  Effect.gen(function*() {
    const nowMono = yield* monoMs
    if (c.flushDueMonoMs === undefined || nowMono < c.flushDueMonoMs) return
    const state = yield* PairState
    const bus = yield* FillBus
    const venue = yield* Venue
    const backoff = c.flushBackoffMs ?? FLUSH_FIRST_MS
    c.flushDueMonoMs = nowMono + backoff
    c.flushBackoffMs = Math.min(backoff * 2, FLUSH_MAX_MS)
    const pool = yield* state.residualPool()
    if (pool === 0) {
      c.flushDueMonoMs = undefined
      return
    }
    const book = yield* venue.orderBook(settings.market.marketId, 1)
    const ref = pool > 0 ? book.asks[0]?.price : book.bids[0]?.price
    if (ref === undefined) return
    if (Math.abs(pool) < effectiveMinBase(settings.market, ref)) {
      // Below the minimum: it waits for a fill in its direction (poolDecision).
      c.flushDueMonoMs = undefined
      return
    }
    const now = yield* wallMs // records only
    const size = Math.abs(pool)
    const published = yield* bus.publishResidualFlush(new FillEvent({
      fillId: RESIDUAL_FILL_PREFIX,
      pair: settings.pair,
      accountIndex: venue.accountIndex,
      marketId: settings.market.marketId,
      // The A side whose hedge is the pool's direction: B buys (pool > 0) to hedge an A sell.
      side: pool > 0 ? "sell" : "buy",
      orderIndex: RESIDUAL_ORDER_INDEX,
      clientOrderIndex: 0,
      filledBefore: 0,
      filledAfter: size,
      size,
      price: ref,
      venueTimestampMs: now,
      detectedAtMs: now
    }))
    c.flushDueMonoMs = undefined
    yield* Effect.logWarning(
      `residual pool ${formatBase(settings.market, Math.abs(pool))} ${settings.market.symbol} is at or above the venue minimum: hedging it now (residual:${published.fillSeq})`
    )
  }).pipe(Effect.catch((e) => Effect.logWarning(`residual pool check failed, will retry: ${e.message}`)))

/** Checks the risk limits periodically; a breach moves an ACTIVE pair to HALTED and alerts. */
const riskMonitor = (
  watcher: OrderWatcher,
  settings: HedgerSettings,
  risk: NonNullable<HedgerSettings["risk"]>,
  failuresInARow: Counters,
  bFreeCollateral: () => number | undefined
) =>
  Effect.gen(function*() {
    const state = yield* PairState
    let rs = initialRiskState
    let recon = initialReconcileState
    // A's heartbeat as B saw it change, on B's monotonic clock (src/domain/freshness.ts).
    let beatA = initialBeatWatch
    // Reconciliation corrections take their client index from the wall clock's second; never one
    // already used in this run, whatever that clock does.
    let lastCorrectionMs = -Infinity
    for (;;) {
      yield* Effect.sleep(risk.intervalMs)
      const trading = yield* state.tradingState()
      const lookMs = yield* monoMs
      const hbA = yield* state.lastHeartbeat("a")
      beatA = observeBeat(beatA, hbA._tag === "Some" ? beatToken(hbA.value) : undefined, lookMs)
      // Every duration and age below is on B's monotonic clock: a wall clock stepped back (or
      // A's host's clock an hour off) neither freezes the rules nor turns them off.
      const nowMs = yield* monoMs
      const hbFresh = hbA._tag === "Some" && beatFresh(beatA, nowMs, A_HEARTBEAT_FRESH_MS)
      // A's figures only from a fresh beat that decodes as A's (src/domain/heartbeat.ts).
      const aBeat = hbFresh ? makerBeatOf(hbA.value.status) : undefined
      // B's position may be unknown (no snapshot yet): the rules that need it wait, the others do not.
      const bPosition = watcher.position(settings.market.marketId)
      const r = evaluateRisk(rs, {
        market: settings.market,
        nowMs,
        aPosition: aBeat?.position,
        bPosition,
        minBase: risk.minBase,
        consecutiveFailures: failuresInARow.n,
        // A publishes its free collateral only while its own reading is recent.
        aFreeCollateralMicro: aBeat?.freeCollateralMicro,
        bFreeCollateralMicro: bFreeCollateral()
      }, risk.limits)
      rs = r.state
      // While a force close runs, A and B close their own accounts: no correction, no new request.
      const forceClosing = Option.isSome(yield* state.forceClose())
      if (r.forceClose !== undefined && !forceClosing) {
        yield* triggerForceClose(r.forceClose, risk.forceCloseAction ?? "flatten", settings.market)
        continue
      }
      if (!forceClosing && aBeat !== undefined && bPosition !== undefined && (risk.reconcileGraceMs ?? 0) > 0) {
        const pool = yield* state.residualPool()
        const open = yield* state.openIntents()
        const x = computeExposure({ aPosition: aBeat.position, bPosition, openIntents: open, residualPool: pool })
        const rc = reconcile(recon, {
          nowMs,
          // A measured its position after B's last look that still saw A's previous beat.
          aObservedAtMs: beatA.writtenAfterMs,
          aPosition: x.aPosition,
          bPosition: x.bPosition,
          inFlightSigned: x.inFlightSigned,
          residualPool: x.residualPool,
          minBase: risk.minBase,
          graceMs: risk.reconcileGraceMs ?? 0,
          maxCorrection: risk.maxCorrection ?? 0
        })
        recon = rc.state
        if (rc.action._tag === "Correct") {
          const venue = yield* Venue
          const fix = rc.action
          yield* raiseAlert(
            "reconciliation-mismatch",
            `B is over-hedged by ${formatBase(settings.market, -fix.mismatch)} ${settings.market.symbol}: correcting with a reduce-only ${fix.side} of ` +
              `${formatBase(settings.market, fix.base)} ${settings.market.symbol}`
          )
          const book = yield* venue.orderBook(settings.market.marketId, 1)
          const ref = fix.side === "buy" ? book.asks[0]?.price : book.bids[0]?.price
          if (ref !== undefined) {
            lastCorrectionMs = Math.max(lastCorrectionMs + 1000, yield* wallMs)
            yield* venue.placeMarket({
              marketId: settings.market.marketId,
              side: fix.side,
              base: fix.base,
              priceCap: priceCap(fix.side, ref, settings.slippageBps),
              clientOrderIndex: correctionClientIndex(settings.clientIndexTag, lastCorrectionMs),
              reduceOnly: true
            }).pipe(Effect.catch((e) => raiseAlert("reconciliation-mismatch", `correction not sent: ${e.message}`)))
          }
        } else if (rc.action._tag === "Halt" && trading === "ACTIVE") {
          yield* haltPair(`reconciliation: ${rc.action.reason}`)
          continue
        }
      }
      if (r.breaches.length > 0 && trading === "ACTIVE") yield* haltPair(r.breaches.join("; "))
    }
  }).pipe(
    Effect.catch((e) => Effect.logWarning(`risk check failed: ${e.message}`)),
    Effect.forever
  )

/** Hedges every entry of a batch in order (fills of one pair are hedged one at a time). */
/** On a stop (SIGINT/SIGTERM), the entry B is hedging gets this long to settle before it is cut off. */
export const STOP_GRACE_MS = 10_000

/**
 * Handles one entry so that a stop lets it finish: the hedge runs in a fiber of its own, which a
 * stop does not interrupt; the stop waits for it up to STOP_GRACE_MS, then interrupts it and
 * reports the shutdown as incomplete (exit code 1, src/runtime/exit.ts). Next entries are not
 * started once a stop has come.
 */
const settleBeforeStop = <A, E, R>(e: BusEntry, work: Effect.Effect<A, E, R>, graceMs: number) =>
  graceMs <= 0 ? work.pipe(Effect.onInterrupt(() => reportCutOff(e, 0))) : Effect.gen(function*() {
    const fiber = yield* Effect.forkDetach(work)
    return yield* Fiber.join(fiber).pipe(
      Effect.onInterrupt(() =>
        Effect.gen(function*() {
          const settled = yield* Fiber.await(fiber).pipe(Effect.timeoutOption(graceMs))
          if (Option.isSome(settled)) return
          yield* Fiber.interrupt(fiber)
          yield* reportCutOff(e, graceMs)
        })
      )
    )
  })

const reportCutOff = (e: BusEntry, waitedMs: number) =>
  e._tag === "Fill"
    ? shutdownIncomplete(
      `B's hedge of fill ${e.fill.fillId} (seq ${e.fill.fillSeq}) was interrupted before it settled` +
        `${waitedMs > 0 ? ` (waited ${waitedMs / 1000} s)` : ""}; B resumes it from its intent on its next start`
    )
    : Effect.void

const handleAll = (entries: ReadonlyArray<BusEntry>, watcher: OrderWatcher, settings: HedgerSettings, c: Counters) =>
  Effect.forEach(entries, (e) => settleBeforeStop(e, handleEntry(e, watcher, settings, c), settings.stopGraceMs ?? STOP_GRACE_MS), { discard: true })

/** Drains this consumer's pending entries, then stale entries of dead consumers. */
const recover = (watcher: OrderWatcher, settings: HedgerSettings, c: Counters) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    for (;;) {
      const own = yield* bus.readOwnPending(settings.consumer, settings.batch)
      if (own.length === 0) break
      yield* Effect.logInfo(`resuming ${own.length} fill(s) received before a restart`)
      yield* handleAll(own, watcher, settings, c)
    }
    for (;;) {
      const claimed = yield* bus.claimStale(settings.consumer, settings.claimIdleMs, settings.batch)
      if (claimed.length === 0) break
      yield* Effect.logWarning(`claimed ${claimed.length} fill(s) left by a dead consumer`)
      yield* handleAll(claimed, watcher, settings, c)
    }
  })

const consumeLoop = (watcher: OrderWatcher, settings: HedgerSettings, c: Counters) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    yield* recover(watcher, settings, c)
    // On the monotonic clock: a wall clock set back would stop the claims for as long.
    let lastClaim = yield* monoMs
    for (;;) {
      const entries = yield* bus.readNew({ consumer: settings.consumer, count: settings.batch, blockMs: settings.blockMs })
      yield* handleAll(entries, watcher, settings, c)
      yield* maybeFlushResidual(settings, c)
      const now = yield* monoMs
      if (now - lastClaim >= settings.claimEveryMs) {
        lastClaim = now
        yield* recover(watcher, settings, c)
      }
    }
  })


/** Runs B until interrupted. */
export const runHedger = (settings: HedgerSettings) =>
  Effect.gen(function*() {
    const stream = yield* AccountStream
    const state = yield* PairState
    const watcher = yield* makeOrderWatcher(stream.events, settings.onAccountEvent)
    // Every fill's price is checked against the book: subscribe to it now, not on the first fill.
    yield* (yield* Venue).orderBook(settings.market.marketId, 1).pipe(Effect.ignore, Effect.forkScoped)
    // Suspended: the status is read at every beat (streamConnected is live, not the value at start).
    // `beat` counts up: A judges B alive by seeing it change, not by B's clock (src/domain/freshness.ts).
    let beats = 0
    yield* Effect.suspend(() =>
      state.heartbeat("b", { consumer: settings.consumer, streamConnected: watcher.connected(), beat: ++beats } satisfies HedgerBeat, settings.heartbeatMs * 3)
    )
      .pipe(
        Effect.catch((e) => Effect.logWarning(`heartbeat failed: ${e.message}`)),
        Effect.repeat(Schedule.spaced(settings.heartbeatMs)),
        Effect.forkScoped
      )
    const previous = yield* state.lastHeartbeat("b").pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(previous)) {
      // By this host's wall clock, as B's last beat was stamped (a message, not a rule).
      yield* raiseAlert("process-restart", `hedger ${settings.consumer} restarted (B was alive ${(yield* wallMs) - previous.value.atMs} ms ago)`)
    }
    if (settings.clockSkew !== undefined && settings.clockSkew.maxSkewMs > 0) {
      yield* watchClockSkew({ ...settings.clockSkew, marketId: settings.market.marketId, who: `B (hedger ${settings.consumer})` }).pipe(Effect.forkScoped)
    }
    // A pool left by hedges that failed before a restart is looked at once on start.
    const counters: Counters = { n: 0, flushDueMonoMs: yield* monoMs }
    if (settings.risk !== undefined) {
      // B's own collateral is read only when the limit is on (rate limits); A reads its own.
      const collateral = (settings.risk.limits.minFreeCollateralMicro ?? 0) > 0
        ? yield* pollFreeCollateral(settings.risk.freeCollateralEveryMs || FREE_COLLATERAL_POLL_MS)
        : undefined
      yield* riskMonitor(watcher, settings, settings.risk, counters, () => collateral?.current()).pipe(Effect.forkScoped)
    }
    // B closes its own account when a force close asks (strategy.force_close_timeout), even one
    // requested before this start.
    yield* forceCloseResponder({
      role: "b",
      market: settings.market,
      closingIndex: (startedAtMs, n) => closingClientIndexB(settings.clientIndexTag, startedAtMs, n),
      ...(settings.forceClosePollMs !== undefined ? { pollMs: settings.forceClosePollMs } : {})
    }).pipe(Effect.forkScoped)
    yield* Effect.logInfo(`hedger ${settings.consumer} started`)
    return yield* consumeLoop(watcher, settings, counters).pipe(
      Effect.tapError((e) => Effect.logError(`hedger loop failed, restarting: ${e.message}`)),
      Effect.retry(supervisorBackoff),
      Effect.forever
    )
  })
