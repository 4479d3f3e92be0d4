// API key material: parsing, derivation and generation. A Lighter API private key is a 40-byte
// little-endian scalar, written as 80 hex chars (usually 0x-prefixed); its public key is the
// 40-byte encoding of sk·G (lighter-go client.GenerateAPIKey). Errors never echo key material.
import type { KeyPair } from "./api.ts"
import * as Schnorr from "./schnorr.ts"
import * as S from "./scalar.ts"

export class KeyFormatError extends Error {
  readonly _tag = "KeyFormatError"
}

const HEX80 = /^(0x)?[0-9a-fA-F]{80}$/

export const hexToBytes = (s: string): Uint8Array => {
  const h = s.trim().replace(/^0x/i, "")
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new KeyFormatError("not an even-length hex string")
  return new Uint8Array(Buffer.from(h, "hex"))
}

export const bytesToHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

/** A private key from hex (optional 0x, 80 hex chars = 40 bytes). The message never contains the key. */
export const parsePrivateKey = (hex: string): Uint8Array => {
  const t = hex.trim()
  if (!HEX80.test(t)) {
    const len = t.replace(/^0x/i, "").length
    throw new KeyFormatError(
      `a Lighter API private key is 80 hex characters (40 bytes), optionally 0x-prefixed; got ${len} characters${/^(0x)?[0-9a-fA-F]*$/.test(t) ? "" : " with non-hex characters"}`
    )
  }
  const b = hexToBytes(t)
  if (S.fromBytes(b) === 0n) throw new KeyFormatError("the private key is zero modulo the group order")
  return b
}

export const parsePublicKey = (hex: string): Uint8Array => {
  const t = hex.trim()
  if (!HEX80.test(t)) throw new KeyFormatError("a Lighter API public key is 80 hex characters (40 bytes)")
  return hexToBytes(t)
}

export const publicKeyOf = (privateKey: Uint8Array): Uint8Array => Schnorr.publicKey(S.fromBytes(privateKey))

export const generateKeyPair = (): KeyPair => {
  const sk = Schnorr.randomScalar()
  const privateKey = S.toBytes(sk)
  return { privateKey, publicKey: Schnorr.publicKey(sk) }
}
