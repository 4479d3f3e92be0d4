// Start-up check of bin/main-a and bin/main-b: the process's own account exists on the venue
// (GET /api/v1/account?by=index&value=N). A missing account is one clear line naming it, before
// the key check (whose answer for a missing account would only confuse).
import { Effect, Schema } from "effect"
import type { HedgeflowConfig } from "../config/load.ts"
import type { VenueError } from "../venue/errors.ts"
import { getJson } from "../venue/lighter/http.ts"
import type { Role } from "../domain/role.ts"

/** Lighter's "account not found". */
const ACCOUNT_NOT_FOUND = 21100

const WireAccountsReply = Schema.Struct({
  code: Schema.Number,
  accounts: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({ index: Schema.optional(Schema.Number) }))))
})

export class AccountCheckError extends Schema.TaggedError<AccountCheckError>()("AccountCheckError", { message: Schema.String }) {}

/** `answer`: the venue's own words, quoted in the message (`code 21100 "account not found"`). */
const missing = (role: Role, config: HedgeflowConfig, answer: string) => {
  const acc = config.accounts[role]
  return new AccountCheckError({
    message: `account ${role.toUpperCase()} (${acc.name}, index ${acc.accountIndex}) does not exist on the venue at ${config.venue.baseUrl}: ` +
      `check accounts.account_${role}.account_index (HEDGEFLOW_ACCOUNT_${role.toUpperCase()}_INDEX); the venue answered: ${answer}; refusing to start`
  })
}

/**
 * Fails with AccountCheckError when the venue does not know account `role`'s index; an unreachable
 * venue is returned as its VenueError (reported like every other start-up failure).
 */
export const ensureAccountExists = (role: Role, config: HedgeflowConfig): Effect.Effect<void, AccountCheckError | VenueError> =>
  Effect.gen(function*() {
    const index = config.accounts[role].accountIndex
    const reply = yield* getJson({ baseUrl: config.venue.baseUrl, timeoutMs: 5000 }, "account", "account", { by: "index", value: index }, WireAccountsReply).pipe(
      Effect.map((r) =>
        (r.accounts ?? []).some((a) => a.index === undefined || a.index === index)
          ? { found: true as const }
          : { found: false as const, answer: `no account with index ${index} in the reply` }
      ),
      Effect.catchIf(
        (e) => e.code === ACCOUNT_NOT_FOUND,
        (e) => Effect.succeed({ found: false as const, answer: `code ${e.code} "${e.message.slice(0, 200)}"` })
      )
    )
    if (!reply.found) return yield* missing(role, config, reply.answer)
  })
