// bin/hedge inspect and bin/hedge drop-intent against a real Redis and the embedded exchange:
// intents and dead letters are listed with their reasons; a stuck intent is resolved against the
// venue (as account B) before it is removed, an executed order refuses the drop unless --force,
// a fill still pending refuses it too, and every drop leaves an audit record.
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect, Option } from "effect"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { HedgeAttempt } from "../../src/domain/messages.ts"
import { priceCap } from "../../src/domain/hedge-plan.ts"
import { encodeIntent } from "../../src/bus/codec.ts"
import type { HedgeIntent } from "../../src/bus/PairState.ts"
import { loadConfig } from "../../src/config/load.ts"
import { venueLayers } from "../../src/app/venue-layers.ts"
import { Venue } from "../../src/venue/Venue.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"
import { waitUntil } from "../support/process.ts"

const root = resolve(import.meta.dirname, "../..")
let redis: TestRedis
let sim: SimHandle
let client: Redis
let config: string
let prefix: string
const keyEnv = () => ({ HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(2) })

// Spawned asynchronously: the simulator runs in this process and must answer the child.
const hedge = (...args: Array<string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
    const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", ...keyEnv() }
    })
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000)
    p.once("close", (code) => {
      clearTimeout(timer)
      res({ status: code, stdout, stderr })
    })
  })

const attempt = (n: number, clientOrderIndex: number, extra: Partial<{ filledBase: number; error: string }> = {}) =>
  new HedgeAttempt({ attempt: n, clientOrderIndex, side: "sell", base: 20, priceCap: 1, sentAtMs: Date.now() - 60_000, ...extra })

const putIntent = (i: Partial<HedgeIntent> & { readonly fillId: string; readonly fillSeq: number }) =>
  client.hset(`${prefix}:intents`, i.fillId, encodeIntent({
    status: "open",
    targetSignedBase: -20,
    takenFromPool: 0,
    attempts: [],
    createdAtMs: Date.now() - 60_000,
    ...i
  } as HedgeIntent))

const EXECUTED_COI = 9_100_001
const NEVER_SENT_COI = 9_100_002

beforeAll(async () => {
  redis = await startTestRedis()
  client = new Redis(redis.url)
  sim = await startSimulator({ port: 0, seed: 5, accounts: withSimKeys(), market: { fillRatePerMin: 0.001, stepMs: 200 } })
  const dir = mkdtempSync(join(tmpdir(), "hedgeflow-inspect-"))
  prefix = redis.prefix("inspect")
  config = join(dir, "config.yaml")
  writeFileSync(
    config,
    `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\nredis: { url: "${redis.url}", key_prefix: "${prefix}" }\nlogging: { dir: "${dir}" }\nbudget: { tx_per_minute: 0 }\n`
  )
  // A real hedge order of B that executed at the venue, with a known client index.
  const c = await Effect.runPromise(loadConfig({ path: config, env: { ...process.env, ...keyEnv() } }))
  await Effect.runPromise(
    Effect.gen(function*() {
      const venue = yield* Venue
      const market = yield* venue.market("BTC")
      for (let i = 0; i < 100; i++) {
        const book = yield* venue.orderBook(market.marketId, 1).pipe(Effect.option)
        if (Option.isSome(book) && book.value.bids[0] !== undefined) {
          yield* venue.placeMarket({
            marketId: market.marketId,
            side: "sell",
            base: 20,
            priceCap: priceCap("sell", book.value.bids[0].price, 100),
            clientOrderIndex: EXECUTED_COI,
            reduceOnly: false
          })
          break
        }
        yield* Effect.sleep("100 millis")
      }
      for (let i = 0; i < 100; i++) {
        const o = yield* venue.orderByClientIndex(market.marketId, EXECUTED_COI)
        if (Option.isSome(o) && o.value.filledBase > 0) return
        yield* Effect.sleep("100 millis")
      }
      return yield* Effect.die(new Error("the test's hedge order did not execute"))
    }).pipe(Effect.provide(venueLayers("b", c)), Effect.scoped)
  )
  await putIntent({ fillId: "1:1-20", fillSeq: 11, attempts: [attempt(1, EXECUTED_COI)] })
  await putIntent({ fillId: "1:2-20", fillSeq: 12, attempts: [attempt(1, NEVER_SENT_COI, { error: "unknown outcome: timed out" })] })
  await putIntent({ fillId: "1:3-20", fillSeq: 13, status: "deferred", targetSignedBase: 0 })
  await client.hset(`${prefix}:intents`, "1:4-20", "{\"fillId\":\"1:4-20\",\"fillSeq\":99999999999,\"status\":\"open\"")
  // A fill still pending at B, with its intent.
  await client.xgroup("CREATE", `${prefix}:fills`, "hedgers", "0", "MKSTREAM")
  await client.xadd(`${prefix}:fills`, "*", "fillId", "1:5-20", "fillSeq", "15")
  await client.xreadgroup("GROUP", "hedgers", "b-test", "COUNT", 10, "STREAMS", `${prefix}:fills`, ">")
  await putIntent({ fillId: "1:5-20", fillSeq: 15 })
  // A dead letter as B records it.
  await client.xadd(`${prefix}:dead-letter`, "*", "entryId", "1700000000000-0", "reason", "fill of another pair: pair \"ETH-1-2\"", "deadAtMs", String(Date.now() - 5_000), "raw.fillId", "9:9-9", "raw.pair", "ETH-1-2")
}, 90_000)

afterAll(async () => {
  client?.disconnect()
  await sim?.close()
  await redis?.close()
})

describe("bin/hedge inspect", () => {
  it("lists open intents with their orders, deferred and corrupt ones, and dead letters with their reasons", async () => {
    const r = await hedge("inspect")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/open hedge intents: 3/)
    expect(r.stdout).toMatch(/1:1-20 +fillSeq 11 +target -0\.00020 BTC/)
    expect(r.stdout).toMatch(new RegExp(`attempt 1: client index ${EXECUTED_COI}, sell 0\\.00020 cap .* outcome unknown`))
    expect(r.stdout).toMatch(/error: unknown outcome: timed out/)
    expect(r.stdout).toMatch(/other intents: 1 \(1 deferred/)
    expect(r.stdout).toMatch(/corrupt intents: 1/)
    expect(r.stdout).toMatch(/1:4-20: /)
    expect(r.stdout).toMatch(/dead letters: 1/)
    expect(r.stdout).toMatch(/reason: fill of another pair: pair "ETH-1-2"/)
    expect(r.stdout).toMatch(/fillId=9:9-9 pair=ETH-1-2/)
    const j = JSON.parse((await hedge("inspect", "--json")).stdout) as {
      openIntents: Array<{ fillId: string }>
      corruptIntents: Array<{ fillId: string }>
      deadLetters: { total: number; newest: Array<{ reason: string }> }
    }
    expect(j.openIntents.map((i) => i.fillId)).toEqual(["1:1-20", "1:2-20", "1:5-20"])
    expect(j.corruptIntents.map((i) => i.fillId)).toEqual(["1:4-20"])
    expect(j.deadLetters.total).toBe(1)
  }, 60_000)
})

describe("bin/hedge drop-intent", () => {
  const intents = () => client.hkeys(`${prefix}:intents`)
  const audit = async () => (await client.xrange(`${prefix}:audit`, "-", "+")).map(([, f]) => Object.fromEntries(f.flatMap((_, i) => (i % 2 === 0 ? [[f[i], f[i + 1]]] : []))) as Record<string, string>)

  it("an intent whose order executed at the venue: refused, saying so; dropped only with --force, audited", async () => {
    const r = await hedge("drop-intent", "1:1-20", "--yes")
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`client index ${EXECUTED_COI}: EXECUTED — order \\d+ filled 0\\.00020 of 0\\.00020`))
    expect(r.stderr).toMatch(/not dropped: .*EXECUTED.*the hedge happened, and dropping the intent forgets it.*Pass --force/)
    expect(await intents()).toContain("1:1-20")

    const forced = await hedge("drop-intent", "1:1-20", "--yes", "--force")
    expect(forced.status, forced.stderr).toBe(0)
    expect(forced.stdout).toMatch(/dropped intent 1:1-20 \(1 of 1 order\(s\) executed \(-0\.00020\); never hedged 0\.00000; FORCED\)/)
    expect(await intents()).not.toContain("1:1-20")
    const last = (await audit()).at(-1)!
    expect(last).toMatchObject({ kind: "drop-intent", fillId: "1:1-20", forced: "true" })
    expect(last["text"]).toMatch(/^dropped hedge intent 1:1-20: 1 of 1 order\(s\) executed .*FORCED \(by .+@.+\)$/)
    expect(last["findings"]).toContain(`"clientOrderIndex":${EXECUTED_COI}`)
    expect(last["intent"]).toContain("\"fillSeq\":11")
  }, 60_000)

  it("an intent whose order never reached the venue: resolved, then dropped with --yes and audited", async () => {
    const dry = await hedge("drop-intent", "1:2-20")
    expect(dry.status).toBe(1)
    expect(dry.stdout).toMatch(new RegExp(`client index ${NEVER_SENT_COI}: no such order`))
    expect(dry.stderr).toMatch(/not dropped: pass --yes/)
    expect(await intents()).toContain("1:2-20")

    const r = await hedge("drop-intent", "1:2-20", "--yes")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/dropped intent 1:2-20 \(0 of 1 order\(s\) executed \(0\.00000\); never hedged -0\.00020\); recorded in .*:audit\. 0\.00020 BTC of it was never hedged/)
    expect(await intents()).not.toContain("1:2-20")
    expect((await audit()).at(-1)).toMatchObject({ kind: "drop-intent", fillId: "1:2-20", forced: "false" })
    const i = await hedge("inspect")
    expect(i.stdout).toMatch(/audit log .*newest first\):\n.*drop-intent +dropped hedge intent 1:2-20: /)
  }, 60_000)

  it("an intent whose fill is still pending is refused (B finishes it itself)", async () => {
    const r = await hedge("drop-intent", "1:5-20", "--yes")
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/fill 1:5-20 is still pending in .*:fills \(entry \d+-\d+\): B resolves this intent itself when it starts/)
    expect(await intents()).toContain("1:5-20")
  }, 60_000)

  it("a corrupt intent (B cannot even read it) can be dropped; an unknown id is an error", async () => {
    const r = await hedge("drop-intent", "1:4-20", "--yes")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/intent 1:4-20 \(CORRUPT: /)
    expect(r.stdout).toMatch(/dropped intent 1:4-20 \(corrupt record; no orders sent\)/)
    expect(await intents()).not.toContain("1:4-20")
    const missing = await hedge("drop-intent", "nope", "--yes")
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/no hedge intent "nope"/)
    await waitUntil("audit of both drops", async () => (await audit()).length >= 3, 1_000)
  }, 60_000)
})
