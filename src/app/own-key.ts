// Each account's API key against the venue's record: main-a and main-b check their own at start
// (and refuse on a mismatch or an empty slot); `bin/hedge keys check` shows both (cli/keys-command.ts).
// The public key is derived from the private key (HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY or
// accounts.account_x.private_key_file) and compared with what the venue has registered
// (GET /api/v1/apikeys?account_index=N&api_key_index=K). Private keys are read, parsed and
// dropped here; only public keys are ever printed.
import { Effect, Schema } from "effect"
import type { HedgeflowConfig } from "../config/load.ts"
import { compareKeys, fetchRegisteredKey } from "../venue/lighter/api-keys.ts"
import { parseKey } from "../venue/lighter/signer.ts"
import type { VenueError } from "../venue/errors.ts"
import type { Role } from "../domain/role.ts"
import { chainIdOf, keySourceOf, missingKeyAdvice, missingKeyMessage } from "./venue-layers.ts"

export type AccountKeyStatus =
  | { readonly _tag: "Match"; readonly publicKey: string }
  | { readonly _tag: "Mismatch"; readonly publicKey: string; readonly registered: string }
  | { readonly _tag: "NotRegistered"; readonly publicKey: string }
  | { readonly _tag: "KeyMissing" }
  | { readonly _tag: "BadKey"; readonly message: string }
  | { readonly _tag: "Unreachable"; readonly error: VenueError }

/** Where Lighter's own tools register a public key (we do not: that is an L1-signed transaction). */
export const REGISTER_HOW =
  "register it with Lighter's own tools — the official Python SDK's SignerClient.change_api_key (see its example " +
  "examples/system_setup.py in elliottech/lighter-python; it is signed with the account's Ethereum key) or the Lighter app"

const who = (role: Role, config: HedgeflowConfig) => {
  const acc = config.accounts[role]
  return `account ${role.toUpperCase()} (${acc.name}, index ${acc.accountIndex}, API key ${acc.apiKeyIndex})`
}

/** Compares account `role`'s key with the venue's registration. Never fails: every outcome is a status. */
export const accountKeyStatus = (role: Role, config: HedgeflowConfig): Effect.Effect<AccountKeyStatus> =>
  Effect.gen(function*() {
    const acc = config.accounts[role]
    if (acc.privateKey === undefined) return { _tag: "KeyMissing" } as const
    const parsed = yield* parseKey(acc.privateKey, keySourceOf(role, config)).pipe(Effect.result)
    if (parsed._tag === "Failure") return { _tag: "BadKey", message: parsed.failure.message } as const
    const publicKey = parsed.success.publicKey
    const registered = yield* fetchRegisteredKey({ baseUrl: config.venue.baseUrl, timeoutMs: 5000 }, acc.accountIndex, acc.apiKeyIndex).pipe(
      Effect.result
    )
    if (registered._tag === "Failure") return { _tag: "Unreachable", error: registered.failure } as const
    const c = compareKeys(publicKey, registered.success)
    return c._tag === "Match"
      ? { _tag: "Match", publicKey } as const
      : c._tag === "Mismatch"
      ? { _tag: "Mismatch", publicKey, registered: c.registered } as const
      : { _tag: "NotRegistered", publicKey } as const
  })

/** One line per account for `keys check`: match, mismatch, not registered, key missing (and what to do). */
export const describeKeyStatus = (role: Role, config: HedgeflowConfig, s: AccountKeyStatus): string => {
  const acc = config.accounts[role]
  const head = who(role, config)
  switch (s._tag) {
    case "Match":
      return `${head}: match — public key ${s.publicKey} is registered on ${config.venue.baseUrl}`
    case "Mismatch":
      return `${head}: MISMATCH — the venue has public key ${s.registered} in this slot, but the private key in ${keySourceOf(role, config)} ` +
        `belongs to ${s.publicKey}. Set the private key of the registered key, or ${REGISTER_HOW} for account ${acc.accountIndex}, API key ${acc.apiKeyIndex}`
    case "NotRegistered":
      return `${head}: NOT REGISTERED — the venue has no public key in this slot. Its private key's public key is ${s.publicKey}; ` +
        `${REGISTER_HOW} for account ${acc.accountIndex}, API key ${acc.apiKeyIndex}`
    case "KeyMissing":
      return `${head}: KEY MISSING — ${missingKeyAdvice(role, config)}`
    case "BadKey":
      return `${head}: BAD KEY — ${s.message}`
    case "Unreachable":
      return `${head}: UNKNOWN — cannot ask the venue at ${config.venue.baseUrl}: ${s.error.message}`
  }
}

/** Thrown into a start-up failure: the message is the one line the user sees. */
export class KeyCheckError extends Schema.TaggedError<KeyCheckError>()("KeyCheckError", { message: Schema.String }) {}

/**
 * What bin/main-a and bin/main-b do before trading: their own account's key must be the one the
 * venue has registered. A mismatch, an empty slot, a missing or malformed key is one clear line;
 * an unreachable venue is returned as its VenueError (reported like every other start-up failure).
 */
export const ensureOwnKey = (role: Role, config: HedgeflowConfig): Effect.Effect<void, KeyCheckError | VenueError> =>
  Effect.gen(function*() {
    const s = yield* accountKeyStatus(role, config)
    const acc = config.accounts[role]
    const head = who(role, config)
    const tail = "; refusing to trade (see `bin/hedge keys check`)"
    switch (s._tag) {
      case "Match":
        return yield* Effect.logInfo(`${head}: API key matches the venue's registration (public key ${s.publicKey}, chain id ${chainIdOf(config)})`)
      case "Unreachable":
        return yield* Effect.fail(s.error)
      case "KeyMissing":
        return yield* new KeyCheckError({ message: missingKeyMessage(role, config) })
      case "BadKey":
        return yield* new KeyCheckError({ message: `${head}: ${s.message}` })
      case "Mismatch":
        return yield* new KeyCheckError({
          message: `${head}: the private key in ${acc.privateKeyEnv} (or accounts.account_${role}.private_key_file) belongs to public key ${s.publicKey}, ` +
            `but the venue has ${s.registered} registered for this API key; set the matching private key, or register ${s.publicKey} with Lighter's tools${tail}`
        })
      case "NotRegistered":
        return yield* new KeyCheckError({
          message: `${head}: no API key is registered on the venue for this account and index; register public key ${s.publicKey} ` +
            `(of the private key in ${acc.privateKeyEnv}) with Lighter's tools, or set api_key_index to a registered key${tail}`
        })
    }
  })

// ---------------------------------------------------------------------------------------------
// bin/hedge keys
