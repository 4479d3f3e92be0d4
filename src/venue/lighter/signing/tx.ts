// Lighter L2 transactions: the signed message hash and the tx_info JSON, per type
// (elliottech/lighter-go types/txtypes/{create_order,cancel_order,cancel_all_orders,modify_order,
// update_leverage,approve_integrator,tx_attributes}.go).
//
// Every type hashes [chainId, txType, Nonce, ExpiredAt, AccountIndex, ApiKeyIndex, …its fields]
// with Poseidon2 to one GF(p^5) element; when attributes carry a non-nil value, that hash is hashed
// again together with the attributes' hash. The 40 bytes of the result are both what is signed and
// the venue's tx_hash. tx_info is Go's encoding/json of the struct: Go field names in struct order,
// `Sig` as standard base64, then (approve integrator only) `L1Sig`, then `L2TxAttributes`.
import type { Int, SignedTx, TxAttributes, TxVerdict, UnsignedTx } from "./api.ts"
import * as F from "./goldilocks.ts"
import * as P2 from "./poseidon2.ts"
import * as Q from "./quintic.ts"
import * as Schnorr from "./schnorr.ts"
import * as S from "./scalar.ts"

export const TX_TYPE = {
  createOrder: 14,
  cancelOrder: 15,
  cancelAllOrders: 16,
  modifyOrder: 17,
  updateLeverage: 20,
  approveIntegrator: 45
} as const

type Kind = keyof typeof TX_TYPE

/** The type-specific fields, in struct (and hash) order: [Go field name, value]. */
type Fields = ReadonlyArray<readonly [string, Int | boolean]>

const FIELD_NAMES: Readonly<Record<Kind, ReadonlyArray<string>>> = {
  createOrder: [
    "MarketIndex",
    "ClientOrderIndex",
    "BaseAmount",
    "Price",
    "IsAsk",
    "Type",
    "TimeInForce",
    "ReduceOnly",
    "TriggerPrice",
    "OrderExpiry"
  ],
  cancelOrder: ["MarketIndex", "Index"],
  cancelAllOrders: ["TimeInForce", "Time"],
  modifyOrder: ["MarketIndex", "Index", "BaseAmount", "Price", "TriggerPrice"],
  updateLeverage: ["MarketIndex", "InitialMarginFraction", "MarginMode"],
  approveIntegrator: [
    "IntegratorAccountIndex",
    "MaxPerpsTakerFee",
    "MaxPerpsMakerFee",
    "MaxSpotTakerFee",
    "MaxSpotMakerFee",
    "ApprovalExpiry"
  ]
}

const KIND_OF_TYPE = new Map<number, Kind>(Object.entries(TX_TYPE).map(([k, v]) => [v, k as Kind]))

const fieldsOf = (tx: UnsignedTx): Fields => {
  switch (tx.type) {
    case "createOrder":
      return [
        ["MarketIndex", tx.marketIndex],
        ["ClientOrderIndex", tx.clientOrderIndex],
        ["BaseAmount", tx.baseAmount],
        ["Price", tx.price],
        ["IsAsk", tx.isAsk],
        ["Type", tx.orderType],
        ["TimeInForce", tx.timeInForce],
        ["ReduceOnly", tx.reduceOnly],
        ["TriggerPrice", tx.triggerPrice],
        ["OrderExpiry", tx.orderExpiry]
      ]
    case "cancelOrder":
      return [["MarketIndex", tx.marketIndex], ["Index", tx.index]]
    case "cancelAllOrders":
      return [["TimeInForce", tx.timeInForce], ["Time", tx.time]]
    case "modifyOrder":
      return [
        ["MarketIndex", tx.marketIndex],
        ["Index", tx.index],
        ["BaseAmount", tx.baseAmount],
        ["Price", tx.price],
        ["TriggerPrice", tx.triggerPrice]
      ]
    case "updateLeverage":
      return [
        ["MarketIndex", tx.marketIndex],
        ["InitialMarginFraction", tx.initialMarginFraction],
        ["MarginMode", tx.marginMode]
      ]
    case "approveIntegrator":
      return [
        ["IntegratorAccountIndex", tx.integratorAccountIndex],
        ["MaxPerpsTakerFee", tx.maxPerpsTakerFee],
        ["MaxPerpsMakerFee", tx.maxPerpsMakerFee],
        ["MaxSpotTakerFee", tx.maxSpotTakerFee],
        ["MaxSpotMakerFee", tx.maxSpotMakerFee],
        ["ApprovalExpiry", tx.approvalExpiry]
      ]
  }
}

const big = (v: Int | boolean): bigint => (typeof v === "boolean" ? (v ? 1n : 0n) : BigInt(v))

// ───────────── attributes (tx_attributes.go) ─────────────

/** The value that means "absent" per attribute type (5: cancel-all market index, nil = 255). */
const ATTRIBUTE_NIL: Readonly<Record<number, number>> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 255, 6: 0, 7: 0 }
const ATTRIBUTES_PER_TX = 4

const attributeEntries = (a: TxAttributes | undefined): Array<[number, number]> =>
  Object.entries(a ?? {})
    .map(([k, v]) => [Number(k), v as number] as [number, number])
    .sort((x, y) => x[0] - y[0])

/** The attributes' contribution to the hash, or undefined when every value is nil. */
const attributesHash = (a: TxAttributes | undefined): Q.Fp5 | undefined => {
  const live = attributeEntries(a).filter(([k, v]) => v !== ATTRIBUTE_NIL[k])
  if (live.length === 0) return undefined
  if (live.length > ATTRIBUTES_PER_TX) throw new RangeError(`at most ${ATTRIBUTES_PER_TX} transaction attributes`)
  const pairs: bigint[] = []
  for (let i = 0; i < ATTRIBUTES_PER_TX; i++) {
    const e = live[i]
    pairs.push(e === undefined ? 0n : BigInt(e[0]), e === undefined ? 0n : BigInt(e[1]))
  }
  return P2.hashToQuintic(P2.elements(pairs), pairs.length)
}

// ───────────── hash ─────────────

const hashElements = (chainId: number, txType: number, header: HeaderValues, fields: ReadonlyArray<bigint>): Float64Array => {
  const xs = [BigInt(chainId), BigInt(txType), header.nonce, header.expiredAt, header.accountIndex, header.apiKeyIndex, ...fields]
  // Go feeds each int64 as GoldilocksField(uint64(x)); fromInt64 reduces that mod p
  const out = new Float64Array(2 * xs.length)
  xs.forEach((x, i) => {
    const e = F.fromInt64(x)
    out[2 * i] = e.lo
    out[2 * i + 1] = e.hi
  })
  return out
}

interface HeaderValues {
  readonly accountIndex: bigint
  readonly apiKeyIndex: bigint
  readonly nonce: bigint
  readonly expiredAt: bigint
}

/** The message hash of a transaction (what is signed, and the tx_hash). */
const messageHash = (
  chainId: number,
  txType: number,
  header: HeaderValues,
  fields: ReadonlyArray<bigint>,
  attributes: TxAttributes | undefined
): Q.Fp5 => {
  const els = hashElements(chainId, txType, header, fields)
  const txHash = P2.hashToQuintic(els, els.length / 2, Q.make())
  const attr = attributesHash(attributes)
  if (attr === undefined) return txHash
  const both = new Float64Array(20)
  both.set(txHash, 0)
  both.set(attr, 10)
  return P2.hashToQuintic(both, 10, Q.make())
}

export const hashTx = (chainId: number, tx: UnsignedTx): Uint8Array =>
  Q.toBytes(
    messageHash(
      chainId,
      TX_TYPE[tx.type],
      headerValues(tx),
      fieldsOf(tx).map(([, v]) => big(v)),
      tx.attributes
    )
  )

const headerValues = (tx: UnsignedTx): HeaderValues => ({
  accountIndex: BigInt(tx.accountIndex),
  apiKeyIndex: BigInt(tx.apiKeyIndex),
  nonce: BigInt(tx.nonce),
  expiredAt: BigInt(tx.expiredAt)
})

// ───────────── tx_info JSON ─────────────

const jsonInt = (v: Int | boolean): string => big(v).toString()

const attributesJson = (a: TxAttributes | undefined): string => {
  const entries = attributeEntries(a)
  if (entries.length === 0) return "null"
  return "{" + entries.map(([k, v]) => `"${k}":${v}`).join(",") + "}"
}

export const txInfoJson = (tx: UnsignedTx, sig: Uint8Array): string => {
  const parts = [`"AccountIndex":${jsonInt(tx.accountIndex)}`, `"ApiKeyIndex":${jsonInt(tx.apiKeyIndex)}`]
  for (const [name, v] of fieldsOf(tx)) parts.push(`"${name}":${jsonInt(v)}`)
  parts.push(`"ExpiredAt":${jsonInt(tx.expiredAt)}`, `"Nonce":${jsonInt(tx.nonce)}`, `"Sig":"${Buffer.from(sig).toString("base64")}"`)
  if (tx.type === "approveIntegrator") parts.push(`"L1Sig":${JSON.stringify(tx.l1Sig)}`)
  parts.push(`"L2TxAttributes":${attributesJson(tx.attributes)}`)
  return "{" + parts.join(",") + "}"
}

// ───────────── sign and verify ─────────────

/** Signs a transaction with a private key (40 bytes) for a chain. */
export const signTx = (privateKey: Uint8Array, chainId: number, tx: UnsignedTx): SignedTx => {
  const m = messageHash(chainId, TX_TYPE[tx.type], headerValues(tx), fieldsOf(tx).map(([, v]) => big(v)), tx.attributes)
  const sig = Schnorr.signHashed(m, S.fromBytes(privateKey))
  return { txType: TX_TYPE[tx.type], txInfo: txInfoJson(tx, sig), txHash: Buffer.from(Q.toBytes(m)).toString("hex") }
}

/** JSON.parse that keeps integers above 2^53 exact (as bigint), using the reviver's source text. */
export const parseJsonExact = (text: string): unknown =>
  JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value
  )

const malformed = (detail: string): TxVerdict => ({ ok: false, reason: "malformed", detail })

const intOf = (o: Record<string, unknown>, key: string): bigint | string => {
  const v = o[key]
  if (v === undefined || v === null) return 0n // Go decodes a missing field as zero
  if (typeof v === "bigint") return v
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v)
  if (typeof v === "boolean") return v ? 1n : 0n
  return `${key} is not an integer`
}

/**
 * Checks a received tx_info (JSON text) of `txType`: recomputes its message hash for `chainId`
 * and verifies `Sig` under `publicKey`. Returns the tx_hash when the signature holds.
 */
export const verifyTxInfo = (chainId: number, txType: number, txInfo: string, publicKey: Uint8Array): TxVerdict => {
  const kind = KIND_OF_TYPE.get(txType)
  if (kind === undefined) return { ok: false, reason: "unsupported-type", detail: `tx type ${txType} is not verified here` }
  let o: unknown
  try {
    o = parseJsonExact(txInfo)
  } catch {
    return malformed("tx_info is not valid JSON")
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return malformed("tx_info is not a JSON object")
  const obj = o as Record<string, unknown>
  const read = (key: string): bigint | undefined => {
    const v = intOf(obj, key)
    return typeof v === "bigint" ? v : undefined
  }
  const header = {
    accountIndex: read("AccountIndex"),
    apiKeyIndex: read("ApiKeyIndex"),
    nonce: read("Nonce"),
    expiredAt: read("ExpiredAt")
  }
  for (const [k, v] of Object.entries(header)) if (v === undefined) return malformed(`${k} is not an integer`)
  const fields: bigint[] = []
  for (const name of FIELD_NAMES[kind]) {
    const v = read(name)
    if (v === undefined) return malformed(`${name} is not an integer`)
    fields.push(v)
  }
  const rawAttrs = obj["L2TxAttributes"]
  const attrs: Record<number, number> = {}
  if (rawAttrs !== undefined && rawAttrs !== null) {
    if (typeof rawAttrs !== "object" || Array.isArray(rawAttrs)) return malformed("L2TxAttributes must be an object or null")
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) {
      const type = Number(k)
      if (!/^[1-7]$/.test(k) || typeof v !== "number" || !Number.isSafeInteger(v)) return malformed(`bad L2TxAttributes entry "${k}"`)
      attrs[type] = v
    }
  }
  const sigText = obj["Sig"]
  if (typeof sigText !== "string") return malformed("Sig is missing")
  const sig = Buffer.from(sigText, "base64")
  if (sig.length !== 80) return { ok: false, reason: "bad-signature", detail: "Sig is not 80 bytes" }
  let m: Q.Fp5
  try {
    m = messageHash(chainId, txType, header as HeaderValues, fields, attrs as TxAttributes)
  } catch (e) {
    return malformed(e instanceof Error ? e.message : String(e))
  }
  if (!Schnorr.verifyHashed(publicKey, m, new Uint8Array(sig))) {
    return { ok: false, reason: "bad-signature", detail: "signature does not verify under the registered key for this chain id" }
  }
  return { ok: true, txHash: Buffer.from(Q.toBytes(m)).toString("hex") }
}
