// One writer per role, as real processes against the embedded exchange and a real Redis: a second
// main-a or main-b for a pair refuses to start naming the holder; a restart right after kill -9
// waits for the dead holder's lease and takes over; a different pair on the same key prefix, an
// account the venue does not know, a Redis database the server does not have and a metrics port
// shared by A and B are each refused with one line. Then `bin/hedge status` while B is down.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { freePort, startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
let redis: TestRedis
let sim: SimHandle
let client: Redis
let dir: string
const children: Array<ChildProcess> = []

interface Proc {
  readonly p: ChildProcess
  readonly stderr: () => string
  readonly lines: () => ReadonlyArray<string>
  readonly exit: Promise<number>
}

const start = (program: "main-a" | "main-b", config: string, env: Record<string, string> = {}, account?: number): Proc => {
  const p = spawn(process.execPath, [join(root, "src/app", `${program}.ts`), "--config", config], {
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      HEDGEFLOW_LOG_CONSOLE: "pretty",
      ...(program === "main-a"
        ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(account ?? 1) }
        : { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(account ?? 2) }),
      ...env
    }
  })
  children.push(p)
  let stderr = ""
  p.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  return {
    p,
    stderr: () => stderr,
    lines: () => stderr.split("\n").filter((l) => l.startsWith(`${program}:`)),
    exit: exitOf(p)
  }
}

let n = 0
const writeConfig = (prefix: string, extra = "") => {
  const file = join(dir, `config-${n++}.yaml`)
  writeFileSync(
    file,
    demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.2 }) + extra
  )
  return file
}

const holderOf = async (prefix: string, role: "a" | "b") => {
  const raw = await client.get(`${prefix}:lease:${role}`)
  return raw === null ? undefined : JSON.parse(raw) as { host: string; pid: number; startedAtMs: number }
}

const waitForLease = (prefix: string, role: "a" | "b", proc: Proc, timeoutMs = 30_000) =>
  waitUntil(`${role}'s lease held by pid ${proc.p.pid}`, async () => {
    if (proc.p.exitCode !== null) throw new Error(`${role} exited early (${proc.p.exitCode}):\n${proc.stderr().slice(-2000)}`)
    return (await holderOf(prefix, role))?.pid === proc.p.pid
  }, timeoutMs)

/** Until `proc` has written its heartbeat (it is up and trading), independent of the lease. */
const waitForHeartbeat = (prefix: string, role: "a" | "b", proc: Proc, sinceMs: number, timeoutMs = 30_000) =>
  waitUntil(`${role}'s heartbeat from pid ${proc.p.pid}`, async () => {
    if (proc.p.exitCode !== null) throw new Error(`${role} exited early (${proc.p.exitCode}):\n${proc.stderr().slice(-2000)}`)
    const raw = await client.get(`${prefix}:hb:${role}`)
    return raw !== null && (JSON.parse(raw) as { atMs: number }).atMs >= sinceMs
  }, timeoutMs)

/** The exit code, or a failure naming the program when it is still running after `ms`. */
const exitWithin = async (proc: Proc, what: string, ms = 25_000): Promise<number> => {
  const timer = new Promise<"running">((r) => setTimeout(() => r("running"), ms))
  const code = await Promise.race([proc.exit, timer])
  if (code === "running") {
    proc.p.kill("SIGKILL")
    throw new Error(`${what} was still running after ${ms / 1000} s: it was not refused`)
  }
  return code
}

/**
 * bin/hedge as the operator runs it, asynchronously: the exchange runs in this process (status
 * asks it), and a blocked event loop would starve A's and B's sockets meanwhile.
 */
const hedge = (config: string, ...args: Array<string>) =>
  new Promise<{ readonly status: number | null; readonly stdout: string; readonly stderr: string }>((res) => {
    const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", config], {
      env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off" }
    })
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000)
    p.once("close", (status) => {
      clearTimeout(timer)
      res({ status, stdout, stderr })
    })
  })

beforeAll(async () => {
  redis = await startTestRedis({ private: true })
  client = new Redis(redis.url)
  sim = await startSimulator({
    port: 0,
    seed: 3,
    accounts: withSimKeys([{ index: 1 }, { index: 2 }, { index: 3 }]),
    market: { fillRatePerMin: 20, stepMs: 200 }
  })
  dir = mkdtempSync(join(tmpdir(), "hedgeflow-one-writer-"))
}, 60_000)

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  client?.disconnect()
  await sim?.close()
  await redis?.close()
})

describe("one writer per role (real processes)", () => {
  const prefix = `hedgeflow:test-one-writer:${Date.now().toString(36)}`
  let config: string
  let a1: Proc
  let b1: Proc

  it("a second main-a and a second main-b are refused while the first ones run, naming the holder", async () => {
    config = writeConfig(prefix)
    const t0 = Date.now()
    b1 = start("main-b", config)
    a1 = start("main-a", config)
    await Promise.all([waitForHeartbeat(prefix, "b", b1, t0), waitForHeartbeat(prefix, "a", a1, t0)])
    const started = Date.now()
    const [a2, b2] = [start("main-a", config), start("main-b", config)]
    const [codeA2, codeB2] = await Promise.all([exitWithin(a2, "a second main-a"), exitWithin(b2, "a second main-b")])
    expect(codeA2, a2.stderr()).toBe(1)
    expect(codeB2, b2.stderr()).toBe(1)
    // Refused within a few renewals, not after a long wait.
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(a2.lines()).toHaveLength(1)
    expect(b2.lines()).toHaveLength(1)
    expect(a2.lines()[0]).toMatch(
      new RegExp(`^main-a: another main-a is running for this pair: host ${hostname().replace(/\./g, "\\.")}, pid ${a1.p.pid} \\(instance .+\\), since \\d{4}-\\d\\d-\\d\\dT.+Z \\(\\d+\\.\\d s ago\\).*Refusing to start a second one`)
    )
    expect(b2.lines()[0]).toMatch(new RegExp(`^main-b: another main-b is running for this pair: host .+, pid ${b1.p.pid} `))
    // The first ones kept running and kept their leases.
    expect(a1.p.exitCode).toBeNull()
    expect(b1.p.exitCode).toBeNull()
    expect((await holderOf(prefix, "a"))?.pid).toBe(a1.p.pid)
    expect((await holderOf(prefix, "b"))?.pid).toBe(b1.p.pid)
  }, 90_000)

  it("a restart 0.3 s after kill -9 waits for the dead holder's lease, then takes over", async () => {
    b1.p.kill("SIGKILL")
    a1.p.kill("SIGKILL")
    await Promise.all([b1.exit, a1.exit])
    // The dead holders' leases live on until their ttl. A new process checks its account at the
    // venue before it asks for the lease, which on a loaded machine can outlast the 5 s: give the
    // dead leases 12 s from now (as if the holders had renewed just before dying; still within the
    // 17 s a new process waits before it gives up), so that the new processes surely meet them.
    for (const role of ["a", "b"]) await client.pexpire(`${prefix}:lease:${role}`, 12_000)
    await new Promise((r) => setTimeout(r, 300))
    const restartedAt = Date.now()
    b1 = start("main-b", config)
    a1 = start("main-a", config)
    await Promise.all([waitForLease(prefix, "b", b1, 40_000), waitForLease(prefix, "a", a1, 40_000)])
    // It waited for the stale lease (its remaining ttl plus start-up), said so, and did not give up.
    expect(Date.now() - restartedAt).toBeGreaterThanOrEqual(11_000)
    expect(Date.now() - restartedAt).toBeLessThan(30_000)
    expect(b1.stderr()).toMatch(/another main-b holds .*:lease:b: .*waiting/)
    // The lease is in Redis a moment before the line saying so has come through the pipe.
    const tookOver = (proc: typeof a1, role: "a" | "b") =>
      waitUntil(`main-${role} says it took over`, () => new RegExp(`took over .*:lease:${role} after the previous main-${role}'s lease expired unrenewed`).test(proc.stderr()), 5_000)
    await tookOver(b1, "b")
    await tookOver(a1, "a")
    expect(b1.p.exitCode).toBeNull()
    expect(a1.p.exitCode).toBeNull()
  }, 90_000)

  it("bin/hedge status: B's stream state is live, then B down is flagged and pending counts the group's lag", async () => {
    // B running: its account stream state now (the heartbeat used to say false for ever).
    await waitUntil("B's live status", async () => {
      const r = await hedge(config, "status", "--json")
      const s = JSON.parse(r.stdout) as { b: { streamConnected?: boolean } | null; processes: { b: { state: string; streamConnectedNow: boolean | null } } }
      return s.b?.streamConnected === true && s.processes.b.state === "running" && s.processes.b.streamConnectedNow === true
    }, 20_000)

    // A stops cleanly; B is killed; a fill arrives that nobody has read yet.
    a1.p.kill("SIGTERM")
    expect(await a1.exit).toBe(0)
    b1.p.kill("SIGKILL")
    await b1.exit
    const killedAt = Date.now()
    await client.xadd(`${prefix}:fills`, "*", "fillId", "status-test", "note", "added while B is down")
    await client.set(`${prefix}:a-quote`, "buy 123456 789 20")
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 3_600 - Date.now())))
    const r = await hedge(config, "status", "--json")
    expect(r.status, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as {
      pendingFills: number
      pending: { undelivered: number; delivered: number; total: number; oldestMsAgo: number | null }
      processes: { a: { state: string; stoppedCleanly: boolean }; b: { state: string; lastSeenMsAgo: number; streamConnectedNow: boolean | null } }
      staleKeys: Array<{ key: string; ageMs: number | null }>
      quote: { stale: boolean } | null
      exposure: { net: number } | null
    }
    expect(s.pending.undelivered).toBeGreaterThanOrEqual(1)
    expect(s.pendingFills).toBe(s.pending.undelivered + s.pending.delivered)
    expect(s.pendingFills).toBeGreaterThanOrEqual(1)
    expect(s.pending.oldestMsAgo).not.toBeNull()
    expect(["stale", "down"]).toContain(s.processes.b.state)
    expect(s.processes.b.lastSeenMsAgo).toBeGreaterThan(3_000)
    expect(s.processes.b.streamConnectedNow).toBeNull()
    expect(s.processes.a).toMatchObject({ state: "down", stoppedCleanly: true })
    expect(s.quote?.stale).toBe(true)
    expect(s.staleKeys.map((k) => k.key)).toContain(`${prefix}:a-quote`)
    if (s.processes.b.state === "stale") expect(s.staleKeys.map((k) => k.key)).toContain(`${prefix}:lease:b`)
    expect(s.exposure).not.toBeNull()

    // After the lease expired: DOWN, with how long ago and no clean stop.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 6_000 - Date.now())))
    const text = await hedge(config, "status")
    expect(text.status, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/B \(hedger\) +DOWN — last seen \d+\.\d s ago \(host .+, pid \d+.*\) \(no clean stop recorded: crashed or killed\?\)/)
    expect(text.stdout).toMatch(/A \(maker\) +DOWN — stopped \d+\.\d s ago/)
    expect(text.stdout).toMatch(/B's stream +unknown: B is not running/)
    expect(text.stdout).toMatch(/pending fills +[1-9]\d* = [1-9]\d* not yet delivered \(group lag\) \+ \d+ delivered, not acknowledged; oldest \d+\.\d s ago/)
    // In market units for people (BTC: 5 size decimals, 1 price decimal); the raw integers stay in --json.
    expect(text.stdout).toMatch(/A's quote +buy 0\.00020 BTC @ 12345\.6 \(client index 789\) .* — STALE: A is not running/)
    expect(s.quote).toMatchObject({ raw: "buy 123456 789 20" })
  }, 90_000)
})

describe("start-up refusals: one line each", () => {
  it("a different pair on the same key prefix is refused", async () => {
    const prefix = `hedgeflow:test-shared-prefix:${Date.now().toString(36)}`
    const t0 = Date.now()
    const first = start("main-b", writeConfig(prefix))
    await waitForHeartbeat(prefix, "b", first, t0)
    first.p.kill("SIGTERM")
    expect(await first.exit).toBe(0)
    // Same prefix, other accounts: A 1 / B 3.
    const other = writeConfig(prefix)
    writeFileSync(other, readFileSync(other, "utf8").replace("account_index: 2,", "account_index: 3,"))
    const second = start("main-b", other, {}, 3)
    expect(await exitWithin(second, "main-b of another pair"), second.stderr()).toBe(1)
    expect(second.lines()).toHaveLength(1)
    expect(second.lines()[0]).toMatch(
      /^main-b: redis\.key_prefix ".+" belongs to another pair \(market BTC \(id 1\), accounts A 1 \/ B 2 since .+\), but this config is market BTC \(id 1\), accounts A 1 \/ B 3: two pairs must never share a prefix/
    )
  }, 60_000)

  it("an account the venue does not know is refused, naming it", async () => {
    const file = writeConfig(`hedgeflow:test-missing:${Date.now().toString(36)}`)
    writeFileSync(file, readFileSync(file, "utf8").replace("account_index: 2,", "account_index: 99,"))
    const b = start("main-b", file, {}, 2)
    expect(await exitWithin(b, "main-b with an unknown account"), b.stderr()).toBe(1)
    expect(b.lines()).toHaveLength(1)
    expect(b.lines()[0]).toMatch(/^main-b: account B \(B, index 99\) does not exist on the venue at http:\/\/127\.0\.0\.1:\d+: check accounts\.account_b\.account_index/)
  }, 60_000)

  it("a Redis database the server does not have is refused (it used to be db 0, silently)", async () => {
    const [, dbs] = await client.config("GET", "databases") as [string, string]
    const db = Number(dbs)
    const file = writeConfig(`hedgeflow:test-db:${Date.now().toString(36)}`)
    writeFileSync(file, readFileSync(file, "utf8").replace(`url: "${redis.url}"`, `url: "${redis.url}/${db}"`))
    const b = start("main-b", file)
    expect(await exitWithin(b, `main-b on database ${db}`), b.stderr()).toBe(1)
    expect(b.lines()).toHaveLength(1)
    expect(b.lines()[0]).toMatch(new RegExp(`^main-b: redis\\.db ${db} .*is out of range: the Redis server at .+ has ${db} databases \\(0-${db - 1}`))
  }, 60_000)

  it("one metrics.port for A and B: the second is refused with the reason, not EADDRINUSE", async () => {
    const prefix = `hedgeflow:test-metrics:${Date.now().toString(36)}`
    const port = await freePort()
    const file = writeConfig(prefix, `metrics: { port: ${port} }\n`)
    const t0 = Date.now()
    const a = start("main-a", file)
    await waitForHeartbeat(prefix, "a", a, t0)
    // A publishes its port with its lease renewals (each second).
    await new Promise((r) => setTimeout(r, 1_500))
    const b = start("main-b", file)
    expect(await exitWithin(b, "main-b on main-a's metrics port"), b.stderr()).toBe(1)
    expect(b.lines()).toHaveLength(1)
    expect(b.lines()[0]).toMatch(
      new RegExp(`^main-b: metrics\\.port ${port} is already served by main-a of this pair on this host \\(pid ${a.p.pid}\\); A and B of a pair each need their own port: set metrics\\.port_a and metrics\\.port_b`)
    )
    expect(b.stderr()).not.toContain("EADDRINUSE")
    // With its own port (metrics.port_b), B starts next to A.
    const t1 = Date.now()
    const b2 = start("main-b", file, { HEDGEFLOW_METRICS_PORT_B: String(await freePort()) })
    await waitForHeartbeat(prefix, "b", b2, t1)
    a.p.kill("SIGTERM")
    b2.p.kill("SIGTERM")
    expect(await a.exit).toBe(0)
    expect(await b2.exit).toBe(0)
  }, 90_000)
})
