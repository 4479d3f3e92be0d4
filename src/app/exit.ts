// How the programs end: exit codes, the one line on stderr that says why, and what a shutdown
// could not finish.
//
//   0   finished, or stopped by SIGINT/SIGTERM after a complete shutdown
//   1   failed (the reason on stderr, the program's name once), or a shutdown that could not
//       finish (A's quote not cancelled, its fills not published, B's hedge in flight)
//   2   an unknown bin/hedge command (and `hedge sim`'s bad flags)
//
// A shutdown that could not finish is told by the code that knows (A's and B's finalizers)
// through `shutdownIncomplete` (shutdown-report.ts).
import { releaseEarlySignals } from "./early-signals.ts"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { writeFileSync } from "node:fs"
import { Cause, Effect, Exit } from "effect"
import type * as Runtime from "effect/Runtime"
import { ShutdownReport, type ShutdownCollector } from "../ops/shutdown-report.ts"

/**
 * `text` with the program's name in front, once: a message that already starts with it (or
 * with a sub-command of it, "hedge keys check: …") is left as it is; one that starts with the
 * sub-command alone ("bench: …") gets only the program in front.
 */
export const withProgramName = (program: string, text: string): string => {
  const words = program.split(" ")
  if (text.startsWith(`${program}:`) || new RegExp(`^${escape(program)} [\\w-]+: `).test(text)) return text
  for (let i = words.length - 1; i >= 1; i--) {
    const tail = words.slice(i).join(" ")
    if (text.startsWith(`${tail}: `)) return `${words.slice(0, i).join(" ")} ${text}`
  }
  return `${program}: ${text}`
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The message of an error or a defect, without a stack. */
export const describeError = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

/** One line for a failed cause: the first error's message, else the first defect's, else the cause. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") return describeError(failure.value)
  const defect = Cause.findDefect(cause)
  if (defect._tag === "Success") return describeError(defect.success)
  return Cause.pretty(cause)
}

/**
 * The exit code when the main fiber ends: what the program set (process.exitCode) on success and
 * after a signal, unless the shutdown could not finish (1, with the reasons on one line); 1 for a
 * failure the program did not explain itself.
 */
export const exitTeardown = (program: string, collector?: ShutdownCollector): Runtime.Teardown => (exit, onExit) => {
  const set = typeof process.exitCode === "number" ? process.exitCode : 0
  if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) {
    const reasons = collector?.reasons() ?? []
    if (reasons.length > 0) {
      writeStderr(`${program}: shutdown incomplete: ${reasons.join("; ")}\n`)
      return onExit(set === 0 ? 1 : set)
    }
    return onExit(set)
  }
  writeStderr(`${withProgramName(program, describeCause(exit.cause))}\n`)
  return onExit(set === 0 ? 1 : set)
}

/** A write to stderr that cannot throw (stderr closed, EPIPE). */
export const writeStderr = (text: string): void => {
  try {
    process.stderr.write(text)
  } catch {
    // nowhere left to say it
  }
}

let stdioGuarded = false

/**
 * A reader of our output that goes away (`… | tee log` stopped by Ctrl-C, `| head`) must not end
 * the program before it has stopped what it started: EPIPE on stdout/stderr is ignored (the
 * output is lost, the shutdown goes on). Other write errors are ignored the same way: output is
 * never worth a crash that leaves children or a resting quote behind.
 */
export const guardStdio = (): void => {
  if (stdioGuarded) return
  stdioGuarded = true
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", () => {
      // EPIPE (reader gone) or any other write error: drop the output, keep running
    })
  }
}

/** The variable naming the file a program writes its exit code to when it ends (bin/hedge start sets it). */
export const EXIT_CODE_FILE_ENV = "HEDGEFLOW_EXIT_CODE_FILE"

export interface RunMainOptions {
  /** Hears what the shutdown could not finish (A and B). */
  readonly collector?: ShutdownCollector | undefined
  /** Written with the exit code when the process ends (bin/hedge stop reads it). */
  readonly exitCodeFile?: string | undefined
  /** SIGHUP from a closing terminal stops the program as SIGTERM does (programs with children). */
  readonly hangup?: boolean | undefined
}

/**
 * Runs `effect` as the process's main program (NodeRuntime.runMain: SIGINT/SIGTERM interrupt it)
 * with the exit rules above; `collector` (A and B) hears what their shutdown could not finish.
 */
export const runMainProgram = <E, A>(program: string, effect: Effect.Effect<A, E>, options: RunMainOptions = {}): void => {
  guardStdio()
  const collector = options.collector
  const arm = () => collector?.arm()
  process.on("SIGINT", arm)
  process.on("SIGTERM", arm)
  const exitFile = options.exitCodeFile
  if (exitFile !== undefined && exitFile !== "") {
    process.once("exit", (code) => {
      try {
        writeFileSync(exitFile, `${code}\n`)
      } catch {
        // bin/hedge stop then reports the exit code as unknown
      }
    })
  }
  // A terminal that closes sends SIGHUP; stop as for SIGTERM (children included) rather than die
  // on the spot. Not when no stdio is a terminal: under nohup, SIGHUP stays ignored.
  const hangup = () => process.kill(process.pid, "SIGTERM")
  const onHangup = options.hangup === true && (process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true)
  if (onHangup) process.on("SIGHUP", hangup)
  const teardown = exitTeardown(program, collector)
  const withReport = collector === undefined ? effect : Effect.provideService(effect, ShutdownReport, collector.service)
  NodeRuntime.runMain(withReport, {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      process.off("SIGINT", arm)
      process.off("SIGTERM", arm)
      if (onHangup) process.off("SIGHUP", hangup)
      teardown(exit, onExit)
    }
  })
  // runMain's own SIGINT/SIGTERM handlers are in place now: a stop that came while the program
  // was loading (early-signals.ts) is delivered to them, and the program stops cleanly.
  const early = releaseEarlySignals()
  if (early !== undefined) writeStderr(`${withProgramName(program, `${early} during start-up: stopping before anything was traded`)}
`)
}
