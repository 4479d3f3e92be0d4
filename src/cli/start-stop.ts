// bin/hedge start and bin/hedge stop: what the previous system's start_hedge.sh and stop_hedge.sh
// did, with pid files that are checked.
//
// start: B first (it subscribes to A's fills), then — once B says it started — A, both in the
//   background in their own sessions (a closed terminal does not stop them), with the previous
//   flags passed on (B: --market --config; A: --market --quantity --depth --config; --log-dir to
//   both), each one's stdout and stderr appended to its readable log (logs/main_B.log,
//   logs/main_A.log, as `nohup python main_B.py … > logs/main_B.log 2>&1 &` did; the JSON lines
//   are in main_A.jsonl / main_B.jsonl) and its pid in logs/main_B.pid / logs/main_A.pid.
//   A live pid file refuses the start; a stale one (its process gone, or the pid now another
//   program's) is removed, saying so. B that exits during start-up stops the start before A.
// stop: A first (it cancels its quote and publishes what it filled), then — once B has hedged what
//   is pending — B: SIGTERM, wait, and the exit code each reported (the process writes it to
//   logs/main_A.exit when it ends); SIGKILL only after --timeout, saying so. Pid files removed.
//   Exit code 0 when every process it stopped exited 0 (or none was running), else 1.
import type { Role } from "../domain/role.ts"
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Schema } from "effect"
import { parseMainAArgs, parseMainBArgs } from "../config/flags.ts"
import { type HedgeflowConfig, loadConfig } from "../config/load.ts"
import { jsonLogFileFor, readableLogFileFor } from "../ops/logging.ts"
import { EXIT_CODE_FILE_ENV } from "../app/exit.ts"
import { type ArgsOf, defineCommand, numberFlag, parseArgv, textFlag } from "../config/argv.ts"
import { FilePath, PositiveSeconds } from "../config/fields.ts"
import { CONFIG_FLAG, MARKET_FLAG, parsePairArgv } from "./market-flag.ts"
import { pendingFills } from "../bus/pending-fills.ts"
import { withPairRedis } from "./status-command.ts"


const root = resolve(import.meta.dirname, "../..")


const programOf = (role: Role) => (role === "a" ? "main-a" : "main-b")
const baseName = (role: Role) => (role === "a" ? "main_A" : "main_B")

/** The files of a role in the log directory. */
export const filesOf = (dir: string, role: Role) => ({
  pid: join(dir, `${baseName(role)}.pid`),
  exit: join(dir, `${baseName(role)}.exit`),
  log: readableLogFileFor(dir, baseName(role)),
  jsonl: jsonLogFileFor(dir, baseName(role))
})

// ---------------------------------------------------------------------------------------------
// Pid files

export type PidState =
  | { readonly _tag: "None" }
  | { readonly _tag: "Running"; readonly pid: number }
  | { readonly _tag: "Stale"; readonly pid: number | undefined; readonly why: string }

const processGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    // ESRCH: no such process; EPERM: another user's process, so not one this user started
    return true
  }
  // A zombie (exited, not yet reaped by its parent) has stopped running.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
    if (state === "Z" || state === "X") return true
  } catch {
    // no /proc (macOS): kill 0 is all there is
  }
  return false
}

/** Whether `pid` runs `program` (a pid reused by another program after a reboot is not ours). */
const runsProgram = (pid: number, role: Role): boolean => {
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")
  } catch {
    return true // no /proc: cannot tell, trust the pid file
  }
  const name = programOf(role)
  return cmdline.includes(`${name}.ts`) || cmdline.includes(`bin/${name}`)
}

/** What the pid file of `role` says: no file, a running process, or stale (with why). */
export const readPidFile = (file: string, role: Role): PidState => {
  let text: string
  try {
    text = readFileSync(file, "utf8").trim()
  } catch {
    return { _tag: "None" }
  }
  if (!/^\d{1,10}$/.test(text) || Number(text) < 2) return { _tag: "Stale", pid: undefined, why: `it holds ${JSON.stringify(text.slice(0, 20))}, not a pid` }
  const pid = Number(text)
  if (processGone(pid)) return { _tag: "Stale", pid, why: `pid ${pid} is not running` }
  if (!runsProgram(pid, role)) return { _tag: "Stale", pid, why: `pid ${pid} is another program now, not ${programOf(role)}` }
  return { _tag: "Running", pid }
}

const readExitCode = (file: string): number | undefined => {
  try {
    const text = readFileSync(file, "utf8").trim()
    return /^\d+$/.test(text) ? Number(text) : undefined
  } catch {
    return undefined
  }
}

const remove = (file: string) => rmSync(file, { force: true })

/** The last line of `log` that the program wrote about itself ("main-a: …"): why it failed. */
const lastOwnLine = (log: string, role: Role, fromByte = 0): string | undefined => {
  try {
    const text = readFileSync(log, "utf8").slice(fromByte)
    const lines = text.split("\n").filter((l) => l.startsWith(`${programOf(role)}: `))
    return lines[lines.length - 1]
  } catch {
    return undefined
  }
}

const sizeOf = (file: string): number => {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

// ---------------------------------------------------------------------------------------------
// Shared

export class StartStopError extends Schema.TaggedError<StartStopError>()("StartStopError", { message: Schema.String }) {}

const say = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))

/** The log directory a config names (logging.dir, with --log-dir and HEDGEFLOW_LOG_DIR applied). */
const logDirOf = (config: HedgeflowConfig) => resolve(config.settings.logging.dir)

// ---------------------------------------------------------------------------------------------
// start

const LOG_DIR_FLAG = textFlag("--log-dir", "DIR", "where logs and pid files go (logging.dir; default logs)", FilePath)

// --market, --quantity and --depth are passed on as given: main-a and main-b check them (below,
// before anything starts) with their own flags' schemas.
const START = defineCommand({
  name: "hedge start",
  about: "Start B, then A, in the background, as start_hedge.sh did: output to logs/main_B.log and logs/main_A.log,\n" +
    "pids in logs/main_B.pid and logs/main_A.pid; refuses while they run; a stale pid file is removed.",
  flags: {
    config: textFlag("--config", "FILE", "config file (default config.yaml), passed on to both"),
    market: textFlag("--market", "SYMBOL", "passed on to both"),
    quantity: textFlag("--quantity", "DECIMAL", "passed on to main-a"),
    depth: textFlag("--depth", "N", "passed on to main-a"),
    logDir: LOG_DIR_FLAG,
    wait: numberFlag("--wait", "SECONDS", "how long each may take to say it started (default 30)", PositiveSeconds)
  }
})

/** The flags each process gets, as the previous start script gave them. */
export const startArgv = (args: ArgsOf<typeof START.flags>): { readonly a: ReadonlyArray<string>; readonly b: ReadonlyArray<string> } => {
  const opt = (flag: string, v: string | undefined) => (v === undefined ? [] : [flag, v])
  const common = [...opt("--market", args.market)]
  const tail = [...opt("--config", args.config), ...opt("--log-dir", args.logDir)]
  return {
    b: [...common, ...tail],
    a: [...common, ...opt("--quantity", args.quantity), ...opt("--depth", args.depth), ...tail]
  }
}

/** A's or B's start line in its JSON log ("maker started on …", "hedger … started"). */
const isStartedLine = (role: Role) => (line: string): boolean => {
  if (!line.startsWith("{")) return false
  try {
    const message = (JSON.parse(line) as { message?: unknown }).message
    const text = Array.isArray(message) ? message.join(" ") : String(message)
    return role === "a" ? /^maker started on /.test(text) : /^hedger .* started$/.test(text)
  } catch {
    return false
  }
}

interface Started {
  readonly child: ChildProcess
  readonly pid: number
  readonly exited: () => number | undefined
}

const spawnDetached = (role: Role, argv: ReadonlyArray<string>, dir: string) =>
  Effect.try({
    try: (): Started => {
      const f = filesOf(dir, role)
      remove(f.exit)
      const fd = openSync(f.log, "a")
      let child: ChildProcess
      try {
        writeSync(fd, `──── ${new Date().toISOString()} bin/hedge start: ${programOf(role)} ${argv.join(" ")} ────\n`)
        // Each process gets its own account's key only.
        const env: Record<string, string | undefined> = { ...process.env, [EXIT_CODE_FILE_ENV]: f.exit }
        delete env[role === "a" ? "HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY" : "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY"]
        // Its own session (detached): no terminal's hangup or Ctrl-C reaches it; `bin/hedge stop` does.
        child = spawn(process.execPath, [join(root, "src/app", `${programOf(role)}.ts`), ...argv], {
          detached: true,
          stdio: ["ignore", fd, fd],
          env
        })
      } finally {
        closeSync(fd)
      }
      if (child.pid === undefined) throw new Error(`could not start ${programOf(role)}`)
      let code: number | undefined
      child.once("exit", (c, sig) => {
        code = c ?? 128 + (sig === "SIGKILL" ? 9 : sig === "SIGTERM" ? 15 : 0)
      })
      child.unref()
      return { child, pid: child.pid, exited: () => code }
    },
    catch: (e) => new StartStopError({ message: `cannot start ${programOf(role)}: ${e instanceof Error ? e.message : String(e)}` })
  })

/** Writes the pid file; fails if one appeared meanwhile (another start racing this one). */
const writePidFile = (file: string, pid: number) =>
  Effect.try({
    try: () => {
      const fd = openSync(file, "wx", 0o644)
      try {
        writeSync(fd, `${pid}\n`)
      } finally {
        closeSync(fd)
      }
    },
    catch: (e) => new StartStopError({ message: `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}` })
  })

/** Until the process logs its start line (true), exits (false) or `waitMs` passes (undefined). */
const awaitStarted = (role: Role, s: Started, jsonl: string, fromByte: number, waitMs: number, watchLog: boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + waitMs
    for (;;) {
      if (s.exited() !== undefined) return false
      if (watchLog) {
        const text = yield* Effect.sync(() => {
          try {
            return readFileSync(jsonl, "utf8").slice(fromByte)
          } catch {
            return ""
          }
        })
        if (text.split("\n").some(isStartedLine(role))) return true
      }
      if (Date.now() >= deadline) return undefined
      yield* Effect.sleep("100 millis")
    }
  })

export const start = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parseArgv(START, argv)
    const forward = startArgv(args)
    // The flags as A and B will read them, and the config: a mistake stops here, nothing started.
    const parsedA = yield* parseMainAArgs(forward.a)
    yield* parseMainBArgs(forward.b)
    if (parsedA._tag !== "Run") return
    const config = yield* loadConfig({ path: parsedA.config, env: process.env, overrides: parsedA.overrides })
    const dir = logDirOf(config)
    yield* Effect.sync(() => mkdirSync(dir, { recursive: true }))

    // Both pid files first: a running pair is never half restarted.
    for (const role of ["b", "a"] as const) {
      const f = filesOf(dir, role)
      const st = readPidFile(f.pid, role)
      if (st._tag === "Running") {
        return yield* new StartStopError({
          message: `${programOf(role)} is already running (pid ${st.pid}, ${f.pid}); stop it first with bin/hedge stop`
        })
      }
      if (st._tag === "Stale") {
        yield* Effect.sync(() => remove(f.pid))
        yield* say(`removed stale pid file ${f.pid} (${st.why})`)
      }
    }

    const waitMs = (args.wait ?? 30) * 1000
    // The start line is logged at level info: with a stricter level, only an early exit is seen.
    const watchLog = ["trace", "debug", "info", "all"].includes(config.logging.level)
    const launch = (role: Role, argvOf: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const f = filesOf(dir, role)
        const logFrom = sizeOf(f.log)
        const jsonFrom = sizeOf(f.jsonl)
        const s = yield* spawnDetached(role, argvOf, dir)
        yield* writePidFile(f.pid, s.pid).pipe(Effect.tapError(() => Effect.sync(() => s.child.kill("SIGTERM"))))
        yield* say(`${programOf(role)} starting, pid ${s.pid} (bin/${programOf(role)} ${argvOf.join(" ")})`)
        const ok = yield* awaitStarted(role, s, f.jsonl, jsonFrom, watchLog ? waitMs : Math.min(waitMs, 3000), watchLog)
        if (ok === false) {
          yield* Effect.sync(() => {
            remove(f.pid)
            remove(f.exit)
          })
          const why = lastOwnLine(f.log, role, logFrom)
          return yield* new StartStopError({
            message: `${programOf(role)} exited during start-up (exit code ${s.exited()})${why === undefined ? "" : `: ${why}`}; see ${f.log}`
          })
        }
        if (ok === undefined && watchLog) {
          yield* say(`${programOf(role)} has not said it started after ${waitMs / 1000} s; it keeps starting in the background (see ${f.log})`)
        } else {
          yield* say(`${programOf(role)} started, pid ${s.pid}`)
        }
        return s
      })

    // B first (it subscribes to A's fills), then A, as start_hedge.sh did.
    const b = yield* launch("b", forward.b)
    yield* launch("a", forward.a).pipe(
      Effect.tapError(() => say(`main-b is still running (pid ${b.pid}); bin/hedge stop stops it`))
    )
    const fa = filesOf(dir, "a")
    const fb = filesOf(dir, "b")
    yield* say(
      [
        "",
        `both running. pid files ${fa.pid}, ${fb.pid}`,
        `logs: ${fa.log}, ${fb.log} (readable); ${fa.jsonl}, ${fb.jsonl} (JSON lines)`,
        `  tail -f ${fa.log}`,
        `stop: bin/hedge stop${args.config !== undefined ? ` --config ${args.config}` : ""}${args.logDir !== undefined ? ` --log-dir ${args.logDir}` : ""}`
      ].join("\n")
    )
  })

// ---------------------------------------------------------------------------------------------
// stop

const STOP = defineCommand({
  name: "hedge stop",
  about: "Stop A (it cancels its quote), wait until B has hedged what is pending, stop B: SIGTERM, then SIGKILL after\n" +
    "--timeout, saying so; reports each exit code and removes the pid files; exit code 1 unless both exited 0.",
  flags: {
    config: CONFIG_FLAG,
    market: MARKET_FLAG,
    logDir: LOG_DIR_FLAG,
    timeout: numberFlag("--timeout", "SECONDS", "how long each may take to stop before SIGKILL (default 30)", PositiveSeconds)
  }
})

type StopOutcome = "not-running" | "stale" | "exited-0" | "failed"

const stopOne = (role: Role, dir: string, timeoutMs: number) =>
  Effect.gen(function*() {
    const name = programOf(role)
    const f = filesOf(dir, role)
    const st = readPidFile(f.pid, role)
    if (st._tag === "None") {
      yield* say(`${name}: not running (no ${f.pid})`)
      return "not-running" as StopOutcome
    }
    if (st._tag === "Stale") {
      const code = readExitCode(f.exit)
      yield* Effect.sync(() => {
        remove(f.pid)
        remove(f.exit)
      })
      yield* say(`${name}: stale pid file ${f.pid} removed (${st.why})${code === undefined ? "" : `; it had exited with code ${code}`}`)
      return "stale" as StopOutcome
    }
    const logFrom = sizeOf(f.log)
    yield* say(`${name}: stopping pid ${st.pid} (SIGTERM) …`)
    yield* Effect.sync(() => process.kill(st.pid, "SIGTERM"))
    const deadline = Date.now() + timeoutMs
    while (!processGone(st.pid) && Date.now() < deadline) yield* Effect.sleep("100 millis")
    let killed = false
    if (!processGone(st.pid)) {
      killed = true
      yield* say(
        `${name}: did not stop within ${timeoutMs / 1000} s: sending SIGKILL` +
          (role === "a" ? " (its quote may still rest on the venue: check bin/hedge status)" : " (a hedge may be left in flight: check bin/hedge status)")
      )
      yield* Effect.sync(() => process.kill(st.pid, "SIGKILL"))
      const killDeadline = Date.now() + 5000
      while (!processGone(st.pid) && Date.now() < killDeadline) yield* Effect.sleep("100 millis")
    }
    const code = readExitCode(f.exit)
    yield* Effect.sync(() => {
      remove(f.pid)
      remove(f.exit)
    })
    if (killed) {
      yield* say(`${name}: killed (SIGKILL)`)
      return "failed" as StopOutcome
    }
    if (code === 0) {
      yield* say(`${name}: stopped, exit code 0`)
      return "exited-0" as StopOutcome
    }
    const why = lastOwnLine(f.log, role, logFrom)
    yield* say(`${name}: stopped, exit code ${code ?? "unknown"}${why === undefined ? "" : ` — ${why}`} (see ${f.log})`)
    return "failed" as StopOutcome
  })

/** After A stopped: until B has hedged what is pending (from the pair's Redis), at most `timeoutMs`. */
const awaitHedged = (configPath: string, timeoutMs: number) =>
  withPairRedis("stop", configPath, (config) =>
    Effect.gen(function*() {
      const prefix = config.redis.keyPrefix
      let said = false
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const pending = yield* pendingFills(prefix)
        if (pending === 0) return
        if (Date.now() >= deadline) return yield* say(`main-b: ${pending} fill(s) still pending after ${timeoutMs / 1000} s; stopping it anyway (it resumes them on its next start)`)
        if (!said) yield* say(`main-b: waiting until it has hedged ${pending} pending fill(s) …`)
        said = true
        yield* Effect.sleep("200 millis")
      }
    })
  ).pipe(
    Effect.timeout(timeoutMs + 5000),
    Effect.catchCause(() => say("main-b: could not read the pending fills from Redis; stopping it now"))
  )

export const stop = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parsePairArgv(STOP, argv)
    const configPath = args.config ?? "config.yaml"
    // The config says where the pid files are; stop works without it (--log-dir, else logs).
    const config = yield* loadConfig({ path: configPath, env: process.env, overrides: args.logDir !== undefined ? { logDir: args.logDir } : {} }).pipe(
      Effect.map((c) => c as HedgeflowConfig | undefined),
      Effect.catch((e) =>
        args.config !== undefined || existsSync(configPath)
          ? say(`note: ${configPath}: ${e.message.split("\n")[0]}; looking for pid files in ${args.logDir ?? "logs"}`).pipe(Effect.as(undefined))
          : Effect.succeed(undefined)
      )
    )
    const dir = config !== undefined ? logDirOf(config) : resolve(args.logDir ?? process.env["HEDGEFLOW_LOG_DIR"] ?? "logs")
    const timeoutMs = (args.timeout ?? 30) * 1000
    // A first: it cancels its quote and publishes what it filled; B then hedges that.
    const a = yield* stopOne("a", dir, timeoutMs)
    if (readPidFile(filesOf(dir, "b").pid, "b")._tag === "Running" && config !== undefined) {
      yield* awaitHedged(configPath, timeoutMs)
    }
    const b = yield* stopOne("b", dir, timeoutMs)
    if (a === "failed" || b === "failed") process.exitCode = 1
  })
