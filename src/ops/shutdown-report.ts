// What a shutdown could not finish, told by the code that knows (A's and B's finalizers) and
// collected by the entry point (src/app/exit.ts: exit code 1 and one line on stderr). Only what is told
// after a signal asked the program to stop counts: an epoch loss stops and restarts the program
// without a signal, and that is not a shutdown. Without an entry point (tests, the in-process
// demo) nothing listens.
import { Context, Effect } from "effect"

export interface ShutdownReportShape {
  /** Something the shutdown could not finish, in words an operator can act on. */
  readonly incomplete: (reason: string) => Effect.Effect<void>
}

/** Where finalizers say what they could not finish. Default: nowhere (tests, in-process demo). */
export const ShutdownReport = Context.Reference<ShutdownReportShape>("hedgeflow/runtime/ShutdownReport", {
  defaultValue: () => ({ incomplete: () => Effect.void })
})

/** Tells the entry point that the shutdown could not finish `reason` (exit code 1). */
export const shutdownIncomplete = (reason: string): Effect.Effect<void> =>
  Effect.gen(function*() {
    const report = yield* ShutdownReport
    yield* report.incomplete(reason)
  })

export interface ShutdownCollector {
  readonly service: ShutdownReportShape
  /** From now on, what finalizers report counts (called on SIGINT/SIGTERM). */
  readonly arm: () => void
  readonly armed: () => boolean
  readonly reasons: () => ReadonlyArray<string>
}

export const makeShutdownCollector = (): ShutdownCollector => {
  let armed = false
  const reasons: Array<string> = []
  return {
    service: {
      incomplete: (reason) =>
        Effect.sync(() => {
          if (armed && !reasons.includes(reason)) reasons.push(reason)
        })
    },
    arm: () => {
      armed = true
    },
    armed: () => armed,
    reasons: () => reasons
  }
}
