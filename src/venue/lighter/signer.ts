// The Signer service: builds Lighter transactions and signs them with the account's API key
// (our own signer in ./signing: Poseidon2 + Schnorr over ECgFp5). It returns tx_info exactly as
// the official Go signer writes it, with the tx hash the venue will report.
//
// The private key is unwrapped from its Redacted only inside `LighterSigner.layer`, parsed once,
// and kept in this closure: no field of the service, no error and no log line carries it.
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { VenueError } from "../errors.ts"
import type { SignedTx, UnsignedTx } from "./signing/api.ts"
import { bytesToHex, CHAIN_ID, createAuthToken, parsePrivateKey, publicKeyOf, signTx } from "./signing/index.ts"

export type { SignedTx } from "./signing/api.ts"

export interface CreateOrderFields {
  readonly marketIndex: number
  readonly clientOrderIndex: number
  readonly baseAmount: number
  readonly price: number
  readonly isAsk: boolean
  /** 0 limit, 1 market */
  readonly type: 0 | 1
  /** 0 IOC, 1 GTT, 2 post-only */
  readonly timeInForce: 0 | 1 | 2
  readonly reduceOnly: boolean
  /** ms; 0 for IOC / market */
  readonly orderExpiry: number
}

export interface UpdateLeverageFields {
  readonly marketIndex: number
  /** e.g. 10 for 10×; the tx carries InitialMarginFraction = 10 000 / leverage (truncated) */
  readonly leverage: number
  readonly marginMode: "cross" | "isolated"
}

export interface SignerShape {
  readonly accountIndex: number
  readonly apiKeyIndex: number
  readonly chainId: number
  /** This key's public key (80 hex digits, no 0x): what the venue must have registered. Safe to print. */
  readonly publicKey: string
  readonly createOrder: (f: CreateOrderFields, nonce: number) => Effect.Effect<SignedTx, VenueError>
  /** `index`: a client order index (≤ 2^48−1) or an order index (up to 2^60: a bigint, never rounded). */
  readonly cancelOrder: (marketIndex: number, index: bigint, nonce: number) => Effect.Effect<SignedTx, VenueError>
  readonly cancelAll: (nonce: number) => Effect.Effect<SignedTx, VenueError>
  readonly updateLeverage: (f: UpdateLeverageFields, nonce: number) => Effect.Effect<SignedTx, VenueError>
  /** `deadline:account:key:signature` for private channels and endpoints. */
  readonly authToken: (deadlineSec: number) => Effect.Effect<string, VenueError>
}

export class Signer extends Context.Service<Signer, SignerShape>()("hedgeflow/venue/lighter/Signer") {}

/** The private key is missing or is not a Lighter API key: the process cannot sign. */
export class SignerKeyError extends Schema.TaggedError<SignerKeyError>()("SignerKeyError", {
  message: Schema.String
}) {}

/** Transaction lifetime the official signer uses: ExpiredAt = now + 10 min − 1 s. */
export const DEFAULT_TX_TTL_MS = 10 * 60_000 - 1000

/**
 * The chain id to sign for: the configured one, else what Lighter's SDK picks from the URL —
 * 300 for a testnet host, 304 (mainnet) for anything else, the embedded exchange included.
 */
export const chainIdFor = (baseUrl: string, configured: number | undefined): number => {
  if (configured !== undefined) return configured
  let host = ""
  try {
    host = new URL(baseUrl).hostname
  } catch {
    // not a URL: the default below
  }
  return /testnet/i.test(host) ? CHAIN_ID.testnet : CHAIN_ID.mainnet
}

/** Long hex runs never leave this module in a message (belt and braces: the signer's own messages carry no key). */
const clean = (text: string): string => text.replace(/(0x)?[0-9a-fA-F]{32,}/g, "<hex>")

const messageOf = (e: unknown): string => clean(e instanceof Error ? e.message : typeof e === "string" ? e : "signing failed")

export interface LighterSignerOptions {
  readonly accountIndex: number
  readonly apiKeyIndex: number
  readonly chainId: number
  /** The account's API private key (40 bytes as 80 hex digits, optional 0x). Undefined: the layer fails with `missingKeyHint`. */
  readonly privateKey: Redacted.Redacted<string> | undefined
  /** Where the key comes from, for messages, e.g. "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY (or accounts.account_a.private_key_file)". */
  readonly keySource: string
  /** The message when the key is missing (names what to set). */
  readonly missingKeyHint?: string
  /** ExpiredAt − now of every tx (default 10 min − 1 s, as the official signer). Tests use a negative one for an expired tx. */
  readonly txTtlMs?: number
}

/** Parses an API private key (or fails naming `keySource`, never echoing the key); returns it with its public key hex. */
export const parseKey = (privateKey: Redacted.Redacted<string>, keySource: string): Effect.Effect<{ readonly key: Uint8Array; readonly publicKey: string }, SignerKeyError> =>
  Effect.try({
    try: () => {
      const key = parsePrivateKey(Redacted.value(privateKey))
      return { key, publicKey: bytesToHex(publicKeyOf(key)) }
    },
    catch: (e) =>
      new SignerKeyError({
        message: `the private key in ${keySource} is not a Lighter API private key (${messageOf(e)}); expected 80 hex digits (40 bytes), with or without 0x`
      })
  })

export const makeLighterSigner = (o: LighterSignerOptions): Effect.Effect<SignerShape, SignerKeyError> =>
  Effect.gen(function*() {
    if (o.privateKey === undefined) {
      return yield* new SignerKeyError({ message: o.missingKeyHint ?? `no private key: set ${o.keySource}` })
    }
    const { key, publicKey } = yield* parseKey(o.privateKey, o.keySource)
    const ttl = o.txTtlMs ?? DEFAULT_TX_TTL_MS
    const header = (nonce: number) => ({ accountIndex: o.accountIndex, apiKeyIndex: o.apiKeyIndex, nonce, expiredAt: Date.now() + ttl })
    const sign = (op: string, tx: UnsignedTx): Effect.Effect<SignedTx, VenueError> =>
      Effect.try({
        try: () => signTx(key, o.chainId, tx),
        // Not sent: a definite refusal, so the nonce is kept for the next tx.
        catch: (e) => new VenueError({ op, kind: "rejected", message: `cannot sign ${op}: ${messageOf(e)}` })
      })
    const shape: SignerShape = {
      accountIndex: o.accountIndex,
      apiKeyIndex: o.apiKeyIndex,
      chainId: o.chainId,
      publicKey,
      createOrder: (f, nonce) =>
        sign("createOrder", {
          type: "createOrder",
          ...header(nonce),
          marketIndex: f.marketIndex,
          clientOrderIndex: f.clientOrderIndex,
          baseAmount: f.baseAmount,
          price: f.price,
          isAsk: f.isAsk,
          orderType: f.type,
          timeInForce: f.timeInForce,
          reduceOnly: f.reduceOnly,
          triggerPrice: 0,
          orderExpiry: f.orderExpiry
        }),
      cancelOrder: (marketIndex, index, nonce) => sign("cancelOrder", { type: "cancelOrder", ...header(nonce), marketIndex, index }),
      cancelAll: (nonce) => sign("cancelAllOrders", { type: "cancelAllOrders", ...header(nonce), timeInForce: 0, time: 0 }),
      updateLeverage: (f, nonce) =>
        Number.isFinite(f.leverage) && f.leverage >= 1
          ? sign("updateLeverage", {
            type: "updateLeverage",
            ...header(nonce),
            marketIndex: f.marketIndex,
            initialMarginFraction: Math.trunc(10_000 / f.leverage),
            marginMode: f.marginMode === "cross" ? 0 : 1
          })
          : Effect.fail(new VenueError({ op: "updateLeverage", kind: "rejected", message: `leverage must be at least 1, got ${f.leverage}` })),
      authToken: (deadlineSec) =>
        Effect.try({
          try: () => createAuthToken(key, o.accountIndex, o.apiKeyIndex, deadlineSec),
          catch: (e) => new VenueError({ op: "authToken", kind: "rejected", message: `cannot sign an auth token: ${messageOf(e)}` })
        })
    }
    return shape
  })

export const LighterSigner = {
  layer: (o: LighterSignerOptions): Layer.Layer<Signer, SignerKeyError> => Layer.effect(Signer, makeLighterSigner(o).pipe(Effect.map((s) => Signer.of(s))))
}
