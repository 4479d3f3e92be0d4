// Decodes tx_info JSON (Go field names, PROTOCOL.md §3.5) of tx types 14–17.
// Unknown keys are ignored here; Sig is checked afterwards, on `raw`, by verify.ts.
import { ErrorCode, SimError } from "./errors.ts"

export const TxType = { CreateOrder: 14, CancelOrder: 15, CancelAllOrders: 16, ModifyOrder: 17 } as const

export interface TxCommon {
  readonly accountIndex: number
  readonly apiKeyIndex: number
  readonly expiredAt: number
  readonly nonce: number
  /** L2TxAttributes (key → value), empty when null/absent. */
  readonly attributes: Readonly<Record<number, number>>
  /** The tx_info as received (JSON string); what the signature is verified on. */
  readonly raw: string
}

export interface CreateOrderTx extends TxCommon {
  readonly kind: "create"
  readonly txType: 14
  readonly marketIndex: number
  readonly clientOrderIndex: number
  readonly baseAmount: number
  readonly price: number
  readonly isAsk: boolean
  readonly orderType: number
  readonly timeInForce: number
  readonly reduceOnly: boolean
  readonly triggerPrice: number
  readonly orderExpiry: number
}
export interface CancelOrderTx extends TxCommon {
  readonly kind: "cancel"
  readonly txType: 15
  readonly marketIndex: number
  readonly index: number
}
export interface CancelAllTx extends TxCommon {
  readonly kind: "cancelAll"
  readonly txType: 16
  readonly timeInForce: number
  readonly time: number
}
export interface ModifyOrderTx extends TxCommon {
  readonly kind: "modify"
  readonly txType: 17
  readonly marketIndex: number
  readonly index: number
  readonly baseAmount: number
  readonly price: number
  readonly triggerPrice: number
}
export type DecodedTx = CreateOrderTx | CancelOrderTx | CancelAllTx | ModifyOrderTx

const bad = (why: string): SimError => new SimError(ErrorCode.InvalidTxInfo, `invalid tx info: ${why}`)

type Obj = Record<string, unknown>

const int = (o: Obj, key: string, fallback?: number): number => {
  const v = o[key]
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback
    throw bad(`missing ${key}`)
  }
  if (typeof v === "boolean") return v ? 1 : 0
  if (typeof v === "number" && Number.isSafeInteger(v)) return v
  if (typeof v === "string" && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v)
  throw bad(`${key} is not an integer`)
}

const flag = (o: Obj, key: string): boolean => {
  const n = int(o, key, 0)
  if (n !== 0 && n !== 1) throw bad(`${key} must be 0 or 1`)
  return n === 1
}

const attributes = (o: Obj): Record<number, number> => {
  const a = o["L2TxAttributes"]
  if (a === undefined || a === null) return {}
  if (typeof a !== "object" || Array.isArray(a)) throw bad("L2TxAttributes must be an object or null")
  const out: Record<number, number> = {}
  for (const [k, v] of Object.entries(a as Obj)) {
    if (!/^\d+$/.test(k) || typeof v !== "number" || !Number.isSafeInteger(v)) throw bad("bad L2TxAttributes entry")
    out[Number(k)] = v
  }
  return out
}

/** Parses `tx_info` (JSON string or already-parsed object) for `txType`. Throws SimError. */
export const decodeTx = (txType: number, txInfo: unknown): DecodedTx => {
  if (!Number.isInteger(txType)) throw new SimError(ErrorCode.UnsupportedTxType)
  let raw: string
  let o: Obj
  if (typeof txInfo === "string") {
    raw = txInfo
    if (!txInfo.trimStart().startsWith("{")) throw bad("not a JSON object")
    try {
      o = JSON.parse(txInfo) as Obj
    } catch {
      throw bad("not valid JSON")
    }
  } else if (typeof txInfo === "object" && txInfo !== null && !Array.isArray(txInfo)) {
    o = txInfo as Obj
    // A WS frame may carry tx_info as an object (the Python example sends json.loads(tx_info)).
    // It is re-serialised with JSON.stringify, not in Go field order: the verifier parses fields
    // by name, so order does not matter, but integers above 2^53 already lost precision when the
    // frame was parsed, and such a tx then does not verify (21120).
    raw = JSON.stringify(txInfo)
  } else {
    throw bad("missing tx_info")
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw bad("not a JSON object")
  if (txType !== 14 && txType !== 15 && txType !== 16 && txType !== 17) throw new SimError(ErrorCode.UnsupportedTxType)
  const common: TxCommon = {
    accountIndex: int(o, "AccountIndex"),
    apiKeyIndex: int(o, "ApiKeyIndex"),
    expiredAt: int(o, "ExpiredAt", 0),
    nonce: int(o, "Nonce"),
    attributes: attributes(o),
    raw
  }
  switch (txType) {
    case 14:
      return {
        ...common,
        kind: "create",
        txType,
        marketIndex: int(o, "MarketIndex"),
        clientOrderIndex: int(o, "ClientOrderIndex", 0),
        baseAmount: int(o, "BaseAmount"),
        price: int(o, "Price"),
        isAsk: flag(o, "IsAsk"),
        orderType: int(o, "Type", 0),
        timeInForce: int(o, "TimeInForce", 1),
        reduceOnly: flag(o, "ReduceOnly"),
        triggerPrice: int(o, "TriggerPrice", 0),
        orderExpiry: int(o, "OrderExpiry", 0)
      }
    case 15:
      return { ...common, kind: "cancel", txType, marketIndex: int(o, "MarketIndex"), index: int(o, "Index") }
    case 16:
      return { ...common, kind: "cancelAll", txType, timeInForce: int(o, "TimeInForce", 0), time: int(o, "Time", 0) }
    case 17:
      return {
        ...common,
        kind: "modify",
        txType,
        marketIndex: int(o, "MarketIndex"),
        index: int(o, "Index"),
        baseAmount: int(o, "BaseAmount"),
        price: int(o, "Price"),
        triggerPrice: int(o, "TriggerPrice", 0)
      }
  }
}
