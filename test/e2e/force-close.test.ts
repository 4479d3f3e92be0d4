// strategy.force_close_timeout as the previous system meant it, with main-a and main-b as real
// processes over real sockets and Redis: B's margin is used up (the simulator's refuse_margin:
// its opening orders are cancelled canceled-margin-not-allowed, as the venue does), so A's fill
// cannot be hedged. A and B stay mismatched; after force_close_timeout B halts the pair and asks
// both to close; main-a closes A's long with a reduce-only market order (never published as a
// fill), main-b finds B flat; bin/hedge status shows it, and bin/hedge resume clears it.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CLOSING_CLIENT_INDEX_MIN } from "../../src/domain/closing.ts"
import { demoConfig } from "../../src/runtime/demo-sim.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1
const B = 2

describe("A and B mismatched for strategy.force_close_timeout (real processes)", () => {
  let redis: TestRedis
  let raw: Redis
  let sim: SimHandle
  let dir: string
  let config: string
  let prefix: string
  let a: ChildProcess
  let b: ChildProcess

  beforeAll(async () => {
    redis = await startTestRedis()
    raw = new Redis(redis.url)
    sim = await startSimulator({ port: 0, seed: 17, accounts: withSimKeys(), market: { fillRatePerMin: 240, stepMs: 100 } })
    dir = mkdtempSync(join(tmpdir(), "hedgeflow-force-close-"))
    config = join(dir, "config.yaml")
    prefix = redis.prefix("force-close")
    const base = demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05, quoteTxPerMinute: 0 })
    writeFileSync(
      config,
      base.replace("force_close_timeout: 0", "force_close_timeout: 4") +
        // One attempt of 1 s per hedge (the timeout must outlast it); the failed hedge halts the
        // pair at once, so A quotes nothing more while the mismatch lasts.
        "hedge: { max_attempts: 1, result_timeout_ms: 1000 }\nrisk: { max_consecutive_failures: 1 }\n"
    )
    // B's margin is used up from the start: every hedge B sends is cancelled by the venue.
    sim.exchange.faults.refuseMargin(B, 600_000)
    const start = (name: "main-a" | "main-b", account: number) =>
      spawn(process.execPath, [join(root, "src/runtime", `${name}.ts`), "--config", config], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", [`HEDGEFLOW_ACCOUNT_${name === "main-a" ? "A" : "B"}_PRIVATE_KEY`]: simPrivateKeyHex(account) }
      })
    b = start("main-b", B)
    a = start("main-a", A)
  }, 60_000)

  afterAll(async () => {
    for (const p of [a, b]) if (p !== undefined && p.exitCode === null) p.kill("SIGKILL")
    raw?.disconnect()
    await sim?.close()
    await redis?.close()
  })

  // Spawned asynchronously: the exchange runs in this process.
  const hedge = (...args: Array<string>) =>
    new Promise<string>((res) => {
      const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", config], { env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off" } })
      let out = ""
      p.stdout.on("data", (d: Buffer) => (out += d.toString()))
      p.stderr.on("data", (d: Buffer) => (out += d.toString()))
      p.once("close", () => res(out))
    })
  const position = (account: number) =>
    sim.exchange.engine.trades.filter((t) => t.marketId === 1).reduce((s, t) => s + (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0), 0)
  const forceClose = async () => {
    const f = await raw.hgetall(`${prefix}:force-close`)
    return f["request"] === undefined ? undefined : { id: f["id"], a: f["a"] === undefined ? undefined : JSON.parse(f["a"]), b: f["b"] === undefined ? undefined : JSON.parse(f["b"]) }
  }

  it("closes A's long in main-a, leaves both flat, halts until resume, and publishes nothing for the closing trade", async () => {
    await waitUntil("A's first fill", () => position(A) > 0, 120_000)
    const filled = position(A)
    // B's hedge was cancelled by the venue: the pair is unhedged, and halts on the failure.
    await waitUntil("B's hedge cancelled for margin", () => sim.exchange.engine.account(B).inactive.some((o) => o.status === "canceled-margin-not-allowed"), 15_000)
    expect(position(B)).toBe(0)

    await waitUntil("both sides answered the force close", async () => {
      const fc = await forceClose()
      return fc?.a !== undefined && fc.b !== undefined
    }, 30_000)
    const fc = (await forceClose())!
    expect(fc.a).toMatchObject({ flat: true, positionBase: 0 })
    expect(fc.b).toMatchObject({ flat: true, positionBase: 0 })
    expect(position(A)).toBe(0)
    expect(position(B)).toBe(0)
    // A's closing order: reduce-only, under a reserved closing index, of what A held.
    const closing = sim.exchange.engine.account(A).inactive.filter((o) => o.clientOrderIndex >= CLOSING_CLIENT_INDEX_MIN)
    expect(closing.length).toBeGreaterThanOrEqual(1)
    expect(closing.every((o) => o.reduceOnly)).toBe(true)
    expect(closing.reduce((s, o) => s + o.filledBase, 0)).toBe(filled)
    // Nothing published for it: every fill entry on the stream is one of A's quotes.
    const entries = await raw.xrange(`${prefix}:fills`, "-", "+")
    const cois = entries.map(([, kv]) => JSON.parse(kv[kv.indexOf("clientOrderIndex") + 1] ?? "0") as number)
    expect(cois.every((c) => c < CLOSING_CLIENT_INDEX_MIN)).toBe(true)

    const status = await hedge("status")
    expect(status).toMatch(/force close +FC\w+ at .*: A's position 0\.\d+ BTC and B's 0\.00000 BTC mismatched \(net 0\.\d+ BTC\) for \d+ ms \(strategy\.force_close_timeout 4 s\)/)
    expect(status).toContain("A flat; B flat. The pair stays HALTED until bin/hedge resume")
    expect(status).toMatch(/trading state +HALTED/)
    expect(readFileSync(join(dir, "main_B.jsonl"), "utf8")).toContain("ALERT force-close")
    expect(readFileSync(join(dir, "main_A.jsonl"), "utf8")).toContain("A closed: flat")

    // bin/hedge resume shows what A and B did and clears the request.
    sim.exchange.faults.clear()
    const resumed = await hedge("resume")
    expect(resumed).toContain(`force close ${fc.id}`)
    expect(resumed).toContain("A: A closed: flat")
    expect(resumed).toContain("B: B closed: flat")
    expect(resumed).toContain(`force close ${fc.id} cleared.`)
    expect(await forceClose()).toBeUndefined()
    const after = await hedge("status")
    expect(after).not.toMatch(/^force close +FC/m) // the request is gone; the audit log keeps what happened
    expect(after).toMatch(/force-close-cleared: force close FC\w+ cleared by bin\/hedge resume \(A flat, B flat\)/)

    a.kill("SIGTERM")
    b.kill("SIGTERM")
    expect(await Promise.all([exitOf(a), exitOf(b)])).toEqual([0, 0])
  }, 240_000)
})
