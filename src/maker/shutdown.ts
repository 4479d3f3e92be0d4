// On the way out: cancel A's resting quote (maker.cancel_on_exit), then read its final state from
// the venue and publish what it filled: the account stream is already stopped when the scope
// closes, and a fill that landed just before the cancel must not wait for A's next start to be
// hedged. What could not be finished makes the exit code 1 (src/app/exit.ts).
import { Effect, Option, Ref, Schedule } from "effect"
import { isOrderTerminal } from "../domain/events.ts"
import { shutdownIncomplete } from "../ops/shutdown-report.ts"
import type { FillPublisher } from "./fill-publisher.ts"
import type { MakerContext } from "./settings.ts"

/**
 * The quote's final state from the venue, its fills published; true once it is final (gone, or
 * unknown to the venue), false while it still shows open after about 3 s of asking.
 */
const flushQuote = (ctx: MakerContext, publisher: FillPublisher, clientOrderIndex: number) =>
  Effect.gen(function*() {
    const look = Effect.gen(function*() {
      const found = yield* ctx.venue.orderByClientIndex(ctx.marketId, clientOrderIndex).pipe(Effect.option)
      if (Option.isNone(found)) return false
      if (Option.isNone(found.value)) return true
      const u = found.value.value
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent: `discard` only changes the value returned, which is not used
      yield* Effect.forEach(ctx.tracker.onOrderUpdate(u, ctx.clock.wallMs()), publisher.publish, { discard: true })
      return isOrderTerminal(u.status)
    })
    return yield* look.pipe(Effect.repeat({ schedule: Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 14 })), until: (final) => final }))
  })

/** Registers A's shutdown in the current scope. */
export const onShutdown = (ctx: MakerContext, publisher: FillPublisher) =>
  Effect.addFinalizer(() =>
    Effect.gen(function*() {
      const { settings, venue, marketId } = ctx
      const s = yield* Ref.get(ctx.state)
      if (s.quote === undefined) return
      if (settings.cancelOnExit) {
        yield* Effect.logInfo("shutting down: cancelling the resting quote")
        yield* venue.cancel({ marketId, index: s.quote.orderIndex ?? String(s.quote.clientOrderIndex) }).pipe(
          Effect.timeout("3 seconds"),
          Effect.ignore
        )
      }
      const coi = s.quote.clientOrderIndex
      const final = yield* flushQuote(ctx, publisher, coi).pipe(
        Effect.timeout("5 seconds"),
        Effect.catchCause(() =>
          Effect.logWarning("could not read the quote's final state; A's next start catches up its fills").pipe(Effect.as(undefined))
        )
      )
      if (final === undefined) {
        yield* shutdownIncomplete(`A's quote (client order ${coi}): its final state could not be read, or its fills stored, within 5 s; A's next start catches up its fills`)
      } else if (!final && settings.cancelOnExit) {
        yield* shutdownIncomplete(`A's quote (client order ${coi}) may still rest on the venue: its cancel was not confirmed (the venue still shows it open, or could not be asked)`)
      }
    })
  )
