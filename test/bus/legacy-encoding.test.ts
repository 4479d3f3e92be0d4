// Edges of the previous system's message encoding (src/bus/legacy-messages.ts) that
// test/bus/legacy-messages.test.ts leaves open: the printable-ASCII boundary of json.dumps's
// escapes, keys a value only inherits, big integers, what is refused and with which words, B's
// average price when some attempts filled nothing or reported a zero, the order a result names,
// times before 1970, the market's symbol in upper case.
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  documentedHedge,
  hedgeExecution,
  plainDecimalOfRatio,
  PreviousCloseAllJson,
  previousCloseAll,
  previousPosition,
  pythonJsonObject,
  pythonJsonString
} from "../../src/bus/legacy-messages.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { HedgeAttempt, HedgeResult } from "../../src/domain/messages.ts"

const attempt = (over: Partial<ConstructorParameters<typeof HedgeAttempt>[0]> = {}) =>
  new HedgeAttempt({ attempt: 1, clientOrderIndex: 5001, side: "sell", base: 20, priceCap: 900_000, sentAtMs: 1, ...over })

describe("json.dumps text", () => {
  it("escapes everything outside printable ASCII: DEL is escaped, ~ is not", () => {
    expect(pythonJsonString("~")).toBe("\"~\"")
    expect(pythonJsonString(" ")).toBe("\" \"")
    expect(pythonJsonString("\x7f")).toBe("\"\\u007f\"")
    expect(pythonJsonString("\x1f")).toBe("\"\\u001f\"")
  })

  it("writes only a value's own keys; big integers with every digit; refuses other numbers, naming the key", () => {
    expect(pythonJsonObject(Object.create({ inherited: "x" }) as Record<string, unknown>, ["inherited"])).toBe("{}")
    expect(pythonJsonObject({ n: 12345678901234567890n }, ["n"])).toBe("{\"n\": 12345678901234567890}")
    expect(() => pythonJsonObject({ x: 1.5 }, ["x"])).toThrow(new TypeError("pythonJsonObject: x: 1.5 is neither an integer, a declared float nor a string"))
  })

  it("text that is not JSON does not decode, saying so", () => {
    const r = Schema.decodeUnknownResult(PreviousCloseAllJson)("{close_all")
    expect(r._tag).toBe("Failure")
    expect(r._tag === "Failure" && r.failure.message).toMatch(/not JSON: /)
  })

  it("a ratio needs a positive denominator", () => {
    expect(() => plainDecimalOfRatio(1n, 0n, 2)).toThrow(new RangeError("plainDecimalOfRatio: denominator 0 is not positive"))
    expect(() => plainDecimalOfRatio(1n, -3n, 2)).toThrow(RangeError)
    expect(plainDecimalOfRatio(-5n, 2n, 0)).toBe("-3")
    expect(plainDecimalOfRatio(1n, 1n, 2)).toBe("1")
  })
})

describe("B's average price", () => {
  it("an attempt that filled nothing adds nothing, whatever notional it reports", () => {
    expect(hedgeExecution(LIGHTER_BTC, [
      attempt({ filledBase: 20, avgPrice: 1_000_000 }),
      attempt({ attempt: 2, filledBase: 0, filledQuoteMicro: 999_000_000 })
    ])).toStrictEqual({ base: 20, avgPrice: "100000" })
  })

  it("a zero notional counts at the average price; a zero average price leaves the attempt unpriced", () => {
    expect(hedgeExecution(LIGHTER_BTC, [attempt({ filledBase: 20, filledQuoteMicro: 0, avgPrice: 1_000_000 })])).toStrictEqual({ base: 20, avgPrice: "100000" })
    expect(hedgeExecution(LIGHTER_BTC, [
      attempt({ filledBase: 20, avgPrice: 1_000_000 }),
      attempt({ attempt: 2, filledBase: 20, avgPrice: 0 })
    ])).toStrictEqual({ base: 40, avgPrice: "100000" })
  })
})

describe("the order B's result names", () => {
  const result = (attempts: ReadonlyArray<HedgeAttempt>) =>
    new HedgeResult({
      fillId: "1:20",
      fillSeq: 3,
      pair: "BTC:1-2",
      marketId: 1,
      aSide: "buy",
      fillSize: 20,
      targetSignedBase: -20,
      hedgedSignedBase: -20,
      residualSignedBase: 0,
      status: "hedged",
      attempts,
      fillDetectedAtMs: 1,
      receivedAtMs: 2,
      doneAtMs: 1_790_000_000_250
    })

  it("the last attempt that reached the venue, not a later one that did not", () => {
    const m = documentedHedge(result([
      attempt({ clientOrderIndex: 5001, orderIndex: "111", filledBase: 20, avgPrice: 1_000_000 }),
      attempt({ attempt: 2, clientOrderIndex: 5002, error: "rejected" })
    ]), LIGHTER_BTC)!
    expect([m.order_index, m.client_order_index]).toEqual(["111", 5001])
    expect(m.side).toBe("sell")
    expect(m.timestamp).toBe(1_790_000_000.25)
  })

  it("none reached it: the last attempt's client index, order \"0\"", () => {
    const m = documentedHedge(result([attempt({ clientOrderIndex: 5001 }), attempt({ attempt: 2, clientOrderIndex: 5002 })]), LIGHTER_BTC)!
    expect([m.order_index, m.client_order_index]).toEqual(["0", 5002])
  })
})

describe("previous system's records", () => {
  it("times before 1970 are written as 0", () => {
    expect(previousCloseAll(LIGHTER_BTC, -5_000).timestamp).toBe(0)
    expect(previousPosition({ accountName: "a", accountIndex: 1, market: LIGHTER_BTC, signedBase: 1, atMs: -1 }).timestamp).toBe(0)
    expect(previousCloseAll(LIGHTER_BTC, 1_999).timestamp).toBe(1)
  })

  it("the position's market is the symbol in upper case", () => {
    const p = previousPosition({ accountName: "a", accountIndex: 1, market: { ...LIGHTER_BTC, symbol: "btc" }, signedBase: -3, atMs: 0 })
    expect(p.market).toBe("BTC")
    expect([p.sign, p.direction, p.size]).toEqual([-1, "short", 0.00003])
    expect(previousCloseAll({ ...LIGHTER_BTC, symbol: "btc" }, 0).market).toBe("btc")
  })
})
