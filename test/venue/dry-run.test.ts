// The dry-run venue: every transaction becomes a log record and nothing reaches the inner venue;
// reads pass through; the orders it "placed" rest virtually until "cancelled".
import { Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { type DryRunTx, makeDryRunVenue } from "../../src/venue/dry-run.ts"
import { VenueError } from "../../src/venue/errors.ts"
import type { VenueShape } from "../../src/venue/Venue.ts"

const sent: Array<string> = []
const refuse = (op: string) => Effect.suspend(() => {
  sent.push(op)
  return Effect.fail(new VenueError({ op, kind: "rejected", message: "the inner venue must never be asked to send" }))
})
const inner: VenueShape = {
  accountIndex: 7,
  market: () => Effect.succeed(LIGHTER_BTC),
  orderBook: (marketId) => Effect.succeed({ marketId, bids: [{ price: 1_000_000, size: 10 }], asks: [{ price: 1_000_010, size: 10 }], timestampMs: 1 }),
  placeLimit: () => refuse("placeLimit"),
  placeMarket: () => refuse("placeMarket"),
  cancel: () => refuse("cancel"),
  cancelAll: () => refuse("cancelAll"),
  openOrders: () => Effect.succeed([]),
  orderByClientIndex: () => Effect.succeed(Option.none()),
  position: (marketId) => Effect.succeed({ _tag: "PositionUpdate", accountIndex: 7, marketId, signedBase: 0, avgEntryPrice: 0 }),
  recentTrades: () => Effect.succeed([]),
  freeCollateral: () => Effect.succeed(Option.some(1_000_000))
}

describe("dry-run venue", () => {
  it("logs every transaction in market units, sends none, and its quote rests until cancelled", async () => {
    const records: Array<DryRunTx> = []
    const v = makeDryRunVenue(inner, { market: (id) => (id === 1 ? LIGHTER_BTC : undefined), record: (t) => void records.push(t) })
    await Effect.runPromise(Effect.gen(function*() {
      const m = LIGHTER_BTC.marketId
      yield* v.placeLimit({ marketId: m, side: "buy", base: 20, price: 1_094_633, clientOrderIndex: 42, postOnly: true, reduceOnly: false })
      const resting = yield* v.orderByClientIndex(m, 42)
      expect(Option.isSome(resting) && resting.value.status).toBe("open")
      yield* v.cancel({ marketId: m, index: "42" })
      const cancelled = yield* v.orderByClientIndex(m, 42)
      expect(Option.isSome(cancelled) && cancelled.value.status).toBe("canceled")
      yield* v.placeMarket({ marketId: m, side: "sell", base: 20, priceCap: 1_083_687, clientOrderIndex: 43, reduceOnly: false })
      yield* v.cancelAll()
      // Reads still come from the venue.
      expect((yield* v.orderBook(m, 1)).bids[0]!.price).toBe(1_000_000)
      expect(yield* v.orderByClientIndex(m, 99)).toEqual(Option.none())
    }))
    expect(sent).toEqual([])
    expect(records.map((r) => r.op)).toEqual(["placeLimit", "cancel", "placeMarket", "cancelAll"])
    expect(records[0]!.text).toBe("limit buy 0.00020 BTC @ 109463.3 post-only (client index 42)")
    expect(records[1]!.text).toContain("cancel order 42")
    expect(records[2]!.text).toBe("market (IOC) sell 0.00020 BTC with price cap 108368.7 (client index 43)")
  })
})
