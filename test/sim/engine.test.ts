import { describe, expect, it } from "vitest"
import { Engine } from "../../src/sim/engine.ts"
import { ManualClock } from "../../src/sim/clock.ts"
import { SimError } from "../../src/sim/errors.ts"
import { decodeTx } from "../../src/sim/tx-decode.ts"
import type { DecodedTx } from "../../src/sim/tx-decode.ts"
import type { ChangeSet } from "../../src/sim/engine.ts"
import { createTx, cancelTx } from "./helpers.ts"
import type { OrderArgs } from "./helpers.ts"

const BTC = 1

const setup = (tiers: Record<number, "standard" | "premium"> = {}) => {
  const clock = new ManualClock(Date.now())
  const engine = new Engine({
    clock,
    accounts: [1, 2, 3].map((index) => ({ index, tier: tiers[index] ?? "standard" }))
  })
  const nonces = new Map<number, number>()
  const nextNonce = (a: number): number => {
    const n = nonces.get(a) ?? 1
    nonces.set(a, n + 1)
    return n
  }
  const run = (tx: DecodedTx): ChangeSet => engine.execute(engine.accept(tx))
  const order = (a: Omit<OrderArgs, "nonce">): ChangeSet => run(decodeTx(14, createTx({ ...a, nonce: nextNonce(a.account) })))
  const cancel = (account: number, index: number): ChangeSet =>
    run(decodeTx(15, cancelTx(account, nextNonce(account), index)))
  return { engine, clock, order, cancel, run, nextNonce }
}

const codeOf = (f: () => unknown): number => {
  try {
    f()
  } catch (e) {
    if (e instanceof SimError) return e.code
    throw e
  }
  return 200
}

describe("engine matching", () => {
  it("fills at the maker's price with price-time priority", () => {
    const { engine, order } = setup()
    order({ account: 1, coi: 1, base: 20, price: 1_000_010, isAsk: true })
    order({ account: 2, coi: 1, base: 20, price: 1_000_000, isAsk: true }) // better price, later
    order({ account: 3, coi: 1, base: 20, price: 1_000_000, isAsk: true }) // same price, even later
    const cs = order({ account: 1, coi: 2, base: 50, price: 1_000_010, isAsk: false, tif: 0 }) // IOC buy
    expect(cs.trades.map((t) => [t.askAccountId, t.price, t.size])).toEqual([
      [2, 1_000_000, 20],
      [3, 1_000_000, 20]
    ])
    // account 1's own ask at 1_000_010 is a self-trade: cancelled, the IOC remainder cancelled
    const mine = cs.orders.find((o) => o.accountIndex === 1 && o.isAsk)!
    expect(mine.status).toBe("canceled-self-trade")
    const taker = cs.orders.find((o) => o.accountIndex === 1 && !o.isAsk)!
    expect(taker.status).toBe("canceled")
    expect(taker.filledBase).toBe(40)
    expect(engine.trades[0]!.isMakerAsk).toBe(true)
  })

  it("partially fills a resting order which stays open", () => {
    const { engine, order } = setup()
    order({ account: 1, coi: 11, base: 100, price: 1_000_000, isAsk: false })
    const cs = order({ account: 2, coi: 5, base: 30, price: 999_000, isAsk: true, type: 1, tif: 0 })
    const maker = cs.orders.find((o) => o.accountIndex === 1)!
    expect(maker.status).toBe("open")
    expect(maker.filledBase).toBe(30)
    expect(maker.remainingBase).toBe(70)
    expect(engine.book(BTC).levelSize(false, 1_000_000)).toBe(70)
    const taker = cs.orders.find((o) => o.accountIndex === 2)!
    expect(taker.status).toBe("filled")
    expect(engine.accounts.get(1)!.positions.get(BTC)!.size).toBe(30)
    expect(engine.accounts.get(2)!.positions.get(BTC)!.size).toBe(-30)
  })

  it("cancels a post-only order that would take", () => {
    const { engine, order } = setup()
    order({ account: 1, base: 20, price: 1_000_000, isAsk: true })
    const cs = order({ account: 2, coi: 9, base: 20, price: 1_000_000, isAsk: false, tif: 2 })
    expect(cs.trades).toHaveLength(0)
    expect(cs.orders[0]!.status).toBe("canceled-post-only")
    expect(engine.book(BTC).bestBid()).toBeUndefined()
    // a non-crossing post-only rests
    const ok = order({ account: 2, coi: 10, base: 20, price: 999_999, isAsk: false, tif: 2 })
    expect(ok.orders[0]!.status).toBe("open")
  })

  it("cancels the remainder of a limit IOC", () => {
    const { engine, order } = setup()
    order({ account: 1, base: 20, price: 1_000_000, isAsk: true })
    const cs = order({ account: 2, coi: 3, base: 50, price: 1_000_005, isAsk: false, tif: 0 })
    const t = cs.orders.find((o) => o.accountIndex === 2)!
    expect(t.status).toBe("canceled")
    expect(t.filledBase).toBe(20)
    expect(t.remainingBase).toBe(0)
    expect(engine.book(BTC).bestBid()).toBeUndefined()
  })

  it("market orders stop at the price cap (too much slippage) or when liquidity runs out", () => {
    const { order } = setup()
    order({ account: 1, base: 20, price: 1_000_000, isAsk: true })
    order({ account: 1, base: 20, price: 1_000_050, isAsk: true })
    const capped = order({ account: 2, base: 60, price: 1_000_010, isAsk: false, type: 1 })
    const o = capped.orders.find((x) => x.accountIndex === 2)!
    expect(o.filledBase).toBe(20)
    expect(o.status).toBe("canceled-too-much-slippage")
    const drained = order({ account: 3, base: 60, price: 1_000_100, isAsk: false, type: 1 })
    const d = drained.orders.find((x) => x.accountIndex === 3)!
    expect(d.filledBase).toBe(20)
    expect(d.status).toBe("canceled-not-enough-liquidity")
    order({ account: 1, base: 20, price: 1_000_000, isAsk: true })
    const full = order({ account: 3, base: 20, price: 1_000_100, isAsk: false, type: 1 })
    expect(full.orders.find((x) => x.accountIndex === 3)!.status).toBe("filled")
  })

  it("reduce-only: cancelled when it would open, capped at the position when it would flip", () => {
    const { engine, order } = setup()
    const flat = order({ account: 1, base: 20, price: 1_000_000, isAsk: true, reduceOnly: true })
    expect(flat.orders[0]!.status).toBe("canceled-reduce-only")
    // give account 1 a long of 30
    order({ account: 2, base: 30, price: 1_000_000, isAsk: true })
    order({ account: 1, base: 30, price: 1_000_000, isAsk: false, type: 1, tif: 0 })
    expect(engine.accounts.get(1)!.positions.get(BTC)!.size).toBe(30)
    // a buy reduce-only on a long would increase it
    expect(order({ account: 1, base: 20, price: 1_000_000, isAsk: false, reduceOnly: true }).orders[0]!.status).toBe(
      "canceled-reduce-only"
    )
    // sell 50 reduce-only against 100 of bids: fills 30, the rest is cancelled
    order({ account: 3, base: 100, price: 999_990, isAsk: false })
    const cs = order({ account: 1, base: 50, price: 999_000, isAsk: true, type: 1, reduceOnly: true })
    const ro = cs.orders.find((o) => o.accountIndex === 1)!
    expect(ro.filledBase).toBe(30)
    expect(ro.status).toBe("canceled-reduce-only")
    expect(engine.accounts.get(1)!.positions.get(BTC)!.size).toBe(0)
  })

  it("tracks positions, average entry and realized PnL in integers, and premium fees", () => {
    const { engine, order } = setup({ 2: "premium", 1: "premium" })
    order({ account: 1, base: 100, price: 1_000_000, isAsk: true }) // maker ask 0.001 BTC @ 100000.0
    const cs = order({ account: 2, base: 100, price: 1_000_000, isAsk: false, type: 1 })
    const t = cs.trades[0]!
    expect(t.usdMicro).toBe(100_000_000n) // 100 USDC
    expect(t.takerFee).toBe(280)
    expect(t.makerFee).toBe(40)
    expect(engine.accounts.get(2)!.collateralMicro).toBe(100_000_000_000n - 28_000n)
    expect(engine.accounts.get(1)!.collateralMicro).toBe(100_000_000_000n - 4_000n)
    // account 2 sells 0.001 BTC back at 100010.0 → +0.01 USDC realized
    order({ account: 3, base: 100, price: 1_000_100, isAsk: false })
    order({ account: 2, base: 100, price: 1_000_000, isAsk: true, type: 1 })
    const pos = engine.accounts.get(2)!.positions.get(BTC)!
    expect(pos.size).toBe(0)
    expect(pos.realizedPnlMicro).toBe(10_000n)
  })

  it("cancels by client order index or order index; cancel-all", () => {
    const { engine, order, cancel, run, nextNonce } = setup()
    order({ account: 1, coi: 77, base: 20, price: 999_000, isAsk: false })
    const cs = order({ account: 1, coi: 78, base: 20, price: 999_001, isAsk: false })
    const oi = cs.orders[0]!.orderIndex
    expect(oi).toBeGreaterThanOrEqual(2 ** 48)
    expect(cancel(1, 77).orders[0]!.status).toBe("canceled")
    expect(cancel(1, oi).orders[0]!.status).toBe("canceled")
    expect(engine.accounts.get(1)!.active.size).toBe(0)
    order({ account: 1, coi: 79, base: 20, price: 999_000, isAsk: false })
    order({ account: 1, coi: 80, base: 20, price: 1_001_000, isAsk: true })
    const all = run(
      decodeTx(16, { AccountIndex: 1, ApiKeyIndex: 4, TimeInForce: 0, Time: 0, ExpiredAt: Date.now() + 60_000, Nonce: nextNonce(1), Sig: "" })
    )
    expect(all.orders.map((o) => o.status)).toEqual(["canceled", "canceled"])
  })

  it("modify keeps priority when only the size shrinks, loses it on a price change", () => {
    const { engine, order, run, nextNonce } = setup()
    order({ account: 1, coi: 1, base: 50, price: 999_000, isAsk: false })
    order({ account: 2, coi: 1, base: 50, price: 999_000, isAsk: false })
    const modify = (account: number, index: number, base: number, price: number) =>
      run(
        decodeTx(17, {
          AccountIndex: account,
          ApiKeyIndex: 4,
          MarketIndex: 1,
          Index: index,
          BaseAmount: base,
          Price: price,
          TriggerPrice: 0,
          ExpiredAt: Date.now() + 60_000,
          Nonce: nextNonce(account),
          Sig: ""
        })
      )
    modify(1, 1, 30, 999_000)
    expect(engine.book(BTC).orders(false).map((o) => o.accountIndex)).toEqual([1, 2])
    modify(1, 1, 30, 999_001)
    modify(1, 1, 30, 999_000)
    expect(engine.book(BTC).orders(false).map((o) => o.accountIndex)).toEqual([2, 1])
    expect(engine.book(BTC).levelSize(false, 999_000)).toBe(80)
  })
})

describe("engine validation and nonces", () => {
  it("accepts only the next nonce and does not consume it on rejection", () => {
    const { engine } = setup()
    const tx = (nonce: number, extra: Partial<OrderArgs> = {}) =>
      decodeTx(14, createTx({ account: 1, nonce, base: 20, price: 1_000_000, isAsk: false, ...extra }))
    expect(codeOf(() => engine.accept(tx(2)))).toBe(21104)
    expect(codeOf(() => engine.accept(tx(1, { base: 0 })))).toBe(21701)
    expect(engine.accounts.get(1)!.nonceFor(4)).toBe(1)
    expect(codeOf(() => engine.accept(tx(1)))).toBe(200)
    expect(codeOf(() => engine.accept(tx(1)))).toBe(21104)
    expect(engine.accounts.get(1)!.nonceFor(4)).toBe(2)
    expect(engine.accounts.get(1)!.nonceFor(5)).toBe(1) // per API key
  })

  it("returns Lighter codes for invalid orders", () => {
    const { engine, order } = setup()
    order({ account: 2, base: 20, price: 1_000_000, isAsk: true })
    order({ account: 2, base: 20, price: 999_000, isAsk: false })
    const c = (extra: Partial<OrderArgs>, txType = 14) =>
      codeOf(() => engine.accept(decodeTx(txType, createTx({ account: 1, nonce: 1, base: 20, price: 999_500, isAsk: false, ...extra }))))
    expect(c({ base: 0 })).toBe(21701)
    expect(c({ price: 0 })).toBe(21702)
    expect(c({ base: 10 })).toBe(21706) // below 0.00020 BTC
    expect(c({ market: 9 })).toBe(21602)
    expect(c({ coi: 2 ** 48 })).toBe(21727)
    expect(c({ price: 1_100_000 })).toBe(21733) // > 5 % from the mid
    expect(c({}, 99)).toBe(21505)
    expect(codeOf(() => decodeTx(14, "{not json"))).toBe(21501)
    expect(codeOf(() => decodeTx(14, { AccountIndex: 1 }))).toBe(21501)
    order({ account: 1, coi: 42, base: 20, price: 999_100, isAsk: false })
    expect(c({ coi: 42, nonce: 2 } as Partial<OrderArgs>)).toBe(21728)
  })

  it("decodes tx_info by Go field names, ignoring unknown keys and any Sig", () => {
    const tx = decodeTx(14, JSON.stringify({ ...createTx({ account: 1, nonce: 3, base: 20, price: 5, isAsk: true }), Extra: 1, Sig: "!!" }))
    expect(tx.kind).toBe("create")
    if (tx.kind === "create") {
      expect(tx.isAsk).toBe(true)
      expect(tx.baseAmount).toBe(20)
      expect(tx.nonce).toBe(3)
    }
    const withAttrs = decodeTx(16, { AccountIndex: 1, ApiKeyIndex: 0, TimeInForce: 0, Time: 0, ExpiredAt: 1, Nonce: 1, L2TxAttributes: { "5": 1 } })
    expect(withAttrs.attributes).toEqual({ 5: 1 })
  })
})

describe("skip-nonce attribute", () => {
  it("accepts any strictly increasing nonce when L2TxAttributes has 4:1", () => {
    const { engine } = setup()
    const tx = (nonce: number) =>
      decodeTx(14, { ...createTx({ account: 1, nonce, base: 20, price: 1_000_000, isAsk: false }), L2TxAttributes: { "4": 1 } })
    expect(codeOf(() => engine.accept(tx(1_766_000_000_000)))).toBe(200)
    expect(codeOf(() => engine.accept(tx(1_766_000_000_000)))).toBe(21104)
    expect(codeOf(() => engine.accept(tx(1_766_000_000_005)))).toBe(200)
    expect(engine.accounts.get(1)!.nonceFor(4)).toBe(1_766_000_000_006)
  })
})
