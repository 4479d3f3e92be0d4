// A's transactions refused for their key, signature or expiry (21109, 21120, 21711), in a row:
// each logged as an error, and the pair halts once they persist (nothing is lost: a refused quote
// never rested). Any other outcome ends the run.
import { Effect, Ref } from "effect"
import { isSignatureRefusal, type VenueError } from "../venue/errors.ts"
import { haltPair } from "../safety/halt.ts"
import type { MakerContext } from "./settings.ts"


export const makeSignatureRefusals = (ctx: MakerContext) =>
  Effect.gen(function*() {
    const inARow = yield* Ref.make(0)
    const note = (what: string, e: VenueError) =>
      Effect.gen(function*() {
        if (!isSignatureRefusal(e)) return yield* Ref.set(inARow, 0)
        const n = yield* Ref.updateAndGet(inARow, (k) => k + 1)
        yield* Effect.logError(`${what} refused by the venue (${e.code}): ${e.message}`).pipe(
          Effect.annotateLogs({ account: ctx.venue.accountIndex, code: e.code ?? 0, refusedInARow: n })
        )
        const limit = ctx.settings.haltAfterSignatureRefusals ?? 0
        if (limit > 0 && n >= limit && (yield* ctx.pairState.tradingState()) === "ACTIVE") {
          yield* haltPair(
            `A's transactions refused ${n} times in a row (${e.code}): ${e.message}`,
            "After fixing the key: bin/hedge keys check, then bin/hedge resume"
          )
          yield* Ref.set(inARow, 0)
        }
      })
    return { note, accepted: Ref.set(inARow, 0) }
  })

export type SignatureRefusals = Effect.Success<ReturnType<typeof makeSignatureRefusals>>
