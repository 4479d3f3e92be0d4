// The `account` reply as read for free collateral: the real shape, and the shapes Lighter
// sends with fields omitted or empty, decode; a malformed amount is refused, never guessed.
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeWire, toFreeCollateralMicro, WireAccountBalanceReply } from "../../src/venue/lighter/codecs.ts"
import fixture from "../fixtures/lighter/account.json" with { type: "json" }

const decode = (u: unknown) => decodeWire(WireAccountBalanceReply, "account", u)

describe("account reply → free collateral", () => {
  it("the recorded reply decodes, available_balance in micro-USDC", () => {
    const r = decode(fixture)
    expect(Result.isSuccess(r)).toBe(true)
    const acc = Result.getOrThrow(r).accounts[0]!
    expect(acc.index).toBe(1)
    expect(toFreeCollateralMicro(acc.available_balance)).toBe(99_480_123_400)
  })

  it("tolerates omitted fields: only code and accounts are needed; absent, null or \"\" means unknown", () => {
    const r = Result.getOrThrow(decode({ code: 200, accounts: [{ index: 7 }, { available_balance: "" }, { available_balance: null }] }))
    expect(r.accounts.map((a) => toFreeCollateralMicro(a.available_balance))).toEqual([undefined, undefined, undefined])
    // the sub-account listing shape (PAYLOADS.md) decodes too
    const sub = { code: 200, accounts: [{ code: 0, account_type: 0, index: 666666, available_balance: "", status: 0, collateral: "40" }] }
    expect(Result.isSuccess(decode(sub))).toBe(true)
    expect(Result.isFailure(decode({ code: 200 }))).toBe(true)
    expect(Result.isFailure(decode({ code: 200, accounts: [{ available_balance: 12 }] }))).toBe(true)
  })

  it("exact decimals, negatives allowed; malformed amounts or more than 6 decimals throw", () => {
    expect(toFreeCollateralMicro("0.000001")).toBe(1)
    expect(toFreeCollateralMicro("12606.880799")).toBe(12_606_880_799)
    expect(toFreeCollateralMicro("-3.5")).toBe(-3_500_000)
    expect(toFreeCollateralMicro("40")).toBe(40_000_000)
    expect(() => toFreeCollateralMicro("1.0000001")).toThrow()
    expect(() => toFreeCollateralMicro("abc")).toThrow()
    expect(() => toFreeCollateralMicro("1e6")).toThrow()
  })
})
