// Process A: quotes post-only orders on account A (open long, then close long, in a loop) and
// publishes every fill to the bus before it is considered handled.
//
// Two fibers share one small state:
// - the event fiber turns A's account stream into fills (FillTracker: cumulative amounts → deltas,
//   deduplicated) and appends each to the bus, retrying until it is stored (I3); it also tracks
//   the resting quote's state and A's position as the venue reports them;
// - the quote fiber decides, every poll interval, whether to place, cancel (requote) or wait.
import { Effect, Option, Ref, Schedule, Stream } from "effect"
import type { AccountEvent, OrderUpdate } from "../domain/events.ts"
import { isOrderTerminal } from "../domain/events.ts"
import { quoteClientIndex } from "../domain/client-index.ts"
import { closingClientIndexA, isClosingClientIndex } from "../domain/closing.ts"
import { forceCloseResponder } from "../safety/force-close.ts"
import { haltPair } from "../safety/halt.ts"
import { FillTracker } from "../domain/fills.ts"
import { beatFresh, beatToken, initialBeatWatch, observeBeat } from "../domain/freshness.ts"
import type { MakerBeat } from "../domain/heartbeat.ts"
import { applyFill, decideMakerAction, type MakerConfig, type MakerState, type PriceNeed, priceNeed, syncPosition } from "../domain/maker-cycle.ts"
import {
  type BookOrders, crossesBook, type DepthPrice, type DepthUnit, describeShort, ordersLimitFor, ordersRefreshDue, ordinal,
  priceAtLevelDepth, priceAtOrderDepth, shortKey
} from "../domain/book-depth.ts"
import { effectiveQuoteTxCap, type QuoteTxLog, quoteTxRoom, recordQuoteTx, slotsFor } from "../domain/quote-pacing.ts"
import type { OrderBookTop } from "../domain/events.ts"
import { conflictingHedge } from "../domain/hedge-plan.ts"
import { formatBase, formatPrice, type MarketSpec } from "../domain/market.ts"
import type { FillEvent } from "../domain/messages.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { AccountStream } from "../venue/AccountStream.ts"
import { isSignatureRefusal, VenueError } from "../venue/errors.ts"
import { pollFreeCollateral, Venue } from "../venue/Venue.ts"
import { supervisorBackoff } from "../ops/schedules.ts"
import { shutdownIncomplete } from "../ops/shutdown-report.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { watchClockSkew } from "../ops/clock-skew.ts"
import { clocks } from "../ops/time.ts"

export interface MakerSettings {
  readonly pair: string
  readonly market: MarketSpec
  readonly cycle: MakerConfig
  readonly pollIntervalMs: number
  /**
   * What market.depth counts (maker.depth_unit): "orders", the individual resting orders of the
   * venue's order list (orderBookOrders), as the previous system did; or "levels", the price
   * levels of the live book. Default "orders".
   */
  readonly depthUnit?: DepthUnit
  /**
   * With depthUnit "orders": the order list (a REST read) is read at most this often, and only
   * when a decision needs a price (maker.book_orders_refresh_ms). Default 5000.
   */
  readonly bookOrdersRefreshMs?: number
  /**
   * A's own cap on its quote transactions (places and cancels) in any minute; a re-quote needs
   * room for its cancel and the replacement (src/domain/quote-pacing.ts). 0 or absent: no cap.
   */
  readonly quoteTxPerMinute?: number
  /**
   * The tx budget A shares with B (budget.*): A's cap is kept within what it leaves quotes
   * (tx_per_minute − hedge_reserve), src/domain/quote-pacing.ts effectiveQuoteTxCap.
   */
  readonly sharedTxBudget?: { readonly txPerMinute: number; readonly hedgeReserve: number }
  readonly cancelOnExit: boolean
  /** Cancel A's open orders in this market found at start (orphans of an earlier run). */
  readonly cancelOrphansOnStart: boolean
  /**
   * Stop quoting when A has not seen B's heartbeat change for this long, on A's monotonic clock
   * (never B's stamp against A's clock: their hosts' clocks may differ). 0 = don't check.
   */
  readonly requireHedgerHeartbeatMs: number
  readonly heartbeatMs: number
  readonly orderRetries: number
  /**
   * Read A's free collateral this often and publish it in A's heartbeat for B's risk monitor
   * (risk.min_free_collateral); absent or 0 = not read. Never on the quote path.
   */
  readonly freeCollateralEveryMs?: number
  /**
   * A's txs refused this many times in a row for their key, signature or expiry (21109, 21120,
   * 21711) halt the pair: A cannot trade until someone fixes the key or the clock. Absent or 0: never.
   */
  readonly haltAfterSignatureRefusals?: number
  /**
   * A's clock against the venue's (risk.max_clock_skew_ms): beyond `maxSkewMs` an alert, and
   * another when it recovers. Absent or 0: not checked. everyMs / windowMs: see src/ops/clock-skew.ts.
   */
  readonly clockSkew?: { readonly maxSkewMs: number; readonly everyMs?: number; readonly windowMs?: number }
  /** Called after each fill is stored (console view, metrics). */
  readonly onFill?: (fill: FillEvent, fillSeq: number) => Effect.Effect<void>
  readonly onAccountEvent?: (e: AccountEvent) => Effect.Effect<void>
  /** The pair's epoch as A's process trusts it, and its mirror file (src/runtime/epoch-guard.ts). */
  readonly epoch?: MakerEpochHooks
  /**
   * How long a quote whose send had an unknown outcome is looked up at the venue (by its client
   * index) before A concludes the venue never got it. Default 5 s.
   */
  readonly resolveQuoteMs?: number
  /** How often A looks for a force-close request to answer (default FORCE_CLOSE_POLL_MS). */
  readonly forceClosePollMs?: number
}

export interface MakerEpochHooks {
  /** The epoch A trades in: a quote sequence number is granted only while Redis holds it. */
  readonly epochId: () => string | undefined
  /** Each quote sequence number granted, before the quote is sent (it may write a file). */
  readonly onQuoteSeq: (seq: number) => Effect.Effect<void>
  /** Each fill stored on the bus, with its sequence number. */
  readonly onPublished: (fill: FillEvent, fillSeq: number) => Effect.Effect<void>
}

/** maker.book_orders_refresh_ms's default: 12 order-list reads a minute at most, of the 60 REST requests a Standard account has. */
export const DEFAULT_BOOK_ORDERS_REFRESH_MS = 5_000

/** A quote still "sending" or "cancelling" this long after it was sent is resolved against the venue. */
const STUCK_QUOTE_MS = 10_000

const placeRetry = (times: number) =>
  Schedule.exponential("100 millis").pipe(
    Schedule.jittered,
    Schedule.upTo({ times }),
    Schedule.setInputType<VenueError>(),
    Schedule.while(({ input }) => input.retryable)
  )

/** Applies a venue order update to the quote we track (matched by client index). */
const trackQuote = (state: MakerState, u: OrderUpdate): MakerState => {
  const q = state.quote
  if (q === undefined || q.clientOrderIndex !== u.clientOrderIndex) return state
  if (isOrderTerminal(u.status)) return { ...state, quote: undefined }
  return { ...state, quote: { ...q, orderIndex: u.orderIndex, state: q.state === "cancelling" ? "cancelling" : "resting" } }
}

export const runMaker = (settings: MakerSettings) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const stream = yield* AccountStream
    const bus = yield* FillBus
    const pairState = yield* PairState
    const marketId = settings.market.marketId
    /** "0.00020 BTC @ 99999.1": sizes and prices in log lines in market units. */
    const amount = (base: number, price: number) => `${formatBase(settings.market, base)} ${settings.market.symbol} @ ${formatPrice(settings.market, price)}`
    if ((settings.depthUnit ?? "orders") === "orders" && venue.orderBookOrders === undefined) {
      return yield* new VenueError({
        op: "orderBookOrders",
        kind: "rejected",
        message: "this venue cannot list individual orders, which market.depth counts with maker.depth_unit: orders; set maker.depth_unit: levels"
      })
    }
    // Wall time only for records (a fill's detectedAtMs); every age, timeout and freshness below
    // (quote ages, the closing phase, stuck quotes, B's heartbeat) is on the monotonic clock.
    const clock = yield* clocks

    const published = yield* bus.publishedLevels()
    const tracker = new FillTracker({ pair: settings.pair, accountIndex: venue.accountIndex, published })
    const startPosition = yield* venue.position(marketId).pipe(Effect.retry(placeRetry(settings.orderRetries)))
    // A restart with a long position resumes in the closing phase: close what is open first.
    const state = yield* Ref.make<MakerState>({
      position: startPosition.signedBase,
      cycles: 0,
      closingSinceMs: startPosition.signedBase > 0 ? clock.monoMs() : undefined
    })
    let fills = 0

    if (settings.cancelOrphansOnStart) {
      const open = yield* venue.openOrders(marketId)
      for (const o of open) {
        yield* Effect.logWarning(`cancelling orphan quote from an earlier run: ${o.side} ${amount(o.remainingBase, o.price)}`)
        yield* venue.cancel({ marketId, index: o.orderIndex }).pipe(Effect.ignore)
      }
    }

    // Orders whose fills are not A's to publish, logged once each: closing orders of a flatten,
    // and orders a flatten or a loss of Redis state fenced off (the bus says which).
    const notPublished = new Set<string>()
    const noteNotPublished = (fill: FillEvent, why: string) =>
      notPublished.has(fill.orderIndex)
        ? Effect.void
        : Effect.sync(() => {
          notPublished.add(fill.orderIndex)
          if (notPublished.size > 1000) notPublished.delete(notPublished.values().next().value!)
        }).pipe(
          Effect.andThen(Effect.logWarning(
            `fill ${fill.side} ${amount(fill.size, fill.price)} of order ${fill.orderIndex} (client index ${fill.clientOrderIndex}) not published: ${why}`
          ))
        )

    // A fill must be in the bus before A moves on: retry until stored.
    const publish = (fill: FillEvent) =>
      isClosingClientIndex(fill.clientOrderIndex)
        ? noteNotPublished(fill, "a closing order of bin/hedge flatten, which closed the position itself")
        : bus.publishFill(fill).pipe(
        Effect.tapError((e) => Effect.logError(`cannot store fill ${fill.fillId}, retrying: ${e.message}`)),
        Effect.retry(supervisorBackoff),
        Effect.tap((p) =>
          Effect.gen(function*() {
            if (p.fenced !== undefined) return yield* noteNotPublished(fill, p.fenced)
            if (p.duplicate) return
            if (settings.epoch !== undefined) yield* settings.epoch.onPublished(fill, p.fillSeq)
            fills++
            yield* Ref.update(state, (s) =>
              applyFill(s, { side: fill.side, base: fill.size, orderIndex: fill.orderIndex, clientOrderIndex: fill.clientOrderIndex }, settings.cycle, clock.monoMs())
            )
            yield* Effect.logInfo(`fill ${fill.side} ${amount(fill.size, fill.price)} (order ${fill.orderIndex}, seq ${p.fillSeq})`)
            if (settings.onFill !== undefined) yield* settings.onFill(fill, p.fillSeq)
          })
        ),
        Effect.asVoid
      )

    // A's txs refused for their key, signature or expiry, in a row: logged as errors, and the pair
    // halts once they persist (nothing is lost: a refused quote never rested).
    let refusedInARow = 0
    const noteRefusal = (what: string, e: VenueError) =>
      Effect.gen(function*() {
        if (!isSignatureRefusal(e)) {
          refusedInARow = 0
          return
        }
        refusedInARow++
        yield* Effect.logError(`${what} refused by the venue (${e.code}): ${e.message}`).pipe(
          Effect.annotateLogs({ account: venue.accountIndex, code: e.code ?? 0, refusedInARow })
        )
        const limit = settings.haltAfterSignatureRefusals ?? 0
        if (limit > 0 && refusedInARow >= limit && (yield* pairState.tradingState()) === "ACTIVE") {
          yield* haltPair(
            `A's transactions refused ${refusedInARow} times in a row (${e.code}): ${e.message}`,
            "After fixing the key: bin/hedge keys check, then bin/hedge resume"
          )
          refusedInARow = 0
        }
      })

    // The quote B must not trade with, as published in PairState; cleared once the quote is gone.
    let publishedQuote: number | undefined
    /** B's heartbeat as A saw it change, on A's monotonic clock (src/domain/freshness.ts). */
    let beatB = initialBeatWatch
    /** The in-flight hedge a quote last waited for (logged once, not on every poll). */
    let waitingFor: string | undefined
    /** Why the last quote sequence number was refused (logged once). */
    let refusedClaim: string | undefined

    // --- the quote's price (market.depth) and A's quote-tx pacing ---
    const depthUnit: DepthUnit = settings.depthUnit ?? "orders"
    const refreshMs = settings.bookOrdersRefreshMs ?? DEFAULT_BOOK_ORDERS_REFRESH_MS
    const quoteCap = effectiveQuoteTxCap(settings.quoteTxPerMinute ?? 0, settings.sharedTxBudget?.txPerMinute ?? 0, settings.sharedTxBudget?.hedgeReserve ?? 0)
    /** A's quote txs (places and cancels) of the last minute, monotonic ms. */
    let quoteTxs: QuoteTxLog = []
    const sentQuoteTx = Effect.sync(() => void (quoteTxs = recordQuoteTx(quoteTxs, clock.monoMs())))
    /** Whether A's quote-tx cap leaves no room for `slots` more now (said once per wait). */
    const capBlocks = (slots: number, now: number) =>
      Effect.gen(function*() {
        const room = quoteTxRoom(quoteTxs, now, quoteCap, slots)
        if (room.ok) {
          capNoted = false
          return false
        }
        if (!capNoted) {
          capNoted = true
          yield* Effect.logInfo(
            `quote waits: A sent ${room.used} quote transactions in the last minute (maker.quote_tx_per_minute ${room.cap}); ` +
              `room again in ${Math.ceil(room.waitMs / 1000)} s`
          )
        }
        return true
      })
    /** The last order list read (when it is fresh), when it was last asked for, and why the last read failed. */
    let orderList: { readonly orders: BookOrders; readonly atMs: number } | undefined
    let orderListAskedAt: number | undefined
    let orderListError: string | undefined
    /** The side too short for market.depth (logged once, and again only when it changes), and the cap's wait (likewise). */
    let shortNoted: string | undefined
    let capNoted = false
    let crossNoted = false
    const readOrderList = (now: number) =>
      Effect.gen(function*() {
        if (!ordersRefreshDue(orderListAskedAt, now, refreshMs)) return orderList?.orders
        orderListAskedAt = now
        const read = venue.orderBookOrders
        if (read === undefined) return undefined
        const r = yield* read(marketId, ordersLimitFor(settings.cycle.depth)).pipe(Effect.result)
        if (r._tag === "Failure") {
          orderList = undefined
          if (orderListError !== r.failure.message) {
            orderListError = r.failure.message
            yield* Effect.logWarning(`cannot read the venue's order list (orderBookOrders): ${r.failure.message}; no quote is placed or re-priced until it can (next try in ${refreshMs} ms)`)
          }
          return undefined
        }
        if (orderListError !== undefined) {
          orderListError = undefined
          yield* Effect.logInfo("the venue's order list (orderBookOrders) can be read again")
        }
        orderList = { orders: r.success, atMs: now }
        return r.success
      })
    /** The price `need` asks for: the live book's levels, or the order list's N-th order (A's own left out). */
    const priceFor = (need: PriceNeed, book: OrderBookTop, now: number) =>
      Effect.gen(function*() {
        if (need.best || depthUnit === "levels") return priceAtLevelDepth(book, need.side, need.depth) as DepthPrice
        const orders = yield* readOrderList(now)
        if (orders === undefined) return undefined
        const p = priceAtOrderDepth(orders, need.side, need.depth, venue.accountIndex)
        // A list read before the live book moved through its price: not sent (post-only would be cancelled).
        if (p._tag === "Price" && crossesBook(book, need.side, p.price)) {
          if (!crossNoted) {
            crossNoted = true
            yield* Effect.logInfo(`the order list's ${need.side} price ${formatPrice(settings.market, p.price)} crosses the live book (the list is older); waiting for the next read`)
          }
          return undefined
        }
        crossNoted = false
        return p
      })
    const clearPublishedQuote = Effect.gen(function*() {
      if (publishedQuote === undefined) return
      const s = yield* Ref.get(state)
      if (s.quote !== undefined && s.quote.clientOrderIndex === publishedQuote) return
      publishedQuote = undefined
      yield* pairState.publishQuote(Option.none()).pipe(Effect.ignore)
    })

    // Quotes whose send had an unknown outcome and that the venue did not know after
    // resolveQuoteMs: A moved on. Should one reach the venue after all (a send held up in the
    // network), it is cancelled as soon as A sees it, so A never has two quotes resting.
    const abandoned = new Set<number>()
    const cancelAbandoned = (u: OrderUpdate) =>
      Effect.gen(function*() {
        yield* Effect.logWarning(`quote ${u.clientOrderIndex} reached the venue after A gave it up (order ${u.orderIndex}): cancelling it`)
        yield* venue.cancel({ marketId, index: u.orderIndex }).pipe(Effect.ignore)
      })
    /** When each quote entered "cancelling", monotonic (a quote "sending" counts from placedAtMs). */
    const cancellingSince = new Map<number, number>()

    /**
     * Settles a quote whose state A cannot know from its own calls (a send with an unknown
     * outcome, a cancel the stream never confirmed) by asking the venue for its client index,
     * as B does for its hedges: resting → tracked as resting; gone → its fills are published and
     * the quote is forgotten; unknown to the venue for resolveQuoteMs → never got there: forgotten
     * (and cancelled should it show up later). Never waits for ever.
     */
    const resolveQuote = (coi: number, why: string) =>
      Effect.gen(function*() {
        yield* Effect.logWarning(`quote ${coi}: ${why}; resolving it against the venue by its client index`)
        const deadline = clock.monoMs() + (settings.resolveQuoteMs ?? 5_000)
        for (let i = 0;; i++) {
          const s = yield* Ref.get(state)
          // The account stream may have settled it meanwhile.
          if (s.quote?.clientOrderIndex !== coi) return
          if (s.quote.state === "resting") return
          const found = yield* venue.orderByClientIndex(marketId, coi).pipe(Effect.option)
          if (Option.isSome(found) && Option.isSome(found.value)) {
            const u = found.value.value
            yield* Effect.forEach(tracker.onOrderUpdate(u, clock.wallMs()), publish, { discard: true })
            if (isOrderTerminal(u.status)) {
              yield* Effect.logInfo(`quote ${coi} resolved: ${u.status} at the venue (filled ${formatBase(settings.market, u.filledBase)} of ${formatBase(settings.market, u.initialBase)} ${settings.market.symbol})`)
              yield* Ref.update(state, (st) => (st.quote?.clientOrderIndex === coi ? { ...st, quote: undefined } : st))
            } else {
              yield* Effect.logInfo(`quote ${coi} resolved: resting at the venue as order ${u.orderIndex}`)
              yield* Ref.update(state, (st) =>
                st.quote?.clientOrderIndex === coi ? { ...st, quote: { ...st.quote, orderIndex: u.orderIndex, state: "resting" as const } } : st
              )
            }
            cancellingSince.delete(coi)
            return
          }
          if (clock.monoMs() >= deadline) break
          yield* Effect.sleep(Math.min(1000, 100 * 2 ** i))
        }
        yield* Effect.logWarning(`quote ${coi} resolved: the venue does not know it; A moves on (and cancels it should it still arrive)`)
        abandoned.add(coi)
        if (abandoned.size > 1000) abandoned.delete(abandoned.values().next().value!)
        cancellingSince.delete(coi)
        yield* Ref.update(state, (st) => (st.quote?.clientOrderIndex === coi ? { ...st, quote: undefined } : st))
      })

    // A never quotes blind: not before its account stream is up, nor while it is down.
    const streamUp = yield* Ref.make(false)
    let cyclesLogged = 0
    const onEvent = (e: AccountEvent) =>
      Effect.gen(function*() {
        if (e._tag === "StreamConnected") yield* Ref.set(streamUp, true)
        if (e._tag === "StreamDisconnected") yield* Ref.set(streamUp, false)
        const now = clock.wallMs() // a fill's detectedAtMs: a record
        if (e._tag === "OrderUpdate" && e.marketId === marketId) {
          yield* Effect.forEach(tracker.onOrderUpdate(e, now), publish, { discard: true })
          yield* Ref.update(state, (s) => trackQuote(s, e))
          if (abandoned.has(e.clientOrderIndex) && !isOrderTerminal(e.status)) yield* cancelAbandoned(e)
        } else if (e._tag === "TradeEvent" && e.marketId === marketId) {
          yield* Effect.forEach(tracker.onTrade(e, now), publish, { discard: true })
        } else if (e._tag === "PositionUpdate" && e.marketId === marketId) {
          // Fills already moved the position (together with the quote's size); the venue's report
          // normally agrees, and corrects it when it does not (restart, missed frames).
          yield* Ref.update(state, (s) => syncPosition(s, e.signedBase, settings.cycle, clock.monoMs()))
        } else if (e._tag === "StreamDisconnected") {
          yield* Effect.logWarning(`account stream of A disconnected: ${e.reason}`)
        } else if (e._tag === "StreamConnected" && e.reconnect) {
          yield* Effect.logInfo("account stream of A reconnected; catching up from the snapshot")
        }
        if (settings.onAccountEvent !== undefined) yield* settings.onAccountEvent(e)
        yield* clearPublishedQuote
        // The previous system logged each completed open/close cycle (循环次数); so does A.
        const after = yield* Ref.get(state)
        if (after.cycles > cyclesLogged) {
          cyclesLogged = after.cycles
          yield* Effect.logInfo(
            `cycle ${after.cycles} complete: A opened and closed ${formatBase(settings.market, settings.cycle.quantity)} ${settings.market.symbol} ` +
              `(循环次数 ${after.cycles} since this start)`
          )
        }
      })

    const quoteOnce = Effect.gen(function*() {
      const trading = yield* pairState.tradingState()
      const current = yield* Ref.get(state)
      let stopReason: string | undefined = trading !== "ACTIVE" ? `pair is ${trading}` : undefined
      if (!(yield* Ref.get(streamUp))) {
        // Keep what rests (fills are caught up from the snapshot on reconnect); place nothing new.
        // A pair halted meanwhile (e.g. because this very stream stays refused) still pulls it.
        const q = current.quote
        if (stopReason !== undefined && q !== undefined && q.state === "resting") {
          yield* Effect.logWarning(`pulling quote while the account stream is down: ${stopReason}`)
          yield* Ref.update(state, (s) => (s.quote === undefined ? s : { ...s, quote: { ...s.quote, state: "cancelling" as const } }))
          yield* sentQuoteTx
          yield* venue.cancel({ marketId, index: q.orderIndex ?? String(q.clientOrderIndex) }).pipe(Effect.ignore)
        }
        return
      }
      // A quote the stream never settled (a cancel it never confirmed) is asked for at the venue.
      const pending = current.quote
      for (const coi of cancellingSince.keys()) if (coi !== pending?.clientOrderIndex) cancellingSince.delete(coi)
      if (pending !== undefined && pending.state !== "resting") {
        const since = pending.state === "sending" ? pending.placedAtMs : cancellingSince.get(pending.clientOrderIndex)
        const now = clock.monoMs()
        if (since === undefined) {
          cancellingSince.set(pending.clientOrderIndex, now)
        } else if (now - since >= STUCK_QUOTE_MS) {
          return yield* resolveQuote(pending.clientOrderIndex, `still ${pending.state} after ${Math.round(now - since)} ms`)
        }
      }
      if (stopReason === undefined && settings.requireHedgerHeartbeatMs > 0) {
        const look = clock.monoMs()
        const hb = yield* pairState.lastHeartbeat("b")
        beatB = observeBeat(beatB, hb._tag === "Some" ? beatToken(hb.value) : undefined, look)
        if (!beatFresh(beatB, clock.monoMs(), settings.requireHedgerHeartbeatMs)) {
          stopReason = "hedger (B) heartbeat is stale"
        }
      }
      if (stopReason !== undefined) {
        const q = current.quote
        if (q !== undefined && q.state === "resting") {
          yield* Effect.logWarning(`pulling quote: ${stopReason}`)
          yield* Ref.update(state, (s) => (s.quote === undefined ? s : { ...s, quote: { ...s.quote, state: "cancelling" as const } }))
          yield* sentQuoteTx
          yield* venue.cancel({ marketId, index: q.orderIndex ?? String(q.clientOrderIndex) }).pipe(Effect.ignore)
        }
        return
      }
      const now = clock.monoMs()
      const need = priceNeed(current, now, settings.cycle)
      // A's quote-tx cap: a decision that could send is not even priced (no order-list read) when
      // its transactions would not fit: a placement needs one slot, a re-quote two.
      if (need !== undefined && (yield* capBlocks(current.quote === undefined ? 1 : 2, now))) return
      const book = need === undefined ? undefined : yield* venue.orderBook(marketId, Math.max(need.depth, 1))
      const price = need === undefined || book === undefined ? undefined : yield* priceFor(need, book, now)
      const action = decideMakerAction(current, price, now, settings.cycle)
      if (action._tag === "Wait" && action.short !== undefined) {
        const key = shortKey(action.short)
        if (shortNoted !== key) {
          shortNoted = key
          yield* Effect.logWarning(describeShort(action.short))
        }
      } else if (price?._tag === "Price" && shortNoted !== undefined) {
        shortNoted = undefined
        yield* Effect.logInfo(`market.depth ${settings.cycle.depth}: the book has enough ${depthUnit === "orders" ? "orders" : "price levels"} again; quoting`)
      }
      if (slotsFor(action) > 0 && (yield* capBlocks(slotsFor(action), now))) return
      if (action._tag === "Place") {
        // Granted only while the pair is ACTIVE and Redis still holds A's epoch (a halt or a
        // loss of Redis state that raced with the checks above places nothing).
        const claim = yield* pairState.claimQuoteSeq({ epochId: settings.epoch?.epochId() })
        if (claim._tag === "Refused") {
          if (refusedClaim !== claim.reason) {
            refusedClaim = claim.reason
            yield* Effect.logWarning(`quote ${action.side} not placed: ${claim.reason}`)
          }
          return
        }
        refusedClaim = undefined
        if (settings.epoch !== undefined) yield* settings.epoch.onQuoteSeq(claim.seq)
        const coi = quoteClientIndex(claim.seq)
        // Published before the order exists, so B never prices a hedge through it (I5).
        yield* pairState.publishQuote(Option.some({ side: action.side, price: action.price, clientOrderIndex: coi, base: action.base }))
        publishedQuote = coi
        // Checked after publishing (B reads the quote after recording its intent, so one of the two
        // always sees the other): an open hedge heading for this side could still execute into it.
        const inFlight = conflictingHedge(action.side, yield* pairState.openIntents())
        if (inFlight !== undefined) {
          if (waitingFor !== inFlight.fillId) {
            waitingFor = inFlight.fillId
            yield* Effect.logInfo(`quote ${action.side} waits: hedge ${inFlight.fillId} (B to ${inFlight.targetSignedBase > 0 ? "buy" : "sell"} ${formatBase(settings.market, Math.abs(inFlight.targetSignedBase))} ${settings.market.symbol}) is still in flight`)
          }
          yield* pairState.publishQuote(Option.none())
          publishedQuote = undefined
          return
        }
        yield* Ref.update(state, (s) => ({
          ...s,
          quote: { clientOrderIndex: coi, side: action.side, price: action.price, base: action.base, placedAtMs: clock.monoMs(), state: "sending" as const }
        }))
        yield* sentQuoteTx
        const placed = yield* venue
          .placeLimit({ marketId, side: action.side, base: action.base, price: action.price, clientOrderIndex: coi, postOnly: true, reduceOnly: action.side === "sell" })
          .pipe(Effect.retry(placeRetry(settings.orderRetries)), Effect.result)
        if (placed._tag === "Failure") {
          const e = placed.failure
          if (isSignatureRefusal(e)) yield* noteRefusal(`quote ${action.side} ${amount(action.base, action.price)}`, e)
          else yield* Effect.logWarning(`quote not placed (${e.kind}${e.code === undefined ? "" : ` ${e.code}`}): ${e.message}`)
          if (e.kind === "unknown-outcome") {
            // The venue may or may not have it: ask it, never wait for ever.
            yield* resolveQuote(coi, "the send's outcome is unknown")
          } else {
            yield* Ref.update(state, (s) => (s.quote?.clientOrderIndex === coi ? { ...s, quote: undefined } : s))
          }
        } else {
          refusedInARow = 0
          yield* Ref.update(state, (s) =>
            s.quote?.clientOrderIndex === coi && s.quote.state === "sending" ? { ...s, quote: { ...s.quote, state: "resting" as const } } : s
          )
        }
      } else if (action._tag === "Cancel") {
        const q = action.quote
        cancellingSince.set(q.clientOrderIndex, clock.monoMs())
        yield* Ref.update(state, (s) => (s.quote?.clientOrderIndex === q.clientOrderIndex ? { ...s, quote: { ...q, state: "cancelling" as const } } : s))
        yield* sentQuoteTx
        // A re-quote (age, drift) is A's own business: it never spends the hedges' reserve.
        const requote = action.reason === "stale" || action.reason === "drift"
        const cancelled = yield* venue
          .cancel({ marketId, index: q.orderIndex ?? String(q.clientOrderIndex), ...(requote ? { priority: "quote" as const } : {}) })
          .pipe(Effect.retry(placeRetry(settings.orderRetries)), Effect.result)
        if (cancelled._tag === "Failure") {
          yield* noteRefusal(`cancel of quote ${q.clientOrderIndex}`, cancelled.failure)
          // Most likely filled or gone already: the venue's view decides.
          const still = yield* venue.orderByClientIndex(marketId, q.clientOrderIndex).pipe(Effect.option)
          const gone = still._tag === "None" || still.value._tag === "None" || isOrderTerminal(still.value.value.status)
          if (gone) yield* Ref.update(state, (s) => (s.quote?.clientOrderIndex === q.clientOrderIndex ? { ...s, quote: undefined } : s))
          else yield* Ref.update(state, (s) => (s.quote?.clientOrderIndex === q.clientOrderIndex ? { ...s, quote: { ...q, state: "resting" as const } } : s))
        }
      }
    })

    /**
     * The quote's final state from the venue, its fills published: the account stream is already
     * stopped when the scope closes, and a fill that landed just before the cancel must not wait
     * for A's next start to be hedged.
     */
    const flushQuote = (clientOrderIndex: number) =>
      Effect.gen(function*() {
        for (let i = 0; i < 15; i++) {
          const found = yield* venue.orderByClientIndex(marketId, clientOrderIndex).pipe(Effect.option)
          if (Option.isSome(found)) {
            if (Option.isNone(found.value)) return true
            const u = found.value.value
            yield* Effect.forEach(tracker.onOrderUpdate(u, clock.wallMs()), publish, { discard: true })
            if (isOrderTerminal(u.status)) return true
          }
          yield* Effect.sleep("200 millis")
        }
        // still open (or never read): not final
        return false
      })

    // On the way out: cancel the resting quote (when configured), then publish what it filled.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const s = yield* Ref.get(state)
        if (s.quote === undefined) return
        if (settings.cancelOnExit) {
          yield* Effect.logInfo("shutting down: cancelling the resting quote")
          yield* venue.cancel({ marketId, index: s.quote.orderIndex ?? String(s.quote.clientOrderIndex) }).pipe(
            Effect.timeout("3 seconds"),
            Effect.ignore
          )
        }
        const coi = s.quote.clientOrderIndex
        const final = yield* flushQuote(coi).pipe(
          Effect.timeout("5 seconds"),
          Effect.catchCause(() => Effect.logWarning("could not read the quote's final state; A's next start catches up its fills").pipe(Effect.as(undefined)))
        )
        // What this shutdown could not finish makes the exit code 1 (src/runtime/exit.ts).
        if (final === undefined) {
          yield* shutdownIncomplete(`A's quote (client order ${coi}): its final state could not be read, or its fills stored, within 5 s; A's next start catches up its fills`)
        } else if (!final && settings.cancelOnExit) {
          yield* shutdownIncomplete(`A's quote (client order ${coi}) may still rest on the venue: its cancel was not confirmed (the venue still shows it open, or could not be asked)`)
        }
      })
    )

    const previous = yield* pairState.lastHeartbeat("a").pipe(Effect.orElseSucceed(() => Option.none()))
    // By this host's wall clock, as A's last beat was stamped (a message, not a rule).
    if (Option.isSome(previous)) yield* raiseAlert("process-restart", `maker (A) restarted (A was alive ${clock.wallMs() - previous.value.atMs} ms ago)`)
    if (settings.clockSkew !== undefined && settings.clockSkew.maxSkewMs > 0) {
      yield* watchClockSkew({ ...settings.clockSkew, marketId, who: "A (maker)" }).pipe(Effect.forkScoped)
    }
    yield* Stream.runForEach(stream.events, onEvent).pipe(Effect.forkScoped)
    // A closes its own account when a force close asks (strategy.force_close_timeout), even one
    // requested before this start; its closing orders' fills are never published.
    yield* forceCloseResponder({
      role: "a",
      market: settings.market,
      closingIndex: closingClientIndexA,
      ...(settings.forceClosePollMs !== undefined ? { pollMs: settings.forceClosePollMs } : {})
    }).pipe(Effect.forkScoped)
    const collateralEveryMs = settings.freeCollateralEveryMs ?? 0
    const collateral = collateralEveryMs > 0 ? yield* pollFreeCollateral(collateralEveryMs) : undefined
    // `beat` counts up: B judges A alive by seeing it change, not by A's clock (src/domain/freshness.ts).
    let beats = 0
    yield* Effect.gen(function*() {
      const s = yield* Ref.get(state)
      const free = collateral?.current()
      yield* pairState.heartbeat("a", {
        beat: ++beats,
        position: s.position,
        cycles: s.cycles,
        fills,
        quote: s.quote?.state ?? "none",
        // micro-USDC; left out while unknown or stale so B never judges an old reading
        ...(free !== undefined ? { freeCollateralMicro: free } : {})
      } satisfies MakerBeat, settings.heartbeatMs * 3)
    }).pipe(
      Effect.catch((e) => Effect.logWarning(`heartbeat failed: ${e.message}`)),
      Effect.repeat(Schedule.spaced(settings.heartbeatMs)),
      Effect.forkScoped
    )
    yield* Effect.logInfo(
      `maker started on ${settings.market.symbol} (market ${marketId}): quotes at the ${ordinal(settings.cycle.depth)} ` +
        (depthUnit === "orders"
          ? `resting order of its side (market.depth ${settings.cycle.depth}, maker.depth_unit orders; the order list read at most every ${refreshMs} ms, when a decision needs it)`
          : `price level of its side (market.depth ${settings.cycle.depth}, maker.depth_unit levels)`) +
        `; re-quotes after ${settings.cycle.maxQuoteAgeMs} ms, or on a drift beyond ${settings.cycle.requoteDriftTicks} ticks once ${settings.cycle.minRequoteIntervalMs ?? 0} ms old; ` +
        (quoteCap > 0 ? `at most ${quoteCap} quote transactions a minute` : "no cap of its own on quote transactions")
    )
    return yield* quoteOnce.pipe(
      Effect.andThen(clearPublishedQuote),
      Effect.tapError((e) => Effect.logWarning(`quote step failed: ${e.message}`)),
      Effect.retry(supervisorBackoff),
      Effect.andThen(Effect.sleep(settings.pollIntervalMs)),
      Effect.forever
    )
  })
