// The signer's public surface (what the venue adapter, the simulator and the CLI use).
// Implementations live beside this file: goldilocks.ts, quintic.ts, poseidon2.ts, curve.ts,
// scalar.ts, schnorr.ts, tx.ts, auth.ts, keys.ts. Import from "./index.ts".

/** An integer field of a transaction: number when it fits 2^53, bigint above (order indexes reach 2^60). */
export type Int = number | bigint

/** Lighter chain ids (PROTOCOL.md Appendix A.1): mainnet 304, testnet 300. */
export const CHAIN_ID = { mainnet: 304, testnet: 300 } as const

/**
 * L2TxAttributes as written into tx_info (lighter-go types/txtypes/tx_attributes.go):
 * 1 integrator account, 2 integrator taker fee, 3 integrator maker fee, 4 skip-nonce,
 * 5 cancel-all market index, 6 self-trade behaviour, 7 self-trade equality.
 * Emitted exactly as given (keys ascending); empty or absent → `null`.
 */
export type TxAttributes = Readonly<Partial<Record<1 | 2 | 3 | 4 | 5 | 6 | 7, number>>>

export interface TxHeader {
  readonly accountIndex: Int
  readonly apiKeyIndex: number
  readonly nonce: Int
  /** ms since epoch; the official signer uses now + 10 min − 1 s */
  readonly expiredAt: Int
  readonly attributes?: TxAttributes
}

export type UnsignedTx =
  | (TxHeader & {
    readonly type: "createOrder"
    readonly marketIndex: number
    readonly clientOrderIndex: Int
    readonly baseAmount: Int
    readonly price: number
    readonly isAsk: boolean
    /** 0 limit, 1 market, … */
    readonly orderType: number
    /** 0 IOC, 1 GTT, 2 post-only */
    readonly timeInForce: number
    readonly reduceOnly: boolean
    readonly triggerPrice: number
    readonly orderExpiry: Int
  })
  | (TxHeader & { readonly type: "cancelOrder"; readonly marketIndex: number; readonly index: Int })
  | (TxHeader & { readonly type: "cancelAllOrders"; readonly timeInForce: number; readonly time: Int })
  | (TxHeader & {
    readonly type: "modifyOrder"
    readonly marketIndex: number
    readonly index: Int
    readonly baseAmount: Int
    readonly price: number
    readonly triggerPrice: number
  })
  | (TxHeader & {
    readonly type: "updateLeverage"
    readonly marketIndex: number
    /** 10 000 / leverage */
    readonly initialMarginFraction: number
    /** 0 cross, 1 isolated */
    readonly marginMode: number
  })
  | (TxHeader & {
    readonly type: "approveIntegrator"
    readonly integratorAccountIndex: Int
    readonly maxPerpsTakerFee: number
    readonly maxPerpsMakerFee: number
    readonly maxSpotTakerFee: number
    readonly maxSpotMakerFee: number
    readonly approvalExpiry: Int
    readonly l1Sig: string
  })

export interface SignedTx {
  readonly txType: number
  /** tx_info JSON exactly as lighter-go's encoding/json writes it (Go field names, struct order). */
  readonly txInfo: string
  /** The signed message hash, 80 lowercase hex chars (equals the venue's tx_hash). */
  readonly txHash: string
}

export type TxVerdict =
  | { readonly ok: true; readonly txHash: string }
  | { readonly ok: false; readonly reason: "malformed" | "unsupported-type" | "bad-signature"; readonly detail: string }

export type AuthVerdict =
  | { readonly ok: true; readonly deadline: number; readonly accountIndex: number; readonly apiKeyIndex: number }
  | { readonly ok: false; readonly reason: "malformed" | "unknown-key" | "bad-signature" | "expired"; readonly detail: string }

export interface KeyPair {
  /** 40 bytes, little-endian scalar (Lighter's API private key). */
  readonly privateKey: Uint8Array
  /** 40 bytes, the encoded curve point (what /api/v1/apikeys shows as public_key hex). */
  readonly publicKey: Uint8Array
}
