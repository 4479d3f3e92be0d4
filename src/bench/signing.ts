// Signing speed per transaction type, and the simulator's verification, on this machine.
// Signing runs on the event loop: its p99 is also how long one signature can hold the loop.
import { createAuthToken, generateKeyPair, signTx, verifyTxInfo } from "../venue/lighter/signing/index.ts"
import type { UnsignedTx } from "../venue/lighter/signing/index.ts"

export interface SigningFigure {
  readonly name: string
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly samples: number
}

const quantile = (sorted: ReadonlyArray<number>, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

const measure = (name: string, samples: number, f: (i: number) => void): SigningFigure => {
  for (let i = 0; i < 200; i++) f(i) // warm-up: JIT and the generator's table
  const ts: number[] = []
  for (let i = 0; i < samples; i++) {
    const t = performance.now()
    f(i)
    ts.push(performance.now() - t)
  }
  ts.sort((a, b) => a - b)
  return { name, p50Ms: quantile(ts, 0.5), p99Ms: quantile(ts, 0.99), maxMs: ts[ts.length - 1]!, samples }
}

export const signingFigures = (samples = 2000): SigningFigure[] => {
  const { privateKey, publicKey } = generateKeyPair()
  const h = (i: number) => ({ accountIndex: 2, apiKeyIndex: 4, nonce: i, expiredAt: Date.now() + 599_000 })
  const txs: Array<[string, (i: number) => UnsignedTx]> = [
    ["create order (14)", (i) => ({
      type: "createOrder", ...h(i), marketIndex: 1, clientOrderIndex: 1_000_000 + i, baseAmount: 20, price: 1_094_633,
      isAsk: true, orderType: 1, timeInForce: 0, reduceOnly: false, triggerPrice: 0, orderExpiry: 0
    })],
    ["cancel order (15)", (i) => ({ type: "cancelOrder", ...h(i), marketIndex: 1, index: 281_474_976_710_656n + BigInt(i) })],
    ["cancel all (16)", (i) => ({ type: "cancelAllOrders", ...h(i), timeInForce: 0, time: 0 })],
    ["modify order (17)", (i) => ({ type: "modifyOrder", ...h(i), marketIndex: 1, index: 1_000_000 + i, baseAmount: 20, price: 1_094_633, triggerPrice: 0 })],
    ["update leverage (20)", (i) => ({ type: "updateLeverage", ...h(i), marketIndex: 1, initialMarginFraction: 500, marginMode: 0 })]
  ]
  const out = txs.map(([name, make]) => measure(`sign ${name}`, samples, (i) => void signTx(privateKey, 304, make(i))))
  out.push(measure("sign auth token", samples, (i) => void createAuthToken(privateKey, 2, 4, 1_800_000_000 + i)))
  const signed = Array.from({ length: 64 }, (_, i) => signTx(privateKey, 304, txs[0]![1](i)))
  out.push(measure("verify create order (simulator)", Math.min(samples, 1000), (i) => {
    const s = signed[i % signed.length]!
    if (!verifyTxInfo(304, 14, s.txInfo, publicKey).ok) throw new Error("bench: a signature did not verify")
  }))
  return out
}

export const formatSigningFigure = (f: SigningFigure): string =>
  `signing  ${f.name.padEnd(34)} p50 ${f.p50Ms.toFixed(3)} ms  p99 ${f.p99Ms.toFixed(3)} ms  max ${f.maxMs.toFixed(3)} ms  (${f.samples} samples)`
