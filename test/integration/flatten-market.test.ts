// bin/hedge flatten closes the pair's own market, as the venue lists it: on a pair of a third
// market (SOL here) it used to take BTC's id and decimals from a guess by symbol, and would have
// closed A's and B's BTC positions and left SOL open.
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LIGHTER_BTC, LIGHTER_ETH, type MarketSpec } from "../../src/domain/market.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { Nonces, place } from "../sim/helpers.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const SOL: MarketSpec = { marketId: 2, symbol: "SOL", sizeDecimals: 3, priceDecimals: 3, minBaseAmount: 50, minQuoteAmount: 10_000_000 }
const A = 1
const B = 2

let sim: SimHandle
let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
  sim = await startSimulator({
    port: 0,
    seed: 17,
    accounts: withSimKeys(),
    markets: [LIGHTER_ETH, LIGHTER_BTC, SOL],
    market: { fillRatePerMin: 0, noiseTakersPerMin: 0, volatilityBps: 0, initialPrices: { 2: 150_000 } }
  })
}, 30_000)
afterAll(async () => {
  await sim?.close()
  await redis?.close()
})

const position = (account: number, marketId: number) => sim.exchange.engine.account(account).position(marketId).size

describe("bin/hedge flatten on a market other than BTC and ETH", () => {
  it("closes A's and B's SOL positions and leaves their BTC positions alone", async () => {
    const n = new Nonces()
    // A long 0.100 SOL, B short 0.100 SOL, and A long 0.00020 BTC (another pair's business).
    // Market orders priced within the venue's 5 % band of the mid.
    for (const r of [
      await place(sim, { account: A, nonce: n.take(A), market: 2, base: 100, price: 155_000, isAsk: false, type: 1, coi: 1 }),
      await place(sim, { account: B, nonce: n.take(B), market: 2, base: 100, price: 145_000, isAsk: true, type: 1, coi: 1 }),
      await place(sim, { account: A, nonce: n.take(A), market: 1, base: 20, price: 1_040_000, isAsk: false, type: 1, coi: 2 })
    ]) expect(r.status, JSON.stringify(r.body)).toBe(200)
    for (let i = 0; i < 50 && (position(A, 2) !== 100 || position(B, 2) !== -100 || position(A, 1) !== 20); i++) await new Promise((r) => setTimeout(r, 50))
    expect([position(A, 2), position(B, 2), position(A, 1)]).toEqual([100, -100, 20])

    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-flatten-sol-"))
    const config = join(dir, "config.yaml")
    writeFileSync(config, [
      "accounts:",
      `  account_a: { account_name: "A", account_index: ${A}, api_key_index: 4 }`,
      `  account_b: { account_name: "B", account_index: ${B}, api_key_index: 4 }`,
      `redis: { url: "${redis.url}", key_prefix: "${redis.prefix("flatten-sol")}" }`,
      `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }`,
      "market: { symbol: BTC, quantity: \"0.0002\" }",
      `logging: { dir: "${dir}" }`,
      ""
    ].join("\n"))
    // Spawned asynchronously: the exchange runs in this process and must keep answering.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
      const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), "flatten", "--yes", "--market", "SOL", "--settle-timeout", "2", "--config", config], {
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(A), HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(B) }
      })
      let stdout = ""
      let stderr = ""
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
      const timer = setTimeout(() => p.kill("SIGKILL"), 60_000)
      p.once("close", (status) => {
        clearTimeout(timer)
        res({ status, stdout, stderr })
      })
    })
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0)
    expect(r.stdout).toMatch(/both accounts flat/)
    expect([position(A, 2), position(B, 2)]).toEqual([0, 0])
    expect(position(A, 1)).toBe(20)
  }, 90_000)
})
