// --market on the bin/hedge sub-commands that touch a pair: the pair of that market (its Redis
// prefix follows market.symbol), as on main-a and main-b; a bad symbol names the flag.
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defineCommand, switchFlag } from "../../src/config/argv.ts"
import { MARKET_FLAG, parsePairArgv } from "../../src/cli/market-flag.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

const root = resolve(import.meta.dirname, "../..")
let redis: TestRedis
let config: string

const hedge = (...args: Array<string>) =>
  spawnSync(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", config], {
    encoding: "utf8",
    env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", HEDGEFLOW_MARKET: "" },
    timeout: 30_000
  })

beforeAll(async () => {
  // Its own server: the default prefixes (hedgeflow:BTC:1-2, hedgeflow:ETH:1-2) are used as they are.
  redis = await startTestRedis({ private: true })
  const dir = mkdtempSync(join(tmpdir(), "hedgeflow-market-flag-"))
  config = join(dir, "config.yaml")
  writeFileSync(config, `redis: { url: "${redis.url}" }\nlogging: { dir: "${dir}" }\nmarket: { symbol: BTC }\n`)
}, 60_000)
afterAll(async () => {
  await redis?.close()
})

describe("--market on bin/hedge sub-commands", () => {
  it("--market X and --market=X, upper-cased, applied as HEDGEFLOW_MARKET; a bad or missing symbol refused naming the flag", async () => {
    const pair = defineCommand({ name: "hedge status", flags: { market: MARKET_FLAG, json: switchFlag("--json", "as JSON") } })
    const before = process.env["HEDGEFLOW_MARKET"]
    try {
      delete process.env["HEDGEFLOW_MARKET"]
      expect(await Effect.runPromise(parsePairArgv(pair, ["--json"]))).toEqual({ json: true })
      expect(process.env["HEDGEFLOW_MARKET"]).toBeUndefined()
      expect(await Effect.runPromise(parsePairArgv(pair, ["--json", "--market", "eth"]))).toEqual({ json: true, market: "ETH" })
      expect(process.env["HEDGEFLOW_MARKET"]).toBe("ETH")
      expect(await Effect.runPromise(parsePairArgv(pair, ["--market=btc"]))).toEqual({ market: "BTC" })
      expect(process.env["HEDGEFLOW_MARKET"]).toBe("BTC")
      const bad = await Effect.runPromise(Effect.flip(parsePairArgv(pair, ["--market", "B-T-C"])))
      expect(bad).toMatchObject({ _tag: "ArgvError", message: `hedge status: --market: expected a market symbol such as BTC, got "B-T-C"` })
      const missing = await Effect.runPromise(Effect.flip(parsePairArgv(pair, ["--market"])))
      expect(missing).toMatchObject({ _tag: "ArgvError", message: "hedge status: --market needs a value (--market SYMBOL)" })
    } finally {
      if (before === undefined) delete process.env["HEDGEFLOW_MARKET"]
      else process.env["HEDGEFLOW_MARKET"] = before
    }
  })

  it("halt --market ETH halts the ETH pair only; status --market ETH shows it, status (BTC from the file) does not", () => {
    const halted = hedge("halt", "--market", "ETH", "--reason", "eth only")
    expect(halted.status, halted.stderr).toBe(0)
    const eth = JSON.parse(hedge("status", "--json", "--market=eth").stdout) as Record<string, unknown>
    expect(eth["tradingState"]).toBe("HALTED")
    expect(eth["tradingStateReason"]).toBe("eth only")
    const btc = JSON.parse(hedge("status", "--json").stdout) as Record<string, unknown>
    expect(btc["tradingState"]).toBe("ACTIVE")
    expect(hedge("status", "--market", "ETH").stdout).toMatch(/prefix hedgeflow:ETH:1-2/)
    const resumed = hedge("resume", "--market", "ETH")
    expect(resumed.status, resumed.stderr).toBe(0)
    const bad = hedge("status", "--market", "B-T-C")
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^hedge status: --market: expected a market symbol such as BTC, got "B-T-C"/)
  })
})
