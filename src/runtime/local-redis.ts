// A private redis-server for the demo and the chaos harness: free loopback port, its own
// data directory, stopped when the scope closes. AOF (appendfsync everysec) on request.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
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
  readonly pid: number
}

/** Starts redis-server on a free port for the life of the current scope. */
export const startLocalRedis = (options: { readonly appendOnly?: boolean; readonly port?: number } = {}) =>
  Effect.gen(function*() {
    const port = options.port ?? (yield* freePort)
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-redis-"))
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"]
    args.push("--appendonly", options.appendOnly === true ? "yes" : "no")
    if (options.appendOnly === true) args.push("--appendfsync", "everysec")
    const proc = yield* Effect.acquireRelease(
      Effect.try({
        // Own process group: a terminal's Ctrl-C must not stop Redis before A and B have finished.
        try: () => {
          const p = spawn("redis-server", args, { stdio: "ignore", detached: true })
          stopOnExit(p)
          return p
        },
        catch: (e) => new LocalRedisError({ message: `cannot start redis-server: ${String(e)}` })
      }),
      (p) =>
        Effect.callback<void>((resume) => {
          if (p.exitCode !== null || p.signalCode !== null) {
            resume(Effect.void)
            return
          }
          p.once("exit", () => resume(Effect.void))
          p.kill("SIGTERM")
        }).pipe(
          Effect.timeout("3 seconds"),
          Effect.catch(() => Effect.sync(() => p.kill("SIGKILL"))),
          Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        )
    )
    const spawnError = yield* Effect.callback<string | undefined>((resume) => {
      proc.once("error", (e) => resume(Effect.succeed(e.message)))
      setTimeout(() => resume(Effect.succeed(undefined)), 50)
    })
    if (spawnError !== undefined) {
      return yield* new LocalRedisError({
        message: `cannot start redis-server (${spawnError}); install it (Debian: apt-get install redis-server) or set REDIS_URL`
      })
    }
    for (let i = 0; i < 200; i++) {
      if (yield* canConnect(port)) return { url: `redis://127.0.0.1:${port}`, host: "127.0.0.1", port, pid: proc.pid ?? 0 } satisfies LocalRedis
      if (proc.exitCode !== null) break
      yield* Effect.sleep("25 millis")
    }
    return yield* new LocalRedisError({ message: `redis-server on port ${port} did not start` })
  })
