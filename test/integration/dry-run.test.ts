// --dry-run against the embedded exchange as real processes: both programs connect with their
// real keys, authenticate, subscribe and read; they log every transaction they would send and the
// exchange receives none. No Redis: the configured Redis URL points at a closed port.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { INITIAL_NONCE } from "../../src/sim/accounts.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")

describe("main-a and main-b --dry-run", () => {
  let sim: SimHandle
  let dir: string
  const procs: Array<ChildProcess> = []

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 11, accounts: withSimKeys(), market: { fillRatePerMin: 240, stepMs: 100 } })
    dir = mkdtempSync(join(tmpdir(), "hedgeflow-dry-"))
  })
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL")
    await sim?.close()
  })

  it("reads the venue with real keys, logs what it would send (in market units), sends nothing, never touches Redis", async () => {
    const config = join(dir, "config.yaml")
    writeFileSync(config, demoConfig({
      simUrl: sim.url,
      wsUrl: sim.wsUrl,
      // Nothing listens here: a dry run that touched Redis would fail to start.
      redisUrl: "redis://127.0.0.1:1/0",
      prefix: "dry",
      quantity: "0.0002",
      depth: 1,
      logDir: dir,
      pollIntervalSec: 0.1
    }))
    const start = (name: "main-a" | "main-b", account: number) => {
      const p = spawn(process.execPath, [join(root, "src/app", `${name}.ts`), "--config", config, "--dry-run"], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", [`HEDGEFLOW_ACCOUNT_${name === "main-a" ? "A" : "B"}_PRIVATE_KEY`]: simPrivateKeyHex(account) }
      })
      let err = ""
      p.stderr?.on("data", (d) => (err += String(d)))
      procs.push(p)
      return { p, err: () => err }
    }
    const authBefore = sim.exchange.authStats().accepted
    const a = start("main-a", 1)
    const b = start("main-b", 2)
    const logA = () => { try { return readFileSync(join(dir, "main_A.jsonl"), "utf8") } catch { return "" } }
    const logB = () => { try { return readFileSync(join(dir, "main_B.jsonl"), "utf8") } catch { return "" } }
    // A's maker loop runs as it would live: a quote "placed", later "cancelled" (its age or the book moved) and placed again.
    await waitUntil("A's dry-run quotes", () => (logA().match(/DRY RUN — not sent: limit buy/g) ?? []).length >= 1 || a.p.exitCode !== null, 30_000)
    await waitUntil("B's sample hedges", () => /B would send: market \(IOC\) sell/.test(logB()) || b.p.exitCode !== null, 30_000)
    expect(a.p.exitCode, `main-a exited: ${a.err()}\n${logA().slice(-2000)}`).toBeNull()
    expect(b.p.exitCode, `main-b exited: ${b.err()}\n${logB().slice(-2000)}`).toBeNull()
    await new Promise((r) => setTimeout(r, 2000))
    a.p.kill("SIGTERM")
    b.p.kill("SIGTERM")
    const [codeA, codeB] = await Promise.all([exitOf(a.p), exitOf(b.p)])
    expect([codeA, codeB].every((c) => c !== 1), `exit codes ${codeA} ${codeB}: ${a.err()} ${b.err()}`).toBe(true)

    // Sizes and prices in market units; the mode is said at start.
    expect(logA()).toMatch(/DRY RUN — not sent: limit buy 0\.00020 BTC @ \d+\.\d post-only \(client index \d+\)/)
    expect(logA()).toContain("DRY RUN: transactions are logged, never sent; no Redis")
    expect(logB()).toMatch(/when A buys 0\.00020 BTC, B would send: market \(IOC\) sell 0\.00020 BTC with price cap \d+\.\d/)
    expect(logB()).toMatch(/when A sells 0\.00020 BTC, B would send: market \(IOC\) buy 0\.00020 BTC with price cap \d+\.\d/)
    // The start-up report read the account (balances, position, open orders) with the real keys.
    expect(logA()).toMatch(/account 1/)
    // Authenticated: private channels and reads were accepted, none refused.
    expect(sim.exchange.authStats().accepted - authBefore).toBeGreaterThanOrEqual(6)
    expect(sim.exchange.authStats().rejected).toBe(0)
    // The exchange confirms: no transaction arrived at all, from either account.
    expect(sim.exchange.signatureStats()).toMatchObject({ verified: 0, rejected: 0 })
    expect([sim.exchange.engine.account(1).nonceFor(4), sim.exchange.engine.account(2).nonceFor(4)]).toEqual([INITIAL_NONCE, INITIAL_NONCE])
    expect(sim.exchange.engine.trades.filter((t) => [1, 2].includes(t.bidAccountId) || [1, 2].includes(t.askAccountId))).toEqual([])
    // No secret in the logs.
    for (const log of [logA(), logB()]) expect(log).not.toContain(simPrivateKeyHex(1).slice(2, 30))
  }, 90_000)
})
