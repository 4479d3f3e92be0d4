// Helpers for tests that run bin/main-a and bin/main-b as real processes.
import type { ChildProcess } from "node:child_process"

/** Resolves with the process's exit code (a signal as a shell reports it: SIGKILL 137). */
export const exitOf = (p: ChildProcess) =>
  new Promise<number>((res) => {
    if (p.exitCode !== null) return res(p.exitCode)
    p.once("exit", (code, sig) => res(code ?? (sig === "SIGKILL" ? 137 : 128)))
  })

/** Polls `cond` every 50 ms; throws naming `what` after `timeoutMs`. */
export const waitUntil = async (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
