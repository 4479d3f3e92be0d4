// The previous system's Redis contract (gread-liu/Lighter-hedge), published beside our streams so
// that what listened to it keeps working. Pure: the messages are built here, as finished JSON
// text, and handed to the Lua scripts that write the stream entries (src/bus/redis/RedisFillBus.ts)
// or to the legacy writer (src/bus/redis/LegacyMirror.ts).
//
// Two contracts, each switched on and off in config (`legacy.documented_channels`,
// `legacy.previous_channels`):
//
//   documented (hedge_strategy/SYSTEM_STATUS.md "消息格式", README.md "Redis消息格式" channels)
//     hedge:account_a_filled   A's fill
//     hedge:account_b_filled   B's hedge result, with `status`
//       {"order_index": "844424550092697", "client_order_index": 0, "market_index": 1,
//        "filled_base_amount": "0.0002", "avg_execution_price": "109463.3", "side": "buy",
//        "timestamp": 1761216841.321}
//
//   previous implementation (hedge_strategy/redis_messenger.py, main_A.py, account_a_manager.py)
//     hedge:{account_a_name}_to_{account_b_name}    A's fill (create_filled_message) and close_all
//     hedge:positions:{a}_{b}:{SYMBOL}               hash, field = account name, value = position JSON
//
// The text is what Python's json.dumps writes (the previous system's encoder): ", " and ": "
// separators, ASCII only (\uXXXX escapes), floats in Python's repr ("0.0002", "2e-05", "1.0"),
// ints as bare digits (order indexes beyond 2^53 keep every digit). Money stays integers until
// here: every decimal string is made from integer base units, ticks or micro-USDC, never a float.
import { Effect, Option, Schema, SchemaGetter, SchemaIssue } from "effect"
import { formatBase, formatPrice, formatScaled, type MarketSpec, notionalMicro, QUOTE_DECIMALS } from "../domain/market.ts"
import type { FillEvent, HedgeAttempt, HedgeResult, HedgeStatus } from "../domain/messages.ts"
import { SideSchema } from "../domain/messages.ts"
import { hedgeSideFor } from "../domain/side.ts"

// ---------------------------------------------------------------------------------------------
// Names

/** Documented channel of A's fills (README.md "Redis消息格式"). */
export const DOCUMENTED_A_CHANNEL = "hedge:account_a_filled"
/** Documented channel of B's results (README.md; redis_messenger.py CHANNEL_B_FILLED). */
export const DOCUMENTED_B_CHANNEL = "hedge:account_b_filled"

/** Which legacy messages to publish, and the account names the previous implementation's names use. */
export interface LegacyOptions {
  /** hedge:account_a_filled / hedge:account_b_filled */
  readonly documentedChannels: boolean
  /** hedge:{a}_to_{b} (fills, close_all) and hedge:positions:{a}_{b}:{SYMBOL} */
  readonly previousChannels: boolean
  /** accounts.account_a.account_name (the previous system's fallback: "account_a") */
  readonly accountAName: string
  /** accounts.account_b.account_name (the previous system's fallback: "account_b") */
  readonly accountBName: string
}

/** redis_messenger.py RedisMessenger.__init__: f"hedge:{account_a_name}_to_{account_b_name}". */
export const previousChannel = (o: Pick<LegacyOptions, "accountAName" | "accountBName">): string =>
  `hedge:${o.accountAName}_to_${o.accountBName}`

/** redis_messenger.py update_position: f"hedge:positions:{a}_{b}:{market.upper()}". */
export const previousPositionsKey = (o: Pick<LegacyOptions, "accountAName" | "accountBName">, symbol: string): string =>
  `hedge:positions:${o.accountAName}_${o.accountBName}:${symbol.toUpperCase()}`

// ---------------------------------------------------------------------------------------------
// Decimal text from integers

/**
 * `value` / 10^decimals as a decimal without padding zeros: "0.0002" (not "0.00020"),
 * "109463.3" (not "109463.30"), "109463" (not "109463.0"), "0".
 */
export const plainDecimal = (value: number | bigint, decimals: number): string => {
  const padded = formatScaled(value, decimals)
  if (!padded.includes(".")) return padded
  // Never "-0": formatScaled writes a sign only for a value that is not 0.
  return padded.replace(/0+$/, "").replace(/\.$/, "")
}

/**
 * num / den rounded half away from zero to `decimals` places, as a decimal without padding zeros.
 * den must be positive.
 */
export const plainDecimalOfRatio = (num: bigint, den: bigint, decimals: number): string => {
  if (den <= 0n) throw new RangeError(`plainDecimalOfRatio: denominator ${den} is not positive`)
  const scaled = num * 10n ** BigInt(decimals)
  // Stryker disable next-line EqualityOperator: equivalent: at 0 both signs round to 0
  const neg = scaled < 0n
  const abs = neg ? -scaled : scaled
  const q = (2n * abs + den) / (2n * den)
  return plainDecimal(neg ? -q : q, decimals)
}

// ---------------------------------------------------------------------------------------------
// Python's json.dumps, exactly

/**
 * repr(float) of Python 3 (what json.dumps writes for a float): the shortest digits that read
 * back as the same double (as JavaScript's), fixed notation when 1e-4 <= |x| < 1e16 (always with
 * a ".0" when whole), else exponent notation with a sign and at least two digits ("2e-05",
 * "1e+16"). NaN and infinities are refused: they are not JSON.
 */
export const pythonFloatRepr = (x: number): string => {
  if (!Number.isFinite(x)) throw new RangeError(`pythonFloatRepr: ${x} is not a finite number`)
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  // Stryker disable next-line EqualityOperator: equivalent: 0 has returned above
  const sign = x < 0 ? "-" : ""
  // Stryker disable next-line StringLiteral: equivalent: toExponential always writes both parts, the defaults are for the type checker
  const [mantissa = "", exponent = "0"] = Math.abs(x).toExponential().split("e")
  const digits = mantissa.replace(".", "")
  // Python's decpt: the value is 0.<digits> × 10^decpt.
  const decpt = Number(exponent) + 1
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`
  }
  const e = decpt - 1
  const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`
  // Stryker disable next-line EqualityOperator: equivalent: exponent 0 is written in fixed notation above
  return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\"": "\\\"",
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t"
}

/** A JSON string as Python's json.dumps writes it (ensure_ascii): every non-printable-ASCII unit as \uXXXX. */
export const pythonJsonString = (s: string): string => {
  let out = "\""
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    const code = s.charCodeAt(i)
    const short = SHORT_ESCAPES[ch]
    if (short !== undefined) out += short
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`
    else out += ch
  }
  return out + "\""
}

/** How the fields of one message are written: `floats` as Python floats, `ints` (digit strings) as bare integers. */
export interface PythonJsonLayout {
  readonly floats?: ReadonlyArray<string>
  readonly ints?: ReadonlyArray<string>
}

/**
 * json.dumps of a flat object, keys in the order given: strings, booleans, null, integers (safe
 * JavaScript integers, or digit strings named in `ints`), floats (numbers named in `floats`).
 */
export const pythonJsonObject = (value: Readonly<Record<string, unknown>>, keys: ReadonlyArray<string>, layout: PythonJsonLayout = {}): string => {
  const parts: Array<string> = []
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) continue
    const v = value[key]
    if (v === undefined) continue
    let text: string
    if (layout.floats?.includes(key) === true && typeof v === "number") text = pythonFloatRepr(v)
    else if (layout.ints?.includes(key) === true && typeof v === "string" && /^-?\d+$/.test(v)) text = v.replace(/^(-?)0+(?=\d)/, "$1")
    else if (typeof v === "string") text = pythonJsonString(v)
    else if (typeof v === "boolean") text = v ? "true" : "false"
    else if (v === null) text = "null"
    else if (Number.isSafeInteger(v)) text = String(v)
    else if (typeof v === "bigint") text = v.toString()
    else throw new TypeError(`pythonJsonObject: ${key}: ${String(v)} is neither an integer, a declared float nor a string`)
    parts.push(`${pythonJsonString(key)}: ${text}`)
  }
  return `{${parts.join(", ")}}`
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { readonly source?: string }) => unknown

/**
 * A Schema from JSON text to `schema`'s type, encoding as Python's json.dumps would (keys in the
 * schema's field order) and decoding integers named in `layout.ints` with every digit.
 */
export const PythonJson = <S extends Schema.Struct<Schema.Struct.Fields>>(schema: S, layout: PythonJsonLayout = {}) => {
  const keys = Object.keys(schema.fields)
  const ints = new Set(layout.ints)
  const reviver: Reviver = function(key, value, context) {
    return ints.has(key) && typeof value === "number" &&
        // Stryker disable next-line ConditionalExpression,OptionalChaining: equivalent on Node >= 22: JSON.parse passes a context with the source text for every primitive
        context?.source !== undefined
      ? context.source
      : value
  }
  return Schema.String.pipe(
    Schema.decodeTo(schema, {
      decode: SchemaGetter.transformEffect<S["Encoded"], string>((text) =>
        Effect.try({
          try: () => JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]) as S["Encoded"],
          catch: (e) => new SchemaIssue.InvalidValue({ message: `not JSON: ${e instanceof Error ? e.message : String(e)}` }, Option.some(text))
        })
      ),
      encode: SchemaGetter.transform<string, S["Encoded"]>((value) => pythonJsonObject(value as Readonly<Record<string, unknown>>, keys, layout))
    })
  )
}

// ---------------------------------------------------------------------------------------------
// Shapes

const NonNegInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A decimal without padding zeros: "0.0002", "109463.3", "109463", "0". */
const PlainDecimalString = Schema.String.check(Schema.isPattern(/^(0|[1-9]\d*)(\.\d*[1-9])?$/))
/** A decimal as the venue writes it, with the market's decimals: "0.00020", "22.231760". */
const VenueDecimalString = Schema.String.check(Schema.isPattern(/^\d+(\.\d+)?$/))
/** The same, possibly negative (an available balance can be). */
const SignedVenueDecimalString = Schema.String.check(Schema.isPattern(/^-?\d+(\.\d+)?$/))
/** An order index: digits (written as a bare integer where the previous code had an int). */
const OrderIndexString = Schema.String.check(Schema.isPattern(/^\d+$/))

/** The documented message of A's fill on hedge:account_a_filled (SYSTEM_STATUS.md "消息格式"). */
export const DocumentedFill = Schema.Struct({
  order_index: Schema.String,
  client_order_index: NonNegInt,
  market_index: NonNegInt,
  filled_base_amount: PlainDecimalString,
  avg_execution_price: PlainDecimalString,
  side: SideSchema,
  /** seconds, a float with milliseconds */
  timestamp: Schema.Finite
})
export type DocumentedFill = typeof DocumentedFill.Type

/**
 * The status words of B's result: the previous system's "success" / "failed"
 * (account_b_manager.py _notify_hedge_completed / _notify_hedge_result; main_A's reader treats
 * anything but "success" as a failed hedge) and our "partial".
 */
export const DocumentedHedgeStatus = Schema.Literals(["success", "partial", "failed"])
export type DocumentedHedgeStatus = typeof DocumentedHedgeStatus.Type

/** The documented message of B's result on hedge:account_b_filled: the same fields, plus `status`. */
export const DocumentedHedge = Schema.Struct({ ...DocumentedFill.fields, status: DocumentedHedgeStatus })
export type DocumentedHedge = typeof DocumentedHedge.Type

/** redis_messenger.py create_filled_message, as account_a_manager.py's WebSocket path fills it in. */
export const PreviousFill = Schema.Struct({
  account_index: NonNegInt,
  market_index: NonNegInt,
  /** an int in the previous code: written as bare digits */
  order_index: OrderIndexString,
  filled_base_amount: VenueDecimalString,
  filled_quote_amount: VenueDecimalString,
  avg_price: VenueDecimalString,
  /** int(time.time()) */
  timestamp: NonNegInt,
  side: SideSchema
})
export type PreviousFill = typeof PreviousFill.Type

/** main_A.py _send_close_signal_to_b. */
export const PreviousCloseAll = Schema.Struct({
  action: Schema.Literal("close_all"),
  market: Schema.String,
  market_index: NonNegInt,
  timestamp: NonNegInt
})
export type PreviousCloseAll = typeof PreviousCloseAll.Type

/** redis_messenger.py update_position: the value of one account's field in the positions hash. */
export const PreviousPosition = Schema.Struct({
  account_name: Schema.String,
  account_index: NonNegInt,
  /** |position| as a float */
  size: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  sign: Schema.Literals([1, -1, 0]),
  direction: Schema.Literals(["long", "short", "none"]),
  /** int(time.time()) of the last change of size or sign */
  timestamp: NonNegInt,
  market: Schema.String,
  /** the account's available balance in USDC, when it was read (negative when the account is under water) */
  available_balance: Schema.optionalKey(SignedVenueDecimalString)
})
export type PreviousPosition = typeof PreviousPosition.Type

export const DocumentedFillJson = PythonJson(DocumentedFill, { floats: ["timestamp"] })
export const DocumentedHedgeJson = PythonJson(DocumentedHedge, { floats: ["timestamp"] })
export const PreviousFillJson = PythonJson(PreviousFill, { ints: ["order_index"] })
export const PreviousCloseAllJson = PythonJson(PreviousCloseAll)
export const PreviousPositionJson = PythonJson(PreviousPosition, { floats: ["size"] })

// ---------------------------------------------------------------------------------------------
// Messages of our events

const secondsFloat = (ms: number): number => ms / 1000
const secondsInt = (ms: number): number => Math.max(0, Math.floor(ms / 1000))

/**
 * A's fill on hedge:account_a_filled: the fill's size and its execution price; the time A saw it
 * (its clock, in ms: the previous code's time.time() when it published; the venue's own times may
 * carry whole seconds only).
 */
export const documentedFill = (fill: FillEvent, market: MarketSpec): DocumentedFill => ({
  order_index: fill.orderIndex,
  client_order_index: fill.clientOrderIndex,
  market_index: fill.marketId,
  filled_base_amount: plainDecimal(fill.size, market.sizeDecimals),
  avg_execution_price: plainDecimal(fill.price, market.priceDecimals),
  side: fill.side,
  timestamp: secondsFloat(fill.detectedAtMs)
})

/** The status word of B's result on the documented channel; undefined for a deferred result (nothing sent yet). */
export const documentedStatus = (status: HedgeStatus): DocumentedHedgeStatus | undefined => {
  switch (status) {
    case "hedged":
      return "success"
    case "partial":
      return "partial"
    case "failed":
      return "failed"
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent: falling out of the switch returns undefined too
    case "deferred":
      return undefined
  }
}

/**
 * What B's attempts traded: the size, and the average execution price from their fills —
 * Σ filled notional (the venue's filled quote of each order; an attempt whose order reported none
 * counts at its average price in ticks) / Σ filled size, to priceDecimals + sizeDecimals places.
 * "0" when nothing filled. Never a price cap.
 */
export const hedgeExecution = (market: MarketSpec, attempts: ReadonlyArray<HedgeAttempt>): { readonly base: number; readonly avgPrice: string } => {
  const sd = market.sizeDecimals
  const pd = market.priceDecimals
  // Notional in USDC × 10^k, k large enough to hold both micro-USDC and base units × ticks exactly.
  const k = Math.max(QUOTE_DECIMALS, sd + pd)
  let base = 0n
  let priced = 0n
  let notional = 0n
  for (const a of attempts) {
    const b = BigInt(a.filledBase ?? 0)
    if (b <= 0n) continue
    base += b
    const quoteMicro = a.filledQuoteMicro ?? 0
    const avgTicks = a.avgPrice ?? 0
    if (quoteMicro > 0) {
      priced += b
      notional += BigInt(quoteMicro) * 10n ** BigInt(k - QUOTE_DECIMALS)
    } else if (avgTicks > 0) {
      priced += b
      notional += b * BigInt(avgTicks) * 10n ** BigInt(k - sd - pd)
    }
  }
  // price = notional / 10^k USDC over priced / 10^sd base
  const avgPrice = priced === 0n ? "0" : plainDecimalOfRatio(notional * 10n ** BigInt(sd), priced * 10n ** BigInt(k), pd + sd)
  return { base: Number(base), avgPrice }
}

/**
 * B's result on hedge:account_b_filled, or undefined for a deferred one (below the venue
 * minimum: pooled, nothing sent; the hedge that carries it later is published). The order is the
 * last one B sent that reached the venue ("0" when none did); the side is B's.
 */
export const documentedHedge = (result: HedgeResult, market: MarketSpec): DocumentedHedge | undefined => {
  const status = documentedStatus(result.status)
  if (status === undefined) return undefined
  const exec = hedgeExecution(market, result.attempts)
  const last = [...result.attempts].reverse().find((a) => a.orderIndex !== undefined) ?? result.attempts[result.attempts.length - 1]
  return {
    order_index: last?.orderIndex ?? "0",
    client_order_index: last?.clientOrderIndex ?? 0,
    market_index: result.marketId,
    filled_base_amount: plainDecimal(exec.base, market.sizeDecimals),
    avg_execution_price: exec.avgPrice,
    side: hedgeSideFor(result.aSide),
    timestamp: secondsFloat(result.doneAtMs),
    status
  }
}

/**
 * A's fill on hedge:{a}_to_{b}, as account_a_manager.py _on_account_update publishes a trade:
 * the venue's size, usd_amount and price strings (market decimals, padded as Lighter writes them),
 * int(time.time()) when A saw it.
 */
export const previousFill = (fill: FillEvent, market: MarketSpec): PreviousFill => ({
  account_index: fill.accountIndex,
  market_index: fill.marketId,
  order_index: fill.orderIndex,
  filled_base_amount: formatBase(market, fill.size),
  filled_quote_amount: formatScaled(notionalMicro(market, fill.size, fill.price), QUOTE_DECIMALS),
  avg_price: formatPrice(market, fill.price),
  timestamp: secondsInt(fill.detectedAtMs),
  side: fill.side
})

/** The flatten's signal on hedge:{a}_to_{b} (main_A.py _send_close_signal_to_b). */
export const previousCloseAll = (market: MarketSpec, atMs: number): PreviousCloseAll => ({
  action: "close_all",
  market: market.symbol,
  market_index: market.marketId,
  timestamp: secondsInt(atMs)
})

/**
 * One account's field of the positions hash (redis_messenger.py update_position). `size` is
 * |position| as a float (Decimal → float), sign 1 / -1 / 0, the timestamp that of the write (the
 * writer keeps the stored one while size and sign are unchanged), available_balance the venue's
 * available balance in USDC (6 decimals) when it was read.
 */
export const previousPosition = (o: {
  readonly accountName: string
  readonly accountIndex: number
  readonly market: MarketSpec
  readonly signedBase: number
  readonly atMs: number
  readonly availableBalanceMicro?: number | undefined
}): PreviousPosition => {
  const sign = o.signedBase > 0 ? 1 as const : o.signedBase < 0 ? -1 as const : 0 as const
  return {
    account_name: o.accountName,
    account_index: o.accountIndex,
    size: Number(formatBase(o.market, Math.abs(o.signedBase))),
    sign,
    direction: sign === 1 ? "long" : sign === -1 ? "short" : "none",
    timestamp: secondsInt(o.atMs),
    market: o.market.symbol.toUpperCase(),
    ...(o.availableBalanceMicro !== undefined ? { available_balance: formatScaled(o.availableBalanceMicro, QUOTE_DECIMALS) } : {})
  }
}

export const encodeDocumentedFill = Schema.encodeSync(DocumentedFillJson)
export const encodeDocumentedHedge = Schema.encodeSync(DocumentedHedgeJson)
export const encodePreviousFill = Schema.encodeSync(PreviousFillJson)
export const encodePreviousCloseAll = Schema.encodeSync(PreviousCloseAllJson)
export const encodePreviousPosition = Schema.encodeSync(PreviousPositionJson)

/** A channel and the finished text to PUBLISH on it. */
export interface LegacyPublish {
  readonly channel: string
  readonly message: string
}

/** The messages to publish, and why any other could not be built (never a reason to stop a publish). */
export interface LegacyMirrors {
  readonly publish: ReadonlyArray<LegacyPublish>
  readonly problems: ReadonlyArray<string>
}

const collect = (builders: ReadonlyArray<readonly [string, () => string | undefined]>): LegacyMirrors => {
  const publish: Array<LegacyPublish> = []
  const problems: Array<string> = []
  for (const [channel, build] of builders) {
    try {
      const message = build()
      if (message !== undefined) publish.push({ channel, message })
    } catch (e) {
      problems.push(`${channel}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return { publish, problems }
}

/** What A's publish of `fill` mirrors, with these options (nothing when both are off). */
export const fillMirrors = (fill: FillEvent, market: MarketSpec, legacy: LegacyOptions | undefined): LegacyMirrors =>
  collect([
    ...(legacy?.documentedChannels === true
      ? [[DOCUMENTED_A_CHANNEL, () => encodeDocumentedFill(documentedFill(fill, market))] as const]
      : []),
    ...(legacy?.previousChannels === true
      ? [[previousChannel(legacy), () => encodePreviousFill(previousFill(fill, market))] as const]
      : [])
  ])

/** What B's completion of `result` mirrors, with these options (nothing for a deferred result). */
export const resultMirrors = (result: HedgeResult, market: MarketSpec, legacy: LegacyOptions | undefined): LegacyMirrors =>
  collect(
    legacy?.documentedChannels === true
      ? [[DOCUMENTED_B_CHANNEL, () => {
        const m = documentedHedge(result, market)
        return m === undefined ? undefined : encodeDocumentedHedge(m)
      }] as const]
      : []
  )

/**
 * The positions hash value split around its timestamp: value = head + timestamp + tail. The
 * writer's script keeps the stored timestamp while size and sign are unchanged (update_position's
 * "智能时间戳"), without parsing or writing JSON itself.
 */
export const positionValueParts = (p: PreviousPosition): { readonly head: string; readonly tail: string; readonly size: string; readonly sign: string } => {
  const text = encodePreviousPosition(p)
  const marker = `"timestamp": ${p.timestamp}`
  const at = text.lastIndexOf(marker)
  // Stryker disable next-line all: unreachable: encodePreviousPosition always writes the timestamp, after the opening brace
  if (at < 0) throw new Error(`positionValueParts: no timestamp in ${text}`)
  const cut = at + `"timestamp": `.length
  return { head: text.slice(0, cut), tail: text.slice(cut + String(p.timestamp).length), size: pythonFloatRepr(p.size), sign: String(p.sign) }
}
