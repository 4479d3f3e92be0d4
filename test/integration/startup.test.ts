// What a user sees when the start fails: one clear line on stderr and exit code 1.
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort } from "../support/redis.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { bytesToHex, generateKeyPair } from "../../src/venue/lighter/signing/index.ts"
import { exitOf } from "../support/process.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const dir = mkdtempSync(join(tmpdir(), "hedgeflow-startup-"))

// Spawned asynchronously: the simulator runs in this process and must answer while the child starts.
const run = async (program: "main-a" | "main-b", config: string, env: Record<string, string> = {}) => {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, config)
  const p = spawn(process.execPath, [join(root, "src/app", `${program}.ts`), "--config", file], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", HEDGEFLOW_LOG_DIR: dir, ...env }
  })
  let stderr = ""
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  p.stdout.resume()
  const timer = setTimeout(() => p.kill("SIGKILL"), 30_000)
  const status = await exitOf(p)
  clearTimeout(timer)
  const lines = stderr.split("\n").filter((l) => l.startsWith(`${program}:`))
  return { status, lines, stderr }
}

let sim: SimHandle
beforeAll(async () => {
  sim = await startSimulator({ port: 0, market: false, accounts: withSimKeys() })
})
afterAll(async () => {
  await sim?.close()
})

const keyA = () => ({ HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(1) })
const keyB = () => ({ HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(2) })
const simConfig = (extra = "") => `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\n${extra}`

describe("start-up failures", () => {
  it("the venue is not reachable", async () => {
    const port = await freePort()
    const r = await run("main-a", `lighter: { base_url: "http://127.0.0.1:${port}", ws_url: "ws://127.0.0.1:${port}/stream" }\n`, keyA())
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/cannot reach the venue \(simulator\) at http:\/\/127\.0\.0\.1:\d+.*bin\/hedge sim/)
  })

  it("Redis is down", async () => {
    const port = await freePort()
    const r = await run("main-b", `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\nredis: { host: 127.0.0.1, port: ${port} }\n`, keyB())
    expect(r.status).toBe(1)
    expect(r.lines.join("\n")).toMatch(new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}`))
  })

  it("a wrong key in the config names the key", async () => {
    const r = await run("main-b", "strategy: { retry_timez: 3 }\n")
    expect(r.status).toBe(1)
    expect(r.lines[0]).toMatch(/strategy\.retry_timez: unknown key \(did you mean strategy\.retry_times\?\)/)
  })

  it("no private key: names the variable and the config key to set", async () => {
    const r = await run("main-a", simConfig())
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/account A \(A, index 1, API key 4\) has no private key: set HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY in the environment, or name a key file \(chmod 600\) in accounts\.account_a\.private_key_file/)
  })

  it("a malformed private key: refused without echoing it", async () => {
    const bad = "0x" + "c0ffee".repeat(12) // 72 hex digits: not 40 bytes
    const r = await run("main-b", simConfig(), { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: bad })
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/is not a Lighter API private key .*80 hex/)
    expect(r.stderr).not.toContain("c0ffeec0ffee")
  })

  it("a key that does not match the venue's registration: one line, refuses to trade, never the private key", async () => {
    const other = "0x" + bytesToHex(generateKeyPair().privateKey)
    const before = sim.exchange.signatureStats()
    const r = await run("main-b", simConfig(), { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: other })
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/account B \(B, index 2, API key 4\): the private key in HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY .* belongs to public key [0-9a-f]{80}, but the venue has [0-9a-f]{80} registered .*refusing to trade/)
    expect(r.stderr).not.toContain(other.slice(2, 30))
    // nothing was sent
    expect(sim.exchange.signatureStats()).toEqual(before)
  })

  it("a key slot with nothing registered: one line, refuses to trade", async () => {
    const r = await run("main-a", simConfig("accounts: { account_a: { account_index: 1, api_key_index: 9 } }\n"), keyA())
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/account A \(A, index 1, API key 9\): no API key is registered on the venue for this account and index; register public key [0-9a-f]{80} .*refusing to trade/)
  })

  it("venue.kind lighter without venue.live is refused, naming both keys (test/integration/live-config.test.ts: the live path)", async () => {
    const r = await run("main-a", simConfig("venue: { kind: lighter }\naccounts: { account_a: { account_index: 1, api_key_index: 4 }, account_b: { account_index: 2, api_key_index: 4 } }\n"), keyA())
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/venue\.kind: lighter .*needs venue\.live: true/)
  })

  it("a private key in the config is refused, naming the variable, never echoed", async () => {
    const key = "0x" + "ab".repeat(40)
    const r = await run("main-a", `accounts:\n  account_a: { account_index: 1, api_key_index: 4, private_key: "${key}" }\n`)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY")
    expect(r.stderr).not.toContain("abababab")
  })
})
