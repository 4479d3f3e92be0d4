// The shapes of the previous system's messages (src/bus/legacy-messages.ts) are a contract with
// programs we do not control (its main_A reads hedge:account_b_filled, its dashboards the
// positions hash): each Schema accepts exactly the values those programs write and read, and
// refuses the near misses, so an encoder that drifts fails here, not in someone's parser.
import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  DocumentedFill,
  DocumentedFillJson,
  DocumentedHedge,
  DocumentedHedgeStatus,
  PreviousCloseAll,
  PreviousFill,
  PreviousFillJson,
  PreviousPosition,
  PreviousPositionJson
} from "../../src/bus/legacy-messages.ts"

const accepts = <S extends Schema.Top>(schema: S, value: unknown): boolean =>
  Result.isSuccess(Schema.decodeUnknownResult(schema as never)(value))

const documentedFill = {
  order_index: "281474976710656",
  client_order_index: 12,
  market_index: 1,
  filled_base_amount: "0.0002",
  avg_execution_price: "109463.3",
  side: "buy",
  timestamp: 1700000000.123
}
const previousFill = {
  account_index: 7,
  market_index: 1,
  order_index: "281474976710656",
  filled_base_amount: "0.00020",
  filled_quote_amount: "22.231760",
  avg_price: "109463.3",
  timestamp: 1700000000,
  side: "sell"
}
const previousPosition = {
  account_name: "account_b",
  account_index: 8,
  size: 0.0002,
  sign: -1,
  direction: "short",
  timestamp: 1700000000,
  market: "BTC",
  available_balance: "-12.5"
}

describe("DocumentedFill: sizes and prices as plain decimals, without padding zeros", () => {
  it.each(["0", "0.0002", "0.5", "109463", "109463.3", "10.05"])("accepts %s", (v) => {
    expect(accepts(DocumentedFill, { ...documentedFill, filled_base_amount: v, avg_execution_price: v })).toBe(true)
  })
  it.each(["", "x1", "1x", "1.50", "01", "00", "1.", ".5", "-1", "1e5", "0.00020"])("refuses %j", (v) => {
    expect(accepts(DocumentedFill, { ...documentedFill, filled_base_amount: v })).toBe(false)
    expect(accepts(DocumentedFill, { ...documentedFill, avg_execution_price: v })).toBe(false)
  })
  it("refuses negative or fractional indexes", () => {
    expect(accepts(DocumentedFill, { ...documentedFill, client_order_index: -1 })).toBe(false)
    expect(accepts(DocumentedFill, { ...documentedFill, market_index: 1.5 })).toBe(false)
  })
})

describe("DocumentedHedge: the status words main_A compares", () => {
  it.each(["success", "partial", "failed"])("accepts %s", (status) => {
    expect(accepts(DocumentedHedgeStatus, status)).toBe(true)
    expect(accepts(DocumentedHedge, { ...documentedFill, status })).toBe(true)
  })
  it.each(["", "ok", "SUCCESS"])("refuses %j", (status) => {
    expect(accepts(DocumentedHedge, { ...documentedFill, status })).toBe(false)
  })
  it("is the fill's fields plus the status", () => {
    expect(accepts(DocumentedHedge, documentedFill)).toBe(false)
    expect(accepts(DocumentedHedge, { ...documentedFill, filled_base_amount: "0.10", status: "success" })).toBe(false)
  })
})

describe("PreviousFill: the venue's decimals, with the market's padding", () => {
  it("accepts what account_a_manager.py writes", () => {
    expect(accepts(PreviousFill, previousFill)).toBe(true)
    expect(accepts(PreviousFill, { ...previousFill, filled_base_amount: "22" })).toBe(true)
  })
  it.each(["", "x1", "1.5x", "1.", ".5", "-1", "1e5"])("refuses the amount %j", (v) => {
    expect(accepts(PreviousFill, { ...previousFill, filled_base_amount: v })).toBe(false)
  })
  it.each(["", "x12", "12x", "-1", "1.0"])("refuses the order index %j", (v) => {
    expect(accepts(PreviousFill, { ...previousFill, order_index: v })).toBe(false)
  })
  it("refuses a side that is not buy or sell", () => {
    expect(accepts(PreviousFill, { ...previousFill, side: "long" })).toBe(false)
  })
})

describe("PreviousCloseAll", () => {
  it("is the action close_all and nothing else", () => {
    const closeAll = { action: "close_all", market: "BTC", market_index: 1, timestamp: 1700000000 }
    expect(accepts(PreviousCloseAll, closeAll)).toBe(true)
    expect(accepts(PreviousCloseAll, { ...closeAll, action: "" })).toBe(false)
    expect(accepts(PreviousCloseAll, { ...closeAll, action: "close" })).toBe(false)
    expect(accepts(PreviousCloseAll, { ...closeAll, timestamp: -1 })).toBe(false)
  })
})

describe("PreviousPosition: sign and direction as redis_messenger.py writes them", () => {
  it.each([[1, "long"], [-1, "short"], [0, "none"]] as const)("accepts sign %d, direction %s", (sign, direction) => {
    expect(accepts(PreviousPosition, { ...previousPosition, sign, direction })).toBe(true)
  })
  it("refuses other signs and directions, a negative size, a malformed balance", () => {
    expect(accepts(PreviousPosition, { ...previousPosition, sign: 2 })).toBe(false)
    expect(accepts(PreviousPosition, { ...previousPosition, direction: "flat" })).toBe(false)
    expect(accepts(PreviousPosition, { ...previousPosition, direction: "" })).toBe(false)
    expect(accepts(PreviousPosition, { ...previousPosition, size: -0.1 })).toBe(false)
    for (const b of ["", "x-1", "-1x", "--1", "1.", "+1"]) expect(accepts(PreviousPosition, { ...previousPosition, available_balance: b })).toBe(false)
  })
  it("accepts a balance that is positive, negative or whole, or none", () => {
    for (const b of ["22.231760", "-12.5", "22"]) expect(accepts(PreviousPosition, { ...previousPosition, available_balance: b })).toBe(true)
    const { available_balance: _, ...without } = previousPosition
    expect(accepts(PreviousPosition, without)).toBe(true)
  })
})

describe("the JSON forms: written as Python's json.dumps would, read back with every digit", () => {
  it("a fill's timestamp is a float; an order index beyond 2^53 keeps its digits", () => {
    const text = Schema.encodeSync(DocumentedFillJson)({ ...documentedFill, side: "buy", timestamp: 1700000000 } as DocumentedFill)
    expect(text).toContain('"timestamp": 1700000000.0')
    const big = '{"account_index": 7, "market_index": 1, "order_index": 9007199254740993, "filled_base_amount": "0.00020", "filled_quote_amount": "22.231760", "avg_price": "109463.3", "timestamp": 1700000000, "side": "sell"}'
    expect(Schema.decodeUnknownSync(PreviousFillJson)(big).order_index).toBe("9007199254740993")
    expect(Schema.encodeSync(PreviousFillJson)(Schema.decodeUnknownSync(PreviousFillJson)(big))).toBe(big)
  })
  it("a position's size is a float", () => {
    const text = Schema.encodeSync(PreviousPositionJson)({ ...previousPosition, size: 1 } as PreviousPosition)
    expect(text).toContain('"size": 1.0')
  })
})
