// What bin/main-a and bin/main-b find on their account when they start, and A's refusal to
// quote next to orders it did not place.
//
// startupReport: ONE info block — account, tier (when the venue says), collateral and available
// balance in USDC, the position and the open orders in this market in market units. One REST read
// of the account (GET /api/v1/account?by=index&value=N) plus the Venue's open orders; the Venue's
// position and free collateral stand in when that read fails. Nothing here is fatal: a part that
// cannot be read is a warning and "unknown" in the block. No secret is ever part of it.
//
// checkForeignOrders (A only): an order resting on A's account in this market that this pair's A
// did not place refuses the start (listing them), unless maker.cancel_foreign_orders /
// --cancel-foreign-orders, which cancels each one and logs it.
//
// Which orders are A's own: A's quotes take their client order index from the pair's quote
// sequence (src/domain/client-index.ts quoteClientIndex: 1, 2, 3 … counted in Redis at
// `<prefix>:quote-seq`). Unlike B's hedges (tag·2^40 + …, tagFromPrefix) they carry no tag, so
// "ours" is: a client index from 1 up to the pair's quote counter when it is known (PairState in
// the context), else anywhere in the quote range 1 … 2^47−1. Index 0 (no client index) and 2^47
// and above (flatten's closing orders, which are IOC and never rest) are never A's quotes.
import { Cause, Effect, Option, Result, Schema } from "effect"
import { CLOSING_CLIENT_INDEX_MIN } from "../domain/closing.ts"
import { isOrderTerminal, type OrderUpdate } from "../domain/events.ts"
import { formatBase, formatPrice, formatScaled, type MarketSpec, parseScaled, QUOTE_DECIMALS } from "../domain/market.ts"
import { PairState } from "../bus/PairState.ts"
import type { HedgeflowConfig } from "../config/load.ts"
import { getJson } from "../venue/lighter/http.ts"
import { Venue } from "../venue/Venue.ts"
import type { VenueError } from "../venue/errors.ts"
import type { Role } from "../domain/role.ts"

// ---------------------------------------------------------------------------------------------
// Which orders are ours

/**
 * "Ours" on account A: `clientOrderIndex` is one of this pair's quotes — 1 … `quoteSeq` (the
 * pair's quote counter) when known, else 1 … 2^47−1. Never 0 (no client index) nor a closing
 * order's index (2^47 and above).
 */
export const oursOnA = (quoteSeq?: number) => (clientOrderIndex: number): boolean =>
  Number.isSafeInteger(clientOrderIndex) && clientOrderIndex >= 1 && clientOrderIndex < CLOSING_CLIENT_INDEX_MIN &&
  (quoteSeq === undefined || clientOrderIndex <= quoteSeq)

/** The still-active orders of `openOrders` that are not ours. Pure. */
export const foreignOrders = (
  openOrders: ReadonlyArray<OrderUpdate>,
  ours: (clientOrderIndex: number) => boolean
): ReadonlyArray<OrderUpdate> => openOrders.filter((o) => !isOrderTerminal(o.status) && !ours(o.clientOrderIndex))

/** "buy 0.00020 @ 60000.0 (order 281474976710700, client index 7)" */
export const describeOrder = (market: MarketSpec, o: OrderUpdate): string =>
  `${o.side} ${formatBase(market, o.remainingBase)} @ ${formatPrice(market, o.price)} ` +
  `(order ${o.orderIndex}, client index ${o.clientOrderIndex === 0 ? "none" : o.clientOrderIndex})`

export class ForeignOrdersError extends Schema.TaggedError<ForeignOrdersError>()("ForeignOrdersError", { message: Schema.String }) {}

const LISTED = 20

/**
 * A's start-up check (call it before the maker starts, with the Venue of account A). Finds the
 * orders on A's account in `market` that this pair's A did not place (see oursOnA; the pair's
 * quote counter is used when PairState is in the context). None: succeeds with []. Some: fails
 * with ForeignOrdersError listing them (side, size, price, order index), unless
 * config.settings.maker.cancel_foreign_orders (maker.cancel_foreign_orders, --cancel-foreign-orders): then
 * cancels each one via Venue.cancel, logs it, and succeeds with the cancelled orders. A cancel
 * the venue refuses fails the start too. Reading the open orders failing is returned as its
 * VenueError (an unreachable venue ends the start like any other).
 */
export const checkForeignOrders = (
  config: HedgeflowConfig,
  market: MarketSpec
): Effect.Effect<ReadonlyArray<OrderUpdate>, ForeignOrdersError | VenueError, Venue> =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const pairState = yield* Effect.serviceOption(PairState)
    const quoteSeq = Option.isSome(pairState)
      ? yield* pairState.value.sequenceCounters().pipe(
        Effect.map((c) => c.quoteSeq),
        Effect.catch((e) => Effect.logDebug(`foreign orders: quote counter unknown (${e.message}); any quote index counts as A's`).pipe(Effect.as(undefined)))
      )
      : undefined
    const open = yield* venue.openOrders(market.marketId)
    const foreign = foreignOrders(open, oursOnA(quoteSeq))
    if (foreign.length === 0) return []
    const acc = config.accounts.a
    const where = `account A (${acc.name}, index ${acc.accountIndex}) in ${market.symbol} (market ${market.marketId})`
    if (!config.settings.maker.cancel_foreign_orders) {
      const listed = foreign.slice(0, LISTED).map((o) => describeOrder(market, o)).join("; ")
      const more = foreign.length > LISTED ? `; and ${foreign.length - LISTED} more` : ""
      return yield* new ForeignOrdersError({
        message: `${foreign.length} order(s) this pair did not place rest on ${where}: ${listed}${more}. ` +
          `Cancel them, or start main-a with --cancel-foreign-orders (maker.cancel_foreign_orders: true) to have them cancelled; refusing to start`
      })
    }
    for (const o of foreign) {
      yield* venue.cancel({ marketId: market.marketId, index: o.orderIndex }).pipe(
        Effect.mapError((e) =>
          new ForeignOrdersError({
            message: `cannot cancel the foreign order ${describeOrder(market, o)} on ${where}: ${e.message}; refusing to start`
          })
        )
      )
      yield* Effect.logWarning(`cancelled foreign order on ${where}: ${describeOrder(market, o)} (maker.cancel_foreign_orders)`)
    }
    return foreign
  })

// ---------------------------------------------------------------------------------------------
// The report

const WireAccountDetail = Schema.Struct({
  index: Schema.optional(Schema.Number),
  account_type: Schema.optional(Schema.NullOr(Schema.Union([Schema.Number, Schema.String]))),
  tier: Schema.optional(Schema.NullOr(Schema.String)),
  collateral: Schema.optional(Schema.NullOr(Schema.String)),
  available_balance: Schema.optional(Schema.NullOr(Schema.String)),
  positions: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({
    market_id: Schema.Number,
    sign: Schema.optional(Schema.NullOr(Schema.Number)),
    position: Schema.optional(Schema.NullOr(Schema.String))
  }))))
})
const WireAccountReply = Schema.Struct({
  code: Schema.optional(Schema.Number),
  accounts: Schema.optional(Schema.NullOr(Schema.Array(WireAccountDetail)))
})
type WireAccountDetail = typeof WireAccountDetail.Type

/** What the report knows about the account; undefined = could not be read. */
export interface AccountSnapshot {
  /** "standard", "premium", … when the venue names it; else the raw account_type code, if any. */
  readonly tier: string | undefined
  readonly tierCode: number | undefined
  readonly collateralMicro: number | undefined
  readonly availableMicro: number | undefined
  readonly positionBase: number | undefined
  readonly openOrders: ReadonlyArray<OrderUpdate> | undefined
}

const usdcMicro = (text: string | null | undefined): number | undefined => {
  if (text === undefined || text === null) return undefined
  try {
    return parseScaled(text, QUOTE_DECIMALS, { allowNegative: true })
  } catch {
    return undefined
  }
}

const positionOf = (detail: WireAccountDetail, market: MarketSpec): number | undefined => {
  if (detail.positions === undefined || detail.positions === null) return undefined
  const p = detail.positions.find((x) => x.market_id === market.marketId)
  if (p === undefined) return 0 // no entry for the market: no position
  if (p.position === undefined || p.position === null) return undefined
  try {
    const units = parseScaled(p.position, market.sizeDecimals, { allowNegative: true })
    return (p.sign ?? 1) < 0 ? -Math.abs(units) : units
  } catch {
    return undefined
  }
}

const TIER_NAMES = new Set(["standard", "premium", "plus", "builder"])

/** The block's text. Pure: amounts are integers, formatted here with the market's decimals. */
export const formatStartupReport = (
  role: Role,
  config: HedgeflowConfig,
  market: MarketSpec,
  s: AccountSnapshot
): string => {
  const acc = config.accounts[role]
  const usdc = (micro: number | undefined) => (micro === undefined ? "unknown" : `${formatScaled(micro, QUOTE_DECIMALS)} USDC`)
  const tier = s.tier !== undefined
    ? s.tier
    : s.tierCode !== undefined
    ? `not named by the venue (account_type ${s.tierCode})`
    : "unknown"
  const position = s.positionBase === undefined
    ? "unknown"
    : `${formatBase(market, s.positionBase)} ${market.symbol}${s.positionBase > 0 ? " (long)" : s.positionBase < 0 ? " (short)" : " (flat)"}`
  const orders = s.openOrders === undefined
    ? ["  open orders in this market: unknown"]
    : s.openOrders.length === 0
    ? ["  open orders in this market: none"]
    : [
      `  open orders in this market: ${s.openOrders.length}`,
      ...s.openOrders.map((o) =>
        `    ${o.side} ${formatBase(market, o.remainingBase)} @ ${formatPrice(market, o.price)} ` +
        `(client index ${o.clientOrderIndex === 0 ? "none" : o.clientOrderIndex}, order ${o.orderIndex})`
      )
    ]
  const network = config.venue.network === undefined ? "" : `, ${config.venue.network}`
  return [
    `start-up report of ${role === "a" ? "maker (A)" : "hedger (B)"}: account ${acc.accountIndex} (${acc.name}, API key ${acc.apiKeyIndex}) ` +
    `on ${config.settings.venue.kind}${network} ${safeUrl(config.venue.baseUrl)}, market ${market.symbol} (${market.marketId})`,
    `  tier: ${tier}`,
    `  collateral: ${usdc(s.collateralMicro)}; available balance: ${usdc(s.availableMicro)}`,
    `  position: ${position}`,
    ...orders
  ].join("\n")
}

/** The URL without any user:password part. */
const safeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    u.username = ""
    u.password = ""
    return u.toString().replace(/\/$/, "")
  } catch {
    return "(not a URL)"
  }
}

/**
 * Logs one info block about account `role` in `market` (see the top of this file). Never fails:
 * what cannot be read is logged as a warning and shown as "unknown".
 */
export const startupReport = (role: Role, config: HedgeflowConfig, market: MarketSpec): Effect.Effect<void, never, Venue> =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const index = config.accounts[role].accountIndex
    const warn = (what: string, why: string) => Effect.logWarning(`start-up report: cannot read ${what}: ${why}`)

    const rest = yield* getJson({ baseUrl: config.venue.baseUrl, timeoutMs: 5000 }, "account", "account", { by: "index", value: index }, WireAccountReply).pipe(
      Effect.map((r) => (r.accounts ?? []).find((a) => a.index === undefined || a.index === index)),
      Effect.result
    )
    let detail: WireAccountDetail | undefined
    if (Result.isFailure(rest)) yield* warn(`account ${index}`, rest.failure.message)
    else if (rest.success === undefined) yield* warn(`account ${index}`, `no account with index ${index} in the reply`)
    else detail = rest.success

    const rawType = detail?.account_type ?? undefined
    const named = (detail?.tier ?? (typeof rawType === "string" ? rawType : undefined))?.trim().toLowerCase()
    const tier = named !== undefined && TIER_NAMES.has(named) ? named : undefined
    const tierCode = typeof rawType === "number" ? rawType : undefined
    const collateralMicro = usdcMicro(detail?.collateral)

    let availableMicro = usdcMicro(detail?.available_balance)
    if (availableMicro === undefined) {
      const free = yield* venue.freeCollateral().pipe(Effect.result)
      if (Result.isFailure(free)) yield* warn("free collateral", free.failure.message)
      else availableMicro = Option.getOrUndefined(free.success)
    }

    let positionBase = detail === undefined ? undefined : positionOf(detail, market)
    if (positionBase === undefined) {
      const p = yield* venue.position(market.marketId).pipe(Effect.result)
      if (Result.isFailure(p)) yield* warn(`the position in ${market.symbol}`, p.failure.message)
      else positionBase = p.success.signedBase
    }

    const orders = yield* venue.openOrders(market.marketId).pipe(Effect.result)
    if (Result.isFailure(orders)) yield* warn(`the open orders in ${market.symbol}`, orders.failure.message)

    yield* Effect.logInfo(formatStartupReport(role, config, market, {
      tier,
      tierCode,
      collateralMicro,
      availableMicro,
      positionBase,
      openOrders: Result.isSuccess(orders) ? orders.success : undefined
    }))
  }).pipe(
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.logWarning(`start-up report failed: ${Cause.pretty(cause).split("\n")[0]}`)
    )
  )
