// Hostile and malformed input at every edge: venue frames, bus entries. Nothing throws; bad
// input becomes a typed, explained result (skipped frame with a reason, poison entry).
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { decodeEntry } from "../../src/bus/codec.ts"
import { LIGHTER_BTC, LIGHTER_ETH } from "../../src/domain/market.ts"
import { accountFrameEvents } from "../../src/venue/lighter/LighterAccountStream.ts"
import { decodeWire, WireBookFrame, WireOrderBookDetails } from "../../src/venue/lighter/codecs.ts"
import fixtureOrders from "../fixtures/lighter/ws_account_all_orders_update.json" with { type: "json" }
import fixtureTrades from "../fixtures/lighter/ws_account_all_trades_update.json" with { type: "json" }
import fixturePositions from "../fixtures/lighter/ws_account_all_positions_update.json" with { type: "json" }

const markets = new Map([[0, LIGHTER_ETH], [1, LIGHTER_BTC]])
const channels = ["account_all_orders:1", "account_all_trades:1", "account_all_positions:1", "order_book:1", "x", ""]

/** Replaces one value somewhere inside `doc` by `junk`. */
const mutate = (doc: unknown, path: ReadonlyArray<number>, junk: unknown): unknown => {
  if (path.length === 0 || typeof doc !== "object" || doc === null) return junk
  const keys = Object.keys(doc)
  if (keys.length === 0) return junk
  const k = keys[path[0]! % keys.length]!
  const copy: Record<string, unknown> = Array.isArray(doc) ? ([...doc] as unknown as Record<string, unknown>) : { ...(doc as Record<string, unknown>) }
  copy[k] = mutate((doc as Record<string, unknown>)[k], path.slice(1), junk)
  return copy
}

describe("fuzz: venue frame decoders", () => {
  it("real fixtures decode into events", () => {
    expect(accountFrameEvents(fixtureOrders as Record<string, unknown>, 1, markets).events.length).toBeGreaterThan(0)
    expect(accountFrameEvents(fixtureTrades as Record<string, unknown>, 1, markets).events.length).toBeGreaterThan(0)
    expect(accountFrameEvents(fixturePositions as Record<string, unknown>, 1, markets).events.length).toBeGreaterThan(0)
  })

  it("hostile values in routing fields (a toString that is not a function) are skipped, not thrown", () => {
    // The CI counterexample: JSON can carry an own "toString" key, which breaks String(x).
    const hostile = { toString: "" }
    for (const fixture of [fixtureOrders, fixtureTrades, fixturePositions]) {
      expect(() => accountFrameEvents({ ...fixture, channel: hostile }, 1, markets)).not.toThrow()
      expect(accountFrameEvents({ ...fixture, channel: hostile }, 1, markets).events).toEqual([])
      const bad = JSON.parse(JSON.stringify(fixture).replace(/"filled_base_amount":"[^"]*"/g, '"filled_base_amount":{"toString":""}')) as Record<string, unknown>
      expect(() => accountFrameEvents(bad, 1, markets)).not.toThrow()
    }
  })

  it("mutated fixtures never throw: they decode, or are skipped with a reason", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(fixtureOrders, fixtureTrades, fixturePositions),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.oneof(fc.anything(), fc.constantFrom("", "1e400", "-0.00001", "NaN", "99999999999999999999", "0.000001", null)),
        (doc, path, junk) => {
          const r = accountFrameEvents(mutate(doc, path, junk) as Record<string, unknown>, 1, markets)
          if (r.error !== undefined) expect(r.events).toEqual([])
          for (const e of r.events) {
            if (e._tag === "OrderUpdate") expect(Number.isSafeInteger(e.filledBase)).toBe(true)
            if (e._tag === "TradeEvent") expect(Number.isSafeInteger(e.size) && Number.isSafeInteger(e.price)).toBe(true)
          }
        }
      ),
      { numRuns: Number(process.env["FUZZ_RUNS"] ?? 500) }
    )
  })

  it("arbitrary JSON on any channel never throws", () => {
    fc.assert(
      fc.property(fc.constantFrom(...channels), fc.jsonValue(), (channel, body) => {
        const frame = { ...(typeof body === "object" && body !== null && !Array.isArray(body) ? body : { body }), channel }
        const r = accountFrameEvents(frame, 1, markets)
        expect(Array.isArray(r.events)).toBe(true)
        decodeWire(WireBookFrame, channel, frame)
        decodeWire(WireOrderBookDetails, channel, body)
      }),
      { numRuns: Number(process.env["FUZZ_RUNS"] ?? 500) }
    )
  })
})

describe("fuzz: bus entries", () => {
  it("any field map decodes to a fill or to poison with a reason, never throws", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("fillId", "size", "side", "fillSeq", "price", "__proto__")), fc.string()), (raw) => {
        const e = decodeEntry("1-0", raw, 1)
        if (e._tag === "Poison") expect(e.reason.length).toBeGreaterThan(0)
        else if (e._tag === "Fill") expect(e.fill.size).toBe(e.fill.filledAfter - e.fill.filledBefore)
        else expect(e.flush.fillId).toBe(`residual:${e.flush.fillSeq}`)
      }),
      { numRuns: Number(process.env["FUZZ_RUNS"] ?? 1000) }
    )
  })
})
