// Auth tokens for private channels and REST reads (PROTOCOL.md §3.6: "deadline:account:key:sig",
// lifetime at most 8 h on the venue). REST reads reuse one token until a quarter of its life
// remains; each (re)subscription gets a fresh one, so a subscription renewed after 3/4 of a life
// always holds a token with a whole life ahead. Minting costs one Schnorr signature (~0.3 ms).
import { Effect } from "effect"
import type { VenueError } from "../errors.ts"
import type { SignerShape } from "./signer.ts"

/** The venue refuses tokens that live longer than 8 hours (PROTOCOL.md §3.6, NT LIGHTER_AUTH_TOKEN_MAX_TTL). */
export const MAX_AUTH_TTL_SEC = 8 * 3600
/** Our default: one hour, renewed after 45 minutes. */
export const DEFAULT_AUTH_TTL_SEC = 3600

export interface AuthTokens {
  /** A token with at least a quarter of its life left. */
  readonly current: Effect.Effect<string, VenueError>
  /** A new token with a whole life, for callbacks outside Effect (a WebSocket subscribe); throws. */
  readonly freshSync: () => string
  /** Forgets the token (the venue refused it: the next call mints a new one). */
  readonly invalidate: () => void
  /** How often a long-lived subscription must be renewed with a fresh token. */
  readonly renewEveryMs: number
}

export const makeAuthTokens = (signer: Pick<SignerShape, "authToken">, ttlSec: number = DEFAULT_AUTH_TTL_SEC): AuthTokens => {
  const ttl = Math.max(4, Math.min(MAX_AUTH_TTL_SEC, Math.floor(ttlSec)))
  let token: { readonly text: string; readonly deadlineSec: number } | undefined
  const current = Effect.suspend(() => {
    const nowSec = Math.floor(Date.now() / 1000)
    if (token !== undefined && token.deadlineSec - nowSec > ttl / 4) return Effect.succeed(token.text)
    const deadlineSec = nowSec + ttl
    return signer.authToken(deadlineSec).pipe(Effect.tap((text) => Effect.sync(() => void (token = { text, deadlineSec }))))
  })
  return {
    current,
    freshSync: () => Effect.runSync(signer.authToken(Math.floor(Date.now() / 1000) + ttl)),
    invalidate: () => void (token = undefined),
    renewEveryMs: Math.floor(ttl * 1000 * 0.75)
  }
}
