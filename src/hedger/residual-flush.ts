// A failed or partial hedge returns its remainder to the residual pool, where the next fill of A
// picks it up — but when none comes (A stopped, halted, or quiet) it would stay unhedged. So after
// such a result B looks at the pool (with backoff, loop-state.ts) and, when it can be sent, puts a
// residual flush on the fill stream: it is then hedged with the stream's crash safety, in order
// with the fills.
import { Effect } from "effect"
import { effectiveMinBase } from "../domain/hedge-plan.ts"
import { formatBase } from "../domain/market.ts"
import { ResidualFlush } from "../domain/messages.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { wallMs } from "../ops/time.ts"
import { Venue } from "../venue/Venue.ts"
import { flushDone, type HedgerLoopState, takeFlushTurn } from "./loop-state.ts"
import type { HedgerSettings } from "./settings.ts"

/** Looks at the pool when a look is due; publishes a residual flush when the pool can be hedged. */
export const maybeFlushResidual = (settings: Pick<HedgerSettings, "market" | "pair">, loop: HedgerLoopState) =>
  Effect.gen(function*() {
    if (!(yield* takeFlushTurn(loop))) return
    const state = yield* PairState
    const bus = yield* FillBus
    const venue = yield* Venue
    const pool = yield* state.residualPool()
    if (pool === 0) return yield* flushDone(loop)
    const book = yield* venue.orderBook(settings.market.marketId, 1)
    // Stryker disable next-line EqualityOperator: pool is never 0 here (returned above), so pool > 0 and pool >= 0 agree (the masked pool <= 0 is killed by residual-flush.test.ts)
    const ref = pool > 0 ? book.asks[0]?.price : book.bids[0]?.price
    // No price to judge the pool by: looked at again after the backoff.
    if (ref === undefined) return
    // Below the minimum: it waits for a fill in its direction (poolDecision).
    if (Math.abs(pool) < effectiveMinBase(settings.market, ref)) return yield* flushDone(loop)
    // Stryker disable EqualityOperator: pool is never 0 in this statement (returned above), so `pool > 0` and `pool >= 0` for hedgeSide agree (the masked pool <= 0 is killed by residual-flush.test.ts)
    const published = yield* bus.publishResidualFlush(new ResidualFlush({
      pair: settings.pair,
      accountIndex: venue.accountIndex,
      marketId: settings.market.marketId,
      // B buys a pool > 0 (it is short of its hedges) and sells one < 0.
      hedgeSide: pool > 0 ? "buy" : "sell",
      size: Math.abs(pool),
      referencePrice: ref,
      requestedAtMs: yield* wallMs // a record
    }))
    // Stryker restore EqualityOperator
    yield* flushDone(loop)
    yield* Effect.logWarning(
      `residual pool ${formatBase(settings.market, Math.abs(pool))} ${settings.market.symbol} is at or above the venue minimum: hedging it now (residual:${published.fillSeq})`
    )
  }).pipe(Effect.catch((e) => Effect.logWarning(`residual pool check failed, will retry: ${e.message}`)))
