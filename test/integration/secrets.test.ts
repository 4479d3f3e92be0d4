// Secrets given to the processes never show in logs, errors or status output.
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { Redis } from "ioredis"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { bytesToHex, parsePrivateKey, publicKeyOf } from "../../src/venue/lighter/signing/index.ts"

const root = resolve(import.meta.dirname, "../..")
const SECRETS = {
  HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: "0x" + "5e".repeat(40),
  HEDGEFLOW_ALERT_WEBHOOK_URL: "http://127.0.0.1:9/hook/WEBHOOK-SECRET-7f3a",
  HEDGEFLOW_TELEGRAM_BOT_TOKEN: "987654:TELEGRAM-SECRET-c0ffee"
}
const REDIS_PASSWORD = "REDIS-SECRET-b4d"
const needles = [...Object.values(SECRETS), REDIS_PASSWORD, "5e5e5e5e5e5e", "WEBHOOK-SECRET", "TELEGRAM-SECRET", "REDIS-SECRET"]

let sim: SimHandle
let redis: TestRedis
let dir: string
let config: string
let prefix: string
beforeAll(async () => {
  // B's key is registered, so B passes its start-up key check and runs.
  const bPublic = bytesToHex(publicKeyOf(parsePrivateKey(SECRETS.HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY)))
  sim = await startSimulator({ port: 0, market: false, accounts: [{ index: 1 }, { index: 2, apiKeys: { 4: bPublic } }] })
  redis = await startTestRedis()
  dir = mkdtempSync(join(tmpdir(), "hedgeflow-secrets-"))
  config = join(dir, "config.yaml")
  prefix = redis.prefix("secrets")
  writeFileSync(config, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\nredis: { url: "${redis.url}", key_prefix: "${prefix}" }\nlogging: { dir: "${dir}", level: debug }\nalerts: { telegram_chat_id: "1", telegram_api_url: "http://127.0.0.1:9" }\n`)
})
afterAll(async () => {
  await sim?.close()
  await redis?.close()
})

const expectClean = (text: string, where: string) => {
  for (const n of needles) expect(text.includes(n), `${where} contains a secret (${n.slice(0, 12)}…)`).toBe(false)
}

describe("secrets", () => {
  it("never appear in B's logs, its stderr, its errors, or status output", async () => {
    // B runs twice with every secret in its environment, then a third time, when a poison entry
    // on the fill stream raises an alert whose webhook and Telegram deliveries fail; then stops.
    // (A restart alert may come too, when the previous run's heartbeat is still there: timing.)
    for (const ms of [1500, 3000]) {
      const r = spawn(process.execPath, [join(root, "src/app/main-b.ts"), "--config", config], {
        env: { ...process.env, ...SECRETS, HEDGEFLOW_LOG_CONSOLE: "json" },
        stdio: ["ignore", "ignore", "ignore"]
      })
      await new Promise((res) => setTimeout(res, ms))
      r.kill("SIGTERM")
      await new Promise((res) => r.once("exit", res))
    }
    const b = spawn(process.execPath, [join(root, "src/app/main-b.ts"), "--config", config], {
      env: { ...process.env, ...SECRETS, HEDGEFLOW_LOG_CONSOLE: "json" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    b.stdout.on("data", (d) => (out += d))
    b.stderr.on("data", (d) => (out += d))
    const until = Date.now() + 30_000
    while (!out.includes("hedger b-") && Date.now() < until && b.exitCode === null) await new Promise((r) => setTimeout(r, 100))
    const poison = new Redis(redis.url)
    await poison.xadd(`${prefix}:fills`, "*", "fillId", "secrets-test", "size", "not-a-number")
    poison.disconnect()
    // Until the alert's deliveries have failed.
    while (!(out.includes("ALERT poison-message") && out.includes("alert not delivered to telegram")) && Date.now() < until && b.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100))
    }
    b.kill("SIGTERM")
    const code = await new Promise<number | null>((r) => (b.exitCode !== null ? r(b.exitCode) : b.once("exit", (c) => r(c))))
    expect(code).toBe(0)
    expect(out).toContain("hedger")
    expect(out).toContain("ALERT poison-message")
    expect(out).toContain("alert not delivered to telegram")
    expectClean(out, "stderr of main-b")

    // A Redis password the server refuses (a private server that requires another one): the
    // error names Redis, never the password. (Spawned asynchronously: B's start-up key check asks
    // the simulator, which runs in this process.)
    const locked = await startTestRedis({ private: true })
    const admin = new Redis(locked.url)
    await admin.config("SET", "requirepass", "the-right-password")
    admin.disconnect()
    const lockedConfig = join(dir, "locked.yaml")
    writeFileSync(lockedConfig, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\nredis: { url: "${locked.url}", key_prefix: "secrets-locked" }\nlogging: { dir: "${dir}", level: debug }\n`)
    const refused = spawn(process.execPath, [join(root, "src/app/main-b.ts"), "--config", lockedConfig], {
      env: { ...process.env, ...SECRETS, REDIS_PASSWORD, HEDGEFLOW_LOG_CONSOLE: "json" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let refusedOut = ""
    refused.stdout.on("data", (d) => (refusedOut += d))
    refused.stderr.on("data", (d) => (refusedOut += d))
    const refusedTimer = setTimeout(() => refused.kill("SIGKILL"), 30_000)
    const refusedCode = await new Promise<number | null>((r) => refused.once("exit", (c) => r(c)))
    clearTimeout(refusedTimer)
    await locked.close()
    expect(refusedCode, refusedOut.slice(-2000)).toBe(1)
    expect(refusedOut).toMatch(/Redis/)
    expectClean(refusedOut, "the Redis auth error")

    const status = spawnSync(process.execPath, [join(root, "src/cli/hedge.ts"), "status", "--config", config, "--json"], {
      env: { ...process.env, ...SECRETS },
      encoding: "utf8",
      timeout: 30_000
    })
    expect(status.status, status.stderr + status.stdout).toBe(0)
    expect(status.stdout).toContain("tradingState")
    // With a dead letter on the pair (the poison entry above): status used to crash here (XREVRANGE COUNT 0 is nil).
    expect((JSON.parse(status.stdout) as { deadLetters: number }).deadLetters).toBeGreaterThanOrEqual(1)
    expectClean(status.stdout + status.stderr, "status output")

    for (const f of readdirSync(dir).filter((f) => f.endsWith(".log") || f.endsWith(".jsonl"))) expectClean(readFileSync(join(dir, f), "utf8"), f)
  }, 90_000)
})
