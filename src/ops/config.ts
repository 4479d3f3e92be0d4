// Loads config.yaml (the previous system's layout plus hedgeflow's own sections), applies
// environment overrides, then command-line overrides, and returns one typed, frozen config.
//
//   file  <  environment (HEDGEFLOW_*, REDIS_URL, REDIS_PASSWORD)  <  command-line flags
//
// - Every error names the key (or the variable, or the flag) it is about, one line each.
// - Secrets are never read from the file: a private key or password found there is refused,
//   naming the environment variable to use. They come from the environment or from files
//   named in the config (`private_key_file`, `password_file`) and are held as Redacted.
// - No real money without saying so: a non-loopback venue URL needs venue.kind: lighter AND
//   venue.live: true.
// - Times in the legacy keys are seconds (ints or decimals); the typed config holds integer ms.
// - market.quantity stays a decimal string: the market's decimals are only known once the venue
//   reports it (convert with parseScaled from src/domain/market.ts).
import { readFileSync, statSync } from "node:fs"
import { hostname } from "node:os"
import { dirname, isAbsolute, resolve } from "node:path"
import { Effect, Redacted, Result, Schema } from "effect"
import { isMap, isScalar, LineCounter, parseDocument } from "yaml"
import { MAX_BOOK_ORDERS } from "../domain/book-depth.ts"
import { DecimalFormatError, parseScaled, QUOTE_DECIMALS } from "../domain/market.ts"
import type { CliOverrides } from "./cli-args.ts"
import { pathKey, problemsOf, showValue } from "./config-issues.ts"
import { type AccountSection, ConfigFile, type LighterNetwork, type VenueKind } from "./config-schema.ts"
import {
  ACCOUNT_A_PRIVATE_KEY_ENV,
  ACCOUNT_B_PRIVATE_KEY_ENV,
  findSecrets,
  REDIS_PASSWORD_ENV,
  scrub
} from "./secrets.ts"

// ---------------------------------------------------------------------------------------------
// The typed config

export interface AccountConfig {
  /** accounts.account_x.account_name */
  readonly name: string
  /** accounts.account_x.account_index */
  readonly accountIndex: number
  /** accounts.account_x.api_key_index */
  readonly apiKeyIndex: number
  /** From HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY or accounts.account_x.private_key_file; never from the file itself. */
  readonly privateKey: Redacted.Redacted<string> | undefined
  /** The variable that provides the key, for messages ("set HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY"). */
  readonly privateKeyEnv: string
}

export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "fatal"
export type ConsoleMode = "pretty" | "json" | "off"

export interface HedgeflowConfig {
  /** The config file this came from (absolute path). */
  readonly source: string
  readonly pair: {
    /** pair.name, default "<SYMBOL>-<a index>-<b index>" */
    readonly name: string
  }
  readonly venue: {
    readonly kind: VenueKind
    /** venue.live: true is required with kind lighter (whatever the URL) and for any non-loopback URL. */
    readonly live: boolean
    /**
     * Lighter's network: venue.network, or the one lighter.base_url / ws_url's host names
     * (mainnet.zklighter.elliot.ai, testnet.zklighter.elliot.ai); undefined for other URLs.
     */
    readonly network: LighterNetwork | undefined
    /** lighter.base_url (kind lighter without one: the network's) */
    readonly baseUrl: string
    /** lighter.ws_url (default: base_url with ws:// or wss:// and path /stream) */
    readonly wsUrl: string
    /** lighter.chain_id, else the network's (304 mainnet, 300 testnet); unset: the venue adapter decides */
    readonly chainId: number | undefined
    /** lighter.auth_lifetime (s): lifetime of the auth tokens of private channels and reads (≤ 8 h). */
    readonly authTokenTtlSec: number
  }
  readonly accounts: { readonly a: AccountConfig; readonly b: AccountConfig }
  readonly market: {
    /** Upper case, e.g. "BTC" */
    readonly symbol: string
    /** Decimal string, e.g. "0.0002": convert with parseScaled once the market's decimals are known. */
    readonly quantity: string
    /**
     * market.depth (--depth N): the quote is priced at the N-th resting order of its own side
     * (maker.depth_unit orders, the default and the previous system's meaning) or the N-th price level.
     */
    readonly depth: number
  }
  readonly maker: {
    /** lighter.maker_order_time_out (s): a resting quote older than this is replaced. */
    readonly maxQuoteAgeMs: number
    /** maker.close_at_best_after (s): A's close quote moves to the best ask after this long in the closing phase; 0 = never. */
    readonly closeAtBestAfterMs: number
    /** strategy.poll_interval (s): how often the quote loop decides. */
    readonly pollIntervalMs: number
    readonly requoteDriftTicks: number
    readonly cancelOnExit: boolean
    readonly postOnly: boolean
    readonly cancelOrphansOnStart: boolean
    /** maker.cancel_foreign_orders / --cancel-foreign-orders: cancel orders A did not place (else refuse to start). */
    readonly cancelForeignOrders: boolean
    /** Stop quoting when B's heartbeat is older than this; 0 = don't check. */
    readonly hedgerHeartbeatTimeoutMs: number
    /** maker.depth_unit: what market.depth counts, individual resting orders (default) or price levels. */
    readonly depthUnit: "orders" | "levels"
    /** maker.book_orders_refresh_ms: the venue's order list (REST) is read at most this often, and only when a decision needs it. */
    readonly bookOrdersRefreshMs: number
    /** maker.min_requote_interval_ms: a quote rests at least this long before a drift replaces it. */
    readonly minRequoteIntervalMs: number
    /** maker.quote_tx_per_minute: A's own cap on its quote transactions a minute; 0 = none (the shared budget still applies). */
    readonly quoteTxPerMinute: number
  }
  readonly hedge: {
    readonly slippageBps: number
    readonly maxAttempts: number
    /** "auto": derived from the Redis key prefix. */
    readonly clientIndexTag: number | "auto"
    /** How long to wait for a hedge's outcome on B's stream before asking the venue. */
    readonly resultTimeoutMs: number
    /** B's consumer id in the fills stream's group (stable across restarts of this machine). */
    readonly instance: string
    /** Fills pending at a dead consumer longer than this are claimed. */
    readonly claimIdleMs: number
    /** A fill larger than this many times market.quantity is refused (dead letter, halt), never hedged. */
    readonly maxFillMultiple: number
  }
  /** Limits whose breach halts the pair (decimal strings: the market's decimals come from the venue). */
  readonly risk: {
    /** |position| of either account; undefined = 5 × market.quantity. */
    readonly maxPosition: string | undefined
    /** |A + B| that halts at once; undefined = 5 × market.quantity. */
    readonly maxUnhedged: string | undefined
    readonly maxUnhedgedAgeMs: number
    readonly maxConsecutiveFailures: number
    /** A completed hedge executing more than this many bps worse than A's fill halts; 0 = off; default half of hedge.slippageBps. */
    readonly maxHedgeSlippageBps: number
    /** Free collateral (micro-USDC) each account must keep, parsed from risk.min_free_collateral; 0 = off. */
    readonly minFreeCollateralMicro: number
    /** This machine's clock more than this far from the venue's (its timestamps) alerts; 0 = off. */
    readonly maxClockSkewMs: number
    /** risk.stream_refused_halt_after (s → ms): a channel of the account stream refused this long halts the pair. */
    readonly streamRefusedHaltAfterMs: number
    /**
     * strategy.force_close_timeout (s → ms), the previous system's meaning: A's and B's positions
     * mismatched this long → risk.force_close_action (src/safety/force-close.ts). 0 = off.
     */
    readonly forceCloseAfterMs: number
    /** risk.force_close_action: "flatten" closes both accounts at market; "halt" only halts the pair. */
    readonly forceCloseAction: "flatten" | "halt"
  }
  /** Where alerts go besides the log. Secrets only from the environment. */
  readonly alerts: {
    readonly webhookUrl: Redacted.Redacted<string> | undefined
    readonly telegramBotToken: Redacted.Redacted<string> | undefined
    readonly telegramChatId: string | undefined
    readonly telegramApiUrl: string
  }
  /** Transactions per minute shared by A and B of one Lighter address (DESIGN I7). */
  readonly budget: {
    /** 0 = no limit (the embedded exchange without its rate limit). */
    readonly txPerMinute: number
    /** Part of the budget only hedges (and cancels) may use; quotes stop short of it. */
    readonly hedgeReserve: number
    /** Redis key of the shared window: pairs trading from one address must use the same key. */
    readonly key: string
  }
  readonly orders: {
    /** strategy.retry_times: retries of an order that was not sent (rate limit, venue unreachable). */
    readonly retries: number
  }
  readonly connection: {
    /** strategy.ws_reconnect_delay (s): first reconnect delay; it doubles up to reconnectMaxDelayMs. */
    readonly reconnectBaseDelayMs: number
    readonly reconnectMaxDelayMs: number
  }
  readonly redis: {
    /** redis://host:port/db, without credentials (safe to print). */
    readonly url: string
    readonly username: string | undefined
    readonly password: Redacted.Redacted<string> | undefined
    /** Resolved: placeholders {symbol} {a} {b} {pair} replaced. */
    readonly keyPrefix: string
  }
  readonly logging: {
    readonly dir: string
    readonly level: LogLevelName
    readonly console: ConsoleMode
  }
  readonly metrics: {
    /** metrics.port: one port for whichever process reads this config (A or B); undefined = off. */
    readonly port: number | undefined
    /** metrics.port_a / metrics.port_b: each process's own port (wins over `port`). */
    readonly portA: number | undefined
    readonly portB: number | undefined
    readonly host: string
  }
  /** The previous system's Redis messages beside the streams (src/bus/legacy-messages.ts). */
  readonly legacy: {
    /** legacy.documented_channels (default true): hedge:account_a_filled / hedge:account_b_filled. */
    readonly documentedChannels: boolean
    /** legacy.previous_channels (default true): hedge:{a}_to_{b}, hedge:positions:{a}_{b}:{SYMBOL}, close_all. */
    readonly previousChannels: boolean
    /** accounts.account_a.account_name, else "account_a" (the previous system's fallback, not "A"). */
    readonly accountAName: string
    /** accounts.account_b.account_name, else "account_b". */
    readonly accountBName: string
  }
  /** Things worth logging at start (e.g. a key file readable by others). */
  readonly warnings: ReadonlyArray<string>
}

export class ConfigLoadError extends Schema.TaggedError<ConfigLoadError>()("ConfigLoadError", {
  message: Schema.String,
  /** One line per problem, each naming a key, variable or flag. */
  problems: Schema.Array(Schema.String)
}) {}

// ---------------------------------------------------------------------------------------------
// Defaults

export const DEFAULTS = {
  venueKind: "simulator" as VenueKind,
  baseUrl: "http://127.0.0.1:8787",
  symbol: "BTC",
  quantity: "0.0002",
  depth: 5,
  accountA: { name: "A", accountIndex: 1, apiKeyIndex: 4 },
  accountB: { name: "B", accountIndex: 2, apiKeyIndex: 4 },
  redis: { host: "127.0.0.1", port: 6379, db: 0 },
  keyPrefix: "hedgeflow:{symbol}:{a}-{b}",
  makerOrderTimeOutS: 30,
  retryTimes: 3,
  pollIntervalS: 1,
  wsReconnectDelayS: 1,
  closeAtBestAfterS: 300,
  forceCloseTimeoutS: 0,
  forceCloseAction: "flatten" as "flatten" | "halt",
  requoteDriftTicks: 3,
  hedgerHeartbeatTimeoutMs: 15_000,
  depthUnit: "orders" as "orders" | "levels",
  bookOrdersRefreshMs: 5_000,
  minRequoteIntervalMs: 10_000,
  quoteTxPerMinute: 20,
  slippageBps: 50,
  maxAttempts: 3,
  resultTimeoutMs: 3_000,
  claimIdleMs: 30_000,
  maxFillMultiple: 10,
  maxClockSkewMs: 2_000,
  authTokenTtlS: 3_600,
  streamRefusedHaltAfterS: 30,
  reconnectMaxDelayMs: 30_000,
  txPerMinute: 60,
  hedgeReserve: 10,
  logDir: "logs",
  logLevel: "info" as LogLevelName,
  console: "pretty" as ConsoleMode,
  metricsHost: "127.0.0.1"
} as const

// ---------------------------------------------------------------------------------------------
// Environment overrides

type EnvKind = "string" | "int" | "bool" | "upper"

/** Environment variables that override a config key (secrets are handled apart, see SECRET_ENV). */
export const ENV_OVERRIDES: ReadonlyArray<{ readonly name: string; readonly path: ReadonlyArray<string>; readonly kind: EnvKind }> = [
  { name: "HEDGEFLOW_VENUE", path: ["venue", "kind"], kind: "string" },
  { name: "HEDGEFLOW_VENUE_LIVE", path: ["venue", "live"], kind: "bool" },
  { name: "HEDGEFLOW_VENUE_NETWORK", path: ["venue", "network"], kind: "string" },
  { name: "HEDGEFLOW_PAIR", path: ["pair", "name"], kind: "string" },
  { name: "HEDGEFLOW_LIGHTER_BASE_URL", path: ["lighter", "base_url"], kind: "string" },
  { name: "HEDGEFLOW_LIGHTER_WS_URL", path: ["lighter", "ws_url"], kind: "string" },
  { name: "HEDGEFLOW_LIGHTER_CHAIN_ID", path: ["lighter", "chain_id"], kind: "int" },
  { name: "HEDGEFLOW_MARKET", path: ["market", "symbol"], kind: "upper" },
  { name: "HEDGEFLOW_QUANTITY", path: ["market", "quantity"], kind: "string" },
  { name: "HEDGEFLOW_DEPTH", path: ["market", "depth"], kind: "int" },
  { name: "HEDGEFLOW_ACCOUNT_A_INDEX", path: ["accounts", "account_a", "account_index"], kind: "int" },
  { name: "HEDGEFLOW_ACCOUNT_A_API_KEY_INDEX", path: ["accounts", "account_a", "api_key_index"], kind: "int" },
  { name: "HEDGEFLOW_ACCOUNT_B_INDEX", path: ["accounts", "account_b", "account_index"], kind: "int" },
  { name: "HEDGEFLOW_ACCOUNT_B_API_KEY_INDEX", path: ["accounts", "account_b", "api_key_index"], kind: "int" },
  { name: "REDIS_URL", path: ["redis", "url"], kind: "string" },
  { name: "HEDGEFLOW_REDIS_URL", path: ["redis", "url"], kind: "string" },
  { name: "HEDGEFLOW_REDIS_HOST", path: ["redis", "host"], kind: "string" },
  { name: "HEDGEFLOW_REDIS_PORT", path: ["redis", "port"], kind: "int" },
  { name: "HEDGEFLOW_REDIS_DB", path: ["redis", "db"], kind: "int" },
  { name: "HEDGEFLOW_REDIS_USERNAME", path: ["redis", "username"], kind: "string" },
  { name: "HEDGEFLOW_REDIS_KEY_PREFIX", path: ["redis", "key_prefix"], kind: "string" },
  { name: "HEDGEFLOW_INSTANCE", path: ["hedge", "instance"], kind: "string" },
  { name: "HEDGEFLOW_LOG_DIR", path: ["logging", "dir"], kind: "string" },
  { name: "HEDGEFLOW_LOG_LEVEL", path: ["logging", "level"], kind: "string" },
  { name: "HEDGEFLOW_LOG_CONSOLE", path: ["logging", "console"], kind: "string" },
  { name: "HEDGEFLOW_METRICS_PORT", path: ["metrics", "port"], kind: "int" },
  { name: "HEDGEFLOW_METRICS_PORT_A", path: ["metrics", "port_a"], kind: "int" },
  { name: "HEDGEFLOW_METRICS_PORT_B", path: ["metrics", "port_b"], kind: "int" }
]

/** Secrets: environment only (or a file named in the config). */
/** Secrets of the alert channels (URLs of webhooks carry tokens too). */
export const ALERT_WEBHOOK_ENV = "HEDGEFLOW_ALERT_WEBHOOK_URL"
export const TELEGRAM_BOT_TOKEN_ENV = "HEDGEFLOW_TELEGRAM_BOT_TOKEN"
const secretEnv = (env: Record<string, string | undefined>, name: string): Redacted.Redacted<string> | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? undefined : Redacted.make(v.trim())
}

export const SECRET_ENV = {
  accountAPrivateKey: ACCOUNT_A_PRIVATE_KEY_ENV,
  accountBPrivateKey: ACCOUNT_B_PRIVATE_KEY_ENV,
  redisPassword: [`HEDGEFLOW_${REDIS_PASSWORD_ENV}`, REDIS_PASSWORD_ENV] as const
} as const

const CLI_OVERRIDES: ReadonlyArray<{ readonly key: keyof CliOverrides; readonly flag: string; readonly path: ReadonlyArray<string> }> = [
  { key: "market", flag: "--market", path: ["market", "symbol"] },
  { key: "quantity", flag: "--quantity", path: ["market", "quantity"] },
  { key: "depth", flag: "--depth", path: ["market", "depth"] },
  { key: "venue", flag: "--venue", path: ["venue", "kind"] },
  { key: "network", flag: "--network", path: ["venue", "network"] },
  { key: "cancelForeignOrders", flag: "--cancel-foreign-orders", path: ["maker", "cancel_foreign_orders"] },
  { key: "redisUrl", flag: "--redis-url", path: ["redis", "url"] },
  { key: "logDir", flag: "--log-dir", path: ["logging", "dir"] },
  { key: "instance", flag: "--instance", path: ["hedge", "instance"] }
]

const envValue = (env: Record<string, string | undefined>, name: string): string | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? undefined : v.trim()
}

const convertEnv = (raw: string, kind: EnvKind): unknown => {
  switch (kind) {
    case "int":
      return /^[+-]?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
    case "bool": {
      const l = raw.toLowerCase()
      if (["true", "1", "yes", "on"].includes(l)) return true
      if (["false", "0", "no", "off"].includes(l)) return false
      return raw
    }
    case "upper":
      return raw.toUpperCase()
    case "string":
      return raw
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

type Origin =
  | { readonly _tag: "File" }
  | { readonly _tag: "Env"; readonly name: string }
  | { readonly _tag: "Cli"; readonly flag: string }

/** Paths whose values must never be shown (they may carry credentials). */
const HIDDEN_VALUE_PATHS = new Set(["redis.url"])

class Problems {
  readonly lines: Array<string> = []
  readonly file: string
  constructor(file: string) {
    this.file = file
  }
  at(origin: Origin, path: ReadonlyArray<string>, text: string) {
    const key = pathKey(path)
    switch (origin._tag) {
      case "File":
        this.lines.push(`${this.file}: ${key === "" ? "" : key + ": "}${text}`)
        return
      case "Env":
        this.lines.push(`environment variable ${origin.name} (${key}): ${text}`)
        return
      case "Cli":
        this.lines.push(`${origin.flag} (${key}): ${text}`)
        return
    }
  }
  general(text: string) {
    this.lines.push(text)
  }
}

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Sets a value at a path, creating sections; leaves the object alone where the file has a non-section. */
const setPath = (obj: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown): boolean => {
  let cur: Record<string, unknown> = obj
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!
    const next = Object.hasOwn(cur, k) ? cur[k] : undefined
    if (next === undefined || next === null) {
      const fresh: Record<string, unknown> = {}
      cur[k] = fresh
      cur = fresh
    } else if (isPlainObject(next)) {
      cur = next
    } else {
      return false
    }
  }
  cur[path[path.length - 1]!] = value
  return true
}

const getPath = (obj: unknown, path: ReadonlyArray<string>): unknown => {
  let cur: unknown = obj
  for (const k of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, k)) return undefined
    cur = cur[k]
  }
  return cur
}

/** A deep copy with only plain data: objects, arrays, scalars. */
const plainCopy = (u: unknown, depth = 0): unknown => {
  if (depth > 64) return null
  if (Array.isArray(u)) return u.map((x) => plainCopy(x, depth + 1))
  if (u instanceof Map) {
    const o: Record<string, unknown> = {}
    for (const [k, v] of u) {
      const key = typeof k === "string" ? k : typeof k === "number" || typeof k === "boolean" || k === null ? String(k) : "<complex key>"
      Object.defineProperty(o, key, { value: plainCopy(v, depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return o
  }
  if (isPlainObject(u)) {
    const o: Record<string, unknown> = {}
    for (const k of Object.keys(u)) {
      Object.defineProperty(o, k, { value: plainCopy(u[k], depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return o
  }
  if (typeof u === "bigint") return Number(u)
  return u
}

const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "")
  return h === "localhost" || h.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(h) || h === "::1" ||
    h === "0:0:0:0:0:0:0:1"
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname
  } catch {
    return ""
  }
}

const defaultWsUrl = (baseUrl: string): string => {
  const u = new URL(baseUrl)
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:"
  u.pathname = u.pathname.replace(/\/+$/, "") + "/stream"
  u.search = ""
  u.hash = ""
  return u.toString()
}

const toMs = (seconds: number): number => Math.round(seconds * 1000)

/** Lighter's public networks: REST host and the chain id transactions are signed for. */
export const LIGHTER_NETWORKS: Readonly<Record<LighterNetwork, { readonly host: string; readonly chainId: number }>> = {
  mainnet: { host: "mainnet.zklighter.elliot.ai", chainId: 304 },
  testnet: { host: "testnet.zklighter.elliot.ai", chainId: 300 }
}

/** The network whose host `url` names, if any (https://mainnet.zklighter.elliot.ai → mainnet). */
export const networkOfUrl = (url: string): LighterNetwork | undefined => {
  const host = hostOf(url).toLowerCase().replace(/\.$/, "")
  return (Object.keys(LIGHTER_NETWORKS) as ReadonlyArray<LighterNetwork>).find((n) => LIGHTER_NETWORKS[n].host === host)
}

/** risk.max_hedge_slippage_bps when the file has none: half of hedge.slippage_bps. */
const hedgeSlippageLimitDefault = (slippageBps: number): number => Math.floor(slippageBps / 2)

/** Keys holding decimal amounts: written as bare YAML numbers, they keep their exact text. */
const DECIMAL_TEXT_KEYS: ReadonlyArray<readonly [string, string]> = [["market", "quantity"], ["risk", "min_free_collateral"]]

const resolvePath = (base: string, p: string): string => (isAbsolute(p) ? p : resolve(dirname(base), p))

const readSecretFile = (
  file: string,
  key: ReadonlyArray<string>,
  problems: Problems,
  warnings: Array<string>
): Redacted.Redacted<string> | undefined => {
  try {
    const st = statSync(file)
    if (!st.isFile()) {
      problems.at({ _tag: "File" }, key, `${file} is not a file`)
      return undefined
    }
    if ((st.mode & 0o077) !== 0) {
      warnings.push(`${pathKey(key)}: ${file} can be read by other users of this machine; run: chmod 600 ${file}`)
    }
    const text = readFileSync(file, "utf8").trim()
    if (text === "") {
      problems.at({ _tag: "File" }, key, `${file} is empty`)
      return undefined
    }
    return Redacted.make(text)
  } catch (e) {
    const code = (e as { code?: string }).code
    problems.at({ _tag: "File" }, key, code === "ENOENT" ? `${file} does not exist` : `cannot read ${file} (${code ?? "error"})`)
    return undefined
  }
}

const expandPrefix = (template: string, vars: Record<string, string>): string | string[] => {
  const unknown: Array<string> = []
  const out = template.replace(/\{([^}]*)\}/g, (m, name: string) => {
    const v = vars[name]
    if (v === undefined) {
      unknown.push(m)
      return m
    }
    return v
  })
  return unknown.length > 0 ? unknown : out
}

const sanitizeId = (s: string): string => s.replace(/[^A-Za-z0-9_.:-]/g, "-").slice(0, 60) || "host"

interface DecodeInput {
  /** The config file path as given (used in messages). */
  readonly path: string
  /** Absolute path (relative secret files are resolved against its folder). */
  readonly absPath: string
  readonly text: string
  readonly env: Record<string, string | undefined>
  readonly overrides: CliOverrides
}

/** "mainnet.zklighter.elliot.ai" or "127.0.0.1:8787": a host without a scheme (the previous system's ws_url). */
const BARE_HOST = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?(?:\/[^\s]*)?$/

/**
 * The previous system's spellings, rewritten in place on the file's plain data before the schema
 * sees it; returns a note for each. Empty `accounts.*.api_key_private_key` (its template's
 * placeholder) is dropped: keys come from the environment or a key file. A bare host in
 * `lighter.ws_url` becomes wss://host/stream (ws:// on this machine), as its SDK did.
 */
export const adoptPreviousSpellings = (merged: Record<string, unknown>): ReadonlyArray<string> => {
  const notes: Array<string> = []
  const accounts = merged["accounts"]
  for (const [section, role] of [["account_a", "A"], ["account_b", "B"]] as const) {
    const acc = isPlainObject(accounts) ? accounts[section] : undefined
    if (!isPlainObject(acc) || !Object.hasOwn(acc, "api_key_private_key")) continue
    const v = acc["api_key_private_key"]
    if (v === "" || v === null || v === undefined) {
      delete acc["api_key_private_key"]
      notes.push(
        `accounts.${section}.api_key_private_key is empty and ignored: account ${role}'s key comes from ` +
          `HEDGEFLOW_ACCOUNT_${role}_PRIVATE_KEY or the file named in accounts.${section}.private_key_file ` +
          `(私钥只从环境变量或密钥文件读取，配置中的空值已忽略)`
      )
    }
  }
  const lighter = merged["lighter"]
  const ws = isPlainObject(lighter) ? lighter["ws_url"] : undefined
  if (isPlainObject(lighter) && typeof ws === "string" && !ws.includes("://") && BARE_HOST.test(ws.trim())) {
    const text = ws.trim()
    const slash = text.indexOf("/")
    const host = slash < 0 ? text : text.slice(0, slash)
    const path = slash < 0 ? "/stream" : text.slice(slash)
    const url = `${isLoopbackHost(host.replace(/:\d+$/, "")) ? "ws" : "wss"}://${host}${path}`
    lighter["ws_url"] = url
    notes.push(`lighter.ws_url "${text}" is a bare host (the previous system's form): using ${url}`)
  }
  return notes
}

/** The whole pipeline, synchronous and total: returns a config or the list of problems. */
const decode = (input: DecodeInput): Result.Result<HedgeflowConfig, ReadonlyArray<string>> => {
  const problems = new Problems(input.path)
  const warnings: Array<string> = []

  // 1. YAML
  const lineCounter = new LineCounter()
  const doc = parseDocument(input.text, { prettyErrors: false, uniqueKeys: true, strict: true, lineCounter, logLevel: "error" })
  if (doc.errors.length > 0) {
    for (const err of doc.errors.slice(0, 3)) {
      const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0])
      const firstLine = err.message.split("\n")[0] ?? "invalid YAML"
      problems.general(`${input.path}${pos !== undefined ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${firstLine}`)
    }
    return Result.fail(problems.lines)
  }

  // 2. secrets in the file are refused, wherever they are
  const secretFindings = findSecrets(doc)
  for (const f of secretFindings) problems.at({ _tag: "File" }, f.path, f.message)
  const secretPaths = new Set(secretFindings.map((f) => pathKey(f.path)))

  // 3. to plain data; decimal keys keep their source text (0.0002 stays "0.0002", not a float)
  let raw: unknown
  try {
    const decimalNodes = DECIMAL_TEXT_KEYS.map((path) => [path, isMap(doc.contents) ? doc.getIn(path, true) : undefined] as const)
    raw = plainCopy(doc.toJS({ maxAliasCount: 100, mapAsMap: true }))
    for (const [[section, key], node] of decimalNodes) {
      if (isScalar(node) && typeof node.value === "number" && typeof node.source === "string") {
        const sec = isPlainObject(raw) ? raw[section] : undefined
        if (isPlainObject(sec)) sec[key] = node.source
      }
    }
  } catch (e) {
    problems.general(`${input.path}: cannot read the YAML document: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`)
    return Result.fail(problems.lines)
  }
  if (raw === null || raw === undefined) raw = {}
  if (!isPlainObject(raw)) {
    problems.general(`${input.path}: expected sections of key: value pairs (like "redis:" and "market:"), got ${showValue(raw)}`)
    return Result.fail(problems.lines)
  }
  const merged = raw
  // secret keys are reported above; drop them so the schema does not report them again
  for (const f of secretFindings) {
    const parent = getPath(merged, f.path.slice(0, -1))
    const last = f.path[f.path.length - 1]
    if (isPlainObject(parent) && last !== undefined && Object.hasOwn(parent, last)) delete parent[last]
  }

  // 3b. the previous system's own file loads as it is: its template's empty api_key_private_key
  // placeholders are dropped (a filled one was refused above as a secret), and a bare host in
  // lighter.ws_url (its SDK added the scheme and /stream) is completed.
  warnings.push(...adoptPreviousSpellings(merged))

  // 4. environment, then flags, on top of the file
  const origins = new Map<string, Origin>()
  const fileHad = (path: ReadonlyArray<string>) => getPath(raw, path) !== undefined
  const redisHostFromFile = ["host", "port", "db"].some((k) => fileHad(["redis", k]))
  const redisUrlFromFile = fileHad(["redis", "url"])
  let redisUrlLevel = redisUrlFromFile ? 1 : 0
  let redisHostLevel = redisHostFromFile ? 1 : 0
  for (const o of ENV_OVERRIDES) {
    const v = envValue(input.env, o.name)
    if (v === undefined) continue
    // HEDGEFLOW_REDIS_URL wins over REDIS_URL (it comes later in the table)
    if (setPath(merged, o.path, convertEnv(v, o.kind))) origins.set(pathKey(o.path), { _tag: "Env", name: o.name })
    if (o.path[0] === "redis" && o.path[1] === "url") redisUrlLevel = 2
    if (o.path[0] === "redis" && ["host", "port", "db"].includes(o.path[1]!)) redisHostLevel = Math.max(redisHostLevel, 2)
  }
  for (const o of CLI_OVERRIDES) {
    const v = input.overrides[o.key]
    if (v === undefined) continue
    if (setPath(merged, o.path, v)) origins.set(pathKey(o.path), { _tag: "Cli", flag: o.flag })
    if (o.key === "redisUrl") redisUrlLevel = 3
  }
  const originOf = (path: ReadonlyArray<string>): Origin => origins.get(pathKey(path)) ?? { _tag: "File" }

  // 5. Schema: types, ranges, unknown keys
  const decoded = Schema.decodeUnknownResult(ConfigFile)(merged, {
    errors: "all",
    onExcessProperty: "error",
    reportInput: true
  } as const)
  if (Result.isFailure(decoded)) {
    for (const p of problemsOf(decoded.failure.issue, ConfigFile.ast)) {
      if (secretPaths.has(pathKey(p.path))) continue
      if (p._tag === "Unknown") {
        problems.at(originOf(p.path), p.path, `unknown key${p.suggestion !== undefined ? ` (did you mean ${p.suggestion}?)` : ""}`)
      } else {
        const got = HIDDEN_VALUE_PATHS.has(pathKey(p.path))
          ? "a value that is not one (not shown: it may hold a password)"
          : p.hasInput
          ? showValue(p.input)
          : "nothing"
        problems.at(originOf(p.path), p.path, `expected ${p.expected}, got ${got}`)
      }
    }
  }
  if (problems.lines.length > 0 || Result.isFailure(decoded)) return Result.fail(problems.lines)
  const f = decoded.success

  // 6. meaning: defaults, secrets, cross-key rules
  const venueKind = f.venue?.kind ?? DEFAULTS.venueKind
  const live = f.venue?.live ?? false

  // Lighter's network: venue.network, or what an explicit URL's host says. Keys that name
  // different networks (or a chain id that is not the network's) are refused, naming both.
  const networkClaims: Array<{ readonly key: ReadonlyArray<string>; readonly network: LighterNetwork; readonly shown: string }> = []
  if (f.venue?.network !== undefined) {
    networkClaims.push({ key: ["venue", "network"], network: f.venue.network, shown: f.venue.network })
  }
  for (const [key, url] of [[["lighter", "base_url"], f.lighter?.base_url], [["lighter", "ws_url"], f.lighter?.ws_url]] as const) {
    const n = url === undefined ? undefined : networkOfUrl(url)
    if (url !== undefined && n !== undefined) networkClaims.push({ key, network: n, shown: `${url} (${n})` })
  }
  // The other key of a contradiction, with where it came from when not the file.
  const other = (c: { readonly key: ReadonlyArray<string>; readonly shown: string }): string => {
    const o = originOf(c.key)
    const where = o._tag === "Env" ? ` (from environment variable ${o.name})` : o._tag === "Cli" ? ` (from ${o.flag})` : ""
    return `${pathKey(c.key)}: ${c.shown}${where}`
  }
  const firstClaim = networkClaims[0]
  let networkConflict = false
  for (const c of networkClaims.slice(1)) {
    if (firstClaim !== undefined && c.network !== firstClaim.network) {
      networkConflict = true
      problems.at(
        originOf(c.key),
        c.key,
        `${c.shown} contradicts ${other(firstClaim)}; ${pathKey(c.key)} and ${pathKey(firstClaim.key)} must name the same ` +
          `Lighter network (remove one of them)`
      )
    }
  }
  const network = networkConflict ? undefined : firstClaim?.network
  if (network !== undefined && f.lighter?.chain_id !== undefined && f.lighter.chain_id !== LIGHTER_NETWORKS[network].chainId) {
    const key = ["lighter", "chain_id"]
    problems.at(
      originOf(key),
      key,
      `${f.lighter.chain_id} contradicts ${other(firstClaim!)}, whose chain id is ${LIGHTER_NETWORKS[network].chainId}; ` +
        `every transaction would be refused (21120 invalid signature). Remove lighter.chain_id or fix ${pathKey(firstClaim!.key)}`
    )
  }
  if (f.venue?.network !== undefined && venueKind !== "lighter") {
    const key = ["venue", "network"]
    problems.at(
      originOf(key),
      key,
      `applies to venue.kind: lighter only (now venue.kind: ${venueKind}); remove venue.network, or set venue.kind: lighter and venue.live: true`
    )
  }
  const fromNetwork = venueKind === "lighter" && network !== undefined ? LIGHTER_NETWORKS[network] : undefined
  const baseUrl = f.lighter?.base_url ?? (fromNetwork !== undefined ? `https://${fromNetwork.host}` : DEFAULTS.baseUrl)
  const wsUrl = f.lighter?.ws_url ?? defaultWsUrl(baseUrl)
  const chainId = f.lighter?.chain_id ?? (network !== undefined ? LIGHTER_NETWORKS[network].chainId : undefined)

  // Lighter itself is real money, whatever the URL (a loopback one is how tests reach it).
  const lighterWithoutLive = venueKind === "lighter" && !live
  if (lighterWithoutLive) {
    const key = f.venue?.live !== undefined ? ["venue", "live"] : ["venue", "kind"]
    problems.at(
      originOf(key),
      key,
      `venue.kind: lighter trades real money on Lighter, so it needs venue.live: true as well (now venue.kind: lighter, venue.live: false). ` +
        `To use the simulator set venue.kind: simulator. ` +
        `实盘保护：venue.kind: lighter 需要同时设置 venue.live: true。`
    )
  }

  if (venueKind !== "memory" && !lighterWithoutLive) {
    for (const [key, url] of [[["lighter", "base_url"], baseUrl], [["lighter", "ws_url"], wsUrl]] as const) {
      if (!isLoopbackHost(hostOf(url)) && !(venueKind === "lighter" && live)) {
        problems.at(
          originOf(key),
          key,
          `${url} is not on this machine, so orders there trade real money. ` +
            `To allow it set venue.kind: lighter and venue.live: true (now venue.kind: ${venueKind}, venue.live: ${live}). ` +
            `实盘保护：非本机地址需要同时设置 venue.kind: lighter 和 venue.live: true。`
        )
      }
    }
  }

  const account = (
    which: "a" | "b",
    section: typeof AccountSection.Type | undefined,
    defaults: { readonly name: string; readonly accountIndex: number; readonly apiKeyIndex: number }
  ): AccountConfig => {
    const sectionKey = which === "a" ? "account_a" : "account_b"
    const envName = which === "a" ? ACCOUNT_A_PRIVATE_KEY_ENV : ACCOUNT_B_PRIVATE_KEY_ENV
    if (venueKind === "lighter") {
      for (const k of ["account_index", "api_key_index"] as const) {
        if (section?.[k] === undefined) {
          problems.at({ _tag: "File" }, ["accounts", sectionKey, k], "required when venue.kind is lighter (no default for a real account)")
        }
      }
    }
    let privateKey: Redacted.Redacted<string> | undefined
    const fromEnv = envValue(input.env, envName)
    if (fromEnv !== undefined) {
      privateKey = Redacted.make(fromEnv)
    } else if (section?.private_key_file !== undefined) {
      privateKey = readSecretFile(
        resolvePath(input.absPath, section.private_key_file),
        ["accounts", sectionKey, "private_key_file"],
        problems,
        warnings
      )
    }
    return {
      name: section?.account_name ?? defaults.name,
      accountIndex: section?.account_index ?? defaults.accountIndex,
      apiKeyIndex: section?.api_key_index ?? defaults.apiKeyIndex,
      privateKey,
      privateKeyEnv: envName
    }
  }
  const a = account("a", f.accounts?.account_a, DEFAULTS.accountA)
  const b = account("b", f.accounts?.account_b, DEFAULTS.accountB)
  if (a.accountIndex === b.accountIndex) {
    problems.at(
      originOf(["accounts", "account_b", "account_index"]),
      ["accounts", "account_b", "account_index"],
      `must differ from accounts.account_a.account_index (${a.accountIndex}): A and B must be two different accounts`
    )
  }

  // redis: the URL from the highest layer that set one wins over host/port/db of lower layers
  let redisUrl: string
  let username = f.redis?.username
  let password: Redacted.Redacted<string> | undefined
  if (f.redis?.url !== undefined && redisUrlLevel >= redisHostLevel) {
    const u = new URL(f.redis.url)
    if (u.username !== "") username = decodeURIComponent(u.username)
    if (u.password !== "") {
      password = Redacted.make(decodeURIComponent(u.password))
      if (originOf(["redis", "url"])._tag === "Cli") {
        warnings.push("--redis-url carries a password, which other users of this machine can see in the process list; use REDIS_PASSWORD")
      }
    }
    const db = u.pathname.replace(/^\//, "") || "0"
    redisUrl = `${u.protocol}//${u.host}/${db}`
  } else {
    const host = f.redis?.host ?? DEFAULTS.redis.host
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
    redisUrl = `redis://${h}:${f.redis?.port ?? DEFAULTS.redis.port}/${f.redis?.db ?? DEFAULTS.redis.db}`
  }
  const envPassword = envValue(input.env, SECRET_ENV.redisPassword[0]) ?? envValue(input.env, SECRET_ENV.redisPassword[1])
  if (envPassword !== undefined) {
    password = Redacted.make(envPassword)
  } else if (password === undefined && f.redis?.password_file !== undefined) {
    password = readSecretFile(resolvePath(input.absPath, f.redis.password_file), ["redis", "password_file"], problems, warnings)
  }

  const symbol = (f.market?.symbol ?? DEFAULTS.symbol).toUpperCase()
  const pairName = f.pair?.name ?? `${symbol}-${a.accountIndex}-${b.accountIndex}`
  const prefixTemplate = f.redis?.key_prefix ?? DEFAULTS.keyPrefix
  const prefix = expandPrefix(prefixTemplate, {
    symbol,
    a: String(a.accountIndex),
    b: String(b.accountIndex),
    pair: pairName
  })
  if (Array.isArray(prefix)) {
    problems.at(
      originOf(["redis", "key_prefix"]),
      ["redis", "key_prefix"],
      `unknown placeholder ${prefix.join(", ")} (known: {symbol} {a} {b} {pair})`
    )
  }

  // money is integers from here on: USDC text -> micro-USDC, refusing digits USDC does not have
  let minFreeCollateralMicro = 0
  if (f.risk?.min_free_collateral !== undefined) {
    const key = ["risk", "min_free_collateral"]
    const text = f.risk.min_free_collateral
    const decimals = (text.split(".")[1] ?? "").replace(/0+$/, "").length
    if (decimals > QUOTE_DECIMALS) {
      problems.at(originOf(key), key, `"${text}" has ${decimals} decimals; USDC has ${QUOTE_DECIMALS} (0.000001 is the smallest amount)`)
    } else {
      try {
        minFreeCollateralMicro = parseScaled(text, QUOTE_DECIMALS)
      } catch (e) {
        problems.at(originOf(key), key, `"${text}": ${e instanceof DecimalFormatError ? e.reason : String(e)}`)
      }
    }
  }
  const slippageBps = f.hedge?.slippage_bps ?? DEFAULTS.slippageBps
  // Default: half of the hedge's price room (25 bps with the default 50). A hedge that used more
  // than that is far beyond the spread plus the usual adverse move on Lighter's liquid markets
  // (a few bps); at or above slippage_bps the limit could never fire, the IOC's cap refuses worse.
  const maxHedgeSlippageBps = f.risk?.max_hedge_slippage_bps ?? hedgeSlippageLimitDefault(slippageBps)
  if (maxHedgeSlippageBps > 0 && maxHedgeSlippageBps >= slippageBps) {
    warnings.push(
      `risk.max_hedge_slippage_bps ${maxHedgeSlippageBps} is not below hedge.slippage_bps ${slippageBps}: a hedge's price cap ` +
        `already refuses anything worse, so this limit never fires (set it lower, or 0 to turn it off)`
    )
  }

  // The shared tx budget must leave quotes room: a budget at or below the hedge reserve means A
  // never quotes (quotes stop short of the reserve), and no reserve means quotes can starve hedges.
  const txPerMinute = f.budget?.tx_per_minute ?? DEFAULTS.txPerMinute
  const hedgeReserve = f.budget?.hedge_reserve ?? DEFAULTS.hedgeReserve
  if (txPerMinute > 0) {
    const reserveKey = ["budget", "hedge_reserve"]
    if (hedgeReserve < 1) {
      problems.at(
        originOf(reserveKey),
        reserveKey,
        `must be at least 1 while budget.tx_per_minute is on (${txPerMinute}): the reserve is what keeps hedges ahead of quotes (0 budget.tx_per_minute turns the budget off)`
      )
    } else if (txPerMinute - hedgeReserve < MIN_QUOTE_ROOM_PER_MINUTE) {
      problems.at(
        f.budget?.tx_per_minute !== undefined ? originOf(["budget", "tx_per_minute"]) : originOf(reserveKey),
        f.budget?.tx_per_minute !== undefined ? ["budget", "tx_per_minute"] : reserveKey,
        `budget.tx_per_minute ${txPerMinute} leaves quotes ${Math.max(0, txPerMinute - hedgeReserve)} transaction(s) a minute after ` +
          `budget.hedge_reserve ${hedgeReserve}; it must exceed the reserve by at least ${MIN_QUOTE_ROOM_PER_MINUTE} ` +
          `(allowed: tx_per_minute >= ${hedgeReserve + MIN_QUOTE_ROOM_PER_MINUTE}, or 0 for no limit), or A never quotes`
      )
    }
  }

  // strategy.force_close_timeout closes both accounts: it must outlast B's own tries at one hedge,
  // or a slow hedge that would have succeeded closes the pair instead.
  const forceCloseS = f.strategy?.force_close_timeout ?? DEFAULTS.forceCloseTimeoutS
  const hedgeTriesMs = (f.hedge?.max_attempts ?? DEFAULTS.maxAttempts) * (f.hedge?.result_timeout_ms ?? DEFAULTS.resultTimeoutMs)
  if (forceCloseS > 0 && forceCloseS * 1000 <= hedgeTriesMs) {
    const key = ["strategy", "force_close_timeout"]
    problems.at(
      originOf(key),
      key,
      `${forceCloseS} s is not longer than B's own tries at one hedge (hedge.max_attempts ${f.hedge?.max_attempts ?? DEFAULTS.maxAttempts} × ` +
        `hedge.result_timeout_ms ${f.hedge?.result_timeout_ms ?? DEFAULTS.resultTimeoutMs} = ${hedgeTriesMs / 1000} s): a slow hedge would close both accounts; ` +
        `use more than ${hedgeTriesMs / 1000} s (the previous system's default was 30), or 0 for off`
    )
  }

  // market.depth counted in orders reads the venue's order list, which lists at most 250 a side.
  const depthUnit = f.maker?.depth_unit ?? DEFAULTS.depthUnit
  const depth = f.market?.depth ?? DEFAULTS.depth
  if (depthUnit === "orders" && depth > MAX_BOOK_ORDERS) {
    problems.at(
      originOf(["market", "depth"]),
      ["market", "depth"],
      `${depth} orders deep: the venue lists at most ${MAX_BOOK_ORDERS} orders a side (orderBookOrders), so no quote could ever be placed; ` +
        `use at most ${MAX_BOOK_ORDERS}, or maker.depth_unit: levels to count price levels`
    )
  }

  // Metrics ports: one per process. metrics.port alone serves whichever process reads the file;
  // A and B sharing a file need metrics.port_a and metrics.port_b.
  const portA = f.metrics?.port_a ?? undefined
  const portB = f.metrics?.port_b ?? undefined
  const sharedPort = f.metrics?.port ?? undefined
  if ((portA !== undefined || portB !== undefined) && (portA ?? sharedPort) !== undefined && (portA ?? sharedPort) === (portB ?? sharedPort)) {
    const key = portB !== undefined ? ["metrics", "port_b"] : ["metrics", "port_a"]
    problems.at(
      originOf(key),
      key,
      `A and B would both serve metrics on port ${portA ?? sharedPort} (metrics.port_a ${portA ?? "unset"}, metrics.port_b ${portB ?? "unset"}, ` +
        `metrics.port ${sharedPort ?? "unset"}); give each process its own port`
    )
  }

  if (problems.lines.length > 0) return Result.fail(problems.lines)

  const level = f.logging?.level ?? DEFAULTS.logLevel
  const pollIntervalMs = toMs(f.strategy?.poll_interval ?? DEFAULTS.pollIntervalS)
  const reconnectBaseDelayMs = toMs(f.strategy?.ws_reconnect_delay ?? DEFAULTS.wsReconnectDelayS)
  const config: HedgeflowConfig = {
    source: input.absPath,
    pair: { name: pairName },
    venue: { kind: venueKind, live, network, baseUrl, wsUrl, chainId, authTokenTtlSec: f.lighter?.auth_lifetime ?? DEFAULTS.authTokenTtlS },
    accounts: { a, b },
    market: { symbol, quantity: f.market?.quantity ?? DEFAULTS.quantity, depth: f.market?.depth ?? DEFAULTS.depth },
    maker: {
      maxQuoteAgeMs: toMs(f.lighter?.maker_order_time_out ?? DEFAULTS.makerOrderTimeOutS),
      closeAtBestAfterMs: toMs(f.maker?.close_at_best_after ?? DEFAULTS.closeAtBestAfterS),
      pollIntervalMs: Math.max(1, pollIntervalMs),
      requoteDriftTicks: f.maker?.requote_drift_ticks ?? DEFAULTS.requoteDriftTicks,
      cancelOnExit: f.maker?.cancel_on_exit ?? true,
      postOnly: f.maker?.post_only ?? true,
      cancelOrphansOnStart: f.maker?.cancel_orphans_on_start ?? true,
      cancelForeignOrders: f.maker?.cancel_foreign_orders ?? false,
      hedgerHeartbeatTimeoutMs: f.maker?.hedger_heartbeat_timeout_ms ?? DEFAULTS.hedgerHeartbeatTimeoutMs,
      depthUnit,
      bookOrdersRefreshMs: f.maker?.book_orders_refresh_ms ?? DEFAULTS.bookOrdersRefreshMs,
      minRequoteIntervalMs: f.maker?.min_requote_interval_ms ?? DEFAULTS.minRequoteIntervalMs,
      quoteTxPerMinute: f.maker?.quote_tx_per_minute ?? DEFAULTS.quoteTxPerMinute
    },
    hedge: {
      slippageBps,
      maxAttempts: f.hedge?.max_attempts ?? DEFAULTS.maxAttempts,
      clientIndexTag: f.hedge?.client_index_tag ?? "auto",
      resultTimeoutMs: f.hedge?.result_timeout_ms ?? DEFAULTS.resultTimeoutMs,
      instance: f.hedge?.instance ?? `b-${sanitizeId(hostname())}`,
      claimIdleMs: f.hedge?.claim_idle_ms ?? DEFAULTS.claimIdleMs,
      maxFillMultiple: f.hedge?.max_fill_multiple ?? DEFAULTS.maxFillMultiple
    },
    risk: {
      maxPosition: f.risk?.max_position,
      maxUnhedged: f.risk?.max_unhedged,
      maxUnhedgedAgeMs: f.risk?.max_unhedged_age_ms ?? 30_000,
      maxConsecutiveFailures: f.risk?.max_consecutive_failures ?? 3,
      maxHedgeSlippageBps,
      minFreeCollateralMicro,
      maxClockSkewMs: f.risk?.max_clock_skew_ms ?? DEFAULTS.maxClockSkewMs,
      streamRefusedHaltAfterMs: toMs(f.risk?.stream_refused_halt_after ?? DEFAULTS.streamRefusedHaltAfterS),
      forceCloseAfterMs: toMs(forceCloseS),
      forceCloseAction: f.risk?.force_close_action ?? DEFAULTS.forceCloseAction
    },
    alerts: {
      webhookUrl: secretEnv(input.env, ALERT_WEBHOOK_ENV),
      telegramBotToken: secretEnv(input.env, TELEGRAM_BOT_TOKEN_ENV),
      telegramChatId: f.alerts?.telegram_chat_id,
      telegramApiUrl: f.alerts?.telegram_api_url ?? "https://api.telegram.org"
    },
    budget: {
      txPerMinute,
      hedgeReserve: Math.min(hedgeReserve, txPerMinute),
      key: f.budget?.key ?? `${prefix as string}:tx-budget`
    },
    orders: { retries: f.strategy?.retry_times ?? DEFAULTS.retryTimes },
    connection: {
      reconnectBaseDelayMs: Math.max(1, reconnectBaseDelayMs),
      reconnectMaxDelayMs: Math.max(reconnectBaseDelayMs, DEFAULTS.reconnectMaxDelayMs)
    },
    redis: { url: redisUrl, username, password, keyPrefix: prefix as string },
    logging: {
      dir: f.logging?.dir ?? DEFAULTS.logDir,
      level: level === "warning" ? "warn" : level,
      console: f.logging?.console ?? DEFAULTS.console
    },
    metrics: { port: sharedPort, portA, portB, host: f.metrics?.host ?? DEFAULTS.metricsHost },
    legacy: {
      documentedChannels: f.legacy?.documented_channels ?? true,
      previousChannels: f.legacy?.previous_channels ?? true,
      accountAName: f.accounts?.account_a?.account_name ?? "account_a",
      accountBName: f.accounts?.account_b?.account_name ?? "account_b"
    },
    warnings
  }
  return Result.succeed(freeze(config))
}

/** Transactions a minute the shared budget must leave quotes beyond budget.hedge_reserve. */
export const MIN_QUOTE_ROOM_PER_MINUTE = 5

/** The metrics port of process `role` (metrics.port_a / port_b, else metrics.port), or undefined when off. */
export const metricsPortOf = (config: HedgeflowConfig, role: "a" | "b"): { readonly port: number; readonly key: string } | undefined => {
  const own = role === "a" ? config.metrics.portA : config.metrics.portB
  if (own !== undefined) return { port: own, key: `metrics.port_${role}` }
  return config.metrics.port === undefined ? undefined : { port: config.metrics.port, key: "metrics.port" }
}

/** A readable, secret-free rendering (JSON with secrets as "<redacted>"). */
export const describeConfig = (config: HedgeflowConfig): string => JSON.stringify(config, null, 2)

const deepFreeze = <A>(u: A): A => {
  if (typeof u === "object" && u !== null && !Redacted.isRedacted(u) && !Object.isFrozen(u)) {
    for (const v of Object.values(u)) deepFreeze(v)
    Object.freeze(u)
  }
  return u
}

const freeze = (config: HedgeflowConfig): HedgeflowConfig => {
  Object.defineProperty(config, "toString", { value: () => describeConfig(config), enumerable: false })
  return deepFreeze(config)
}

const knownSecretsOf = (env: Record<string, string | undefined>): ReadonlyArray<string> =>
  [ACCOUNT_A_PRIVATE_KEY_ENV, ACCOUNT_B_PRIVATE_KEY_ENV, ...SECRET_ENV.redisPassword, ALERT_WEBHOOK_ENV, TELEGRAM_BOT_TOKEN_ENV]
    .map((n) => envValue(env, n))
    .filter((s): s is string => s !== undefined)

const configError = (lines: ReadonlyArray<string>, env: Record<string, string | undefined>): ConfigLoadError => {
  const secrets = knownSecretsOf(env)
  const clean = lines.map((l) => scrub(l, secrets))
  const message = clean.length === 1
    ? clean[0]!
    : `${clean.length} problems in the configuration:\n${clean.map((l) => `  - ${l}`).join("\n")}`
  return new ConfigLoadError({ message, problems: clean })
}

const decodeEffect = (input: DecodeInput): Effect.Effect<HedgeflowConfig, ConfigLoadError> => {
  try {
    const r = decode(input)
    return Result.isSuccess(r) ? Effect.succeed(r.success) : Effect.fail(configError(r.failure, input.env))
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return Effect.fail(configError([`${input.path}: unexpected error while reading the configuration: ${why}`], input.env))
  }
}

/**
 * Reads and checks the config. Never throws: any problem (missing file, bad YAML, a secret
 * in the file, a bad value in the file, the environment or a flag) is a ConfigLoadError whose
 * message has one line per problem. `env` is usually process.env.
 */
export const loadConfig = (args: {
  readonly path: string
  readonly env: Record<string, string | undefined>
  readonly overrides?: CliOverrides
}): Effect.Effect<HedgeflowConfig, ConfigLoadError> =>
  Effect.suspend(() => {
    const absPath = resolve(args.path)
    let text: string
    try {
      text = readFileSync(absPath, "utf8")
    } catch (e) {
      const code = (e as { code?: string }).code
      const why = code === "ENOENT"
        ? "not found"
        : code === "EISDIR"
        ? "is a directory"
        : code === "EACCES"
        ? "cannot be read: permission denied"
        : `cannot be read (${code ?? String(e)})`
      return Effect.fail(configError([`config file ${absPath} ${why} (choose one with --config FILE)`], args.env))
    }
    return decodeEffect({ path: args.path, absPath, text, env: args.env, overrides: args.overrides ?? {} })
  })

/** Decodes config text directly (tests, tools); `path` is only used in messages and for relative key files. */
export const loadConfigText = (args: {
  readonly text: string
  readonly path?: string
  readonly env?: Record<string, string | undefined>
  readonly overrides?: CliOverrides
}): Effect.Effect<HedgeflowConfig, ConfigLoadError> =>
  Effect.suspend(() => {
    const path = args.path ?? "config.yaml"
    return decodeEffect({ path, absPath: resolve(path), text: args.text, env: args.env ?? {}, overrides: args.overrides ?? {} })
  })

/** The private key of one account, or an error naming where to put it. */
export const requirePrivateKey = (
  config: HedgeflowConfig,
  which: "a" | "b"
): Effect.Effect<Redacted.Redacted<string>, ConfigLoadError> => {
  const acc = config.accounts[which]
  if (acc.privateKey !== undefined) return Effect.succeed(acc.privateKey)
  const fileKey = `accounts.account_${which}.private_key_file`
  const message = `account ${which.toUpperCase()} (${acc.name}, index ${acc.accountIndex}) has no private key: set ${acc.privateKeyEnv} in the environment, or name a key file in ${fileKey}`
  return Effect.fail(new ConfigLoadError({ message, problems: [message] }))
}
