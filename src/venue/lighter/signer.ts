// Builds and signs Lighter transactions (tx_info with Go field names, in struct order).
// SimulatorSigner: no cryptography — only the embedded exchange accepts its signatures (it does
// not verify any). The official Lighter signer plugs in behind the same interface.
import { Context, Effect, Layer } from "effect"

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

export interface SignedTx {
  readonly txType: number
  readonly txInfo: Record<string, unknown>
}

export interface SignerShape {
  readonly accountIndex: number
  readonly apiKeyIndex: number
  readonly createOrder: (f: CreateOrderFields, nonce: number) => Effect.Effect<SignedTx>
  readonly cancelOrder: (marketIndex: number, index: string, nonce: number) => Effect.Effect<SignedTx>
  readonly cancelAll: (nonce: number) => Effect.Effect<SignedTx>
  /** `deadline:account:key:signature` for private channels and endpoints. */
  readonly authToken: (deadlineSec: number) => Effect.Effect<string>
}

export class Signer extends Context.Service<Signer, SignerShape>()("hedgeflow/venue/lighter/Signer") {}

/** Transaction expiry Lighter's signer sets by default: now + 10 min − 1 s (ms). */
const expiredAt = () => Date.now() + 10 * 60_000 - 1000
const FAKE_SIG = Buffer.alloc(80).toString("base64")

export const SimulatorSigner = {
  layer: (o: { readonly accountIndex: number; readonly apiKeyIndex: number }) =>
    Layer.effect(
      Signer,
      Effect.gen(function*() {
        yield* Effect.logWarning(
          "using the simulator signer: transactions carry no real signature (only the embedded exchange accepts them)"
        )
        const common = (nonce: number) => ({ AccountIndex: o.accountIndex, ApiKeyIndex: o.apiKeyIndex })
        const tail = (nonce: number) => ({ ExpiredAt: expiredAt(), Nonce: nonce, Sig: FAKE_SIG, L2TxAttributes: null })
        return Signer.of({
          accountIndex: o.accountIndex,
          apiKeyIndex: o.apiKeyIndex,
          createOrder: (f, nonce) =>
            Effect.sync(() => ({
              txType: 14,
              txInfo: {
                ...common(nonce),
                MarketIndex: f.marketIndex,
                ClientOrderIndex: f.clientOrderIndex,
                BaseAmount: f.baseAmount,
                Price: f.price,
                IsAsk: f.isAsk ? 1 : 0,
                Type: f.type,
                TimeInForce: f.timeInForce,
                ReduceOnly: f.reduceOnly ? 1 : 0,
                TriggerPrice: 0,
                OrderExpiry: f.orderExpiry,
                ...tail(nonce)
              }
            })),
          cancelOrder: (marketIndex, index, nonce) =>
            Effect.sync(() => ({ txType: 15, txInfo: { ...common(nonce), MarketIndex: marketIndex, Index: Number(index), ...tail(nonce) } })),
          cancelAll: (nonce) =>
            Effect.sync(() => ({ txType: 16, txInfo: { ...common(nonce), TimeInForce: 0, Time: 0, ...tail(nonce) } })),
          authToken: (deadlineSec) => Effect.succeed(`${deadlineSec}:${o.accountIndex}:${o.apiKeyIndex}:${"0".repeat(160)}`)
        })
      })
    )
}
