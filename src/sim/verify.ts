// What the venue checks of a transaction before its nonce: the API key is registered for
// (account, api_key_index), ExpiredAt is within bounds, and Sig verifies under that key with the
// simulator's chain id. Counts what it verified and refused. (Auth tokens for private channels and
// reads are checked in auth.ts, against the same registered keys.)
import { verifyTxInfo } from "../venue/lighter/signing/index.ts"
import type { Account } from "./accounts.ts"
import { ErrorCode, SimError } from "./errors.ts"
import type { DecodedTx } from "./tx-decode.ts"

/** Mainnet's chain id: the official Python SDK signs with 304 for any URL other than testnet's (PROTOCOL.md §3.2). */
export const DEFAULT_CHAIN_ID = 304

/**
 * How far in the future `ExpiredAt` may be. The official signer always writes now + 10 min − 1 s
 * and its C/WASM entry points cannot change that (PROTOCOL.md Appendix A.1); the venue's own upper
 * bound is not published. One hour accepts the signer's value with generous room for clock skew
 * between client and simulator (and for signers that pick a longer window), while a tx that would
 * stay replayable for hours or days (e.g. ExpiredAt in seconds×1000 gone wrong, or "never") is
 * refused like the venue refuses an out-of-range expiry: 21711.
 */
export const MAX_EXPIRY_AHEAD_MS = 60 * 60 * 1000

export interface SignatureStats {
  /** Txs whose signature verified (they may still be refused later, e.g. by the nonce check). */
  readonly verified: number
  /** Txs refused by the verification step (unknown key, expiry, signature, unparsable for the signer). */
  readonly rejected: number
  /** Refusals by error code, e.g. {"21120": 2, "21109": 1}. */
  readonly byCode: Readonly<Record<string, number>>
}

export class TxVerifier {
  readonly chainId: number
  private verified = 0
  private rejected = 0
  private readonly byCode = new Map<number, number>()

  constructor(chainId: number = DEFAULT_CHAIN_ID) {
    if (!Number.isSafeInteger(chainId) || chainId < 0) throw new Error(`invalid chain id ${chainId}`)
    this.chainId = chainId
  }

  /**
   * Checks each tx of a batch in order — key registered (21109), then ExpiredAt (21711), then
   * signature (21120) — and returns the signer's tx hashes. Throws SimError at the first refusal
   * (a batch is all-or-nothing; the txs after the refused one are not examined or counted).
   * A wrong chain id is not detectable as such: the hash differs, so the signature is invalid —
   * the venue answers the same (lighter-go issue #19).
   */
  verify(acc: Account, txs: readonly DecodedTx[], nowMs: number): string[] {
    return txs.map((tx) => {
      const key = acc.apiKeys.get(tx.apiKeyIndex)
      if (key === undefined) throw this.refuse(new SimError(ErrorCode.ApiKeyNotFound))
      // ExpiredAt is ms since epoch; 0 (absent) is in the past.
      if (tx.expiredAt < nowMs || tx.expiredAt > nowMs + MAX_EXPIRY_AHEAD_MS) {
        throw this.refuse(new SimError(ErrorCode.InvalidExpiry))
      }
      // `raw` is the tx_info string as received (REST, and WS when tx_info is a string). When a
      // WS frame carries tx_info as an object it is JSON.stringify'd (tx-decode.ts): integers above
      // 2^53 have then already lost precision in JSON.parse and such a tx does not verify.
      const verdict = verifyTxInfo(this.chainId, tx.txType, tx.raw, key.bytes)
      if (verdict.ok) {
        this.verified++
        return verdict.txHash
      }
      switch (verdict.reason) {
        case "bad-signature":
          throw this.refuse(new SimError(ErrorCode.InvalidSignature))
        case "unsupported-type":
          throw this.refuse(new SimError(ErrorCode.UnsupportedTxType))
        case "malformed":
          // The signer could not read the tx (e.g. Sig missing, not base64, not 80 bytes; a field
          // out of range). The venue's Go JSON decoder refuses such a tx_info as invalid tx info.
          throw this.refuse(new SimError(ErrorCode.InvalidTxInfo, `invalid tx info: ${verdict.detail}`))
      }
    })
  }

  stats(): SignatureStats {
    return {
      verified: this.verified,
      rejected: this.rejected,
      byCode: Object.fromEntries([...this.byCode].sort((a, b) => a[0] - b[0]).map(([c, n]) => [String(c), n]))
    }
  }

  private refuse(e: SimError): SimError {
    this.rejected++
    this.byCode.set(e.code, (this.byCode.get(e.code) ?? 0) + 1)
    return e
  }
}
