// Process A: quotes post-only orders on account A (open long, then close long, in a loop) and
// publishes every fill to the bus before it is considered handled. This module starts A's parts
// and keeps them running; each part is its own module, sharing one MakerContext (settings.ts):
// - account-events.ts: the event fiber — A's stream turned into fills (fill-publisher.ts), the
//   quote's state and A's position as the venue reports them;
// - quote-step.ts: the quote fiber's one decision, every poll interval — place, re-quote or
//   wait — priced by quote-price.ts (market.depth), paced by quote-tx-cap.ts, with stuck quotes
//   settled by quote-resolver.ts and signature refusals counted by signature-refusals.ts;
// - shutdown.ts: the quote cancelled and its last fills published on the way out.
// Besides those: orphans of an earlier run cancelled, the restart alert, the clock-skew watch,
// the force-close responder and A's heartbeat.
import { Effect, Option, Ref, Schedule, Stream } from "effect"
import { ordinal } from "../domain/book-depth.ts"
import { closingClientIndexA } from "../domain/closing.ts"
import { FillTracker } from "../domain/fills.ts"
import type { MakerBeat } from "../domain/heartbeat.ts"
import type { MakerState } from "../domain/maker-cycle.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { watchClockSkew } from "../ops/clock-skew.ts"
import { supervisorBackoff } from "../ops/schedules.ts"
import { clocks } from "../ops/time.ts"
import { forceCloseResponder } from "../safety/force-close.ts"
import { AccountStream } from "../venue/AccountStream.ts"
import { VenueError } from "../venue/errors.ts"
import { pollFreeCollateral, Venue } from "../venue/Venue.ts"
import { clearPublishedQuote, makeEventHandler } from "./account-events.ts"
import { makeFillPublisher } from "./fill-publisher.ts"
import { makeQuotePricer } from "./quote-price.ts"
import { makeQuoteResolver } from "./quote-resolver.ts"
import { makeQuoteStep } from "./quote-step.ts"
import { makeQuoteTxCap } from "./quote-tx-cap.ts"
import { placeRetry } from "./retry.ts"
import { amountText, type MakerContext, type MakerSettings } from "./settings.ts"
import { makeSignatureRefusals } from "./signature-refusals.ts"
import { onShutdown } from "./shutdown.ts"

export { DEFAULT_BOOK_ORDERS_REFRESH_MS } from "./quote-price.ts"
export type { MakerEpochHooks, MakerSettings } from "./settings.ts"

export const runMaker = (settings: MakerSettings) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const stream = yield* AccountStream
    const bus = yield* FillBus
    const pairState = yield* PairState
    const marketId = settings.market.marketId
    if ((settings.depthUnit ?? "orders") === "orders" && venue.orderBookOrders === undefined) {
      return yield* new VenueError({
        op: "orderBookOrders",
        kind: "rejected",
        message: "this venue cannot list individual orders, which market.depth counts with maker.depth_unit: orders; set maker.depth_unit: levels"
      })
    }
    const clock = yield* clocks
    const published = yield* bus.publishedLevels()
    const startPosition = yield* venue.position(marketId).pipe(Effect.retry(placeRetry(settings.orderRetries)))
    const ctx: MakerContext = {
      settings,
      venue,
      bus,
      pairState,
      clock,
      marketId,
      tracker: new FillTracker({ pair: settings.pair, accountIndex: venue.accountIndex, published }),
      // A restart with a long position resumes in the closing phase: close what is open first.
      state: yield* Ref.make<MakerState>({
        position: startPosition.signedBase,
        cycles: 0,
        closingSinceMs: startPosition.signedBase > 0 ? clock.monoMs() : undefined
      }),
      streamUp: yield* Ref.make(false),
      publishedQuote: yield* Ref.make<number | undefined>(undefined)
    }

    if (settings.cancelOrphansOnStart) {
      for (const o of yield* venue.openOrders(marketId)) {
        yield* Effect.logWarning(`cancelling orphan quote from an earlier run: ${o.side} ${amountText(settings.market, o.remainingBase, o.price)}`)
        yield* venue.cancel({ marketId, index: o.orderIndex }).pipe(Effect.ignore)
      }
    }

    const publisher = yield* makeFillPublisher(ctx)
    const resolver = yield* makeQuoteResolver(ctx, publisher)
    const pricer = yield* makeQuotePricer(ctx)
    const cap = yield* makeQuoteTxCap(ctx)
    const quoteStep = yield* makeQuoteStep(ctx, { pricer, cap, resolver, refusals: yield* makeSignatureRefusals(ctx) })
    const onEvent = yield* makeEventHandler(ctx, publisher, resolver)
    yield* onShutdown(ctx, publisher)

    const previous = yield* pairState.lastHeartbeat("a").pipe(Effect.orElseSucceed(() => Option.none()))
    // By this host's wall clock, as A's last beat was stamped (a message, not a rule).
    if (Option.isSome(previous)) yield* raiseAlert("process-restart", `maker (A) restarted (A was alive ${clock.wallMs() - previous.value.atMs} ms ago)`)
    // risk.max_clock_skew_ms 0 is checked by watchClockSkew itself (it does not look).
    if (settings.clockSkew !== undefined) yield* watchClockSkew({ ...settings.clockSkew, marketId, who: "A (maker)" }).pipe(Effect.forkScoped)
    yield* Stream.runForEach(stream.events, onEvent).pipe(Effect.forkScoped)
    // A closes its own account when a force close asks (strategy.force_close_timeout), even one
    // requested before this start; its closing orders' fills are never published.
    yield* forceCloseResponder({
      role: "a",
      market: settings.market,
      closingIndex: closingClientIndexA,
      // Stryker disable next-line ConditionalExpression: the `true` mutant is equivalent: an undefined pollMs takes the same default
      ...(settings.forceClosePollMs !== undefined ? { pollMs: settings.forceClosePollMs } : {})
    }).pipe(Effect.forkScoped)
    const collateralEveryMs = settings.freeCollateralEveryMs ?? 0
    const collateral = collateralEveryMs > 0 ? yield* pollFreeCollateral(collateralEveryMs) : undefined
    // `beat` counts up: B judges A alive by seeing it change, not by A's clock (src/domain/freshness.ts).
    const beats = yield* Ref.make(0)
    yield* Effect.gen(function*() {
      const s = yield* Ref.get(ctx.state)
      const free = collateral?.current()
      yield* pairState.heartbeat("a", {
        beat: yield* Ref.updateAndGet(beats, (n) => n + 1),
        position: s.position,
        cycles: s.cycles,
        fills: yield* publisher.published,
        quote: s.quote?.state ?? "none",
        // micro-USDC; left out while unknown or stale so B never judges an old reading
        // Stryker disable next-line ConditionalExpression: equivalent: the beat is stored as JSON, which leaves an undefined field out
        ...(free !== undefined ? { freeCollateralMicro: free } : {})
      } satisfies MakerBeat, settings.heartbeatMs * 3)
    }).pipe(
      Effect.catch((e) => Effect.logWarning(`heartbeat failed: ${e.message}`)),
      Effect.repeat(Schedule.spaced(settings.heartbeatMs)),
      Effect.forkScoped
    )
    const depth = settings.cycle.depth
    yield* Effect.logInfo(
      `maker started on ${settings.market.symbol} (market ${marketId}): quotes at the ${ordinal(depth)} ` +
        (pricer.depthUnit === "orders"
          ? `resting order of its side (market.depth ${depth}, maker.depth_unit orders; the order list read at most every ${pricer.refreshMs} ms, when a decision needs it)`
          : `price level of its side (market.depth ${depth}, maker.depth_unit levels)`) +
        `; re-quotes after ${settings.cycle.maxQuoteAgeMs} ms, or on a drift beyond ${settings.cycle.requoteDriftTicks} ticks once ${settings.cycle.minRequoteIntervalMs ?? 0} ms old; ` +
        (cap.cap > 0 ? `at most ${cap.cap} quote transactions a minute` : "no cap of its own on quote transactions")
    )
    return yield* quoteStep.pipe(
      Effect.andThen(clearPublishedQuote(ctx)),
      Effect.tapError((e) => Effect.logWarning(`quote step failed: ${e.message}`)),
      Effect.retry(supervisorBackoff),
      Effect.andThen(Effect.sleep(settings.pollIntervalMs)),
      Effect.forever
    )
  })
