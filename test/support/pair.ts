// A pair as real processes for end-to-end tests: the embedded exchange (no random takers: the test
// makes every fill of A itself), main-a and main-b started, killed and restarted at will, and
// bin/hedge run as a child process — with the exchange's trade log and Redis to check against.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { DEFAULT_TAKER_ACCOUNT, startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "./process.ts"
import type { TestRedis } from "./redis.ts"
import { simPrivateKeyHex, withSimKeys } from "./sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
export const A = 1
export const B = 2
export const BTC = 1

export interface PairUnderTest {
  readonly sim: SimHandle
  readonly dir: string
  readonly config: string
  readonly prefix: string
  readonly redis: Redis
  readonly start: (role: "a" | "b") => ChildProcess
  readonly kill: (role: "a" | "b", signal?: NodeJS.Signals) => Promise<number | undefined>
  readonly hedge: (...args: Array<string>) => Promise<{ status: number; stdout: string; stderr: string }>
  /** Signed position of an account from the exchange's own trade log. */
  readonly position: (account: number) => number
  /** Trades with A or B on either side, from index `from` of the exchange's log. */
  readonly tradesOfPair: (from?: number) => ReadonlyArray<{ readonly askAccountId: number; readonly bidAccountId: number; readonly size: number }>
  readonly tradeCount: () => number
  /** A's resting quote on the exchange, if any. */
  readonly quoteOfA: () => { readonly orderIndex: number; readonly clientOrderIndex: number; readonly isAsk: boolean; readonly price: number; readonly remainingBase: number } | undefined
  /** A taker takes `base` of A's resting quote (everything ahead of it in the book first). */
  readonly fillQuoteOfA: (base?: number) => void
  readonly log: (role: "a" | "b") => string
  readonly close: () => Promise<void>
}

/** `edit` changes the config's YAML before it is written (a test's own keys). */
export const startPair = async (redis: TestRedis, name: string, seed = 5, edit: (yaml: string) => string = (y) => y): Promise<PairUnderTest> => {
  // No random takers at all (sweeps nor noise takers): every fill of A is one the test makes.
  const sim = await startSimulator({ port: 0, seed, accounts: withSimKeys(), market: { fillRatePerMin: 0, noiseTakersPerMin: 0, stepMs: 100 } })
  const dir = mkdtempSync(join(tmpdir(), `hedgeflow-${name}-`))
  const prefix = redis.prefix(name)
  const config = join(dir, "config.yaml")
  writeFileSync(config, edit(demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05, quoteTxPerMinute: 0 })))
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 50, 500) })
  client.on("error", () => {})
  const procs: Partial<Record<"a" | "b", ChildProcess>> = {}
  const keyEnv = {
    HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(A),
    HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(B)
  }
  const start = (role: "a" | "b") => {
    const p = spawn(process.execPath, [join(root, "src/app", `main-${role}.ts`), "--config", config], {
      stdio: "ignore",
      env: {
        ...process.env,
        HEDGEFLOW_LOG_CONSOLE: "off",
        ...(role === "a" ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: keyEnv.HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY } : { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: keyEnv.HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY })
      }
    })
    procs[role] = p
    return p
  }
  const kill = async (role: "a" | "b", signal: NodeJS.Signals = "SIGKILL") => {
    const p = procs[role]
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return undefined
    p.kill(signal)
    return await exitOf(p)
  }
  const hedge = (...args: Array<string>) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((res) => {
      const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", config], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", ...keyEnv }
      })
      let stdout = ""
      let stderr = ""
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
      const timer = setTimeout(() => p.kill("SIGKILL"), 90_000)
      p.once("exit", (code, sig) => {
        clearTimeout(timer)
        res({ status: code ?? (sig === "SIGKILL" ? 137 : 128), stdout, stderr })
      })
    })
  const engine = sim.exchange.engine
  const tradesOfPair = (from = 0) =>
    engine.trades.slice(from).filter((t) => t.marketId === BTC && (t.askAccountId === A || t.bidAccountId === A || t.askAccountId === B || t.bidAccountId === B))
  const position = (account: number) =>
    engine.trades.filter((t) => t.marketId === BTC).reduce((s, t) => s + (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0), 0)
  const quoteOfA = () => [...engine.account(A).active.values()].find((o) => o.marketId === BTC)
  const fillQuoteOfA = (base?: number) => {
    const quote = quoteOfA()
    if (quote === undefined) throw new Error("A has no resting quote")
    const take = Math.min(base ?? quote.remainingBase, quote.remainingBase)
    // Everything ahead of A's quote in the book (better prices, earlier at its price), then `take` of it.
    let ahead = 0
    for (const o of engine.book(BTC).orders(quote.isAsk)) {
      if (o.orderIndex === quote.orderIndex) break
      ahead += o.remainingBase
    }
    engine.placeDirect({ account: DEFAULT_TAKER_ACCOUNT, marketId: BTC, isAsk: !quote.isAsk, baseAmount: ahead + take, price: quote.price, orderType: 0, timeInForce: 0 })
  }
  const log = (role: "a" | "b") => {
    try {
      return readFileSync(join(dir, role === "a" ? "main_A.jsonl" : "main_B.jsonl"), "utf8")
    } catch {
      return ""
    }
  }
  return {
    sim,
    dir,
    config,
    prefix,
    redis: client,
    start,
    kill,
    hedge,
    position,
    tradesOfPair,
    tradeCount: () => engine.trades.length,
    quoteOfA,
    fillQuoteOfA,
    log,
    close: async () => {
      await kill("a")
      await kill("b")
      client.disconnect()
      await sim.close()
    }
  }
}

/** Waits until `role` has renewed its heartbeat after `sinceMs` (it runs its program). */
export const waitRunning = (pair: PairUnderTest, role: "a" | "b", sinceMs: number, timeoutMs = 30_000) =>
  waitUntil(`${role === "a" ? "main-a" : "main-b"} running`, async () => {
    const raw = await pair.redis.get(`${pair.prefix}:hb:${role}`).catch(() => null)
    if (raw === null) return false
    const hb = JSON.parse(raw) as { atMs: number; status: Record<string, unknown> }
    return hb.atMs > sinceMs && hb.status["awaitingOperator"] !== true
  }, timeoutMs)

export { waitUntil }
