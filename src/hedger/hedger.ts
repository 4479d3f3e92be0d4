// Process B's consumer: reads A's fills from the bus and hedges each on account B.
// On start it drains its own pending entries (fills it received before a crash), then claims
// entries dead consumers left behind, then reads new ones. A fill is acknowledged only together
// with its recorded result. Undecodable entries go to the dead-letter stream and never block.
import { Cause, Effect, Option, Schedule } from "effect"
import { evaluateRisk, hedgeSlippageBreach, initialRiskState, type RiskLimits } from "../domain/risk.ts"
import { initialReconcileState, reconcile } from "../domain/reconcile.ts"
import { computeExposure } from "../domain/exposure.ts"
import { correctionClientIndex } from "../domain/client-index.ts"
import { hedgeSideFor } from "../domain/side.ts"
import { effectiveMinBase, priceCap } from "../domain/hedge-plan.ts"
import { pollFreeCollateral, Venue } from "../venue/Venue.ts"
import { raiseAlert } from "../ops/alerts.ts"
import type { AccountEvent } from "../domain/events.ts"
import { FillEvent, type FillMessage, type HedgeResult, isResidualFlush, RESIDUAL_FILL_PREFIX, RESIDUAL_ORDER_INDEX } from "../domain/messages.ts"
import { type BusEntry, FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { AccountStream } from "../venue/AccountStream.ts"
import { hedgeFill, type HedgeSettings } from "./hedge-fill.ts"
import { makeOrderWatcher, type OrderWatcher } from "./order-watcher.ts"
import { supervisorBackoff } from "../runtime/schedules.ts"

export interface HedgerSettings extends HedgeSettings {
  /** The pair's name, carried by residual flushes (default "pair"). */
  readonly pair?: string
  readonly consumer: string
  readonly batch: number
  readonly blockMs: number
  /** Entries of other consumers idle longer than this are claimed. */
  readonly claimIdleMs: number
  /** How often to look for stale entries of dead consumers while running. */
  readonly claimEveryMs: number
  readonly heartbeatMs: number
  /** Called after each fill is recorded (console view, metrics). */
  readonly onResult?: (result: HedgeResult) => Effect.Effect<void>
  readonly onAccountEvent?: (e: AccountEvent) => Effect.Effect<void>
  /** Called for each entry moved to the dead-letter stream. */
  readonly onPoison?: (reason: string) => Effect.Effect<void>
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
  }
}

/** Free collateral is read this rarely by default: a REST call, never on the hedge path. */
export const FREE_COLLATERAL_POLL_MS = 5_000

const handleEntry = (entry: BusEntry, watcher: OrderWatcher, settings: HedgerSettings, failuresInARow: Counters) =>
  Effect.gen(function*() {
    const bus = yield* FillBus
    if (entry._tag === "Poison") {
      yield* Effect.logError(`poison fill message moved to dead-letter: ${entry.reason}`).pipe(
        Effect.annotateLogs({ entryId: entry.entryId })
      )
      yield* bus.deadLetter(entry.entryId, entry.raw, entry.reason)
      yield* raiseAlert("poison-message", `fill entry ${entry.entryId} moved to the dead-letter stream: ${entry.reason.slice(0, 300)}`)
      if (settings.onPoison !== undefined) yield* settings.onPoison(entry.reason)
      return
    }
    const receivedAtMs = Date.now()
    const result = yield* hedgeFill(entry.fill, watcher, settings, receivedAtMs)
    yield* bus.completeFill(entry.entryId, result)
    // Acknowledged: the intent is history now (the result is in <prefix>:hedges). Off the hedge
    // path: the next fill need not wait for this round trip, and a lost one only leaves a record.
    yield* (yield* PairState).forgetIntent(result.fillId).pipe(
      Effect.catch((e) => Effect.logWarning(`could not forget intent ${result.fillId}: ${e.message}`)),
      Effect.forkDetach
    )
    yield* Effect.logInfo(
      `hedged fill ${result.fillId}: A ${result.aSide} ${result.fillSize} -> B ${result.hedgedSignedBase} (${result.status})`
    ).pipe(Effect.annotateLogs({ fillSeq: result.fillSeq, latencyMs: result.doneAtMs - result.fillDetectedAtMs }))
    if (result.status === "failed" || result.status === "partial") {
      failuresInARow.n++
      yield* raiseAlert(
        "hedge-retries-exhausted",
        `fill ${result.fillId}: ${result.status} after ${result.attempts.length} attempt(s); ${result.residualSignedBase} base units returned to the residual pool`
      )
      // What went back to the pool must not wait for a fill that may never come.
      failuresInARow.flushDueAtMs ??= Date.now() + (failuresInARow.flushBackoffMs ?? FLUSH_FIRST_MS)
      // Checked here, not only by the periodic monitor: a success right after (a residual flush)
      // resets the count before a sampling monitor would see it.
      const limit = settings.risk?.limits.maxConsecutiveFailures ?? 0
      if (limit > 0 && failuresInARow.n >= limit) {
        yield* haltIfActive(`${failuresInARow.n} hedges in a row failed (risk.max_consecutive_failures ${limit})`)
      }
    } else if (result.status === "hedged") {
      failuresInARow.n = 0
      if (isResidualFlush(result)) failuresInARow.flushBackoffMs = FLUSH_FIRST_MS
    }
    yield* checkSlippage(entry.fill, result, settings)
    if (settings.onResult !== undefined) yield* settings.onResult(result)
  })

/** Moves an ACTIVE pair to HALTED with `reason` and alerts (a pair already stopped only logs it). */
const haltIfActive = (reason: string) =>
  Effect.gen(function*() {
    const state = yield* PairState
    if ((yield* state.tradingState()) !== "ACTIVE") return yield* Effect.logWarning(`risk breach while not ACTIVE: ${reason}`)
    yield* state.setTradingState("HALTED", reason)
    yield* raiseAlert("halted", `pair HALTED: ${reason}. A stops quoting; B keeps hedging what is pending. After fixing the cause: bin/hedge resume`)
  })

/** A completed hedge that executed worse than risk.max_hedge_slippage_bps halts the pair at once. */
const checkSlippage = (fill: FillMessage, result: HedgeResult, settings: HedgerSettings) =>
  Effect.gen(function*() {
    const breach = hedgeSlippageBreach(
      { fillId: result.fillId, fillPrice: fill.price, hedgeSide: hedgeSideFor(fill.side), attempts: result.attempts },
      settings.risk?.limits.maxHedgeSlippageBps
    )
    if (breach === undefined) return
    yield* haltIfActive(breach)
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
  /** When to look at the residual pool next (undefined: no failed hedge since the last look). */
  flushDueAtMs?: number | undefined
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
    if (c.flushDueAtMs === undefined || Date.now() < c.flushDueAtMs) return
    const state = yield* PairState
    const bus = yield* FillBus
    const venue = yield* Venue
    const backoff = c.flushBackoffMs ?? FLUSH_FIRST_MS
    c.flushDueAtMs = Date.now() + backoff
    c.flushBackoffMs = Math.min(backoff * 2, FLUSH_MAX_MS)
    const pool = yield* state.residualPool()
    if (pool === 0) {
      c.flushDueAtMs = undefined
      return
    }
    const book = yield* venue.orderBook(settings.market.marketId, 1)
    const ref = pool > 0 ? book.asks[0]?.price : book.bids[0]?.price
    if (ref === undefined) return
    if (Math.abs(pool) < effectiveMinBase(settings.market, ref)) {
      // Below the minimum: it waits for a fill in its direction (poolDecision).
      c.flushDueAtMs = undefined
      return
    }
    const now = Date.now()
    const size = Math.abs(pool)
    const published = yield* bus.publishResidualFlush(new FillEvent({
      fillId: RESIDUAL_FILL_PREFIX,
      pair: settings.pair ?? "pair",
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
    c.flushDueAtMs = undefined
    yield* Effect.logWarning(`residual pool ${pool} is at or above the venue minimum: hedging it now (residual:${published.fillSeq})`)
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
    for (;;) {
      yield* Effect.sleep(risk.intervalMs)
      const trading = yield* state.tradingState()
      const hbA = yield* state.lastHeartbeat("a")
      const hbFresh = hbA._tag === "Some" && Date.now() - hbA.value.atMs < 5000
      const aFresh = hbFresh && typeof hbA.value.status["position"] === "number"
      // A publishes its free collateral only while its own reading is recent.
      const aFree = hbFresh ? hbA.value.status["freeCollateralMicro"] : undefined
      // B's position may be unknown (no snapshot yet): the rules that need it wait, the others do not.
      const bPosition = watcher.position(settings.market.marketId)
      const r = evaluateRisk(rs, {
        nowMs: Date.now(),
        aPosition: aFresh ? (hbA.value.status["position"] as number) : undefined,
        bPosition,
        minBase: risk.minBase,
        consecutiveFailures: failuresInARow.n,
        aFreeCollateralMicro: typeof aFree === "number" && Number.isSafeInteger(aFree) ? aFree : undefined,
        bFreeCollateralMicro: bFreeCollateral()
      }, risk.limits)
      rs = r.state
      if (aFresh && bPosition !== undefined && (risk.reconcileGraceMs ?? 0) > 0) {
        const pool = yield* state.residualPool()
        const open = yield* state.openIntents()
        const x = computeExposure({ aPosition: hbA.value.status["position"] as number, bPosition, openIntents: open, residualPool: pool })
        const rc = reconcile(recon, {
          nowMs: Date.now(),
          aObservedAtMs: hbA.value.atMs,
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
          yield* raiseAlert("reconciliation-mismatch", `B is over-hedged by ${-fix.mismatch}: correcting with a reduce-only ${fix.side} of ${fix.base}`)
          const book = yield* venue.orderBook(settings.market.marketId, 1)
          const ref = fix.side === "buy" ? book.asks[0]?.price : book.bids[0]?.price
          if (ref !== undefined) {
            yield* venue.placeMarket({
              marketId: settings.market.marketId,
              side: fix.side,
              base: fix.base,
              priceCap: priceCap(fix.side, ref, settings.slippageBps),
              clientOrderIndex: correctionClientIndex(settings.clientIndexTag, Date.now()),
              reduceOnly: true
            }).pipe(Effect.catch((e) => raiseAlert("reconciliation-mismatch", `correction not sent: ${e.message}`)))
          }
        } else if (rc.action._tag === "Halt" && trading === "ACTIVE") {
          yield* state.setTradingState("HALTED", `reconciliation: ${rc.action.reason}`)
          yield* raiseAlert("halted", `pair HALTED by reconciliation: ${rc.action.reason}`)
          continue
        }
      }
      if (r.breaches.length > 0 && trading === "ACTIVE") {
        const reason = r.breaches.join("; ")
        yield* state.setTradingState("HALTED", reason)
        yield* raiseAlert("halted", `pair HALTED: ${reason}. A stops quoting; B keeps hedging what is pending. After fixing the cause: bin/hedge resume`)
      }
    }
  }).pipe(
    Effect.catch((e) => Effect.logWarning(`risk check failed: ${e.message}`)),
    Effect.forever
  )

/** Hedges every entry of a batch in order (fills of one pair are hedged one at a time). */
const handleAll = (entries: ReadonlyArray<BusEntry>, watcher: OrderWatcher, settings: HedgerSettings, c: Counters) =>
  Effect.forEach(entries, (e) => handleEntry(e, watcher, settings, c), { discard: true })

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
    let lastClaim = Date.now()
    for (;;) {
      const entries = yield* bus.readNew({ consumer: settings.consumer, count: settings.batch, blockMs: settings.blockMs })
      yield* handleAll(entries, watcher, settings, c)
      yield* maybeFlushResidual(settings, c)
      if (Date.now() - lastClaim >= settings.claimEveryMs) {
        lastClaim = Date.now()
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
    yield* state
      .heartbeat("b", { consumer: settings.consumer, streamConnected: watcher.connected() }, settings.heartbeatMs * 3)
      .pipe(
        Effect.catch((e) => Effect.logWarning(`heartbeat failed: ${e.message}`)),
        Effect.repeat(Schedule.spaced(settings.heartbeatMs)),
        Effect.forkScoped
      )
    const previous = yield* state.lastHeartbeat("b").pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(previous)) yield* raiseAlert("process-restart", `hedger ${settings.consumer} restarted (B was alive ${Date.now() - previous.value.atMs} ms ago)`)
    // A pool left by hedges that failed before a restart is looked at once on start.
    const counters: Counters = { n: 0, flushDueAtMs: Date.now() }
    if (settings.risk !== undefined) {
      // B's own collateral is read only when the limit is on (rate limits); A reads its own.
      const collateral = (settings.risk.limits.minFreeCollateralMicro ?? 0) > 0
        ? yield* pollFreeCollateral(settings.risk.freeCollateralEveryMs || FREE_COLLATERAL_POLL_MS)
        : undefined
      yield* riskMonitor(watcher, settings, settings.risk, counters, () => collateral?.current()).pipe(Effect.forkScoped)
    }
    yield* Effect.logInfo(`hedger ${settings.consumer} started`)
    return yield* consumeLoop(watcher, settings, counters).pipe(
      Effect.tapError((e) => Effect.logError(`hedger loop failed, restarting: ${e.message}`)),
      Effect.retry(supervisorBackoff),
      Effect.forever
    )
  })
