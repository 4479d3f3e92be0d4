// Redis for tests: REDIS_URL when set (and `private` is not asked for), else a private
// redis-server on a free loopback port, stopped when the test file ends.
// Tests that kill or restart Redis must ask for a private server.
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redis } from "ioredis"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address()
      const port = typeof addr === "object" && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })

export interface TestRedis {
  readonly url: string
  readonly host: string
  readonly port: number
  /** A key prefix unique to this test run, so tests never see each other's keys. */
  readonly prefix: (name: string) => string
  /** Private servers only: stop the server (SIGKILL when `hard`). */
  readonly stop: (hard?: boolean) => Promise<void>
  /** Private servers only: start it again on the same port and data dir. */
  readonly restart: () => Promise<void>
  readonly close: () => Promise<void>
}

const waitReady = async (url: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    c.on("error", () => {})
    try {
      await c.connect()
      await c.ping()
      c.disconnect()
      return
    } catch (e) {
      c.disconnect()
      if (Date.now() > deadline) throw new Error(`redis at ${url} not ready: ${String(e)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

let counter = 0
const runId = `${process.pid}-${Date.now().toString(36)}`

export const startTestRedis = async (
  options: { readonly private?: boolean; readonly appendOnly?: boolean } = {}
): Promise<TestRedis> => {
  const prefix = (name: string) => `test:${runId}:${++counter}:${name}`
  const shared = process.env.REDIS_URL
  if (shared !== undefined && shared !== "" && options.private !== true) {
    const u = new URL(shared)
    await waitReady(shared)
    const noop = async () => {}
    return { url: shared, host: u.hostname, port: Number(u.port || 6379), prefix, stop: noop, restart: noop, close: noop }
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "hedgeflow-redis-"))
  const url = `redis://127.0.0.1:${port}`
  let proc: ChildProcess | undefined
  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"]
    args.push("--appendonly", options.appendOnly === true ? "yes" : "no")
    if (options.appendOnly === true) args.push("--appendfsync", "everysec")
    proc = spawn("redis-server", args, { stdio: "ignore" })
    await waitReady(url)
  }
  const stop = async (hard = false) => {
    const p = proc
    proc = undefined
    if (p === undefined || p.exitCode !== null) return
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve())
      p.kill(hard ? "SIGKILL" : "SIGTERM")
    })
  }
  await start()
  return {
    url,
    host: "127.0.0.1",
    port,
    prefix,
    stop,
    restart: start,
    close: async () => {
      await stop(true)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
