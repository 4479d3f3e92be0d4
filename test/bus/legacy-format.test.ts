// The previous system's wire format at its edges (src/bus/legacy-messages.ts): json.dumps's
// layout (declared floats, digit-string integers, booleans, what is refused), the reviver that
// keeps every digit of the integers named in `ints`, and B's average price on markets whose
// decimals need more places than micro-USDC.
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { hedgeExecution, PythonJson, pythonFloatRepr, pythonJsonObject } from "../../src/bus/legacy-messages.ts"
import type { MarketSpec } from "../../src/domain/market.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"

const attempt = (over: Partial<ConstructorParameters<typeof HedgeAttempt>[0]> = {}) =>
  new HedgeAttempt({ attempt: 1, clientOrderIndex: 123_456_789, side: "sell", base: 20, priceCap: 1, sentAtMs: 1, ...over })

const market = (sizeDecimals: number, priceDecimals: number): MarketSpec => ({
  marketId: 9, symbol: "X", sizeDecimals, priceDecimals, minBaseAmount: 1, minQuoteAmount: 1
})

describe("the previous system's JSON, exactly", () => {
  it("declared floats are Python floats; a declared float that is not a number is a string", () => {
    assert.strictEqual(pythonJsonObject({ f: 2, s: "x", g: "1.5" }, ["f", "s", "g"], { floats: ["f", "g"] }), `{"f": 2.0, "s": "x", "g": "1.5"}`)
  })

  it("integers named in ints: digit strings written bare without leading zeros (the sign kept); other strings stay strings", () => {
    assert.strictEqual(
      pythonJsonObject({ a: "007", b: "-007", c: "12abc", d: "0", e: "x", f: "42" }, ["a", "b", "c", "d", "e", "f"], { ints: ["a", "b", "c", "d"] }),
      `{"a": 7, "b": -7, "c": "12abc", "d": 0, "e": "x", "f": "42"}`
    )
    // A number under an ints key is an integer as it is.
    assert.strictEqual(pythonJsonObject({ i: 5 }, ["i"], { ints: ["i"] }), `{"i": 5}`)
  })

  it("booleans, null, safe integers and bigints as JSON; a number that is neither a safe integer nor a declared float is refused", () => {
    assert.strictEqual(pythonJsonObject({ t: true, f: false, n: null, i: 5, b: 12345678901234567890n }, ["t", "f", "n", "i", "b"]), `{"t": true, "f": false, "n": null, "i": 5, "b": 12345678901234567890}`)
    assert.throws(() => pythonJsonObject({ x: 1.5 }, ["x"]), TypeError, "x: 1.5 is neither an integer, a declared float nor a string")
  })

  it("NaN and infinities are not JSON: refused, naming the value", () => {
    assert.throws(() => pythonFloatRepr(Number.NaN), RangeError, "pythonFloatRepr: NaN is not a finite number")
    assert.throws(() => pythonFloatRepr(Number.POSITIVE_INFINITY), RangeError, "pythonFloatRepr: Infinity is not a finite number")
  })

  it("decoding: an integer named in ints keeps every digit; the same key as a JSON string, and other numbers, decode as written", () => {
    const S = PythonJson(Schema.Struct({ order_index: Schema.String, n: Schema.Number }), { ints: ["order_index"] })
    const decode = Schema.decodeUnknownSync(S)
    assert.deepStrictEqual(decode(`{"order_index": 844424550092697123, "n": 5}`), { order_index: "844424550092697123", n: 5 })
    assert.deepStrictEqual(decode(`{"order_index": "12", "n": 1.5}`), { order_index: "12", n: 1.5 })
    // Encoding writes json.dumps's text, keys in the schema's order.
    assert.strictEqual(Schema.encodeSync(S)({ order_index: "0844424550092697123", n: 5 }), `{"order_index": 844424550092697123, "n": 5}`)
  })
})

describe("B's average price on markets with more places than micro-USDC", () => {
  it("size 5 + price 3 decimals (8 places): from the filled notional and from average prices in ticks", () => {
    const m = market(5, 3)
    // 0.00010 at 100000.000 → 10 USDC = 10_000_000 micro.
    assert.deepStrictEqual(hedgeExecution(m, [attempt({ filledBase: 10, filledQuoteMicro: 10_000_000 })]), { base: 10, avgPrice: "100000" })
    // 0.00010 at 100000.000 and 0.00030 at 100000.400 (in ticks).
    assert.deepStrictEqual(
      hedgeExecution(m, [attempt({ filledBase: 10, filledQuoteMicro: 10_000_000 }), attempt({ attempt: 2, filledBase: 30, avgPrice: 100_000_400 })]),
      { base: 40, avgPrice: "100000.3" }
    )
  })

  it("size 2 + price 1 decimals (fewer places than micro-USDC): prices in ticks scaled up, exactly", () => {
    const m = market(2, 1)
    // 0.10 at 2500.5 (ticks 25005) and 0.30 at 2500.1 (micro 750_030_000 = 0.30 × 2500.1 USDC).
    assert.deepStrictEqual(
      hedgeExecution(m, [attempt({ filledBase: 10, avgPrice: 25_005 }), attempt({ attempt: 2, filledBase: 30, filledQuoteMicro: 750_030_000 })]),
      { base: 40, avgPrice: "2500.2" }
    )
  })

  it("a filled attempt with a zero notional falls back to its average price", () => {
    assert.deepStrictEqual(hedgeExecution(market(5, 1), [attempt({ filledBase: 20, filledQuoteMicro: 0, avgPrice: 1_000_004 })]), { base: 20, avgPrice: "100000.4" })
  })
})
