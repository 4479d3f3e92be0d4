// The venue refuses B's private channels (its auth tokens) while the pair runs, as real processes
// over real sockets and Redis: B says so (log, status, alert), retries, and once the refusal has
// lasted risk.stream_refused_halt_after the pair halts and A pulls its quote. When the venue
// accepts B's tokens again, B reconciles and nothing is lost (A + B flat).
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1
const B = 2

describe("B's account stream refused by the venue while the pair runs", () => {
  let redis: TestRedis
  let sim: SimHandle
  let dir: string
  let config: string
  let a: ChildProcess
  let b: ChildProcess

  beforeAll(async () => {
    redis = await startTestRedis()
    sim = await startSimulator({ port: 0, seed: 13, accounts: withSimKeys(), market: { fillRatePerMin: 240, stepMs: 100 } })
    dir = mkdtempSync(join(tmpdir(), "hedgeflow-refused-"))
    config = join(dir, "config.yaml")
    writeFileSync(
      config,
      demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix: redis.prefix("refused"), quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05 }) +
        "risk: { stream_refused_halt_after: 3 }\n"
    )
    const start = (name: "main-a" | "main-b", account: number) =>
      spawn(process.execPath, [join(root, "src/app", `${name}.ts`), "--config", config], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", [`HEDGEFLOW_ACCOUNT_${name === "main-a" ? "A" : "B"}_PRIVATE_KEY`]: simPrivateKeyHex(account) }
      })
    b = start("main-b", B)
    a = start("main-a", A)
  }, 60_000)

  afterAll(async () => {
    for (const p of [a, b]) if (p !== undefined && p.exitCode === null) p.kill("SIGKILL")
    await sim?.close()
    await redis?.close()
  })

  // Spawned asynchronously: the exchange runs in this process (status asks it), and a blocked
  // event loop would starve B's subscriptions of their snapshots.
  const status = (json: boolean) =>
    new Promise<string>((res) => {
      const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), "status", "--config", config, ...(json ? ["--json"] : [])], {
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off" }
      })
      let out = ""
      p.stdout.on("data", (d: Buffer) => (out += d.toString()))
      p.once("close", () => res(out))
    })
  const statusJson = async () => JSON.parse(await status(true)) as {
    tradingState: string
    tradingStateReason: string | null
    processes: { b: { streamRefused: { channel: string; code: number | null; message: string; forMs: number } | null } }
  }
  const signed = (account: number) =>
    sim.exchange.engine.trades.filter((t) => t.marketId === 1).reduce((s, t) => s + (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0), 0)
  const logB = () => readFileSync(join(dir, "main_B.jsonl"), "utf8")

  it("is reported, halts the pair after 3 s (A pulls its quote), and recovers with nothing lost", async () => {
    // Trading first: a few fills hedged.
    await waitUntil("fills of A", () => sim.exchange.engine.trades.filter((t) => t.bidAccountId === A || t.askAccountId === A).length >= 3, 120_000)
    expect(a.exitCode).toBeNull()
    expect(b.exitCode).toBeNull()

    sim.exchange.faults.refuseAuth(B, 20_000)
    await waitUntil("status shows B's refused stream", async () => (await statusJson()).processes.b.streamRefused !== null, 15_000)
    const refused = (await statusJson()).processes.b.streamRefused!
    expect(refused.channel).toMatch(/^account_all_(orders|trades|positions)\/2$/)
    expect(refused.code).toBe(20013)
    expect(refused.message).toContain("invalid auth: refused by fault")
    expect(await status(false)).toMatch(/B \(hedger\) +running.*stream REFUSED by the venue for \d+(\.\d)? s .*account_all_\w+\/2 code 20013 — invalid auth: refused by fault/)

    await waitUntil("the pair HALTED by B's refused stream", async () => (await statusJson()).tradingState === "HALTED", 20_000)
    expect((await statusJson()).tradingStateReason).toMatch(/account stream of B \(hedger\) refused by the venue for \d+ s: account_all_\w+\/2 \(venue code 20013\): invalid auth: refused by fault/)
    await waitUntil("A pulled its quote", () => sim.exchange.engine.account(A).active.size === 0, 15_000)
    expect(logB()).toContain("ALERT stream-refused")
    expect(logB()).toContain("ALERT halted")

    // The venue accepts B's tokens again: B's stream is back, B settles every hedge, A + B flat.
    sim.exchange.faults.clear()
    await waitUntil("B's stream accepted again", async () => (await statusJson()).processes.b.streamRefused === null, 30_000)
    await waitUntil("A + B flat", () => signed(A) + signed(B) === 0, 30_000)
    expect((await statusJson()).tradingState).toBe("HALTED") // an operator resumes, after looking
    expect(logB()).toMatch(/account stream of B \(hedger\): accepted again after \d+ s/)

    a.kill("SIGTERM")
    b.kill("SIGTERM")
    await Promise.all([exitOf(a), exitOf(b)])
    expect(signed(A) + signed(B)).toBe(0)
  }, 240_000)
})
