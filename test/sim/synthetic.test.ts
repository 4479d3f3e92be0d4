import { afterEach, describe, expect, it } from "vitest"
import { parseSimArgs } from "../../src/sim/main.ts"
import { closeAll, Nonces, place, start } from "./helpers.ts"

afterEach(closeAll)

const tape = async (seed: number): Promise<string> => {
  const sim = await start({ seed, market: { autoStart: false, fillRatePerMin: 30, noiseTakersPerMin: 60, volatilityBps: 5 } })
  for (let i = 0; i < 60; i++) sim.exchange.market!.step()
  const t = sim.exchange.engine.trades.map((x) => `${x.marketId}:${x.price}:${x.size}:${x.isMakerAsk ? 1 : 0}`).join(",")
  await sim.close()
  return t
}

describe("synthetic market", () => {
  it("is deterministic from the seed", async () => {
    const a = await tape(42)
    expect(a.length).toBeGreaterThan(0)
    expect(await tape(42)).toBe(a)
    expect(await tape(43)).not.toBe(a)
  })

  it("keeps ≥ 20 tick-spaced levels per side on both markets", async () => {
    const sim = await start({ market: { autoStart: false } })
    for (const m of [0, 1]) {
      const book = sim.exchange.engine.book(m)
      const asks = book.levels(true)
      const bids = book.levels(false)
      expect(asks.length).toBeGreaterThanOrEqual(20)
      expect(bids.length).toBeGreaterThanOrEqual(20)
      expect(asks[5]![0] - asks[0]![0]).toBe(5) // depth 5 is 5 ticks from the top
      expect(bids[0]![0] - bids[5]![0]).toBe(5)
    }
  })

  it("fills a quote resting 5 ticks from the top at about the configured rate", async () => {
    const sim = await start({ market: { autoStart: false, fillRatePerMin: 6, noiseTakersPerMin: 0, volatilityBps: 0 }, seed: 3 })
    const n = new Nonces()
    const engine = sim.exchange.engine
    let fills = 0
    engine.onChange((cs) => {
      for (const t of cs.trades) if (t.bidAccountId === 1) fills++
    })
    let coi = 1
    for (let minute = 0; minute < 10; minute++) {
      for (let s = 0; s < 60; s++) {
        const acc = engine.accounts.get(1)!
        if (acc.active.size === 0) {
          const best = engine.book(1).bestBid()!
          await place(sim, { account: 1, nonce: n.take(1), coi: coi++, base: 20, price: best - 5, isAsk: false, tif: 2 })
        }
        sim.exchange.market!.step()
      }
    }
    // 6 sweeps/min per side over 10 minutes → about 60 fills (Poisson), allow a wide band
    expect(fills).toBeGreaterThan(35)
    expect(fills).toBeLessThan(90)
  })

  it("parses the CLI flags", () => {
    expect(parseSimArgs(["--port", "9000", "--seed", "5", "--speed-bumps", "--rate-limit", "60", "--fill-rate", "3"])).toMatchObject({
      port: 9000,
      seed: 5,
      speedBumps: true,
      rateLimit: { txPerMinute: 60 },
      market: { fillRatePerMin: 3 }
    })
    expect(parseSimArgs(["--no-market"]).market).toBe(false)
    expect(() => parseSimArgs(["--bogus"])).toThrow(/unknown flag/)
  })
})
