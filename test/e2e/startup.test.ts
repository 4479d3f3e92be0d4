// What a user sees when the start fails: one clear line on stderr and exit code 1.
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort } from "../support/redis.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"

const root = resolve(import.meta.dirname, "../..")
const dir = mkdtempSync(join(tmpdir(), "hedgeflow-startup-"))

const run = (program: "main-a" | "main-b", config: string, env: Record<string, string> = {}) => {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, config)
  const r = spawnSync(process.execPath, [join(root, "src/runtime", `${program}.ts`), "--config", file], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", HEDGEFLOW_LOG_DIR: dir, ...env }
  })
  const lines = r.stderr.split("\n").filter((l) => l.startsWith(`${program}:`))
  return { status: r.status, lines, stderr: r.stderr }
}

let sim: SimHandle
beforeAll(async () => {
  sim = await startSimulator({ port: 0, market: false })
})
afterAll(async () => {
  await sim?.close()
})

describe("start-up failures", () => {
  it("the venue is not reachable", async () => {
    const port = await freePort()
    const r = run("main-a", `lighter: { base_url: "http://127.0.0.1:${port}", ws_url: "ws://127.0.0.1:${port}/stream" }\n`)
    expect(r.status).toBe(1)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/cannot reach the venue \(simulator\) at http:\/\/127\.0\.0\.1:\d+.*bin\/hedge sim/)
  })

  it("Redis is down", async () => {
    const port = await freePort()
    const r = run("main-b", `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\nredis: { host: 127.0.0.1, port: ${port} }\n`)
    expect(r.status).toBe(1)
    expect(r.lines.join("\n")).toMatch(new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}`))
  })

  it("a wrong key in the config names the key", () => {
    const r = run("main-b", "strategy: { retry_timez: 3 }\n")
    expect(r.status).toBe(1)
    expect(r.lines[0]).toMatch(/strategy\.retry_timez: unknown key \(did you mean strategy\.retry_times\?\)/)
  })

  it("a private key in the config is refused, naming the variable, never echoed", () => {
    const key = "0x" + "ab".repeat(40)
    const r = run("main-a", `accounts:\n  account_a: { account_index: 1, api_key_index: 4, private_key: "${key}" }\n`)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY")
    expect(r.stderr).not.toContain("abababab")
  })
})
