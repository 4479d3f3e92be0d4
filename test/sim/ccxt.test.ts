// A client written by others against the embedded exchange: ccxt's `lighter` class (pinned in
// devDependencies) reads markets, currencies, the book, a ticker, a balance and positions from the
// simulator exactly as it reads Lighter. (Its trading calls need Lighter's compiled WASM signer,
// which is not available here: those are not exercised.)
import ccxt from "ccxt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { withSimKeys } from "../support/sim-signing.ts"

let sim: SimHandle
let ex: InstanceType<typeof ccxt.lighter>

beforeAll(async () => {
  // A still market: the book does not move between the simulator's view and ccxt's.
  sim = await startSimulator({ port: 0, seed: 21, accounts: withSimKeys(), market: { fillRatePerMin: 0, noiseTakersPerMin: 0, volatilityBps: 0 } })
  ex = new ccxt.lighter({ urls: { api: { root: sim.url, public: sim.url, private: sim.url } } })
})
afterAll(async () => {
  await sim?.close()
})

describe("ccxt's lighter class against the simulator", () => {
  it("loadMarkets: both perps, with the venue's size and price precision and minimums", async () => {
    const markets = await ex.loadMarkets()
    expect(Object.keys(markets).sort()).toEqual(["BTC/USDC:USDC", "ETH/USDC:USDC"])
    const btc = markets["BTC/USDC:USDC"]!
    expect(btc).toMatchObject({ id: "1", type: "swap", settle: "USDC", precision: { amount: 0.00001, price: 0.1 } })
    expect(btc.limits.amount?.min).toBe(0.0002)
    expect(ex.currencies["USDC"]).toMatchObject({ id: "3", precision: 0.000001 })
  })

  it("fetchOrderBook and fetchTicker agree with the simulator's own book", async () => {
    const ob = await ex.fetchOrderBook("BTC/USDC:USDC")
    const book = sim.exchange.engine.book(1)
    expect(Math.round(ob.bids[0]![0]! * 10)).toBe(book.bids.best()!.price)
    expect(Math.round(ob.asks[0]![0]! * 10)).toBe(book.asks.best()!.price)
    expect(ob.bids[0]![0]!).toBeLessThan(ob.asks[0]![0]!)
    const t = await ex.fetchTicker("BTC/USDC:USDC")
    expect(t.symbol).toBe("BTC/USDC:USDC")
    expect(t.last).toBeGreaterThan(0)
  })

  it("fetchBalance and fetchPositions for an account index (public account reads)", async () => {
    const balance = await ex.fetchBalance({ accountIndex: 1 })
    expect(balance["USDC"]).toMatchObject({ free: 100000, total: 100000 })
    expect(await ex.fetchPositions(undefined, { accountIndex: 1 })).toEqual([])
  })
})
