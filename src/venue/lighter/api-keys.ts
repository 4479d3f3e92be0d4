// The public key Lighter has registered for an (account, API key index): `GET /api/v1/apikeys`.
// An empty slot reports 80 zeros (PROTOCOL.md §1.4); an empty list, a missing slot, an empty
// key or 21109 "api key not found" mean the same: nothing registered there.
import { Effect, Option, Schema } from "effect"
import type { VenueError } from "../errors.ts"
import { getJson, type HttpOptions } from "./http.ts"

export const WireApiKeysReply = Schema.Struct({
  code: Schema.Number,
  api_keys: Schema.optional(Schema.Array(Schema.Struct({
    account_index: Schema.optional(Schema.Number),
    api_key_index: Schema.Number,
    public_key: Schema.optional(Schema.NullOr(Schema.String))
  })))
})

/** Lower case, without 0x: the form keys are compared in. */
export const normalizeKeyHex = (hex: string): string => hex.trim().replace(/^0x/i, "").toLowerCase()

/** The registered public key (normalized hex), or None when the slot is empty. */
export const fetchRegisteredKey = (
  http: HttpOptions,
  accountIndex: number,
  apiKeyIndex: number
): Effect.Effect<Option.Option<string>, VenueError> =>
  getJson(http, "apikeys", "apikeys", { account_index: accountIndex, api_key_index: apiKeyIndex }, WireApiKeysReply).pipe(
    Effect.map((r) => {
      const slot = (r.api_keys ?? []).find((k) => k.api_key_index === apiKeyIndex)
      const key = slot?.public_key === undefined || slot.public_key === null ? "" : normalizeKeyHex(slot.public_key)
      return key === "" || /^0+$/.test(key) ? Option.none<string>() : Option.some(key)
    }),
    Effect.catchIf((e) => e.code === 21109, () => Effect.succeed(Option.none<string>()))
  )

export type KeyComparison =
  | { readonly _tag: "Match" }
  | { readonly _tag: "Mismatch"; readonly registered: string }
  | { readonly _tag: "NotRegistered" }

/** Compares our public key with what the venue has registered for the slot. */
export const compareKeys = (ours: string, registered: Option.Option<string>): KeyComparison =>
  Option.isNone(registered)
    ? { _tag: "NotRegistered" }
    : registered.value === normalizeKeyHex(ours)
    ? { _tag: "Match" }
    : { _tag: "Mismatch", registered: registered.value }
