// Exit codes of main-a and main-b as real processes: 0 after a clean stop by SIGTERM/SIGINT; 1
// with one line on stderr (the program's name once) when the shutdown could not finish — A's
// quote could not be cancelled because the venue is unreachable, B stopped mid-hedge.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { afterEach, describe, expect, it } from "vitest"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { DEFAULT_TAKER_ACCOUNT, startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1
const B = 2

interface Proc {
  readonly p: ChildProcess
  readonly stderr: () => string
}

interface Pair {
  readonly sim: SimHandle
  readonly redis: TestRedis
  readonly prefix: string
  readonly a: Proc
  readonly b: Proc
}

let open: Array<Pair> = []

const startPair = async (name: string, options: { readonly aOnTerminal?: boolean } = {}): Promise<Pair> => {
  const redis = await startTestRedis()
  const sim = await startSimulator({ port: 0, seed: 5, accounts: withSimKeys(), market: { fillRatePerMin: 0, stepMs: 100 } })
  const dir = mkdtempSync(join(tmpdir(), `hedgeflow-exit-${name}-`))
  const prefix = redis.prefix(name)
  const config = join(dir, "config.yaml")
  writeFileSync(config, demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05 }))
  const start = (which: "main-a" | "main-b"): Proc => {
    const argv = [join(root, "src/app", `${which}.ts`), "--config", config]
    // On a terminal: `script` gives it a pseudo-terminal (and exits with its exit code, -e).
    const onTerminal = which === "main-a" && options.aOnTerminal === true
    const p = spawn(onTerminal ? "script" : process.execPath, onTerminal ? ["-qefc", `exec ${[process.execPath, ...argv].map((a) => JSON.stringify(a)).join(" ")}`, "/dev/null"] : argv, {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        // Only what the program says when it ends is on stderr.
        HEDGEFLOW_LOG_CONSOLE: "off",
        ...(which === "main-a" ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(A) } : { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(B) })
      }
    })
    let err = ""
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()))
    return { p, stderr: () => err }
  }
  const b = start("main-b")
  const a = start("main-a")
  const pair = { sim, redis, prefix, a, b }
  open.push(pair)
  return pair
}

afterEach(async () => {
  for (const pair of open) {
    for (const { p } of [pair.a, pair.b]) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL")
    await pair.sim.close().catch(() => {})
    await pair.redis.close()
  }
  open = []
})

/** The taker takes the book from the best price down to A's quote, A's included. */
const fillQuoteOfA = (sim: SimHandle) => {
  const engine = sim.exchange.engine
  const quote = [...engine.account(A).active.values()][0]!
  let size = 0
  for (const o of engine.book(quote.marketId).orders(quote.isAsk)) {
    if (quote.isAsk ? o.price > quote.price : o.price < quote.price) break
    size += o.remainingBase
  }
  engine.placeDirect({ account: DEFAULT_TAKER_ACCOUNT, marketId: quote.marketId, isAsk: !quote.isAsk, baseAmount: size, price: quote.price, orderType: 1, timeInForce: 0 })
}

/** The pid of the process running `main-a.ts` below `parent` (from /proc). */
const mainAUnder = (parent: number): number | undefined => {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (ppid === parent && readFileSync(`/proc/${d}/cmdline`, "utf8").includes("main-a.ts")) return Number(d)
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

describe("exit codes", () => {
  it("0 after a clean stop (SIGINT for A, SIGTERM for B), nothing on stderr", async () => {
    const { sim, a, b } = await startPair("clean")
    await waitUntil("A's first quote", () => sim.exchange.engine.account(A).active.size > 0 || a.p.exitCode !== null, 30_000)
    a.p.kill("SIGINT")
    expect(await exitOf(a.p), a.stderr()).toBe(0)
    expect(a.stderr()).toBe("")
    expect(sim.exchange.engine.account(A).active.size).toBe(0)
    b.p.kill("SIGTERM")
    expect(await exitOf(b.p), b.stderr()).toBe(0)
    expect(b.stderr()).toBe("")
  }, 60_000)

  it("A on a terminal that hangs up (SIGHUP) stops as for SIGTERM: cancels its quote, exit code 0", async () => {
    const { sim, a } = await startPair("hangup", { aOnTerminal: true })
    await waitUntil("A's first quote", () => sim.exchange.engine.account(A).active.size > 0 || a.p.exitCode !== null, 30_000)
    const pid = mainAUnder(a.p.pid!)
    expect(pid, "main-a under script").toBeDefined()
    process.kill(pid!, "SIGHUP")
    expect(await exitOf(a.p)).toBe(0)
    expect(sim.exchange.engine.account(A).active.size).toBe(0)
  }, 60_000)

  it("A: 1 when its quote cannot be cancelled on the way out (venue unreachable), saying so in one line", async () => {
    const { sim, a } = await startPair("venue-gone")
    await waitUntil("A's first quote", () => sim.exchange.engine.account(A).active.size > 0 || a.p.exitCode !== null, 30_000)
    expect(a.p.exitCode, a.stderr()).toBeNull()
    const quote = [...sim.exchange.engine.account(A).active.values()][0]!
    // The venue goes away; then A is asked to stop.
    await sim.close()
    a.p.kill("SIGTERM")
    expect(await exitOf(a.p)).toBe(1)
    const lines = a.stderr().trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^main-a: shutdown incomplete: A's quote \(client order \d+\) may still rest on the venue: its cancel was not confirmed/)
    expect(lines[0]).toContain(`client order ${quote.clientOrderIndex})`)
    expect(lines[0]!.match(/main-a/g)).toHaveLength(1)
  }, 60_000)

  it("B: 0 when it is stopped while a hedge is in flight that settles within the grace: it finishes it first", async () => {
    const { sim, redis, prefix, a, b } = await startPair("b-settles")
    await waitUntil("A's first quote", () => sim.exchange.engine.account(A).active.size > 0 || a.p.exitCode !== null, 30_000)
    // B's next tx hangs at the exchange for 2 s: its hedge is in flight when the stop comes.
    sim.exchange.faults.delayTxs(B, 1, 2_000)
    fillQuoteOfA(sim)
    const client = new Redis(redis.url)
    try {
      await waitUntil("B's hedge intent", async () => (await client.hlen(`${prefix}:intents`)) > 0, 15_000)
      b.p.kill("SIGTERM")
      expect(await exitOf(b.p), b.stderr()).toBe(0)
      // The hedge settled before B exited: its result is recorded and nothing is pending.
      expect(await client.xlen(`${prefix}:hedges`)).toBeGreaterThanOrEqual(1)
      expect(b.stderr()).not.toContain("shutdown incomplete")
    } finally {
      client.disconnect()
    }
  }, 60_000)

  it("B: 1 when it is stopped while a hedge is in flight, naming the fill", async () => {
    const { sim, redis, prefix, a, b } = await startPair("b-in-flight")
    await waitUntil("A's first quote", () => sim.exchange.engine.account(A).active.size > 0 || a.p.exitCode !== null, 30_000)
    // B's next txs hang at the exchange for 20 s each: its hedge stays in flight.
    sim.exchange.faults.delayTxs(B, 5, 20_000)
    fillQuoteOfA(sim)
    const client = new Redis(redis.url)
    try {
      await waitUntil("B's hedge intent", async () => (await client.hlen(`${prefix}:intents`)) > 0, 15_000)
      const intents = await client.hgetall(`${prefix}:intents`)
      const fillId = Object.keys(intents)[0]!
      b.p.kill("SIGTERM")
      expect(await exitOf(b.p)).toBe(1)
      const lines = b.stderr().trim().split("\n")
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^main-b: shutdown incomplete: B's hedge of fill .* was interrupted before it settled/)
      expect(lines[0]).toContain(fillId)
    } finally {
      client.disconnect()
    }
  }, 60_000)
})
