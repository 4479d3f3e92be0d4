// Test keys and signing for the simulator, which verifies every tx: one generated key pair per
// (account, API key index), registered through SimOptions.accounts[].apiKeys (or at run time with
// sim.exchange.registerApiKey), and signTx with the simulator's chain id (304 unless told).
import { bytesToHex, CHAIN_ID, generateKeyPair, signTx } from "../../src/venue/lighter/signing/index.ts"
import type { KeyPair, SignedTx, UnsignedTx } from "../../src/venue/lighter/signing/api.ts"
import type { SimAccountOption } from "../../src/sim/server.ts"

/** The API key slot the engine and the tests use by default (config.yaml's api_key_index). */
export const TEST_API_KEY_INDEX = 4
export const SIM_CHAIN_ID: number = CHAIN_ID.mainnet

const pairs = new Map<string, KeyPair>()

/** The test key pair of (account, key index): generated on first use, then the same for the whole test file. */
export const simKeyPair = (account: number, keyIndex = TEST_API_KEY_INDEX): KeyPair => {
  const k = `${account}/${keyIndex}`
  let p = pairs.get(k)
  if (p === undefined) pairs.set(k, (p = generateKeyPair()))
  return p
}

/** The public key hex (80 chars, no 0x) the simulator should register for (account, key index). */
export const simPublicKeyHex = (account: number, keyIndex = TEST_API_KEY_INDEX): string =>
  bytesToHex(simKeyPair(account, keyIndex).publicKey)

/** The private key hex ("0x" + 80 chars), e.g. for HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY of a child process. */
export const simPrivateKeyHex = (account: number, keyIndex = TEST_API_KEY_INDEX): string =>
  "0x" + bytesToHex(simKeyPair(account, keyIndex).privateKey)

/**
 * SimOptions.accounts with the test keys of `keyIndexes` registered on every account (keys already
 * given in `apiKeys` win). Default: accounts 1 and 2, key index 4.
 */
export const withSimKeys = (
  accounts: readonly SimAccountOption[] = [{ index: 1 }, { index: 2 }],
  keyIndexes: readonly number[] = [TEST_API_KEY_INDEX]
): SimAccountOption[] =>
  accounts.map((a) => ({
    ...a,
    apiKeys: { ...Object.fromEntries(keyIndexes.map((k) => [k, simPublicKeyHex(a.index, k)])), ...(a.apiKeys ?? {}) }
  }))

/** Signs `tx` with the test key of its (account, key index). `chainId` defaults to the simulator's 304. */
export const signForSim = (tx: UnsignedTx, chainId: number = SIM_CHAIN_ID): SignedTx =>
  signTx(simKeyPair(Number(tx.accountIndex), tx.apiKeyIndex).privateKey, chainId, tx)

/** The tx_info of a signed tx as a plain object (all test values fit in 2^53). */
export const signedInfo = (tx: UnsignedTx, chainId?: number): Record<string, unknown> =>
  JSON.parse(signForSim(tx, chainId).txInfo) as Record<string, unknown>
