// The one redis-server launcher (the demo, the benchmark, the chaos harness and the tests): a
// private server on a free loopback port with its own data directory, for the life of the scope.
// AOF with `appendfsync everysec` (the documented production setting) on request, so that a
// restart brings back what was acknowledged. It can be stopped (kill -9 or SIGTERM), started again
// on the same port and directory, and have its data wiped while stopped (the next start is a
// Redis without persistence coming back empty).
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createConnection, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Data, Effect } from "effect"
import { stopOnExit } from "./children.ts"

export class LocalRedisError extends Data.TaggedError("LocalRedisError")<{ readonly message: string }> {}

export const freePort = Effect.callback<number, LocalRedisError>((resume) => {
  const srv = createServer()
  srv.once("error", (e) => resume(Effect.fail(new LocalRedisError({ message: `no free port: ${e.message}` }))))
  srv.listen(0, "127.0.0.1", () => {
    const addr = srv.address()
    const port = typeof addr === "object" && addr !== null ? addr.port : 0
    srv.close(() => resume(Effect.succeed(port)))
  })
})

export const canConnect = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const s = createConnection({ port, host: "127.0.0.1" })
    s.once("connect", () => {
      s.destroy()
      resume(Effect.succeed(true))
    })
    s.once("error", () => resume(Effect.succeed(false)))
  })

export interface LocalRedis {
  readonly url: string
  readonly host: string
  readonly port: number
  /** The server's pid while it runs (0 when stopped). */
  readonly pid: () => number
  readonly running: () => boolean
  /** kill -9 (crash) or SIGTERM (clean shutdown); resolves when the process has exited. */
  readonly stop: (how: "kill" | "term") => Effect.Effect<void>
  /** Starts it again on the same port and directory; resolves once it accepts connections. */
  readonly start: Effect.Effect<void, LocalRedisError>
  /** Deletes its data (the AOF directory and any RDB file) while it is stopped: the next start is empty. */
  readonly wipe: Effect.Effect<void, LocalRedisError>
}

const exitOf = (p: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (p.exitCode !== null || p.signalCode !== null) return resume(Effect.void)
    p.once("exit", () => resume(Effect.void))
  })

/** Starts redis-server on a free port (or `port`) for the life of the current scope. */
export const startLocalRedis = (options: { readonly appendOnly?: boolean; readonly port?: number } = {}) =>
  Effect.gen(function*() {
    const port = options.port ?? (yield* freePort)
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-redis-"))
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"]
    args.push("--appendonly", options.appendOnly === true ? "yes" : "no")
    if (options.appendOnly === true) args.push("--appendfsync", "everysec")
    let proc: ChildProcess | undefined
    const running = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null

    const start = Effect.gen(function*() {
      if (running()) return
      const p = yield* Effect.try({
        // Own process group: a terminal's Ctrl-C must not stop Redis before A and B have finished.
        try: () => {
          const p = spawn("redis-server", args, { stdio: "ignore", detached: true })
          stopOnExit(p) // stopped even when this process ends on an unplanned path
          return p
        },
        catch: (e) => new LocalRedisError({ message: `cannot start redis-server: ${e instanceof Error ? e.message : String(e)}` })
      })
      proc = p
      const spawnError = yield* Effect.callback<string | undefined>((resume) => {
        p.once("error", (e) => resume(Effect.succeed(e.message)))
        setTimeout(() => resume(Effect.succeed(undefined)), 50)
      })
      if (spawnError !== undefined) {
        return yield* new LocalRedisError({
          message: `cannot start redis-server (${spawnError}); install it (Debian: apt-get install redis-server) or set REDIS_URL`
        })
      }
      for (let i = 0; i < 400; i++) {
        if (yield* canConnect(port)) return
        if (!running()) break
        yield* Effect.sleep("25 millis")
      }
      return yield* new LocalRedisError({ message: `redis-server on port ${port} did not start (data in ${dir})` })
    })

    const stop = (how: "kill" | "term") =>
      Effect.suspend(() => {
        const p = proc
        if (p === undefined || !running()) return Effect.void
        p.kill(how === "kill" ? "SIGKILL" : "SIGTERM")
        return exitOf(p).pipe(
          Effect.timeout("10 seconds"),
          Effect.catch(() => Effect.sync(() => p.kill("SIGKILL")).pipe(Effect.andThen(exitOf(p))))
        )
      })

    const wipe = Effect.suspend(() => {
      if (running()) return Effect.fail(new LocalRedisError({ message: `redis-server on port ${port} is running: stop it before wiping its data` }))
      return Effect.try({
        try: () => {
          for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true })
        },
        catch: (e) => new LocalRedisError({ message: `cannot delete the data in ${dir}: ${e instanceof Error ? e.message : String(e)}` })
      })
    })

    yield* Effect.addFinalizer(() => stop("term").pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))))
    yield* start
    return {
      url: `redis://127.0.0.1:${port}`,
      host: "127.0.0.1",
      port,
      pid: () => (running() ? proc?.pid ?? 0 : 0),
      running,
      stop,
      start,
      wipe
    } satisfies LocalRedis
  })
