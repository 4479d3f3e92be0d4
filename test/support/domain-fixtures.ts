// Shared fixtures of the domain tests: A's account events as the stream delivers them, and the
// fields of a plausible stored fill entry.
import { Schema } from "effect"
import type { OrderUpdate, TradeEvent } from "../../src/domain/events.ts"
import { FillMessage } from "../../src/domain/messages.ts"

export const ACC = 1

/** An order update of A's order `orderIndex` (100 base units) filled to `filled`. */
export const order = (orderIndex: string, filled: number, over: Partial<OrderUpdate> = {}): OrderUpdate => ({
  _tag: "OrderUpdate", accountIndex: ACC, marketId: 1, orderIndex, clientOrderIndex: 9, side: "buy", kind: "limit",
  timeInForce: "post-only", reduceOnly: false, price: 1000, initialBase: 100, filledBase: filled, remainingBase: 100 - filled,
  filledQuoteMicro: 0n, status: filled === 100 ? "filled" : "open", updatedAtMs: 1, ...over
})

/** A trade of `size` on A's order `orderIndex`. */
export const trade = (orderIndex: string, tradeId: string, size: number, over: Partial<TradeEvent> = {}): TradeEvent => ({
  _tag: "TradeEvent", accountIndex: ACC, marketId: 1, tradeId, orderIndex, clientOrderIndex: 9, side: "buy", isMaker: true,
  size, price: 1000, counterpartyAccountIndex: 100, timestampMs: 1, ...over
})

/** The fields of a valid stored fill (a FillMessage). */
export const validFillFields = {
  fillId: "281474976710700:20",
  pair: "BTC-1-2",
  accountIndex: 1,
  marketId: 1,
  side: "buy",
  orderIndex: "281474976710700",
  clientOrderIndex: 5,
  filledBefore: 0,
  filledAfter: 20,
  size: 20,
  price: 1_000_000,
  venueTimestampMs: 1,
  detectedAtMs: 2,
  fillSeq: 7
}

/** Whether the valid fill with `patch` applied still decodes. */
export const decodesFill = (patch: Record<string, unknown>): boolean =>
  Schema.decodeUnknownResult(FillMessage)({ ...validFillFields, ...patch })._tag === "Success"
