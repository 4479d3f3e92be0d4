// The previous system's Redis contract, written from its own sources (gread-liu/Lighter-hedge at
// 9fb0943ea350b2d6a60dc3328af47b5242b9742f, paths under hedge_strategy/ unless the root), NOT from
// src/bus/legacy-messages.ts: what its readers expect is what our messages must decode as.
//
// parsePythonJson keeps JSON's number types apart, as Python's json.loads does: an integer
// literal becomes a bigint (every digit kept), a float literal ("1.0", "2e-05") a number. So
// `PyInt` accepts only what Python reads as an int, `PyFloat` only what it reads as a float.
import { Schema } from "effect"

export const PREVIOUS_COMMIT = "9fb0943ea350b2d6a60dc3328af47b5242b9742f"

export interface ParsedPythonJson {
  readonly value: unknown
  /** Keys of the top-level object, in the order of the text. */
  readonly keys: ReadonlyArray<string>
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { readonly source?: string }) => unknown

/** json.loads, with ints as bigint and floats as number. Throws on text that is not JSON. */
export const parsePythonJson = (text: string): ParsedPythonJson => {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === "number" && context?.source !== undefined && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value
  const value = JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]) as unknown
  return { value, keys: typeof value === "object" && value !== null ? Object.keys(value) : [] }
}

/** What json.dumps writes (redis_messenger.py:96 `json.dumps(message_data)`): ", " and ": " separators, ASCII only. */
export const looksLikeJsonDumps = (text: string): boolean =>
  /^[\x20-\x7e]*$/.test(text) && !/,"|":[^ ]/.test(text) && text.startsWith("{\"") && text.endsWith("}")

/** A Python int (json.loads → int). */
const PyInt = Schema.BigInt
/** A Python float (json.loads → float). */
const PyFloat = Schema.Number
const Side = Schema.Literals(["buy", "sell"])
const Digits = Schema.String.check(Schema.isPattern(/^\d+$/))
/** A decimal string without padding zeros ("0.0002", "109463.3"). */
const Unpadded = Schema.String.check(Schema.isPattern(/^(0|[1-9]\d*)(\.\d*[1-9])?$/))
/** A decimal string as Lighter's trade frames carry it (size "0.00020", usd_amount "22.231760", price "111158.8"). */
const VenueDecimal = Schema.String.check(Schema.isPattern(/^\d+\.\d+$/))

/**
 * hedge:account_a_filled — SYSTEM_STATUS.md:70-79 ("消息格式"), channel README.md:171 /
 * redis_messenger.py:16.
 */
export const DocumentedFillContract = Schema.Struct({
  /** SYSTEM_STATUS.md:72 — a JSON string ("844424550092697") */
  order_index: Digits,
  /** SYSTEM_STATUS.md:73 — int */
  client_order_index: PyInt,
  /** SYSTEM_STATUS.md:74 — int */
  market_index: PyInt,
  /** SYSTEM_STATUS.md:75 — "0.0002", no padding zeros */
  filled_base_amount: Unpadded,
  /** SYSTEM_STATUS.md:76 — "109463.3", the fill's price */
  avg_execution_price: Unpadded,
  /** SYSTEM_STATUS.md:77 */
  side: Side,
  /** SYSTEM_STATUS.md:78 — seconds as a float (1761216841.321) */
  timestamp: PyFloat
})
export const DOCUMENTED_FILL_KEYS = ["order_index", "client_order_index", "market_index", "filled_base_amount", "avg_execution_price", "side", "timestamp"]

/**
 * hedge:account_b_filled — channel README.md:172 / redis_messenger.py:17, publish_b_filled
 * redis_messenger.py:78-85 ("包含status字段（"success"或"failed"）"). The documented fields plus
 * `status`: account_b_manager.py:462 sets "success" last; :492 "failed"; account_a_manager.py:516-518
 * reads it ("success", else a failed hedge). "partial" is hedgeflow's (the previous B had none).
 */
export const DocumentedHedgeContract = Schema.Struct({
  ...DocumentedFillContract.fields,
  status: Schema.Literals(["success", "failed", "partial"])
})
export const DOCUMENTED_HEDGE_KEYS = [...DOCUMENTED_FILL_KEYS, "status"]

/**
 * hedge:{account_a_name}_to_{account_b_name} (redis_messenger.py:46) — A's fill:
 * create_filled_message, redis_messenger.py:190-199, as account_a_manager.py:784-799 fills it
 * from a WebSocket trade and :833-844 publishes it.
 */
export const PreviousFillContract = Schema.Struct({
  /** redis_messenger.py:191 — int (self.account_index) */
  account_index: PyInt,
  /** redis_messenger.py:192 — int */
  market_index: PyInt,
  /** redis_messenger.py:193 — int (the trade's ask_id / bid_id, account_a_manager.py:762-768) */
  order_index: PyInt,
  /** redis_messenger.py:194 ← trade['size'] (account_a_manager.py:785) */
  filled_base_amount: VenueDecimal,
  /** redis_messenger.py:195 ← trade['usd_amount'] (account_a_manager.py:787) */
  filled_quote_amount: VenueDecimal,
  /** redis_messenger.py:196 ← trade['price'] (account_a_manager.py:786) */
  avg_price: VenueDecimal,
  /** redis_messenger.py:197 — int(time.time()) */
  timestamp: PyInt,
  /** redis_messenger.py:198 ← the order's side (account_a_manager.py:169, :282) */
  side: Side
})
export const PREVIOUS_FILL_KEYS = ["account_index", "market_index", "order_index", "filled_base_amount", "filled_quote_amount", "avg_price", "timestamp", "side"]

/** hedge:{a}_to_{b} — main_A.py:533-540 (_send_close_signal_to_b); account_b_manager.py:70 reads `action`. */
export const PreviousCloseAllContract = Schema.Struct({
  /** main_A.py:534 */
  action: Schema.Literal("close_all"),
  /** main_A.py:535 — the market's name; account_b_manager.py:104 */
  market: Schema.String,
  /** main_A.py:536 — int; account_b_manager.py:105 */
  market_index: PyInt,
  /** main_A.py:537 — int(time.time()) */
  timestamp: PyInt
})
export const PREVIOUS_CLOSE_ALL_KEYS = ["action", "market", "market_index", "timestamp"]

/**
 * hedge:positions:{a}_{b}:{MARKET} (redis_messenger.py:247), one field per account name
 * (redis_messenger.py:289 HSET), written by main_A.py:198-205 (A, each loop) and main_B.py:255-262
 * (B, every 5 s, :268); value redis_messenger.py:272-286; read back by main_A.py:357-369.
 */
export const PreviousPositionContract = Schema.Struct({
  /** redis_messenger.py:273 */
  account_name: Schema.String,
  /** redis_messenger.py:274 — int */
  account_index: PyInt,
  /** redis_messenger.py:275 — float (Decimal converted, :241-242); |position| (utils.py get_positions) */
  size: PyFloat,
  /** redis_messenger.py:276 — int: 1 long, -1 short, 0 none */
  sign: Schema.Union([Schema.Literal(1n), Schema.Literal(-1n), Schema.Literal(0n)]),
  /** redis_messenger.py:277 */
  direction: Schema.Literals(["long", "short", "none"]),
  /** redis_messenger.py:278 — int, kept while size and sign are unchanged (:255-267) */
  timestamp: PyInt,
  /** redis_messenger.py:279 — market.upper() */
  market: Schema.String,
  /** redis_messenger.py:283-284 — only when known; Lighter's available_balance string (negative under water) */
  available_balance: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^-?\d+\.\d+$/)))
})
export const PREVIOUS_POSITION_KEYS = ["account_name", "account_index", "size", "sign", "direction", "timestamp", "market", "available_balance"]

/**
 * Decodes `text` with `schema` as Python would read it: exact key set (no extra key), keys in
 * `order` (json.dumps keeps the dict's order), json.dumps formatting. Throws with the reason.
 */
export const decodeContract = <T>(schema: Schema.Decoder<T>, order: ReadonlyArray<string>, text: string): T => {
  if (!looksLikeJsonDumps(text)) throw new Error(`not json.dumps text: ${text}`)
  const parsed = parsePythonJson(text)
  const expected = order.filter((k) => parsed.keys.includes(k))
  if (parsed.keys.join(",") !== expected.join(",")) throw new Error(`keys ${parsed.keys.join(",")}, expected in the order ${order.join(",")}: ${text}`)
  return Schema.decodeUnknownSync(schema)(parsed.value, { onExcessProperty: "error" })
}
