// Secrets given to the processes never show in logs, errors or status output.
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

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
beforeAll(async () => {
  sim = await startSimulator({ port: 0, market: false })
  redis = await startTestRedis()
  dir = mkdtempSync(join(tmpdir(), "hedgeflow-secrets-"))
  config = join(dir, "config.yaml")
  writeFileSync(config, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\nredis: { url: "${redis.url}", key_prefix: "${redis.prefix("secrets")}" }\nlogging: { dir: "${dir}", level: debug }\nalerts: { telegram_chat_id: "1", telegram_api_url: "http://127.0.0.1:9" }\n`)
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
    // B runs twice with every secret in its environment (the second start raises a restart
    // alert, whose webhook and Telegram deliveries fail), then stops.
    for (const ms of [1500, 3000]) {
      const r = spawn(process.execPath, [join(root, "src/runtime/main-b.ts"), "--config", config], {
        env: { ...process.env, ...SECRETS, HEDGEFLOW_LOG_CONSOLE: "json" },
        stdio: ["ignore", "ignore", "ignore"]
      })
      await new Promise((res) => setTimeout(res, ms))
      r.kill("SIGTERM")
      await new Promise((res) => r.once("exit", res))
    }
    const b = spawn(process.execPath, [join(root, "src/runtime/main-b.ts"), "--config", config], {
      env: { ...process.env, ...SECRETS, HEDGEFLOW_LOG_CONSOLE: "json" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    b.stdout.on("data", (d) => (out += d))
    b.stderr.on("data", (d) => (out += d))
    await new Promise((r) => setTimeout(r, 3000))
    b.kill("SIGTERM")
    const code = await new Promise<number | null>((r) => b.once("exit", (c) => r(c)))
    expect(code).toBe(130)
    expect(out).toContain("hedger")
    expect(out).toContain("ALERT process-restart")
    expect(out).toContain("alert not delivered to telegram")
    expectClean(out, "stderr of main-b")

    // A Redis password the server refuses: the error names Redis, never the password.
    const refused = spawnSync(process.execPath, [join(root, "src/runtime/main-b.ts"), "--config", config], {
      env: { ...process.env, ...SECRETS, REDIS_PASSWORD, HEDGEFLOW_LOG_CONSOLE: "json" },
      encoding: "utf8",
      timeout: 30_000
    })
    expect(refused.status).toBe(1)
    expectClean(refused.stdout + refused.stderr, "the Redis auth error")

    const status = spawnSync(process.execPath, [join(root, "src/runtime/hedge.ts"), "status", "--config", config, "--json"], {
      env: { ...process.env, ...SECRETS },
      encoding: "utf8",
      timeout: 30_000
    })
    expect(status.status).toBe(0)
    expect(status.stdout).toContain("tradingState")
    expectClean(status.stdout + status.stderr, "status output")

    for (const f of readdirSync(dir).filter((f) => f.endsWith(".log"))) expectClean(readFileSync(join(dir, f), "utf8"), f)
  }, 60_000)
})
