// A program never leaves its children behind, whatever happens to its output: `bin/hedge demo |
// tee demo.log` stopped by Ctrl-C (tee dies with the same SIGINT, so the demo's next write hits a
// closed pipe) used to end the demo on EPIPE and leave main-a, main-b and redis-server running.
// And a program that dies on an error it did not expect still stops its children.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { exitOf, waitUntil } from "../support/process.ts"

const root = resolve(import.meta.dirname, "../..")

/** Running, and not a zombie (this container's pid 1 may never reap an orphan). */
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
    return false
  }
}

/** The processes whose parent is `pid` (from /proc). */
const childrenOf = (pid: number): Array<{ pid: number; cmd: string }> => {
  const out: Array<{ pid: number; cmd: string }> = []
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (ppid === pid) out.push({ pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ").trim() })
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const leftovers: Array<number> = []
afterAll(() => {
  for (const pid of leftovers) if (alive(pid)) process.kill(pid, "SIGKILL")
})

describe("children are never left behind", () => {
  it("bin/hedge demo with its stdout in a pipe that closes, then SIGINT to its process group: every child stops, exit code 0", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "hedgeflow-demo-pipe-"))
    // Its own process group, as a shell job: `bin/hedge demo | tee demo.log`, Ctrl-C.
    const demo: ChildProcess = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), "demo", "--quantity", "0.0002"], {
      cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, REDIS_URL: "" }
    })
    let out = ""
    let err = ""
    demo.stdout!.on("data", (d: Buffer) => (out += d.toString()))
    demo.stderr!.on("data", (d: Buffer) => (err += d.toString()))
    await waitUntil("redis-server, main-a and main-b", () => childrenOf(demo.pid!).length >= 3 || demo.exitCode !== null, 30_000)
    const children = childrenOf(demo.pid!)
    leftovers.push(...children.map((c) => c.pid))
    expect(children.some((c) => c.cmd.includes("main-a.ts"))).toBe(true)
    expect(children.some((c) => c.cmd.includes("main-b.ts"))).toBe(true)
    expect(children.some((c) => c.cmd.includes("redis-server"))).toBe(true)
    // The demo is running and writing: hedges and progress lines go to stdout.
    await waitUntil("the demo's first lines", () => out.includes("hedgeflow demo:"), 10_000)
    await new Promise((r) => setTimeout(r, 2000))

    // tee is gone (the reading end closes), and Ctrl-C reaches the whole group.
    demo.stdout!.destroy()
    process.kill(-demo.pid!, "SIGINT")
    const code = await exitOf(demo)
    expect(err).not.toMatch(/EPIPE|Unhandled 'error'/)
    expect(code, err).toBe(0)
    for (const c of children) expect(alive(c.pid), `${c.cmd} (pid ${c.pid}) still running`).toBe(false)
  }, 120_000)

  it("a program that dies on an uncaught error still stops its children (SIGTERM on exit)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-crash-"))
    const children = pathToFileURL(join(root, "src/testkit/children.ts")).href
    const script = `
      import { Effect } from "effect"
      import { startChild } from ${JSON.stringify(children)}
      Effect.runFork(Effect.scoped(Effect.gen(function*() {
        const c = yield* startChild({ name: "sleeper", command: "sleep", args: ["60"], logFile: ${JSON.stringify(join(dir, "sleeper.out"))} })
        process.stdout.write(c.pid() + "\\n")
        setTimeout(() => { throw new Error("not expected") }, 200)
        yield* Effect.never
      })))
    `
    const p = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()))
    const code = await exitOf(p)
    expect(code).toBe(1)
    const pid = Number(out.trim())
    expect(pid).toBeGreaterThan(1)
    leftovers.push(pid)
    await waitUntil("the orphaned child stopped", () => !alive(pid), 5_000)
  }, 30_000)
})
