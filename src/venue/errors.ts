import { Schema } from "effect"

/**
 * Why a venue call failed. The kind decides what the caller may do:
 * - rejected:        the venue refused it (bad price, post-only would cross, …); do not retry as is
 * - rate-limited:    429 / 23000; retry after backing off
 * - invalid-nonce:   the nonce was stale; resync and retry
 * - unavailable:     could not reach the venue before sending; safe to retry
 * - unknown-outcome: sent, but no answer (timeout, dropped socket): resolve against the venue before resending
 */
export const VenueErrorKind = Schema.Literals(["rejected", "rate-limited", "invalid-nonce", "unavailable", "unknown-outcome"])
export type VenueErrorKind = typeof VenueErrorKind.Type

export class VenueError extends Schema.TaggedError<VenueError>()("VenueError", {
  op: Schema.String,
  kind: VenueErrorKind,
  /** Lighter's error code when the venue gave one (21xxx, 23000, …). */
  code: Schema.optional(Schema.Number),
  message: Schema.String
}) {
  get retryable(): boolean {
    return this.kind === "rate-limited" || this.kind === "invalid-nonce" || this.kind === "unavailable"
  }
}

/**
 * Lighter's answers to a transaction whose key, signature or expiry it refuses: 21109 api key not
 * found, 21120 invalid signature (also what a wrong chain id gives), 21711 invalid expiry, and
 * 21502, which the embedded exchange has used for an ExpiredAt in the past. Sending the same tx
 * again cannot help: they count as failures (kind "rejected"), never as something to retry.
 */
export const SIGNATURE_REFUSAL_CODES: ReadonlySet<number> = new Set([21109, 21120, 21711, 21502])

/** The venue refused the tx's key, signature or expiry (see SIGNATURE_REFUSAL_CODES). */
export const isSignatureRefusal = (e: VenueError): boolean => e.code !== undefined && SIGNATURE_REFUSAL_CODES.has(e.code)
