// WebSocket channel names: clients subscribe with "/" ("order_book/1"), frames use ":".

export type ChannelKind =
  | "order_book"
  | "trade"
  | "account_all"
  | "account_all_orders"
  | "account_orders"
  | "account_all_trades"
  | "account_all_positions"
  | "user_stats"

export interface Channel {
  readonly kind: ChannelKind
  readonly market?: number
  readonly account?: number
  /** Canonical subscribe form, e.g. "account_orders/1/2". */
  readonly key: string
  /** Name used in frames, e.g. "account_orders:1:2". */
  readonly frameName: string
}

const MARKET_KINDS = new Set(["order_book", "trade"])
const ACCOUNT_KINDS = new Set([
  "account_all",
  "account_all_orders",
  "account_all_trades",
  "account_all_positions",
  "user_stats"
])

/** Private channels that need an auth token (PROTOCOL.md §4.2; the venue's "*" channels plus positions and trades). */
const AUTH_REQUIRED = new Set<ChannelKind>(["account_all_orders", "account_orders", "account_all_trades", "account_all_positions"])
/** Account channels that work without a token, but whose token is checked when one is given. */
const AUTH_OPTIONAL = new Set<ChannelKind>(["account_all", "user_stats"])

/** "required": subscribe needs a valid token; "optional": a given token is checked; "none": public, tokens ignored. */
export const channelAuth = (ch: Channel): "required" | "optional" | "none" =>
  AUTH_REQUIRED.has(ch.kind) ? "required" : AUTH_OPTIONAL.has(ch.kind) ? "optional" : "none"

const id = (s: string | undefined): number | undefined =>
  s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : undefined

/** Parses "kind/a[/b]" (":" accepted too). Undefined for anything unknown or malformed. */
export const parseChannel = (raw: unknown): Channel | undefined => {
  if (typeof raw !== "string") return undefined
  const parts = raw.split(/[/:]/)
  const kind = parts[0]!
  if (MARKET_KINDS.has(kind) && parts.length === 2) {
    const market = id(parts[1])
    if (market === undefined) return undefined
    return { kind: kind as ChannelKind, market, key: `${kind}/${market}`, frameName: `${kind}:${market}` }
  }
  if (ACCOUNT_KINDS.has(kind) && parts.length === 2) {
    const account = id(parts[1])
    if (account === undefined) return undefined
    return { kind: kind as ChannelKind, account, key: `${kind}/${account}`, frameName: `${kind}:${account}` }
  }
  if (kind === "account_orders" && parts.length === 3) {
    const market = id(parts[1])
    const account = id(parts[2])
    if (market === undefined || account === undefined) return undefined
    return {
      kind: "account_orders",
      market,
      account,
      key: `account_orders/${market}/${account}`,
      frameName: `account_orders:${market}:${account}`
    }
  }
  return undefined
}
