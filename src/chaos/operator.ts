// The chaos harness acting as an operator: `bin/hedge resume` and `bin/hedge flatten --yes` run as
// child processes — the same entry point, flags and code path an operator's shell runs — with
// both accounts' private keys in their environment only. Their output (and a header line per
// command) is appended to `<workDir>/operator.log`.
import { spawn } from "node:child_process"
import { appendFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect } from "effect"

export interface OperatorRun {
  readonly command: string
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

const root = resolve(import.meta.dirname, "../..")
/** A command that has not ended after this long is killed (exit code 137). */
const TIMEOUT_MS = 120_000

/** `bin/hedge <args> --config <configFile>`; never fails: a failure is in the exit code. */
export const runOperator = (
  args: ReadonlyArray<string>,
  o: { readonly configFile: string; readonly workDir: string; readonly env: Readonly<Record<string, string>> }
): Effect.Effect<OperatorRun> =>
  Effect.callback<OperatorRun>((resume) => {
    const startedAt = Date.now()
    const command = `bin/hedge ${args.join(" ")}`
    const log = join(o.workDir, "operator.log")
    const note = (text: string) => {
      try {
        appendFileSync(log, text)
      } catch {
        // the log is for the post-mortem only
      }
    }
    note(`\n── ${new Date(startedAt).toISOString()} ${command} ──\n`)
    const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), ...args, "--config", o.configFile], {
      cwd: o.workDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "json", NO_COLOR: "1", ...o.env }
    })
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
      note(d.toString())
    })
    p.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
      note(d.toString())
    })
    const timer = setTimeout(() => p.kill("SIGKILL"), TIMEOUT_MS)
    let done = false
    const finish = (code: number) => {
      if (done) return
      done = true
      clearTimeout(timer)
      const ms = Date.now() - startedAt
      note(`── exit code ${code} after ${ms} ms ──\n`)
      resume(Effect.succeed({ command, code, stdout, stderr, ms }))
    }
    p.once("error", (e) => {
      stderr += e.message
      finish(127)
    })
    p.once("exit", (code, sig) => finish(code ?? (sig === "SIGKILL" ? 137 : 128)))
    return Effect.sync(() => {
      if (!done) p.kill("SIGKILL")
    })
  })
