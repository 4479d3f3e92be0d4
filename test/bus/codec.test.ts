// The bus's record encodings (src/bus/codec.ts), shared by both buses: a fill's stream fields, a
// residual flush carried in a fill's fields and read back only when it is whole, the reasons an
// entry is poison, field-pair lists, a result's stream fields, the hedged-identity record, and the
// numeric order of stream entry ids.
import { describe, expect, it } from "vitest"
import {
  compareEntryIds,
  decodeEntry,
  decodeHedgeResult,
  decodeIntent,
  encodeHedgeResult,
  encodeIntent,
  fillEventToFields,
  hedgedRecordValue,
  hedgeResultFields,
  pairsToRecord,
  parseHedgedRecord,
  recordToPairs,
  residualFlushToFields
} from "../../src/bus/codec.ts"
import { FillMessage, ResidualFlush } from "../../src/domain/messages.ts"
import { fillEvent, hedgeResultFor } from "./contract.ts"

const flush = new ResidualFlush({ pair: "BTC:1-2", accountIndex: 2, marketId: 1, hedgeSide: "buy", size: 35, referencePrice: 1_000_000, requestedAtMs: 1_790_000_000_500 })
/** A flush's fields as the bus stores them (it sets the id and the sequence number). */
const storedFlush = (fillSeq: number, over: Record<string, string> = {}): Record<string, string> => ({
  ...residualFlushToFields(flush),
  fillId: `residual:${fillSeq}`,
  fillSeq: String(fillSeq),
  ...over
})

describe("fill fields", () => {
  it("every field a string, the optional trade id only when there is one", () => {
    const f = fillEvent({ orderIndex: "281474976710656001", filledBefore: 10, filledAfter: 30 })
    expect(fillEventToFields(f)).toStrictEqual({
      fillId: f.fillId,
      pair: "BTC:1-2",
      accountIndex: "1",
      marketId: "1",
      side: "buy",
      orderIndex: "281474976710656001",
      clientOrderIndex: "77",
      filledBefore: "10",
      filledAfter: "30",
      size: "20",
      price: "1000005",
      venueTimestampMs: "1790000000123",
      detectedAtMs: "1790000000200"
    })
    expect(fillEventToFields(fillEvent({ orderIndex: "5", tradeId: "t-9" })).tradeId).toBe("t-9")
  })

  it("a residual flush travels as a fill of order \"residual\": client index 0, range (0, size], the side its hedge answers", () => {
    expect(residualFlushToFields(flush)).toStrictEqual({
      fillId: "residual:",
      pair: "BTC:1-2",
      accountIndex: "2",
      marketId: "1",
      side: "sell",
      orderIndex: "residual",
      clientOrderIndex: "0",
      filledBefore: "0",
      filledAfter: "35",
      size: "35",
      price: "1000000",
      venueTimestampMs: "1790000000500",
      detectedAtMs: "1790000000500"
    })
    expect(residualFlushToFields(new ResidualFlush({ ...flush, hedgeSide: "sell" })).side).toBe("buy")
  })
})

describe("decodeEntry", () => {
  it("a stored fill: the fill, its raw fields and deliveries", () => {
    const fields = { ...fillEventToFields(fillEvent({ orderIndex: "77" })), fillSeq: "12" }
    const e = decodeEntry("5-1", fields, 3)
    expect(e._tag).toBe("Fill")
    if (e._tag !== "Fill") return
    expect(e.entryId).toBe("5-1")
    expect(e.deliveries).toBe(3)
    expect(e.raw).toBe(fields)
    expect(e.fill).toBeInstanceOf(FillMessage)
    expect(e.fill.fillSeq).toBe(12)
    expect(e.fill.orderIndex).toBe("77")
  })

  it("gone from the stream: poison with no fields", () => {
    expect(decodeEntry("5-1", undefined, 2)).toStrictEqual({
      _tag: "Poison",
      entryId: "5-1",
      raw: {},
      reason: "entry no longer in the stream (deleted or trimmed)"
    })
  })

  it("undecodable: poison with the decoder's reason (every problem) and the raw fields", () => {
    const fields = { ...fillEventToFields(fillEvent({ orderIndex: "77" })), fillSeq: "zero", side: "up" }
    const e = decodeEntry("5-1", fields, 1)
    expect(e._tag).toBe("Poison")
    if (e._tag !== "Poison") return
    expect(e.raw).toBe(fields)
    expect(e.reason).toContain("fillSeq")
    expect(e.reason).toContain("side")
  })

  it("a whole residual flush: the flush with its sequence number and the side B trades", () => {
    const raw = storedFlush(7)
    const e = decodeEntry("9-0", raw, 2)
    expect(e._tag).toBe("ResidualFlush")
    if (e._tag !== "ResidualFlush") return
    expect(e.entryId).toBe("9-0")
    expect(e.deliveries).toBe(2)
    expect(e.raw).toBe(raw)
    expect({ ...e.flush }).toStrictEqual({
      pair: "BTC:1-2",
      accountIndex: 2,
      marketId: 1,
      hedgeSide: "buy",
      size: 35,
      referencePrice: 1_000_000,
      requestedAtMs: 1_790_000_000_500,
      fillSeq: 7
    })
    const sold = decodeEntry("9-0", storedFlush(8, { side: "buy" }), 1)
    expect(sold._tag === "ResidualFlush" && sold.flush.hedgeSide).toBe("sell")
  })

  it("a flush that is not whole is poison, saying what it carries", () => {
    const reasonOf = (raw: Record<string, string>) => {
      const e = decodeEntry("9-0", raw, 1)
      return e._tag === "Poison" ? e.reason : `not poison: ${e._tag}`
    }
    expect(reasonOf(storedFlush(7, { fillId: "residual:8" }))).toBe(
      "malformed residual flush: fillId \"residual:8\", order \"residual\", client index 0, range (0, 35], size 35, fillSeq 7"
    )
    expect(reasonOf(storedFlush(7, { orderIndex: "123" }))).toBe(
      "malformed residual flush: fillId \"residual:7\", order \"123\", client index 0, range (0, 35], size 35, fillSeq 7"
    )
    expect(reasonOf(storedFlush(7, { clientOrderIndex: "4" }))).toMatch(/, client index 4, /)
    expect(reasonOf(storedFlush(7, { filledBefore: "5", size: "30" }))).toMatch(/, range \(5, 35\], size 30, /)
    expect(reasonOf(storedFlush(7, { filledBefore: "5" }))).toMatch(/, range \(5, 35\], size 35, /)
    expect(reasonOf(storedFlush(7, { filledAfter: "40", size: "40" }))).toBe("not poison: ResidualFlush") // whole: (0, 40], 40
    expect(reasonOf(storedFlush(7, { filledAfter: "40" }))).toMatch(/range \(0, 40\], size 35,/)
    // An order "residual" under a fill's id is no fill either.
    expect(reasonOf(storedFlush(7, { fillId: "123:35" }))).toMatch(/^malformed residual flush: fillId "123:35", order "residual"/)
  })
})

describe("field pairs", () => {
  it("pairs to a record and back; a last key without a value is dropped", () => {
    expect(pairsToRecord(["a", "1", "b", "2"])).toStrictEqual({ a: "1", b: "2" })
    expect(pairsToRecord(["a", "1", "b"])).toStrictEqual({ a: "1" })
    expect(pairsToRecord([])).toStrictEqual({})
    expect(recordToPairs({ a: "1", b: "2" })).toStrictEqual(["a", "1", "b", "2"])
  })
})

describe("hedge results", () => {
  const fill = new FillMessage({ ...fillEvent({ orderIndex: "77", side: "sell", filledAfter: 40 }), fillSeq: 9 })
  const result = hedgeResultFor(fill)

  it("the stream fields: the JSON and a few flat fields", () => {
    expect(hedgeResultFields("3-4", result)).toStrictEqual({
      result: encodeHedgeResult(result),
      fillId: fill.fillId,
      fillSeq: "9",
      fillEntryId: "3-4",
      status: "hedged",
      hedgedSignedBase: "40",
      residualSignedBase: "0"
    })
    const back = decodeHedgeResult(encodeHedgeResult(result))
    expect(back._tag === "Success" && back.success).toEqual(result)
  })

  it("the hedged identity: \"size side fillSeq entryId\", read back; anything else is undefined", () => {
    expect(hedgedRecordValue("3-4", result)).toBe("40 sell 9 3-4")
    expect(parseHedgedRecord("f", "40 sell 9 3-4")).toStrictEqual({ fillId: "f", size: 40, side: "sell", fillSeq: 9, entryId: "3-4" })
    for (const bad of ["0 sell 9 3-4", "-1 sell 9 3-4", "1.5 sell 9 3-4", "40 up 9 3-4", "40 sell 0 3-4", "40 sell 2.5 3-4", "40 sell 9", "x sell 9 3-4", ""]) {
      expect(parseHedgedRecord("f", bad), bad).toBeUndefined()
    }
  })
})

describe("intents", () => {
  it("encode and decode as the same intent; other JSON does not decode", () => {
    const intent = { fillId: "f:1", fillSeq: 3, status: "open" as const, targetSignedBase: -20, takenFromPool: 0, attempts: [], createdAtMs: 5 }
    const r = decodeIntent(encodeIntent(intent))
    expect(r._tag === "Success" && r.success).toEqual(intent)
    expect(decodeIntent(JSON.stringify({ ...intent, status: "maybe" }))._tag).toBe("Failure")
  })
})

describe("compareEntryIds", () => {
  it("orders by milliseconds, then by sequence, as numbers", () => {
    expect(compareEntryIds("1-0", "2-0")).toBe(-1)
    expect(compareEntryIds("2-0", "1-0")).toBe(1)
    expect(compareEntryIds("9-0", "10-0")).toBe(-1)
    expect(compareEntryIds("5-1", "5-2")).toBe(-1)
    expect(compareEntryIds("5-2", "5-1")).toBe(1)
    expect(compareEntryIds("5-10", "5-9")).toBe(1)
    expect(compareEntryIds("5-3", "5-3")).toBe(0)
    expect(compareEntryIds("5", "5-0")).toBe(0)
    expect(compareEntryIds("6", "5-9")).toBe(1)
    expect(compareEntryIds("18446744073709551615-0", "18446744073709551614-0")).toBe(1)
    expect(compareEntryIds("7-18446744073709551614", "7-18446744073709551615")).toBe(-1)
  })
})
