// bin/main-a and bin/main-b as real processes against the embedded exchange and a real Redis,
// for at least 50 open/close cycles. The invariants are checked from the exchange's own trade log.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { HEDGER_GROUP } from "../../src/bus/redis/inspect.ts"
import { fillBusKeys } from "../../src/bus/redis/RedisFillBus.ts"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1
const B = 2
const CYCLES = 50

describe("main-a and main-b as processes over real sockets", () => {
  let redis: TestRedis
  let sim: SimHandle
  let dir: string
  let a: ChildProcess
  let b: ChildProcess
  let prefix: string

  beforeAll(async () => {
    // Private: the test counts the clients connected to it.
    redis = await startTestRedis({ private: true })
    // Quotes at depth 5 fill often, so the cycles go by quickly.
    sim = await startSimulator({ port: 0, seed: 7, accounts: withSimKeys(), market: { fillRatePerMin: 240, stepMs: 100 } })
    dir = mkdtempSync(join(tmpdir(), "hedgeflow-e2e-"))
    prefix = redis.prefix("e2e")
    const config = join(dir, "config.yaml")
    writeFileSync(
      config,
      demoConfig({
        simUrl: sim.url,
        wsUrl: sim.wsUrl,
        redisUrl: redis.url,
        prefix,
        quantity: "0.0002",
        depth: 5,
        logDir: dir,
        pollIntervalSec: 0.05,
        // Correctness over 50 cycles, not pacing (test/pair/quote-budget.test.ts): A's own cap off.
        quoteTxPerMinute: 0
      })
    )
    // Each process gets its own account's key, in its environment only.
    const start = (name: "main-a" | "main-b") =>
      spawn(process.execPath, [join(root, "src/app", `${name}.ts`), "--config", config], {
        stdio: ["ignore", "ignore", "pipe"],
        env: {
          ...process.env,
          HEDGEFLOW_LOG_CONSOLE: "off",
          ...(name === "main-a" ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(A) } : { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(B) })
        }
      })
    b = start("main-b")
    a = start("main-a")
  }, 60_000)

  afterAll(async () => {
    for (const p of [a, b]) if (p !== undefined && p.exitCode === null) p.kill("SIGKILL")
    await sim?.close()
    await redis?.close()
  })

  it(`hedges every fill of ${CYCLES} open/close cycles exactly, with no A↔B trade`, async () => {
    const trades = () => sim.exchange.engine.trades.filter((t) => t.marketId === 1)
    const signed = (account: number) =>
      trades().reduce((s, t) => s + (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0), 0)
    const cyclesOfA = () => {
      let pos = 0
      let cycles = 0
      for (const t of trades()) {
        const before = pos
        pos += (t.bidAccountId === A ? t.size : 0) - (t.askAccountId === A ? t.size : 0)
        if (before > 0 && pos === 0) cycles++
      }
      return cycles
    }
    await waitUntil(`${CYCLES} cycles of A`, () => cyclesOfA() >= CYCLES || a.exitCode !== null || b.exitCode !== null, 420_000)
    expect(a.exitCode, `main-a exited early:\n${readFileSync(join(dir, "main_A.jsonl"), "utf8").slice(-3000)}`).toBeNull()
    expect(b.exitCode, `main-b exited early`).toBeNull()

    // Each program runs on one Redis command connection, shared by its bus and its tx budget
    // (plus the dedicated connections its blocking reads need).
    const lister = new Redis(redis.url)
    try {
      const clients = String(await lister.client("LIST")).split("\n").filter((l) => / name=hedgeflow-cmd /.test(` ${l} `))
      expect(clients).toHaveLength(2)
    } finally {
      lister.disconnect()
    }

    // Stop A first (it cancels its quote, exit 0), let B hedge what is pending, then stop B.
    a.kill("SIGINT")
    expect(await exitOf(a)).toBe(0)
    await waitUntil("B hedged everything", () => signed(A) + signed(B) === 0, 20_000)
    // … and recorded it: B stopped between its trade and its record exits 1 (exit-codes.test.ts).
    const client = new Redis(redis.url)
    try {
      await waitUntil("B recorded its hedges", async () => ((await client.xpending(fillBusKeys(prefix).fills, HEDGER_GROUP)) as [number])[0] === 0, 20_000)
    } finally {
      client.disconnect()
    }
    b.kill("SIGTERM")
    expect(await exitOf(b)).toBe(0)

    expect(cyclesOfA()).toBeGreaterThanOrEqual(CYCLES)
    // I1 from the exchange's own log: signed A fills + signed B fills = 0.
    expect(signed(A) + signed(B)).toBe(0)
    // I5: no trade has A on one side and B on the other.
    expect(trades().filter((t) => (t.askAccountId === A && t.bidAccountId === B) || (t.askAccountId === B && t.bidAccountId === A))).toEqual([])
    // A left no resting quote behind.
    expect([...sim.exchange.engine.account(A).active.values()]).toEqual([])
    // B traded once per fill of A (sizes are the venue minimum: nothing pooled).
    const fillsA = trades().filter((t) => t.askAccountId === A || t.bidAccountId === A).length
    const fillsB = trades().filter((t) => t.askAccountId === B || t.bidAccountId === B).length
    expect(fillsB).toBeGreaterThanOrEqual(fillsA)
    // Every tx was signed by our signer and verified by the exchange; none was refused.
    expect(sim.exchange.signatureStats().verified).toBeGreaterThan(fillsA)
    expect(sim.exchange.signatureStats().rejected).toBe(0)
  }, 600_000)
})
