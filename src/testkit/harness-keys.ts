// API keys for the harnesses that start the embedded exchange and the engine (demo, bench, chaos):
// a fresh key pair per account on every run, its public key registered on the exchange, its
// private key handed to the engine's processes through the environment only — never argv, a
// config file or a log line.
import type { SimAccountOption } from "../sim/server.ts"
import { ACCOUNT_A_PRIVATE_KEY_ENV, ACCOUNT_B_PRIVATE_KEY_ENV } from "../config/secrets.ts"
import { bytesToHex, generateKeyPair } from "../venue/lighter/signing/index.ts"

/** The API key slot the demo configuration uses for both accounts. */
export const HARNESS_API_KEY_INDEX = 4

export interface HarnessAccountKey {
  readonly accountIndex: number
  /** 80 lowercase hex chars, no 0x. */
  readonly publicKeyHex: string
  /** "0x" + 80 hex chars: only ever passed on in an environment variable. */
  readonly privateKeyHex: string
}

export interface HarnessKeys {
  readonly a: HarnessAccountKey
  readonly b: HarnessAccountKey
}

const keyFor = (accountIndex: number): HarnessAccountKey => {
  const p = generateKeyPair()
  return { accountIndex, publicKeyHex: bytesToHex(p.publicKey), privateKeyHex: "0x" + bytesToHex(p.privateKey) }
}

/** New key pairs for accounts A and B (default 1 and 2, the demo's). */
export const generateHarnessKeys = (a = 1, b = 2): HarnessKeys => ({ a: keyFor(a), b: keyFor(b) })

/** SimOptions.accounts registering both public keys on API key slot 4. */
export const simAccountsWith = (keys: HarnessKeys, apiKeyIndex = HARNESS_API_KEY_INDEX): SimAccountOption[] =>
  [keys.a, keys.b].map((k) => ({ index: k.accountIndex, apiKeys: { [apiKeyIndex]: k.publicKeyHex } }))

/** The environment that gives process `role` (main-a or main-b) its own private key, and nothing else secret. */
export const keyEnvFor = (role: "a" | "b", keys: HarnessKeys): Record<string, string> =>
  role === "a" ? { [ACCOUNT_A_PRIVATE_KEY_ENV]: keys.a.privateKeyHex } : { [ACCOUNT_B_PRIVATE_KEY_ENV]: keys.b.privateKeyHex }
