// Auth tokens for private channels and endpoints (lighter-go types/tx_request.go ConstructAuthToken):
//   message = "{deadline_unix_s}:{account_index}:{api_key_index}"
//   token   = message + ":" + hex(Schnorr signature of Poseidon2(message bytes, 8 per element, LE, zero-padded))
import type { AuthVerdict } from "./api.ts"
import * as P2 from "./poseidon2.ts"
import * as Q from "./quintic.ts"
import * as Schnorr from "./schnorr.ts"
import * as S from "./scalar.ts"

const messageHash = (message: string): Q.Fp5 => {
  const { data, n } = P2.elementsFromBytes(new TextEncoder().encode(message))
  return P2.hashToQuintic(data, n, Q.make())
}

export const createAuthToken = (privateKey: Uint8Array, accountIndex: number, apiKeyIndex: number, deadlineSec: number): string => {
  const message = `${deadlineSec}:${accountIndex}:${apiKeyIndex}`
  const sig = Schnorr.signHashed(messageHash(message), S.fromBytes(privateKey))
  return `${message}:${Buffer.from(sig).toString("hex")}`
}

const TOKEN = /^(\d{1,12}):(-?\d{1,16}):(\d{1,3}):([0-9a-f]{160})$/

/** Checks a token's form, deadline (against `nowSec`) and signature under the key `lookup` returns. */
export const verifyAuthToken = (
  token: string,
  lookup: (accountIndex: number, apiKeyIndex: number) => Uint8Array | undefined,
  nowSec: number
): AuthVerdict => {
  const m = TOKEN.exec(token)
  if (m === null) return { ok: false, reason: "malformed", detail: "expected deadline:account:api_key:signature(160 hex)" }
  const deadline = Number(m[1])
  const accountIndex = Number(m[2])
  const apiKeyIndex = Number(m[3])
  const pk = lookup(accountIndex, apiKeyIndex)
  if (pk === undefined) return { ok: false, reason: "unknown-key", detail: `no API key ${apiKeyIndex} registered for account ${accountIndex}` }
  const message = `${m[1]}:${m[2]}:${m[3]}`
  if (!Schnorr.verifyHashed(pk, messageHash(message), new Uint8Array(Buffer.from(m[4]!, "hex")))) {
    return { ok: false, reason: "bad-signature", detail: "the token's signature does not verify under the registered key" }
  }
  if (deadline <= nowSec) return { ok: false, reason: "expired", detail: `the token expired at ${deadline}` }
  return { ok: true, deadline, accountIndex, apiKeyIndex }
}
