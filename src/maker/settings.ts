// What process A is told (src/app/process.ts fills it from the config), and what A's parts
// share while it runs (MakerContext): the venue, the bus, the clocks, the quote's state in a Ref.
import type { Effect, Ref } from "effect"
import type { AccountEvent } from "../domain/events.ts"
import type { FillTracker } from "../domain/fills.ts"
import type { DepthUnit } from "../domain/book-depth.ts"
import type { MakerConfig, MakerState } from "../domain/maker-cycle.ts"
import { formatBase, formatPrice, type MarketSpec } from "../domain/market.ts"
import type { FillEvent } from "../domain/messages.ts"
import type { FillBusShape } from "../bus/FillBus.ts"
import type { PairStateShape } from "../bus/PairState.ts"
import type { Clocks } from "../ops/time.ts"
import type { VenueShape } from "../venue/Venue.ts"

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
  /** The pair's epoch as A's process trusts it, and its mirror file (src/app/epoch-guard.ts). */
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

/** What A's parts share while A runs. */
export interface MakerContext {
  readonly settings: MakerSettings
  readonly venue: VenueShape
  readonly bus: FillBusShape
  readonly pairState: PairStateShape
  /** Wall time only for records (a fill's detectedAtMs); every age, timeout and freshness is on the monotonic clock. */
  readonly clock: Clocks
  readonly marketId: number
  /** Cumulative filled amounts → fill deltas, once each (src/domain/fills.ts). */
  readonly tracker: FillTracker
  /** A's position, cycle and quote as A knows them. */
  readonly state: Ref.Ref<MakerState>
  /** A never quotes blind: not before its account stream is up, nor while it is down. */
  readonly streamUp: Ref.Ref<boolean>
  /** The quote B must not trade with, as published in PairState; cleared once the quote is gone. */
  readonly publishedQuote: Ref.Ref<number | undefined>
}

/** "0.00020 BTC @ 99999.1": sizes and prices in log lines in market units. */
// Stryker disable all: text for log lines only (the fill publisher's, the quote step's, the orphan cancels')
export const amountText = (market: MarketSpec, base: number, price: number): string =>
  `${formatBase(market, base)} ${market.symbol} @ ${formatPrice(market, price)}`
// Stryker restore all
