// Child processes for the demo, the benchmark and the chaos harness: spawned with their output
// going to a log file, stopped gracefully (SIGTERM, then SIGKILL after a grace period) when the
// scope closes, or killed on purpose (kill -9) by chaos runs; and stopped (SIGTERM) when this
// process exits on any other path (stopOnExit).
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, mkdirSync, openSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { Data, Effect } from "effect"

export class ChildError extends Data.TaggedError("ChildError")<{ readonly message: string }> {}

export interface ChildSpec {
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>>
  readonly cwd?: string
  /** stdout and stderr are appended here. */
  readonly logFile: string
}

export interface Child {
  readonly name: string
  readonly pid: () => number | undefined
  readonly running: () => boolean
  /** Exit code of the last run (null while running or after a signal). */
  readonly exitCode: () => number | null
  readonly signal: (sig: NodeJS.Signals) => void
  /** Resolves when the current run exits, with its code (signal → 128 + n, as a shell reports it). */
  readonly exited: Effect.Effect<number>
  /** Stops gracefully: SIGTERM, then SIGKILL after `graceMs`. */
  readonly stop: (graceMs?: number) => Effect.Effect<number>
  /** Starts it again after it exited (chaos restarts). */
  readonly restart: Effect.Effect<void, ChildError>
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }

// Every child still running when this process exits — on any path: a crash, process.exit, an
// uncaught error — gets SIGTERM (they are in their own process groups, so nothing else would stop
// them). The scopes stop them first, in order, on every ordinary path; this is the last resort.
const live = new Set<ChildProcess>()
let exitHookInstalled = false

/** Stops `proc` with SIGTERM if it is still running when this process exits. */
export const stopOnExit = (proc: ChildProcess): void => {
  live.add(proc)
  proc.once("exit", () => live.delete(proc))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const p of live) {
      try {
        if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM")
      } catch {
        // gone already
      }
    }
  })
}

const spawnChild = (spec: ChildSpec): ChildProcess => {
  mkdirSync(dirname(spec.logFile), { recursive: true })
  const fd = openSync(spec.logFile, "a")
  try {
    // Own process group: Ctrl-C in a terminal reaches only us, and we stop children in order
    // (A first, then B once it has hedged what is pending).
    const proc = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", fd, fd],
      detached: true
    })
    stopOnExit(proc)
    return proc
  } finally {
    closeSync(fd)
  }
}

/** Starts a child for the life of the current scope. */
export const startChild = (spec: ChildSpec) =>
  Effect.gen(function*() {
    let proc: ChildProcess = spawnChild(spec)
    let code: number | null = null
    let exitPromise: Promise<number>
    const watch = (p: ChildProcess) => {
      code = null
      exitPromise = new Promise<number>((resolve) => {
        p.once("exit", (c, sig) => {
          code = c
          resolve(c ?? 128 + (SIGNALS[sig ?? ""] ?? 0))
        })
        p.once("error", () => resolve(127))
      })
    }
    watch(proc)
    const running = () => proc.exitCode === null && proc.signalCode === null
    const exited = Effect.promise(() => exitPromise)
    const stop = (graceMs = 10_000) =>
      Effect.gen(function*() {
        if (!running()) return yield* exited
        proc.kill("SIGTERM")
        const result = yield* exited.pipe(Effect.timeoutOption(graceMs))
        if (result._tag === "Some") return result.value
        proc.kill("SIGKILL")
        return yield* exited
      })
    const child: Child = {
      name: spec.name,
      pid: () => proc.pid,
      running,
      exitCode: () => code,
      signal: (sig) => {
        if (running()) proc.kill(sig)
      },
      exited,
      stop,
      restart: Effect.suspend(() => {
        if (running()) return Effect.fail(new ChildError({ message: `${spec.name} is still running` }))
        proc = spawnChild(spec)
        watch(proc)
        return Effect.void
      })
    }
    yield* Effect.addFinalizer(() => stop(10_000))
    return child
  })

const root = resolve(import.meta.dirname, "../..")

/**
 * bin/main-a or bin/main-b with `configFile` (demo, chaos), as `bin/hedge start` runs them: their
 * output (the readable lines) appended to `<workDir>/main_A.log` / `main_B.log`; the JSON lines
 * go to `main_A.jsonl` / `main_B.jsonl` when the config's logging.dir is `workDir`.
 * `env` adds variables, e.g. the process's private key (secrets go there, never into args).
 */
export const startEngineProcess = (name: "main-a" | "main-b", configFile: string, workDir: string, env: Readonly<Record<string, string>> = {}) =>
  startChild({
    name,
    command: process.execPath,
    args: [join(root, "src/app", `${name}.ts`), "--config", configFile],
    logFile: join(workDir, `${name === "main-a" ? "main_A" : "main_B"}.log`),
    env: { HEDGEFLOW_LOG_CONSOLE: "pretty", NO_COLOR: "1", ...env }
  })
