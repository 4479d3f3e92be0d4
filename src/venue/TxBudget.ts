// The transaction budget of one Lighter address, shared by A and B (DESIGN I7): a sliding
// one-minute window in Redis. Hedges (and protective cancels) may use all of it; quotes (A's
// placements and re-quote cancels) stop short of a reserve, so a busy maker can never starve the
// hedger. The rule is `budgetWaitMs` (pure); the Redis script (src/bus/redis/tx-budget.ts) runs the
// same rule on Redis's clock for processes on several machines, MemoryTxBudget on Effect's clock for tests.
import { Clock, Context, Effect, Layer } from "effect"
import type { VenueShape } from "./Venue.ts"

export type TxPriority = "hedge" | "quote"

/** A transaction's priority by what it is: placing a quote is a quote; everything else a hedge unless it says otherwise. */
export const txPriorityOf = (op: string, priority?: TxPriority): TxPriority => priority ?? (op === "placeLimit" ? "quote" : "hedge")

/**
 * The budget rule (the Redis script's, line for line): with `sentAtMs` the window's entries
 * (any order), 0 when a transaction of `priority` may go now, else the ms until it may. Quotes
 * may fill the window up to `limit − reserve`; hedges up to `limit`.
 */
export const budgetWaitMs = (
  sentAtMs: ReadonlyArray<number>,
  nowMs: number,
  o: { readonly windowMs: number; readonly limit: number; readonly reserve: number; readonly priority: TxPriority }
): number => {
  const live = sentAtMs.filter((t) => t > nowMs - o.windowMs).sort((x, y) => x - y)
  const cap = o.priority === "quote" ? o.limit - o.reserve : o.limit
  if (cap <= 0) return o.windowMs
  if (live.length < cap) return 0
  return Math.max(1, live[live.length - cap]! + o.windowMs - nowMs)
}

export interface TxBudgetShape {
  /** Waits until a transaction of this priority may be sent, and counts it. */
  readonly acquire: (priority: TxPriority) => Effect.Effect<void>
}

export class TxBudget extends Context.Service<TxBudget, TxBudgetShape>()("hedgeflow/venue/TxBudget") {
  static readonly unlimited = Layer.succeed(TxBudget, TxBudget.of({ acquire: () => Effect.void }))
}

/** What a MemoryTxBudget saw: every transaction counted and every wait, by priority (tests). */
export interface TxBudgetLog {
  readonly sent: Array<{ readonly priority: TxPriority; readonly atMs: number }>
  readonly waits: Array<{ readonly priority: TxPriority; readonly waitedMs: number }>
}

/**
 * The same budget in this process, on Effect's clock (TestClock in tests): one instance shared
 * by A's and B's venues stands for the Redis window they share.
 */
export const MemoryTxBudget = {
  make: (o: { readonly txPerMinute: number; readonly hedgeReserve: number; readonly windowMs?: number }) => {
    const windowMs = o.windowMs ?? 60_000
    let window: Array<number> = []
    const log: TxBudgetLog = { sent: [], waits: [] }
    const acquire = (priority: TxPriority): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (o.txPerMinute <= 0) return
        const start = yield* Clock.currentTimeMillis
        for (;;) {
          const now = yield* Clock.currentTimeMillis
          window = window.filter((t) => t > now - windowMs)
          const wait = budgetWaitMs(window, now, { windowMs, limit: o.txPerMinute, reserve: o.hedgeReserve, priority })
          if (wait <= 0) {
            window.push(now)
            log.sent.push({ priority, atMs: now })
            if (now > start) log.waits.push({ priority, waitedMs: now - start })
            return
          }
          yield* Effect.sleep(Math.min(wait, 1000))
        }
      })
    const service = TxBudget.of({ acquire })
    return { service, layer: Layer.succeed(TxBudget, service), log }
  }
}

/**
 * A venue whose transactions draw from `budget` as the Lighter venue's do (placements as quotes,
 * cancels by their priority, hedges and cancel-all as hedges): for venues that do not draw
 * themselves (the in-memory one in tests).
 */
export const withTxBudget = (venue: VenueShape, budget: TxBudgetShape): VenueShape => ({
  ...venue,
  placeLimit: (req) => budget.acquire(txPriorityOf("placeLimit")).pipe(Effect.andThen(venue.placeLimit(req))),
  placeMarket: (req) => budget.acquire(txPriorityOf("placeMarket")).pipe(Effect.andThen(venue.placeMarket(req))),
  cancel: (req) => budget.acquire(txPriorityOf("cancel", req.priority)).pipe(Effect.andThen(venue.cancel(req))),
  cancelAll: () => budget.acquire(txPriorityOf("cancelAll")).pipe(Effect.andThen(venue.cancelAll()))
})
