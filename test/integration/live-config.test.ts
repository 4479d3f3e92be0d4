// The live path (venue.kind: lighter, venue.live: true) as a user starts it: bin/main-b's real
// process, pointed at an unreachable loopback port and at the embedded exchange (which speaks
// Lighter's protocol). What they must show: one clear line and exit code 1 when the start fails;
// the same account and key checks as the simulator, and past them, the program.
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { freePort, startTestRedis, type TestRedis } from "../support/redis.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")

const ACCOUNTS = "accounts: { account_a: { account_index: 1, api_key_index: 4 }, account_b: { account_index: 2, api_key_index: 4 } }\n"

/** Starts bin/main-b's entry point with `config` in a fresh log folder (killed after 30 s at the latest). */
const startB = (config: string, env: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "hedgeflow-live-config-"))
  const file = join(dir, "config.yaml")
  writeFileSync(file, config)
  const p = spawn(process.execPath, [join(root, "src/app/main-b.ts"), "--config", file], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", HEDGEFLOW_LOG_DIR: dir, HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(2), ...env }
  })
  let stderr = ""
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  p.stdout.resume()
  const timer = setTimeout(() => p.kill("SIGKILL"), 30_000)
  const exited = exitOf(p).finally(() => clearTimeout(timer))
  const logFile = join(dir, "main_B.jsonl")
  return {
    proc: p,
    exited,
    stderr: () => stderr,
    lines: () => stderr.split("\n").filter((l) => l.trim() !== ""),
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "")
  }
}

/** Runs bin/main-b to its end. */
const runB = async (config: string, env: Record<string, string> = {}) => {
  const b = startB(config, env)
  const status = await b.exited
  return { status, lines: b.lines(), stderr: b.stderr(), log: b.log() }
}

let sim: SimHandle
let redis: TestRedis
beforeAll(async () => {
  sim = await startSimulator({ port: 0, market: false, accounts: withSimKeys() })
  redis = await startTestRedis()
})
afterAll(async () => {
  await sim?.close()
  await redis?.close()
})

describe("venue.kind: lighter, venue.live: true", () => {
  it("an unreachable venue: exactly one line naming the URL, exit code 1", async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const r = await runB(`venue: { kind: lighter, live: true }\nlighter: { base_url: "${url}" }\n${ACCOUNTS}`)
    expect(r.status).toBe(1)
    expect(r.lines, r.stderr).toHaveLength(1)
    expect(r.lines[0]).toMatch(new RegExp(`^main-b: cannot reach the venue \\(lighter\\) at ${url.replace(/\./g, "\\.")}: `))
    // the simulator's hint is for the simulator only
    expect(r.lines[0]).not.toContain("bin/hedge sim")
  })

  it("without venue.live: one line naming venue.kind and venue.live, in English and 中文", async () => {
    const r = await runB(`venue: { kind: lighter }\nlighter: { base_url: "${sim.url}" }\n${ACCOUNTS}`)
    expect(r.status).toBe(1)
    expect(r.lines, r.stderr).toHaveLength(1)
    expect(r.lines[0]).toMatch(/^main-b: .*venue\.kind: lighter .*needs venue\.live: true .*实盘保护/)
  })

  it("an account the venue does not know: named, with the venue's answer", async () => {
    const r = await runB(
      `venue: { kind: lighter, live: true }\nlighter: { base_url: "${sim.url}" }\n` +
        "accounts: { account_a: { account_index: 1, api_key_index: 4 }, account_b: { account_index: 99, api_key_index: 4 } }\n"
    )
    expect(r.status).toBe(1)
    expect(r.lines, r.stderr).toHaveLength(1)
    expect(r.lines[0]).toMatch(/^main-b: account B \(B, index 99\) does not exist on the venue at http:\/\/127\.0\.0\.1:\d+: .*the venue answered: code 21100 /)
  })

  it("pointed at the embedded exchange with the key registered: gets past the account and key checks and starts", async () => {
    const b = startB(
      `venue: { kind: lighter, live: true }\nlighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\n${ACCOUNTS}` +
        `redis: { url: "${redis.url}", key_prefix: "${redis.prefix("live-config")}" }\n`
    )
    const STARTED = /hedger \(B\) on BTC \(market \d+\), venue lighter http:\/\/127\.0\.0\.1:\d+/
    let exitedEarly: number | undefined
    void b.exited.then((s) => (exitedEarly = s))
    await waitUntil("main-b's start-up line", () => STARTED.test(b.log()) || exitedEarly !== undefined, 20_000)
    const log = b.log()
    const early = exitedEarly
    b.proc.kill("SIGTERM")
    await b.exited
    expect(early, b.stderr()).toBeUndefined()
    expect(log).toContain("API key matches the venue's registration")
    expect(log).toMatch(STARTED)
  })
})
