// A's own cap on its quote transactions (maker.quote_tx_per_minute, kept within what the shared
// budget leaves quotes): every place and cancel of a quote is recorded; a decision that would
// send waits while the last minute leaves no room (rules in src/domain/quote-pacing.ts).
import { Effect, Ref } from "effect"
import { effectiveQuoteTxCap, type QuoteTxLog, quoteTxRoom, recordQuoteTx } from "../domain/quote-pacing.ts"
import type { MakerContext } from "./settings.ts"

export interface QuoteTxCap {
  /** The cap in force (0: none of A's own). */
  readonly cap: number
  /** Records one quote transaction sent now. */
  readonly sent: Effect.Effect<void>
  /** Whether the cap leaves no room for `slots` more at `nowMs` (said once per wait). */
  readonly blocks: (slots: number, nowMs: number) => Effect.Effect<boolean>
}

export const makeQuoteTxCap = (ctx: MakerContext): Effect.Effect<QuoteTxCap> =>
  Effect.gen(function*() {
    const { settings, clock } = ctx
    const cap = effectiveQuoteTxCap(settings.quoteTxPerMinute ?? 0, settings.sharedTxBudget?.txPerMinute ?? 0, settings.sharedTxBudget?.hedgeReserve ?? 0)
    /** A's quote txs (places and cancels) of the last minute, monotonic ms. */
    // Stryker disable next-line ArrayDeclaration: equivalent: an entry that is not a time is pruned before it is counted
    const log = yield* Ref.make<QuoteTxLog>([])
    // Stryker disable next-line BooleanLiteral: decides only whether the first wait is logged
    const noted = yield* Ref.make(false)
    const sent = Ref.update(log, (l) => recordQuoteTx(l, clock.monoMs()))
    const blocks = (slots: number, now: number) =>
      Effect.gen(function*() {
        const room = quoteTxRoom(yield* Ref.get(log), now, cap, slots)
        if (room.ok) {
          yield* Ref.set(noted, false)
          return false
        }
        if (!(yield* Ref.getAndSet(noted, true))) {
          yield* Effect.logInfo(
            `quote waits: A sent ${room.used} quote transactions in the last minute (maker.quote_tx_per_minute ${room.cap}); ` +
              `room again in ${Math.ceil(room.waitMs / 1000)} s`
          )
        }
        return true
      })
    return { cap, sent, blocks }
  })
