// bin/main-a and bin/main-b as real processes against the embedded exchange and a real Redis,
// with entries written into the fills stream behind their back (as an operator's mistake or a
// replay would): a copy of a real entry under a new stream id, the same copy again while B is
// down, and a fill of another pair. From the exchange's own trade log: the copied fill was hedged
// exactly once; the foreign one never; the pair ends HALTED with A and B conserving.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeHedgeResult, pairsToRecord } from "../../src/bus/codec.ts"
import { fillBusKeys } from "../../src/bus/redis/RedisFillBus.ts"
import { pairStateKeys } from "../../src/bus/redis/RedisPairState.ts"
import { decodeHedgeClientIndex } from "../../src/domain/client-index.ts"
import type { HedgeResult } from "../../src/domain/messages.ts"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1
const B = 2

describe("forged and replayed fill entries, real processes", () => {
  let redis: TestRedis
  let raw: Redis
  let sim: SimHandle
  let dir: string
  let config: string
  let prefix: string
  let a: ChildProcess | undefined
  let b: ChildProcess | undefined

  const start = (name: "main-a" | "main-b") =>
    spawn(process.execPath, [join(root, "src/app", `${name}.ts`), "--config", config], {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        HEDGEFLOW_LOG_CONSOLE: "off",
        ...(name === "main-a" ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(A) } : { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(B) })
      }
    })

  beforeAll(async () => {
    redis = await startTestRedis()
    raw = new Redis(redis.url)
    sim = await startSimulator({ port: 0, seed: 11, accounts: withSimKeys(), market: { fillRatePerMin: 240, stepMs: 100 } })
    dir = mkdtempSync(join(tmpdir(), "hedgeflow-forged-"))
    config = join(dir, "config.yaml")
    prefix = redis.prefix("forged")
    writeFileSync(
      config,
      demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05 })
    )
    b = start("main-b")
    a = start("main-a")
  }, 60_000)

  afterAll(async () => {
    for (const p of [a, b]) if (p !== undefined && p.exitCode === null) p.kill("SIGKILL")
    raw?.disconnect()
    await sim?.close()
    await redis?.close()
  })

  it("a copied entry is hedged once (B running, and B restarted); another pair's entry is never hedged and halts the pair", async () => {
    const keys = fillBusKeys(prefix)
    const trades = () => sim.exchange.engine.trades.filter((t) => t.marketId === 1)
    const signed = (account: number) =>
      trades().reduce((s, t) => s + (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0), 0)
    /** What B traded (signed) with orders whose client index derives from `fillSeq`. */
    const bTradedFor = (fillSeq: number) =>
      trades().reduce((s, t) => {
        const mine = (coi: number) => coi > 0 && decodeHedgeClientIndex(coi).fillSeq === fillSeq
        return s + (t.bidAccountId === B && mine(t.bidClientId) ? t.size : 0) - (t.askAccountId === B && mine(t.askClientId) ? t.size : 0)
      }, 0)
    const results = async (): Promise<Array<HedgeResult>> =>
      (await raw.xrange(keys.hedges, "-", "+")).flatMap(([, kv]) => {
        const r = decodeHedgeResult(pairsToRecord(kv).result)
        return r._tag === "Success" ? [r.success] : []
      })
    const logB = () => readFileSync(join(dir, "main_B.jsonl"), "utf8")
    /** Every entry of the fills stream delivered to B and acknowledged (the group's lag and pending are 0). */
    const drained = async () => {
      const groups = (await raw.xinfo("GROUPS", keys.fills)) as Array<Array<string | number>>
      const g = groups.find((x) => x[x.indexOf("name") + 1] === "hedgers")
      return g !== undefined && Number(g[g.indexOf("pending") + 1]) === 0 && Number(g[g.indexOf("lag") + 1]) === 0
    }
    const duplicatesLogged = (fillId: string) => logB().split(`duplicate fill entry acknowledged, not hedged again: fill ${fillId}`).length - 1
    const alive = () => {
      expect(a!.exitCode, `main-a exited early:\n${readFileSync(join(dir, "main_A.jsonl"), "utf8").slice(-3000)}`).toBeNull()
      expect(b!.exitCode, `main-b exited early:\n${logB().slice(-3000)}`).toBeNull()
    }

    // A fill of A that B hedged on its own in one go (nothing pooled with it).
    let chosen: HedgeResult | undefined
    await waitUntil("a fill of A hedged exactly", async () => {
      chosen = (await results()).find((r) =>
        !r.fillId.startsWith("residual:") && r.status === "hedged" && r.hedgedSignedBase === r.targetSignedBase &&
        Math.abs(r.targetSignedBase) === r.fillSize
      )
      return chosen !== undefined || a!.exitCode !== null || b!.exitCode !== null
    }, 120_000)
    alive()
    const fill = chosen!
    expect(bTradedFor(fill.fillSeq)).toBe(fill.hedgedSignedBase)
    const original = (await raw.xrange(keys.fills, "-", "+")).map(([, kv]) => pairsToRecord(kv)).find((f) => f.fillId === fill.fillId)!
    expect(original.fillSeq).toBe(String(fill.fillSeq))

    // 1. The same entry XADDed again while B runs: acknowledged, B trades nothing more for it.
    await raw.xadd(keys.fills, "*", ...Object.entries(original).flat())
    await waitUntil("the copy delivered and acknowledged", drained, 20_000)
    await new Promise((r) => setTimeout(r, 500))
    expect(bTradedFor(fill.fillSeq)).toBe(fill.hedgedSignedBase)
    expect(duplicatesLogged(fill.fillId)).toBe(1)
    alive()

    // 2. B killed; the copy XADDed again (its intent is long deleted); B started again.
    b!.kill("SIGKILL")
    await exitOf(b!)
    await raw.xadd(keys.fills, "*", ...Object.entries(original).flat())
    b = start("main-b")
    await waitUntil("the restarted B acknowledged the copy", async () => duplicatesLogged(fill.fillId) >= 2 || b!.exitCode !== null || ((await drained()) && bTradedFor(fill.fillSeq) !== fill.hedgedSignedBase), 30_000)
    await new Promise((r) => setTimeout(r, 500))
    expect(bTradedFor(fill.fillSeq)).toBe(fill.hedgedSignedBase)
    expect(duplicatesLogged(fill.fillId)).toBe(2)
    alive()

    // 3. A fill of another pair, otherwise the real entry: dead-lettered, the pair halts.
    await raw.xadd(keys.fills, "*", ...Object.entries({ ...original, pair: "BTC:7-8" }).flat())
    await waitUntil("the foreign entry dead-lettered", async () => (await raw.xlen(keys.deadLetter)) >= 1, 20_000)
    await waitUntil("the pair HALTED", async () => (await raw.hget(pairStateKeys(prefix).state, "state")) === "HALTED", 10_000)
    const [[, dead]] = (await raw.xrange(keys.deadLetter, "-", "+")) as Array<[string, Array<string>]>
    expect(pairsToRecord(dead!).reason).toContain(`not this pair's fill: pair "BTC:7-8"`)
    alive()

    // A stops (cancelling its quote), B hedges what is pending.
    a!.kill("SIGINT")
    expect(await exitOf(a!)).toBe(0)
    const pool = async () => Number((await raw.get(pairStateKeys(prefix).residual)) ?? "0")
    await waitUntil("B hedged everything", async () => signed(A) + signed(B) + (await pool()) === 0 && (await raw.xpending(keys.fills, "hedgers") as [number])[0] === 0, 30_000)
    b!.kill("SIGTERM")
    expect(await exitOf(b!)).toBe(0)

    // From the exchange: the copied fill was hedged once, by one order; nothing of the foreign entry traded.
    expect(bTradedFor(fill.fillSeq)).toBe(fill.hedgedSignedBase)
    const all = await results()
    expect(all.filter((r) => r.fillId === fill.fillId)).toHaveLength(1)
    // I1 from the exchange's own log, with what is still pooled below the venue minimum.
    expect(signed(A) + signed(B) + (await pool())).toBe(0)
    expect(Math.abs(await pool())).toBeLessThan(20)
  }, 300_000)
})
