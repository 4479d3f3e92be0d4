// Our Lighter signer: Goldilocks field → GF(p^5) → ECgFp5 → Poseidon2 → Schnorr → transactions and
// auth tokens. Checked byte for byte against the official implementations' vectors
// (test/fixtures/signing/, provenance in its README).
export type { AuthVerdict, Int, KeyPair, SignedTx, TxAttributes, TxHeader, TxVerdict, UnsignedTx } from "./api.ts"
export { CHAIN_ID } from "./api.ts"
export { createAuthToken, verifyAuthToken } from "./auth.ts"
export { bytesToHex, generateKeyPair, hexToBytes, KeyFormatError, parsePrivateKey, parsePublicKey, publicKeyOf } from "./keys.ts"
export { hashTx, parseJsonExact, signTx, TX_TYPE, txInfoJson, verifyTxInfo } from "./tx.ts"
