// bin/hedge start and bin/hedge stop as the previous start_hedge.sh / stop_hedge.sh, with the
// previous system's own config.yaml and flags, real processes against the embedded exchange and a
// real Redis: B first, then A, in the background;
// readable output in logs/main_X.log, JSON lines in logs/main_X.jsonl, pids in logs/main_X.pid;
// a second start refused; stop stops A then B gracefully and reports their exit codes; stale pid
// files are found and removed; SIGKILL only after --timeout, said.
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { exitOf, waitUntil } from "../support/process.ts"
import { previousConfigYaml } from "../support/previous-config.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { simPrivateKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const HEDGE = join(root, "bin/hedge")
const A = 1

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return true
  }
}

describe("bin/hedge start / stop", () => {
  let redis: TestRedis
  let sim: SimHandle
  let cwd: string
  const started: Array<number> = []
  const keys = { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: simPrivateKeyHex(1), HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(2) }

  const hedge = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Ran> =>
    new Promise((res) => {
      const p = spawn(HEDGE, [...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...keys, ...env } })
      let stdout = ""
      let stderr = ""
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
      p.once("exit", (code) => res({ code: code ?? -1, stdout, stderr }))
    })
  const pidOf = (name: "main_A" | "main_B") => Number(readFileSync(join(cwd, "logs", `${name}.pid`), "utf8").trim())
  const logs = (file: string) => readFileSync(join(cwd, "logs", file), "utf8")

  beforeAll(async () => {
    // A private server: the previous template names no key prefix, so the default one is used.
    redis = await startTestRedis({ private: true })
    sim = await startSimulator({ port: 0, seed: 3, accounts: withSimKeys(), market: { fillRatePerMin: 0, stepMs: 100 } })
    cwd = mkdtempSync(join(tmpdir(), "hedgeflow-start-stop-"))
    writeFileSync(
      join(cwd, "config.yaml"),
      // The previous system's own config.yaml, its keys in the environment: the venue's URLs (a
      // bare WebSocket host, as its template has) and Redis's port are all that differ.
      previousConfigYaml({ baseUrl: sim.url, wsUrl: new URL(sim.wsUrl).host, redisPort: redis.port })
    )
  }, 30_000)

  afterAll(async () => {
    for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL")
    await sim?.close()
    await redis?.close()
  })

  it("starts B then A in the background with the previous flags; refuses a second start; stop stops A then B, exit codes 0", async () => {
    // A pid file left by a crash: found stale and removed.
    mkdirSync(join(cwd, "logs"), { recursive: true })
    const gone = spawnSync("true").pid
    writeFileSync(join(cwd, "logs", "main_A.pid"), `${gone}\n`)

    const r = await hedge(["start", "--market", "BTC", "--quantity", "0.0002", "--depth", "5", "--config", "config.yaml"])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const a = pidOf("main_A")
    const b = pidOf("main_B")
    started.push(a, b)
    expect(r.stdout).toContain(`removed stale pid file ${join(cwd, "logs", "main_A.pid")} (pid ${gone} is not running)`)
    // B first, and A only once B said it started.
    expect(r.stdout.indexOf(`main-b started, pid ${b}`)).toBeGreaterThan(-1)
    expect(r.stdout.indexOf(`main-a starting, pid ${a}`)).toBeGreaterThan(r.stdout.indexOf(`main-b started, pid ${b}`))
    expect(r.stdout).toContain(`main-a started, pid ${a}`)
    expect(alive(a) && alive(b)).toBe(true)
    // The flags were passed on as the previous script did (B: --market --config; A: + --quantity --depth).
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((s) => s !== "")
    expect(cmdline(b).slice(-4)).toEqual(["--market", "BTC", "--config", "config.yaml"])
    expect(cmdline(a).slice(-8)).toEqual(["--market", "BTC", "--quantity", "0.0002", "--depth", "5", "--config", "config.yaml"])
    // Each process has its own account's key only.
    const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8")
    expect(environ(a)).not.toContain("HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY")
    expect(environ(b)).not.toContain("HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY")
    // In their own sessions: a terminal's hangup or Ctrl-C does not reach them.
    const sid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[3])
    expect(sid(a)).toBe(a)
    expect(sid(b)).toBe(b)

    await waitUntil("A's quote", () => sim.exchange.engine.account(A).active.size > 0, 30_000)

    // Readable lines in main_X.log (what the start redirected), JSON lines in main_X.jsonl: never mixed.
    for (const name of ["main_A", "main_B"]) {
      const readable = logs(`${name}.log`).split("\n").filter((l) => l !== "")
      expect(readable.length).toBeGreaterThan(2)
      expect(readable.filter((l) => l.startsWith("{")), `${name}.log`).toEqual([])
      const json = logs(`${name}.jsonl`).split("\n").filter((l) => l !== "")
      expect(json.length).toBeGreaterThan(2)
      for (const l of json) expect(() => JSON.parse(l), l).not.toThrow()
    }
    expect(logs("main_A.log")).toMatch(/INFO  maker started on BTC/)
    expect(logs("main_B.log")).toMatch(/INFO  hedger .* started/)

    // Twice: refused, naming the running process; nothing else started.
    const again = await hedge(["start", "--config", "config.yaml"])
    expect(again.code).toBe(1)
    expect(again.stderr.trim()).toBe(
      `hedge start: main-b is already running (pid ${b}, ${join(cwd, "logs", "main_B.pid")}); stop it first with bin/hedge stop`
    )
    expect(pidOf("main_A")).toBe(a)
    expect(pidOf("main_B")).toBe(b)

    const s = await hedge(["stop", "--config", "config.yaml"])
    expect(s.code, s.stdout + s.stderr).toBe(0)
    expect(s.stdout).toContain(`main-a: stopping pid ${a} (SIGTERM)`)
    expect(s.stdout).toContain("main-a: stopped, exit code 0")
    expect(s.stdout).toContain("main-b: stopped, exit code 0")
    expect(s.stdout.indexOf("main-a: stopped")).toBeLessThan(s.stdout.indexOf(`main-b: stopping pid ${b}`))
    expect(s.stdout).not.toContain("SIGKILL")
    expect(alive(a) || alive(b)).toBe(false)
    for (const f of ["main_A.pid", "main_B.pid", "main_A.exit", "main_B.exit"]) expect(existsSync(join(cwd, "logs", f)), f).toBe(false)
    // A cancelled its quote on the way out.
    expect(sim.exchange.engine.account(A).active.size).toBe(0)

    // Nothing left to stop.
    const idle = await hedge(["stop"])
    expect(idle.code).toBe(0)
    expect(idle.stdout).toContain(`main-a: not running (no ${join(cwd, "logs", "main_A.pid")})`)
  }, 120_000)

  it("B that fails at start-up stops the start before A, with B's reason", async () => {
    // B's key is not the one the exchange has registered for account 2.
    const r = await hedge(["start", "--config", "config.yaml"], { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: simPrivateKeyHex(7) })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^hedge start: main-b exited during start-up \(exit code 1\): main-b: .*; see .*main_B\.log\n$/)
    expect(r.stdout).not.toContain("main-a")
    expect(existsSync(join(cwd, "logs", "main_A.pid"))).toBe(false)
    expect(existsSync(join(cwd, "logs", "main_B.pid"))).toBe(false)
  }, 60_000)

  it("stop: stale pid files are removed, saying so; a process that ignores SIGTERM gets SIGKILL after --timeout, said, exit code 1", async () => {
    writeFileSync(join(cwd, "logs", "main_B.pid"), "not a pid\n")
    const gone = spawnSync("true").pid
    writeFileSync(join(cwd, "logs", "main_A.pid"), `${gone}\n`)
    const stale = await hedge(["stop"])
    expect(stale.code).toBe(0)
    expect(stale.stdout).toContain(`main-a: stale pid file ${join(cwd, "logs", "main_A.pid")} removed (pid ${gone} is not running)`)
    expect(stale.stdout).toContain(`main-b: stale pid file ${join(cwd, "logs", "main_B.pid")} removed (it holds "not a pid", not a pid)`)
    expect(existsSync(join(cwd, "logs", "main_A.pid")) || existsSync(join(cwd, "logs", "main_B.pid"))).toBe(false)

    // A pid that is another program now is stale too, and is never signalled.
    const other = spawn("sleep", ["30"], { stdio: "ignore" })
    started.push(other.pid!)
    writeFileSync(join(cwd, "logs", "main_A.pid"), `${other.pid}\n`)
    const reused = await hedge(["stop"])
    expect(reused.stdout).toContain(`(pid ${other.pid} is another program now, not main-a)`)
    expect(alive(other.pid!)).toBe(true)
    other.kill("SIGKILL")

    // "main-a" that will not stop on SIGTERM.
    const stubborn: ChildProcess = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)", join(root, "src/app/main-a.ts")], {
      stdio: "ignore",
      detached: true
    })
    started.push(stubborn.pid!)
    await new Promise((r) => setTimeout(r, 300))
    writeFileSync(join(cwd, "logs", "main_A.pid"), `${stubborn.pid}\n`)
    const t0 = Date.now()
    const s = await hedge(["stop", "--timeout", "1"])
    expect(s.code).toBe(1)
    expect(s.stdout).toContain(`main-a: stopping pid ${stubborn.pid} (SIGTERM)`)
    expect(s.stdout).toContain("main-a: did not stop within 1 s: sending SIGKILL (its quote may still rest on the venue: check bin/hedge status)")
    expect(s.stdout).toContain("main-a: killed (SIGKILL)")
    expect(Date.now() - t0).toBeLessThan(15_000)
    await waitUntil("the stubborn process reaped", () => stubborn.signalCode !== null, 5_000)
    expect(stubborn.signalCode).toBe("SIGKILL")
    expect(existsSync(join(cwd, "logs", "main_A.pid"))).toBe(false)
  }, 60_000)

  it("an operator's own redirect to the JSON file is not written twice: the JSON lines stay out of it", async () => {
    const jsonl = join(cwd, "logs", "main_B.jsonl")
    writeFileSync(jsonl, "")
    const p = spawn("bash", ["-c", `exec "${root}/bin/main-b" --config config.yaml > logs/main_B.jsonl 2>&1`], {
      cwd,
      stdio: "ignore",
      env: { ...process.env, HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: keys.HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY }
    })
    started.push(p.pid!)
    await waitUntil("B started", () => /hedger .* started/.test(readFileSync(jsonl, "utf8")) || p.exitCode !== null, 30_000)
    p.kill("SIGTERM")
    expect(await exitOf(p)).toBe(0)
    const lines = readFileSync(jsonl, "utf8").split("\n").filter((l) => l !== "")
    // (After the config's own notes: the previous template's empty key placeholders, ignored.)
    expect(lines.find((l) => l.includes("logging: "))).toContain(`logging: ${join("logs", "main_B.jsonl")} is where this process's output is redirected; JSON lines are not written there`)
    expect(lines.filter((l) => l.startsWith("{"))).toEqual([])
  }, 60_000)
})
