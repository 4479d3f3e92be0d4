// The previous system's messages as pure text: decimal strings, Python's json.dumps (checked
// against CPython 3 outputs written down here), and each message against the examples in the
// previous system's own docs.
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import fc from "fast-check"
import {
  DocumentedFillJson,
  DocumentedHedgeJson,
  documentedFill,
  documentedHedge,
  encodeDocumentedFill,
  encodeDocumentedHedge,
  encodePreviousCloseAll,
  encodePreviousFill,
  encodePreviousPosition,
  fillMirrors,
  hedgeExecution,
  type LegacyOptions,
  plainDecimal,
  plainDecimalOfRatio,
  positionValueParts,
  previousChannel,
  previousCloseAll,
  previousFill,
  PreviousFillJson,
  previousPosition,
  PreviousPositionJson,
  previousPositionsKey,
  pythonFloatRepr,
  pythonJsonObject,
  pythonJsonString,
  resultMirrors
} from "../../src/bus/legacy-messages.ts"
import { LIGHTER_BTC, LIGHTER_ETH, type MarketSpec, parseScaled } from "../../src/domain/market.ts"
import { FillEvent, HedgeAttempt, HedgeResult, makeFillId } from "../../src/domain/messages.ts"

const BTC = LIGHTER_BTC

const fill = (over: Partial<ConstructorParameters<typeof FillEvent>[0]> = {}) => {
  const orderIndex = over.orderIndex ?? "844424550092697"
  const size = over.size ?? 20
  return new FillEvent({
    fillId: makeFillId(orderIndex, size),
    pair: "BTC-280459-280458",
    accountIndex: 280459,
    marketId: 1,
    side: "buy",
    orderIndex,
    clientOrderIndex: 0,
    filledBefore: 0,
    filledAfter: size,
    size,
    price: 1_094_633,
    venueTimestampMs: 1_761_216_841_000,
    detectedAtMs: 1_761_216_841_321,
    ...over
  })
}

const attempt = (over: Partial<ConstructorParameters<typeof HedgeAttempt>[0]> = {}) =>
  new HedgeAttempt({ attempt: 1, clientOrderIndex: 123_456_789, side: "sell", base: 20, priceCap: 1_089_160, sentAtMs: 1_761_216_841_500, ...over })

const result = (status: HedgeResult["status"], attempts: ReadonlyArray<HedgeAttempt>) =>
  new HedgeResult({
    fillId: "844424550092697:20",
    fillSeq: 7,
    pair: "BTC-280459-280458",
    marketId: 1,
    aSide: "buy",
    fillSize: 20,
    targetSignedBase: -20,
    hedgedSignedBase: -attempts.reduce((s, a) => s + (a.filledBase ?? 0), 0),
    residualSignedBase: 0,
    status,
    attempts,
    fillDetectedAtMs: 1_761_216_841_400,
    receivedAtMs: 1_761_216_841_450,
    doneAtMs: 1_761_216_842_007
  })

const both: LegacyOptions = { documentedChannels: true, previousChannels: true, accountAName: "account_4", accountBName: "account_5" }

describe("plainDecimal: integers to decimals without padding zeros", () => {
  it("examples", () => {
    const cases: ReadonlyArray<readonly [number | bigint, number, string]> = [
      [20, 5, "0.0002"],
      [1_094_633, 1, "109463.3"],
      [1_094_630, 1, "109463"],
      [0, 5, "0"],
      [0, 0, "0"],
      [100_000, 5, "1"],
      [1, 5, "0.00001"],
      [123, 0, "123"],
      [10, 0, "10"],
      [-20, 5, "-0.0002"],
      [-100, 2, "-1"],
      [25_631_906, 6, "25.631906"],
      [25_630_000, 6, "25.63"],
      [2n ** 70n, 6, "1180591620717411.303424"],
      [Number.MAX_SAFE_INTEGER, 4, "900719925474.0991"]
    ]
    for (const [v, d, want] of cases) assert.strictEqual(plainDecimal(v, d), want, `${v} / 10^${d}`)
  })

  it("reads back as the same integer and never ends in a padding zero or a point", () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 12 }), (v, d) => {
        const s = plainDecimal(v, d)
        assert.strictEqual(parseScaled(s, d, { allowNegative: true }), v)
        assert.notMatch(s, /\.\d*0$/)
        assert.notMatch(s, /\.$/)
        assert.notMatch(s, /^-?0\d/)
        assert.notStrictEqual(s, "-0")
      }),
      { numRuns: 2000 }
    )
  })
})

describe("plainDecimalOfRatio: a quotient rounded half away from zero", () => {
  it("examples", () => {
    assert.strictEqual(plainDecimalOfRatio(1n, 3n, 2), "0.33")
    assert.strictEqual(plainDecimalOfRatio(2n, 3n, 2), "0.67")
    assert.strictEqual(plainDecimalOfRatio(1n, 2n, 0), "1")
    assert.strictEqual(plainDecimalOfRatio(-1n, 2n, 0), "-1")
    assert.strictEqual(plainDecimalOfRatio(5n, 1n, 3), "5")
    assert.strictEqual(plainDecimalOfRatio(200_000_010n, 2_000n, 6), "100000.005")
    assert.strictEqual(plainDecimalOfRatio(0n, 7n, 6), "0")
    assert.throws(() => plainDecimalOfRatio(1n, 0n, 2))
  })

  it("is within half a unit of the last place of num / den", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.integer({ min: 0, max: 10 }), (num, den, d) => {
        const s = plainDecimalOfRatio(num, den, d)
        const [int = "", frac = ""] = s.replace("-", "").split(".")
        const r = BigInt(int + frac.padEnd(d, "0")) * (s.startsWith("-") ? -1n : 1n)
        // |r / 10^d − num / den| ≤ 1 / (2 · 10^d)  ⇔  |2·(r·den − num·10^d)| ≤ den
        const diff = r * den - num * 10n ** BigInt(d)
        assert.isTrue(2n * (diff < 0n ? -diff : diff) <= den, `${num}/${den} at ${d}: ${s}`)
      }),
      { numRuns: 1000 }
    )
  })
})

describe("pythonFloatRepr: Python 3's repr(float)", () => {
  // Each right-hand side is what CPython 3 prints for repr(x).
  const PYTHON: ReadonlyArray<readonly [number, string]> = [
    [0, "0.0"],
    [-0, "-0.0"],
    [1, "1.0"],
    [0.0002, "0.0002"],
    [0.00002, "2e-05"],
    [0.0001, "0.0001"],
    [1e-7, "1e-07"],
    [1.5e-7, "1.5e-07"],
    [-2.5e-10, "-2.5e-10"],
    [123.456, "123.456"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1761216841.321, "1761216841.321"],
    [1761216841, "1761216841.0"],
    [1e15, "1000000000000000.0"],
    [1234567890123456, "1234567890123456.0"],
    [9999999999999998, "9999999999999998.0"],
    [1e16, "1e+16"],
    [1e21, "1e+21"],
    [1e22, "1e+22"],
    [12345678901234567890, "1.2345678901234567e+19"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [99999.99999, "99999.99999"]
  ]

  it("matches CPython on these values", () => {
    for (const [x, want] of PYTHON) assert.strictEqual(pythonFloatRepr(x), want, String(x))
  })

  it("refuses what JSON cannot hold", () => {
    for (const x of [NaN, Infinity, -Infinity]) assert.throws(() => pythonFloatRepr(x))
  })

  it("reads back as the same double, and always looks like a float", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = pythonFloatRepr(x)
        assert.isTrue(Object.is(Number(s), x), `${x} → ${s}`)
        assert.match(s, /^-?(\d+\.\d+|\d(\.\d+)?e[+-]\d{2,3})$/)
        // Fixed notation exactly where Python uses it.
        const a = Math.abs(x)
        assert.strictEqual(s.includes("e"), a !== 0 && (a < 1e-4 || a >= 1e16), `${x} → ${s}`)
      }),
      { numRuns: 5000 }
    )
  })

  it("timestamps in ms: seconds with the milliseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const s = pythonFloatRepr(ms / 1000)
        const [sec, frac = ""] = s.split(".")
        assert.strictEqual(sec, String(Math.floor(ms / 1000)))
        assert.strictEqual(frac.padEnd(3, "0"), String(ms % 1000).padStart(3, "0"))
      }),
      { numRuns: 2000 }
    )
  })
})

describe("pythonJsonString / pythonJsonObject: json.dumps", () => {
  it("escapes as ensure_ascii does", () => {
    // json.dumps(...) in CPython 3.
    assert.strictEqual(pythonJsonString("abc"), "\"abc\"")
    assert.strictEqual(pythonJsonString("a\"b\\c/"), "\"a\\\"b\\\\c/\"")
    assert.strictEqual(pythonJsonString("中文"), "\"\\u4e2d\\u6587\"")
    assert.strictEqual(pythonJsonString("😀x"), "\"\\ud83d\\ude00x\"")
    assert.strictEqual(pythonJsonString("\u007f\u0000\u001f\b\f\n\r\t"), "\"\\u007f\\u0000\\u001f\\b\\f\\n\\r\\t\"")
    assert.strictEqual(pythonJsonString("é"), "\"\\u00e9\"")
  })

  it("any string: JSON that reads back as itself, printable ASCII only", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const j = pythonJsonString(s)
        assert.strictEqual(JSON.parse(j), s)
        assert.match(j, /^[\x20-\x7e]*$/)
      }),
      { numRuns: 2000 }
    )
  })

  it("objects: keys in the given order, Python's separators, ints, floats and strings as declared", () => {
    // json.dumps({"account_name": "账户", "size": 2e-05, "x": 0.0, "n": 3, "o": 844424540373959123, "b": True, "z": None})
    assert.strictEqual(
      pythonJsonObject(
        { o: "0844424540373959123", account_name: "账户", size: 0.00002, x: 0, n: 3, b: true, z: null, skipped: undefined },
        ["account_name", "size", "x", "n", "o", "b", "z", "skipped", "absent"],
        { floats: ["size", "x"], ints: ["o"] }
      ),
      "{\"account_name\": \"\\u8d26\\u6237\", \"size\": 2e-05, \"x\": 0.0, \"n\": 3, \"o\": 844424540373959123, \"b\": true, \"z\": null}"
    )
    assert.strictEqual(pythonJsonObject({}, []), "{}")
    assert.throws(() => pythonJsonObject({ x: 1.5 }, ["x"]), /x/)
    // A digit string not declared an int stays a string; a non-digit one declared an int too.
    assert.strictEqual(pythonJsonObject({ a: "12", b: "x1" }, ["a", "b"], { ints: ["b"] }), "{\"a\": \"12\", \"b\": \"x1\"}")
  })
})

describe("the documented messages (SYSTEM_STATUS.md)", () => {
  it("A's fill is the documented example, byte for byte", () => {
    assert.strictEqual(
      encodeDocumentedFill(documentedFill(fill(), BTC)),
      "{\"order_index\": \"844424550092697\", \"client_order_index\": 0, \"market_index\": 1, \"filled_base_amount\": \"0.0002\", " +
        "\"avg_execution_price\": \"109463.3\", \"side\": \"buy\", \"timestamp\": 1761216841.321}"
    )
  })

  it("A's fill: the fill's own size and price; when A saw it", () => {
    const m = documentedFill(fill({ size: 35, price: 1_094_630, side: "sell", clientOrderIndex: 42, venueTimestampMs: 1_761_216_841_000, detectedAtMs: 1_761_216_842_000 }), BTC)
    assert.deepStrictEqual(m, {
      order_index: "844424550092697",
      client_order_index: 42,
      market_index: 1,
      filled_base_amount: "0.00035",
      avg_execution_price: "109463",
      side: "sell",
      timestamp: 1_761_216_842
    })
    assert.include(encodeDocumentedFill(m), "\"timestamp\": 1761216842.0}")
  })

  it("any fill: the text decodes to the same message, its amounts read back exactly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 48 - 1 }),
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.constantFrom<MarketSpec>(BTC, LIGHTER_ETH),
        (size, price, order, ts, market) => {
          const f = fill({ size, price, orderIndex: order.toString(), detectedAtMs: ts })
          const m = documentedFill(f, market)
          const text = encodeDocumentedFill(m)
          assert.deepStrictEqual(Schema.decodeUnknownSync(DocumentedFillJson)(text), m)
          assert.strictEqual(parseScaled(m.filled_base_amount, market.sizeDecimals), size)
          assert.strictEqual(parseScaled(m.avg_execution_price, market.priceDecimals), price)
          assert.strictEqual(JSON.parse(text).order_index, order.toString())
          assert.match(text, /"timestamp": \d+\.\d+\}$/)
        }
      ),
      { numRuns: 500 }
    )
  })

  it("B's result: status words, the real average price of its fills, B's side", () => {
    // One IOC across two levels: 10 at 100000.0 and 10 at 100000.1 = 20.000001 USDC … 2 000 001 micro-USDC.
    const twoLevels = attempt({ filledBase: 20, avgPrice: 1_000_001, filledQuoteMicro: 20_000_010, orderIndex: "562949953421313" })
    const ok = documentedHedge(result("hedged", [twoLevels]), BTC)!
    assert.deepStrictEqual(ok, {
      order_index: "562949953421313",
      client_order_index: 123_456_789,
      market_index: 1,
      filled_base_amount: "0.0002",
      avg_execution_price: "100000.05",
      side: "sell",
      timestamp: 1_761_216_842.007,
      status: "success"
    })
    assert.strictEqual(
      encodeDocumentedHedge(ok),
      "{\"order_index\": \"562949953421313\", \"client_order_index\": 123456789, \"market_index\": 1, \"filled_base_amount\": \"0.0002\", " +
        "\"avg_execution_price\": \"100000.05\", \"side\": \"sell\", \"timestamp\": 1761216842.007, \"status\": \"success\"}"
    )
    // Partial: two attempts, the second filled nothing; the order is the last that reached the venue.
    const partial = documentedHedge(result("partial", [
      attempt({ filledBase: 12, avgPrice: 1_094_600, filledQuoteMicro: 13_135_200, orderIndex: "11" }),
      attempt({ attempt: 2, clientOrderIndex: 123_456_790, base: 8, filledBase: 0, orderIndex: "12", error: "IOC: nothing filled" })
    ]), BTC)!
    assert.deepStrictEqual([partial.status, partial.filled_base_amount, partial.avg_execution_price, partial.order_index, partial.client_order_index], [
      "partial",
      "0.00012",
      "109460",
      "12",
      123_456_790
    ])
    // Failed: nothing traded; published with zero amounts (as calculate_avg_price's "0").
    const failed = documentedHedge(result("failed", [attempt({ filledBase: 0, error: "no liquidity" })]), BTC)!
    assert.deepStrictEqual([failed.status, failed.filled_base_amount, failed.avg_execution_price, failed.order_index], ["failed", "0", "0", "0"])
    const none = documentedHedge(result("failed", []), BTC)!
    assert.deepStrictEqual([none.order_index, none.client_order_index], ["0", 0])
    // Deferred: pooled below the minimum, nothing sent: not published (the hedge that carries it is).
    assert.isUndefined(documentedHedge(result("deferred", []), BTC))
    assert.deepStrictEqual(Schema.decodeUnknownSync(DocumentedHedgeJson)(encodeDocumentedHedge(partial)), partial)
  })

  it("B's average price: from the venue's filled notional, else the attempt's average in ticks, never the cap", () => {
    // Two attempts priced differently, one without a reported notional.
    assert.deepStrictEqual(
      hedgeExecution(BTC, [
        attempt({ filledBase: 10, filledQuoteMicro: 10_000_000 }), // 10 at 100000.0
        attempt({ attempt: 2, filledBase: 30, avgPrice: 1_000_004 }) // 30 at 100000.4
      ]),
      { base: 40, avgPrice: "100000.3" }
    )
    // A filled attempt with neither (never happens with a venue that reports fills) is not priced at its cap.
    assert.deepStrictEqual(hedgeExecution(BTC, [attempt({ filledBase: 20, priceCap: 1 }), attempt({ attempt: 2, filledBase: 20, avgPrice: 1_000_000 })]), {
      base: 40,
      avgPrice: "100000"
    })
    assert.deepStrictEqual(hedgeExecution(BTC, [attempt({ filledBase: 20 })]), { base: 20, avgPrice: "0" })
    assert.deepStrictEqual(hedgeExecution(BTC, []), { base: 0, avgPrice: "0" })
    // A non-terminating average: priceDecimals + sizeDecimals places (6 on BTC), rounded.
    assert.deepStrictEqual(hedgeExecution(BTC, [attempt({ filledBase: 3, filledQuoteMicro: 3_000_001 })]), { base: 3, avgPrice: "100000.033333" })
    // ETH (4 size, 2 price decimals): 0.0050 ETH for 15.001 USDC → 3000.2
    assert.deepStrictEqual(hedgeExecution(LIGHTER_ETH, [attempt({ filledBase: 50, filledQuoteMicro: 15_001_000 })]), { base: 50, avgPrice: "3000.2" })
  })

  it("any single-level hedge: its average is the level's price", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 32 - 1 }), (base, price) => {
        const quote = BigInt(base) * BigInt(price) // BTC: 5 + 1 decimals = micro-USDC exactly
        fc.pre(quote <= BigInt(Number.MAX_SAFE_INTEGER))
        const e = hedgeExecution(BTC, [attempt({ filledBase: base, filledQuoteMicro: Number(quote) })])
        assert.strictEqual(e.avgPrice, plainDecimal(price, 1))
      }),
      { numRuns: 500 }
    )
  })
})

describe("the previous implementation's messages (redis_messenger.py, main_A.py)", () => {
  it("channel and hash names", () => {
    assert.strictEqual(previousChannel(both), "hedge:account_4_to_account_5")
    assert.strictEqual(previousPositionsKey(both, "btc"), "hedge:positions:account_4_account_5:BTC")
  })

  it("A's fill is REDIS_DATA_STRUCTURE.md's example, byte for byte", () => {
    const f = fill({ orderIndex: "844424540373959", size: 20, price: 1_111_588, detectedAtMs: 1_761_290_283_999 })
    assert.strictEqual(
      encodePreviousFill(previousFill(f, BTC)),
      "{\"account_index\": 280459, \"market_index\": 1, \"order_index\": 844424540373959, \"filled_base_amount\": \"0.00020\", " +
        "\"filled_quote_amount\": \"22.231760\", \"avg_price\": \"111158.8\", \"timestamp\": 1761290283, \"side\": \"buy\"}"
    )
  })

  it("order_index keeps every digit beyond 2^53, and decodes back as such", () => {
    const big = "281474976710656001000"
    const text = encodePreviousFill(previousFill(fill({ orderIndex: big }), BTC))
    assert.include(text, `"order_index": ${big},`)
    assert.strictEqual(Schema.decodeUnknownSync(PreviousFillJson)(text).order_index, big)
  })

  it("close_all (main_A.py _send_close_signal_to_b)", () => {
    assert.strictEqual(
      encodePreviousCloseAll(previousCloseAll(BTC, 1_761_290_500_900)),
      "{\"action\": \"close_all\", \"market\": \"BTC\", \"market_index\": 1, \"timestamp\": 1761290500}"
    )
  })

  it("a position is update_position's docstring example, byte for byte; flat and short too", () => {
    const p = previousPosition({ accountName: "account_4", accountIndex: 280459, market: BTC, signedBase: 20, atMs: 1_761_290_287_123, availableBalanceMicro: 25_631_906 })
    assert.strictEqual(
      encodePreviousPosition(p),
      "{\"account_name\": \"account_4\", \"account_index\": 280459, \"size\": 0.0002, \"sign\": 1, \"direction\": \"long\", " +
        "\"timestamp\": 1761290287, \"market\": \"BTC\", \"available_balance\": \"25.631906\"}"
    )
    const flat = encodePreviousPosition(previousPosition({ accountName: "account_5", accountIndex: 280458, market: BTC, signedBase: 0, atMs: 1_761_290_287_000 }))
    assert.strictEqual(
      flat,
      "{\"account_name\": \"account_5\", \"account_index\": 280458, \"size\": 0.0, \"sign\": 0, \"direction\": \"none\", \"timestamp\": 1761290287, \"market\": \"BTC\"}"
    )
    const short = previousPosition({ accountName: "account_5", accountIndex: 280458, market: BTC, signedBase: -2, atMs: 0, availableBalanceMicro: -1_500_000 })
    assert.deepStrictEqual([short.size, short.sign, short.direction, short.available_balance], [0.00002, -1, "short", "-1.500000"])
    assert.include(encodePreviousPosition(short), "\"size\": 2e-05, \"sign\": -1, \"direction\": \"short\"")
    assert.include(encodePreviousPosition(short), "\"available_balance\": \"-1.500000\"}")
  })

  it("a position's text splits around its timestamp, for the writer that keeps the stored one", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 20 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), (name, pos, atMs) => {
        const p = previousPosition({ accountName: name, accountIndex: 1, market: BTC, signedBase: pos, atMs })
        const parts = positionValueParts(p)
        const text = parts.head + String(p.timestamp) + parts.tail
        assert.strictEqual(text, encodePreviousPosition(p))
        assert.deepStrictEqual(Schema.decodeUnknownSync(PreviousPositionJson)(parts.head + "12345" + parts.tail), { ...p, timestamp: 12345 })
        assert.strictEqual(Number(parts.size), Math.abs(pos) / 100_000)
        assert.strictEqual(parts.sign, String(Math.sign(pos) || 0))
      }),
      { numRuns: 300 }
    )
  })
})

describe("which messages each switch publishes", () => {
  it("fills: documented and previous apart; a message that cannot be built is a problem, not a throw", () => {
    const f = fill()
    assert.deepStrictEqual(fillMirrors(f, BTC, undefined), { publish: [], problems: [] })
    assert.deepStrictEqual(fillMirrors(f, BTC, { ...both, documentedChannels: false, previousChannels: false }).publish, [])
    assert.deepStrictEqual(fillMirrors(f, BTC, both).publish.map((m) => m.channel), ["hedge:account_a_filled", "hedge:account_4_to_account_5"])
    assert.deepStrictEqual(fillMirrors(f, BTC, { ...both, previousChannels: false }).publish.map((m) => m.channel), ["hedge:account_a_filled"])
    assert.deepStrictEqual(fillMirrors(f, BTC, { ...both, documentedChannels: false }).publish.map((m) => m.channel), ["hedge:account_4_to_account_5"])
    // An order index that is not digits cannot be the previous code's int: that message is left out.
    const odd = fillMirrors(fill({ orderIndex: "o-1" }), BTC, both)
    assert.deepStrictEqual(odd.publish.map((m) => m.channel), ["hedge:account_a_filled"])
    assert.strictEqual(odd.problems.length, 1)
    assert.include(odd.problems[0]!, "hedge:account_4_to_account_5")
  })

  it("results: documented only; nothing for a deferred result", () => {
    const r = result("hedged", [attempt({ filledBase: 20, avgPrice: 1_000_000, filledQuoteMicro: 20_000_000, orderIndex: "9" })])
    assert.deepStrictEqual(resultMirrors(r, BTC, both).publish.map((m) => m.channel), ["hedge:account_b_filled"])
    assert.deepStrictEqual(resultMirrors(r, BTC, { ...both, documentedChannels: false }), { publish: [], problems: [] })
    assert.deepStrictEqual(resultMirrors(r, BTC, undefined).publish, [])
    assert.deepStrictEqual(resultMirrors(result("deferred", []), BTC, both).publish, [])
  })
})
