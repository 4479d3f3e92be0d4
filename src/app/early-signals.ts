// A SIGINT or SIGTERM that arrives while a program is still loading its modules would kill it
// with Node's default action (exit 143, no clean shutdown): a supervisor or `bin/hedge stop` that
// stops a process in its first second must still see exit 0. The entry points hold such signals
// from their first line (this module imports nothing, so it is loaded at once) and hand them to
// the program once its own handlers are in place (runMainProgram, src/app/exit.ts).
let held: NodeJS.Signals | undefined
const hold = (signal: NodeJS.Signals) => {
  held ??= signal
}
const onInt = () => hold("SIGINT")
const onTerm = () => hold("SIGTERM")
let holding = false

/** From the entry point's first line: a stop signal is kept, not acted on yet. */
export const holdEarlySignals = (): void => {
  if (holding) return
  holding = true
  process.on("SIGINT", onInt)
  process.on("SIGTERM", onTerm)
}

/** Once the program's handlers are installed: stop holding, and deliver a signal that came early. */
export const releaseEarlySignals = (): NodeJS.Signals | undefined => {
  if (!holding) return undefined
  holding = false
  process.off("SIGINT", onInt)
  process.off("SIGTERM", onTerm)
  const signal = held
  held = undefined
  if (signal !== undefined) process.kill(process.pid, signal)
  return signal
}

/**
 * Tests only (HEDGEFLOW_TEST_STARTUP_PAUSE_MS): the entry point waits this long after it starts
 * holding signals, before it loads the program, so that a test can stop it in that window.
 */
export const testStartupPause = (): Promise<void> => {
  const ms = Number(process.env["HEDGEFLOW_TEST_STARTUP_PAUSE_MS"] ?? 0)
  if (!Number.isFinite(ms) || ms <= 0) return Promise.resolve()
  process.stderr.write("start-up paused for a test (HEDGEFLOW_TEST_STARTUP_PAUSE_MS); signals are held\n")
  return new Promise((r) => setTimeout(r, Math.min(ms, 10_000)))
}
