// A private redis-server the chaos harness can kill and start again on the same port and data
// directory, with AOF on and `appendfsync everysec` (the documented production setting), so a
// restart brings back what was acknowledged. `wipe` deletes that data between a stop and a start:
// the next start is a Redis without persistence coming back empty.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { canConnect, freePort, LocalRedisError } from "../runtime/local-redis.ts"
import { stopOnExit } from "../runtime/children.ts"

export interface RestartableRedis {
  readonly url: string
  readonly port: number
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

export const startRestartableRedis = Effect.gen(function*() {
  const port = yield* freePort
  const dir = mkdtempSync(join(tmpdir(), "hedgeflow-chaos-redis-"))
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
    "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no"
  ]
  let proc: ChildProcess | undefined
  const running = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null

  const start = Effect.gen(function*() {
    if (running()) return
    const p = yield* Effect.try({
      // Own process group: a terminal's Ctrl-C must not stop Redis under A and B.
      try: () => {
        const p = spawn("redis-server", args, { stdio: "ignore", detached: true })
        stopOnExit(p) // stopped even when this process ends on an unplanned path
        return p
      },
      catch: (e) => new LocalRedisError({ message: `cannot start redis-server: ${e instanceof Error ? e.message : "unknown error"}` })
    })
    proc = p
    const spawnError = yield* Effect.callback<string | undefined>((resume) => {
      p.once("error", (e) => resume(Effect.succeed(e.message)))
      setTimeout(() => resume(Effect.succeed(undefined)), 50)
    })
    if (spawnError !== undefined) {
      return yield* new LocalRedisError({ message: `cannot start redis-server (${spawnError}); install it (Debian: apt-get install redis-server)` })
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
  return { url: `redis://127.0.0.1:${port}`, port, running, stop, start, wipe } satisfies RestartableRedis
})
