// The bus schemas beyond the fill's ranges: the venue's ranges written out as numbers (not through
// the constants they are meant to equal), the residual flush's own fill, and the hedge result
// B appends to `<prefix>:hedges` — every status, every attempt field, read back as it was written.
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { hedgeClientIndex, MAX_ATTEMPT, MAX_CLIENT_ORDER_INDEX, MAX_FILL_SEQ, MAX_TAG } from "../../src/domain/client-index.ts"
import {
  FillEvent,
  FillMessage,
  HedgeAttempt,
  HedgeResult,
  isResidualFlush,
  makeFillId,
  MAX_ACCOUNT_INDEX,
  MAX_BASE,
  MAX_MARKET_ID,
  MAX_PRICE,
  RESIDUAL_FILL_PREFIX,
  ResidualFlush,
  ResidualFlushMessage,
  subjectOfFill,
  subjectOfFlush
} from "../../src/domain/messages.ts"
import { decodesFill, validFillFields } from "../support/domain-fixtures.ts"

const fill = validFillFields

describe("the venue's ranges, as numbers (Lighter: 48-bit amounts, indexes and accounts, 32-bit prices, 16-bit markets)", () => {
  const cases: ReadonlyArray<readonly [string, number]> = [
    ["accountIndex", 281_474_976_710_655],
    ["clientOrderIndex", 281_474_976_710_655],
    ["filledBefore", 281_474_976_710_655],
    ["filledAfter", 281_474_976_710_655],
    ["size", 281_474_976_710_655],
    ["price", 4_294_967_295],
    ["marketId", 65_535]
  ]
  for (const [field, max] of cases) {
    it(`${field}: ${max} is the largest accepted`, () => {
      expect(decodesFill({ [field]: max })).toBe(true)
      expect(decodesFill({ [field]: max + 1 })).toBe(false)
      expect(decodesFill({ [field]: max + 2 })).toBe(false)
    })
  }
  it("the exported bounds are those numbers", () => {
    expect([MAX_BASE, MAX_PRICE, MAX_ACCOUNT_INDEX, MAX_MARKET_ID]).toEqual([281_474_976_710_655, 4_294_967_295, 281_474_976_710_655, 65_535])
  })
  it("every client index B can give a hedge fits a fill's clientOrderIndex (property)", () => {
    expect(MAX_BASE).toBe(MAX_CLIENT_ORDER_INDEX)
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_TAG }), fc.integer({ min: 1, max: MAX_FILL_SEQ }), fc.integer({ min: 1, max: MAX_ATTEMPT }), (tag, seq, attempt) => {
      expect(decodesFill({ clientOrderIndex: hedgeClientIndex(tag, seq, attempt) })).toBe(true)
    }))
  })
})

describe("the residual flush, its own message", () => {
  it("names itself by its sequence number, and is never a venue fill's id", () => {
    const flush = new ResidualFlushMessage({ pair: "BTC-1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 35, referencePrice: 1_000, requestedAtMs: 0, fillSeq: 9 })
    expect(flush.fillId).toBe(`${RESIDUAL_FILL_PREFIX}9`)
    expect(isResidualFlush(flush)).toBe(true)
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 60n }), fc.integer({ min: 1, max: MAX_BASE }), (order, level) => {
      expect(isResidualFlush({ fillId: makeFillId(String(order), level) })).toBe(false)
    }))
  })

  it("is range-checked like a fill: a size, price or sequence number out of range does not decode", () => {
    const ok = { pair: "BTC-1-2", accountIndex: 2, marketId: 1, hedgeSide: "sell", size: 35, referencePrice: 1_000, requestedAtMs: 0 }
    expect(Schema.decodeUnknownResult(ResidualFlush)(ok)._tag).toBe("Success")
    for (const bad of [{ size: 0 }, { size: MAX_BASE + 1 }, { referencePrice: 0 }, { referencePrice: MAX_PRICE + 1 }, { hedgeSide: "hold" }, { marketId: MAX_MARKET_ID + 1 }]) {
      expect(Schema.decodeUnknownResult(ResidualFlush)({ ...ok, ...bad })._tag, JSON.stringify(bad)).toBe("Failure")
    }
    expect(Schema.decodeUnknownResult(ResidualFlushMessage)({ ...ok, fillSeq: 0 })._tag).toBe("Failure")
  })

  it("as a hedge subject: the A side its hedge answers, the whole pool, its reference price; it adds nothing to the pool", () => {
    const buy = subjectOfFlush(new ResidualFlushMessage({ pair: "p", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 35, referencePrice: 1_000, requestedAtMs: 4, fillSeq: 9 }))
    expect(buy).toEqual({ fillId: "residual:9", fillSeq: 9, pair: "p", marketId: 1, side: "sell", size: 35, price: 1_000, clientOrderIndex: 0, filledAfter: 35, detectedAtMs: 4, residual: true })
    const sell = subjectOfFlush(new ResidualFlushMessage({ pair: "p", accountIndex: 2, marketId: 1, hedgeSide: "sell", size: 35, referencePrice: 1_000, requestedAtMs: 4, fillSeq: 9 }))
    expect(sell.side).toBe("buy")
    const f = subjectOfFill(new FillMessage({ ...fill, fillSeq: 9 } as ConstructorParameters<typeof FillMessage>[0]))
    expect(f.residual).toBe(false)
    expect([f.fillId, f.side, f.size, f.price, f.clientOrderIndex, f.filledAfter]).toEqual([fill.fillId, fill.side, fill.size, fill.price, fill.clientOrderIndex, fill.filledAfter])
  })
})

const attempt = {
  attempt: 1,
  clientOrderIndex: 65,
  side: "sell",
  base: 40,
  priceCap: 990,
  sentAtMs: 1_000,
  filledBase: 30,
  avgPrice: 995,
  filledQuoteMicro: 29_850,
  orderIndex: "844424930131968",
  error: "partially filled"
}
const result = {
  fillId: "281474976710700:40",
  fillSeq: 12,
  pair: "BTC-1-2",
  marketId: 1,
  aSide: "buy",
  fillSize: 40,
  targetSignedBase: -40,
  hedgedSignedBase: -30,
  residualSignedBase: -10,
  status: "partial",
  attempts: [attempt, { attempt: 2, clientOrderIndex: 66, side: "sell", base: 10, priceCap: 985, sentAtMs: 1_200 }],
  settledByFlatten: "flatten-1",
  fillDetectedAtMs: 900,
  receivedAtMs: 950,
  doneAtMs: 1_300
}
const decodeResult = Schema.decodeUnknownResult(HedgeResult)
const decodesResult = (patch: Record<string, unknown>): boolean => decodeResult({ ...result, ...patch })._tag === "Success"
const decodesAttempt = (patch: Record<string, unknown>): boolean => decodesResult({ attempts: [{ ...attempt, ...patch }] })

describe("hedge results, as B appends them", () => {
  it("read back field for field, attempts included", () => {
    const r = decodeResult(result)
    if (r._tag !== "Success") throw new Error(r.failure.message)
    expect(r.success).toBeInstanceOf(HedgeResult)
    expect(r.success.attempts[0]).toBeInstanceOf(HedgeAttempt)
    expect({ ...r.success, attempts: r.success.attempts.map((a) => ({ ...a })) }).toStrictEqual(result)
  })

  it("every status decodes; nothing else does", () => {
    for (const status of ["hedged", "deferred", "partial", "failed"]) expect(decodesResult({ status }), status).toBe(true)
    for (const status of ["", "unknown", "Hedged", "settled"]) expect(decodesResult({ status }), status).toBe(false)
  })

  it("an attempt's numbers are checked: positive attempt, index, base and cap; times and fills never negative", () => {
    expect(decodesAttempt({})).toBe(true)
    for (const field of ["attempt", "clientOrderIndex", "base", "priceCap"]) {
      expect(decodesAttempt({ [field]: 1 }), `${field}=1`).toBe(true)
      expect(decodesAttempt({ [field]: 0 }), `${field}=0`).toBe(false)
      expect(decodesAttempt({ [field]: 1.5 }), `${field}=1.5`).toBe(false)
    }
    for (const field of ["sentAtMs", "filledBase", "avgPrice", "filledQuoteMicro"]) {
      expect(decodesAttempt({ [field]: 0 }), `${field}=0`).toBe(true)
      expect(decodesAttempt({ [field]: -1 }), `${field}=-1`).toBe(false)
    }
    expect(decodesAttempt({ side: "short" })).toBe(false)
    expect(decodesAttempt({ attempt: undefined })).toBe(false)
  })

  it("a result's own fields are checked too", () => {
    expect(decodesResult({ fillSeq: 0 })).toBe(false)
    expect(decodesResult({ fillSize: 0 })).toBe(false)
    expect(decodesResult({ marketId: -1 })).toBe(false)
    expect(decodesResult({ aSide: "long" })).toBe(false)
    expect(decodesResult({ hedgedSignedBase: 0.5 })).toBe(false)
    expect(decodesResult({ doneAtMs: -1 })).toBe(false)
    expect(decodesResult({ attempts: "none" })).toBe(false)
    const { settledByFlatten: _, ...unsettled } = result
    expect(decodeResult(unsettled)._tag).toBe("Success")
  })
})

describe("what the logs show", () => {
  it("each message prints under its own class name", () => {
    const f = Schema.decodeUnknownSync(FillMessage)(fill)
    const { fillSeq: _, ...event } = fill
    const e = Schema.decodeUnknownSync(FillEvent)(event)
    const r = Schema.decodeUnknownSync(HedgeResult)(result)
    expect(String(e)).toMatch(/^FillEvent\(/)
    expect(String(f)).toMatch(/^FillMessage\(/)
    expect(String(r)).toMatch(/^HedgeResult\(/)
    expect(String(r.attempts[0])).toMatch(/^HedgeAttempt\(/)
  })
})
