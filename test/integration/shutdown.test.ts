// A fill that lands while A is stopping is not lost: A's account stream is silent (paused here,
// closed in a real shutdown), so only A's exit path can see it — it reads its quote's final state
// from the venue and publishes the fill before the bus closes. The fill is made by the test (a
// taker sweeping to A's price), not left to the synthetic market's random takers: deterministic.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fillBusKeys } from "../../src/bus/redis/RedisFillBus.ts"
import { HEDGER_GROUP } from "../../src/bus/redis/inspect.ts"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { DEFAULT_TAKER_ACCOUNT, startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1

describe("A stopping", () => {
  let redis: TestRedis
  let sim: SimHandle
  let a: ChildProcess
  let b: ChildProcess
  let prefix: string

  beforeAll(async () => {
    redis = await startTestRedis()
    sim = await startSimulator({ port: 0, seed: 11, accounts: withSimKeys(), market: { fillRatePerMin: 0, stepMs: 100 } })
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-shutdown-"))
    prefix = redis.prefix("shutdown")
    const config = join(dir, "config.yaml")
    writeFileSync(config, demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05 }))
    const start = (name: "main-a" | "main-b") =>
      spawn(process.execPath, [join(root, "src/app", `${name}.ts`), "--config", config], {
        stdio: "ignore",
        env: {
          ...process.env,
          HEDGEFLOW_LOG_CONSOLE: "off",
          ...(name === "main-a" ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(1) } : { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(2) })
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

  it("publishes what its quote filled after its stream went silent", async () => {
    const engine = sim.exchange.engine
    await waitUntil("A's first quote", () => engine.account(A).active.size > 0, 30_000)
    // From now on A hears nothing from its account stream.
    sim.exchange.faults.pauseStream(A, 120_000)
    const tradesBefore = engine.trades.length
    // A taker takes everything from the best price down to A's quote (A's included).
    const quote = [...engine.account(A).active.values()][0]!
    const book = engine.book(quote.marketId)
    let size = 0
    for (const o of book.orders(quote.isAsk)) {
      if (quote.isAsk ? o.price > quote.price : o.price < quote.price) break
      size += o.remainingBase
    }
    engine.placeDirect({ account: DEFAULT_TAKER_ACCOUNT, marketId: quote.marketId, isAsk: !quote.isAsk, baseAmount: size, price: quote.price, orderType: 1, timeInForce: 0 })
    await waitUntil("A's quote filled on the exchange", () => engine.trades.slice(tradesBefore).some((t) => t.askAccountId === A || t.bidAccountId === A), 5_000)
    a.kill("SIGTERM")
    expect(await exitOf(a)).toBe(0)

    const filledByOrder = new Map<string, number>()
    for (const t of engine.trades.slice(tradesBefore)) {
      if (t.bidAccountId === A) filledByOrder.set(String(t.bidId), (filledByOrder.get(String(t.bidId)) ?? 0) + t.size)
      if (t.askAccountId === A) filledByOrder.set(String(t.askId), (filledByOrder.get(String(t.askId)) ?? 0) + t.size)
    }
    const client = new Redis(redis.url)
    try {
      const levels = await client.hgetall(fillBusKeys(prefix).levels)
      for (const [order, filled] of filledByOrder) expect(Number(levels[order] ?? 0), `order ${order}`).toBe(filled)
      // B hedges the fill and records it, then stops cleanly (stopped mid-hedge it would exit 1:
      // exit-codes.test.ts).
      const keys = fillBusKeys(prefix)
      await waitUntil(
        "B recorded its hedges",
        async () => (await client.xlen(keys.hedges)) > 0 && ((await client.xpending(keys.fills, HEDGER_GROUP)) as [number])[0] === 0,
        20_000
      )
    } finally {
      client.disconnect()
    }
    b.kill("SIGTERM")
    expect(await exitOf(b)).toBe(0)
  }, 90_000)
})
