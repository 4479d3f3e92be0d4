// --dry-run: the configured venue for everything that reads (markets, book, the order list of
// orderBookOrders, positions, balances, orders, the account stream), and a log line instead of
// every transaction. Nothing is signed
// for sending and nothing leaves the process. The orders it "placed" are remembered, so the
// maker's loop sees them rest and be cancelled as it would live (its next decision follows).
import { Effect, Layer, Option } from "effect"
import type { OrderUpdate } from "../domain/events.ts"
import { formatBase, formatPrice, type MarketSpec } from "../domain/market.ts"
import { Venue, type TxAck, type VenueShape } from "./Venue.ts"

/** What the dry run would have sent: one record per transaction (tests and the summary count them). */
export interface DryRunTx {
  readonly op: "placeLimit" | "placeMarket" | "cancel" | "cancelAll"
  readonly text: string
}

const ack = (n: number): TxAck => ({ txHash: `dry-run-${n}`, acceptedAtMs: Date.now() })

export const makeDryRunVenue = (inner: VenueShape, o: {
  readonly market: (marketId: number) => MarketSpec | undefined
  readonly record?: (tx: DryRunTx) => void
}): VenueShape => {
  let n = 0
  const virtual = new Map<number, OrderUpdate>()
  const units = (marketId: number, base: number, price: number, at = "@") => {
    const m = o.market(marketId)
    return m === undefined ? `${base} base units ${at} ${price} ticks (market ${marketId})` : `${formatBase(m, base)} ${m.symbol} ${at} ${formatPrice(m, price)}`
  }
  const would = (op: DryRunTx["op"], text: string) =>
    Effect.gen(function*() {
      n++
      o.record?.({ op, text })
      yield* Effect.logInfo(`DRY RUN — not sent: ${text}`)
      return ack(n)
    })
  return {
    ...inner,
    placeLimit: (req) =>
      Effect.suspend(() => {
        virtual.set(req.clientOrderIndex, {
          _tag: "OrderUpdate",
          accountIndex: inner.accountIndex,
          marketId: req.marketId,
          orderIndex: String(req.clientOrderIndex),
          clientOrderIndex: req.clientOrderIndex,
          side: req.side,
          kind: "limit",
          timeInForce: req.postOnly ? "post-only" : "good-till-time",
          reduceOnly: req.reduceOnly,
          price: req.price,
          initialBase: req.base,
          filledBase: 0,
          remainingBase: req.base,
          filledQuoteMicro: 0n,
          status: "open",
          updatedAtMs: Date.now()
        })
        return would("placeLimit", `limit ${req.side} ${units(req.marketId, req.base, req.price)}${req.postOnly ? " post-only" : ""}${req.reduceOnly ? " reduce-only" : ""} (client index ${req.clientOrderIndex})`)
      }),
    placeMarket: (req) =>
      would("placeMarket", `market (IOC) ${req.side} ${units(req.marketId, req.base, req.priceCap, "with price cap")}${req.reduceOnly ? " reduce-only" : ""} (client index ${req.clientOrderIndex})`),
    cancel: (req) =>
      Effect.suspend(() => {
        const coi = /^\d{1,15}$/.test(req.index) ? Number(req.index) : undefined
        const v = coi === undefined ? undefined : virtual.get(coi)
        if (v !== undefined && coi !== undefined) virtual.set(coi, { ...v, status: "canceled", remainingBase: 0, updatedAtMs: Date.now() })
        return would("cancel", `cancel order ${req.index} in market ${req.marketId}${v === undefined ? "" : ` (${v.side} ${units(v.marketId, v.initialBase, v.price)})`}`)
      }),
    cancelAll: () =>
      Effect.suspend(() => {
        for (const [coi, v] of virtual) if (v.status === "open") virtual.set(coi, { ...v, status: "canceled", remainingBase: 0 })
        return would("cancelAll", "cancel all orders of the account")
      }),
    orderByClientIndex: (marketId, coi) => {
      const v = virtual.get(coi)
      return v !== undefined && v.marketId === marketId ? Effect.succeed(Option.some(v)) : inner.orderByClientIndex(marketId, coi)
    }
  }
}

/** Wraps the Venue of `layer` (the real one) in the dry run. */
export const dryRunVenueLayer = (o: { readonly record?: (tx: DryRunTx) => void }) =>
  Layer.effect(
    Venue,
    Effect.gen(function*() {
      const inner = yield* Venue
      const markets = new Map<number, MarketSpec>()
      const wrapped = makeDryRunVenue(inner, { market: (id) => markets.get(id), ...(o.record !== undefined ? { record: o.record } : {}) })
      // Market specs are learnt as the program resolves them (for sizes and prices in market units).
      return Venue.of({
        ...wrapped,
        market: (symbol) => inner.market(symbol).pipe(Effect.tap((m) => Effect.sync(() => void markets.set(m.marketId, m))))
      })
    })
  )
