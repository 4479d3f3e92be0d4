// The heartbeats' shapes (src/domain/heartbeat.ts): what A and B write is what the other side
// and bin/hedge status decode; anything else tells nothing (never a guessed position).
import { describe, expect, it } from "vitest"
import { hedgerBeatOf, makerBeatOf } from "../../src/domain/heartbeat.ts"

const a = { beat: 7, position: -60, cycles: 3, fills: 12, quote: "resting" }

describe("A's beat", () => {
  it("decodes what the maker writes, with or without its free collateral", () => {
    expect(makerBeatOf(a)).toEqual(a)
    expect(makerBeatOf({ ...a, freeCollateralMicro: 99_999_000_034 })).toEqual({ ...a, freeCollateralMicro: 99_999_000_034 })
  })
  it("is nothing when it is not one: A waiting for an operator, an older shape, a position that is not an integer", () => {
    expect(makerBeatOf({ awaitingOperator: true })).toBeUndefined()
    expect(makerBeatOf({ beat: 1, position: 60 })).toBeUndefined()
    expect(makerBeatOf({ ...a, position: "60" })).toBeUndefined()
    expect(makerBeatOf({ ...a, position: 60.5 })).toBeUndefined()
    expect(makerBeatOf({ ...a, freeCollateralMicro: "5" })).toBeUndefined()
    expect(makerBeatOf(undefined)).toBeUndefined()
  })
})

describe("B's beat", () => {
  it("decodes what the hedger writes; anything else is nothing", () => {
    const b = { consumer: "b-host", streamConnected: false, beat: 2 }
    expect(hedgerBeatOf(b)).toEqual(b)
    expect(hedgerBeatOf({ ...b, streamConnected: "yes" })).toBeUndefined()
    expect(hedgerBeatOf({ consumer: "b-host", beat: 2 })).toBeUndefined()
    expect(hedgerBeatOf({ awaitingOperator: true })).toBeUndefined()
  })
})
