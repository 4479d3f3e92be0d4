// bin/hedge halt / status / resume against a real Redis: the operator sees the state, why and
// since when, in text and JSON.
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

const root = resolve(import.meta.dirname, "../..")
let redis: TestRedis
let config: string

const hedge = (...args: Array<string>) =>
  spawnSync(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", config], {
    encoding: "utf8",
    env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off" },
    timeout: 30_000
  })

beforeAll(async () => {
  redis = await startTestRedis()
  const dir = mkdtempSync(join(tmpdir(), "hedgeflow-ops-"))
  config = join(dir, "config.yaml")
  writeFileSync(config, `redis: { url: "${redis.url}", key_prefix: "${redis.prefix("ops")}" }\nlogging: { dir: "${dir}" }\n`)
}, 60_000)

afterAll(async () => {
  await redis?.close()
})

describe("bin/hedge halt, status, resume", () => {
  it("halt records the reason; status shows it with the time; resume clears it", () => {
    const before = hedge("status", "--json")
    expect(before.status, before.stderr).toBe(0)
    expect(JSON.parse(before.stdout)).toMatchObject({ tradingState: "ACTIVE", tradingStateReason: null, pendingFills: 0 })

    const halted = hedge("halt", "--reason", "collateral top-up")
    expect(halted.status, halted.stderr).toBe(0)
    const text = hedge("status")
    expect(text.stdout).toMatch(/trading state +HALTED — collateral top-up \(since \d{4}-\d\d-\d\dT[\d:.]+Z, \d+\.\d s ago\)/)
    const json = JSON.parse(hedge("status", "--json").stdout) as Record<string, unknown>
    expect(json["tradingState"]).toBe("HALTED")
    expect(json["tradingStateReason"]).toBe("collateral top-up")
    expect(Math.abs(Date.now() - (json["tradingStateSinceMs"] as number))).toBeLessThan(60_000)

    expect(hedge("resume").status).toBe(0)
    expect(JSON.parse(hedge("status", "--json").stdout)["tradingState"]).toBe("ACTIVE")
  }, 60_000)
})
