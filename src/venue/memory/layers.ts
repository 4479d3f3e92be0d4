// Venue and AccountStream over a MemoryExchange, one account each.
import { Effect, Layer, Option, Queue, Stream } from "effect"
import type { AccountEvent } from "../../domain/events.ts"
import { AccountStream } from "../AccountStream.ts"
import { VenueError } from "../errors.ts"
import { Venue, type VenueShape } from "../Venue.ts"
import { type MemoryExchange, MemoryVenueReject } from "./MemoryExchange.ts"

const call = <A>(op: string, f: () => A): Effect.Effect<A, VenueError> =>
  Effect.try({
    try: f,
    catch: (e) =>
      e instanceof MemoryVenueReject
        ? new VenueError({ op, kind: e.kind, message: e.message, ...(e.code === undefined ? {} : { code: e.code }) })
        : new VenueError({ op, kind: "rejected", message: String(e) })
  })

let txCounter = 0
const ack = () => ({ txHash: (++txCounter).toString(16).padStart(80, "0"), acceptedAtMs: Date.now() })

export const makeMemoryVenue = (ex: MemoryExchange, accountIndex: number): VenueShape => ({
  accountIndex,
  market: (symbol) =>
    Effect.suspend(() => {
      const m = ex.market(symbol)
      return m === undefined
        ? Effect.fail(new VenueError({ op: "market", kind: "rejected", code: 21602, message: `unknown market symbol "${symbol}"` }))
        : Effect.succeed(m)
    }),
  orderBook: (marketId, depth) => call("orderBook", () => ex.book(marketId, depth)),
  orderBookOrders: (marketId, limit) => call("orderBookOrders", () => ex.bookOrders(marketId, limit)),
  placeLimit: (req) => call("placeLimit", () => ex.placeLimit({ ...req, accountIndex })).pipe(Effect.map(ack)),
  placeMarket: (req) =>
    call("placeMarket", () => ex.placeMarket({ ...req, accountIndex })).pipe(
      Effect.flatMap(({ behaviour }) => {
        if (behaviour?.kind === "delay") return Effect.as(Effect.sleep(behaviour.ms), ack())
        if (behaviour?.kind === "ack-lost") {
          return Effect.fail(new VenueError({ op: "placeMarket", kind: "unknown-outcome", message: "no answer from venue" }))
        }
        return Effect.succeed(ack())
      })
    ),
  cancel: (req) => call("cancel", () => ex.cancel(accountIndex, req.marketId, req.index)).pipe(Effect.map(ack)),
  cancelAll: () => call("cancelAll", () => ex.cancelAll(accountIndex)).pipe(Effect.map(ack)),
  openOrders: (marketId) => call("openOrders", () => ex.activeOrders(accountIndex, marketId)),
  orderByClientIndex: (marketId, coi) =>
    call("orderByClientIndex", () => Option.fromNullishOr(ex.orderByClientIndex(accountIndex, marketId, coi))),
  position: (marketId) => call("position", () => ex.position(accountIndex, marketId)),
  recentTrades: (marketId, limit) => call("recentTrades", () => ex.accountTrades(accountIndex, marketId).slice(0, limit)),
  freeCollateral: () => call("freeCollateral", () => Option.fromNullishOr(ex.freeCollateralOf(accountIndex)))
})

export const memoryAccountEvents = (ex: MemoryExchange, accountIndex: number): Stream.Stream<AccountEvent> =>
  Stream.callback<AccountEvent>((queue) =>
    Effect.acquireRelease(
      Effect.sync(() => ex.subscribe(accountIndex, (e) => Queue.offerUnsafe(queue, e))),
      (unsubscribe) => Effect.sync(unsubscribe)
    )
  )

export const MemoryVenue = {
  layer: (ex: MemoryExchange, accountIndex: number) => Layer.succeed(Venue, Venue.of(makeMemoryVenue(ex, accountIndex)))
}

export const MemoryAccountStream = {
  layer: (ex: MemoryExchange, accountIndex: number) =>
    Layer.succeed(AccountStream, AccountStream.of({ accountIndex, events: memoryAccountEvents(ex, accountIndex) }))
}
