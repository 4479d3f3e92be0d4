// Loads config.yaml (the previous system's layout plus hedgeflow's own sections), lays the
// environment and then command-line flags over it, and returns one typed, frozen config:
//
//   file  <  environment (HEDGEFLOW_*, REDIS_URL, REDIS_PASSWORD)  <  command-line flags
//
// The pipeline: read the file (sources.ts: YAML, secrets refused), overlay env and flags with
// provenance, decode with the schema derived from the key table (keys.ts: types, ranges,
// unknown keys), apply the table's defaults, run the named cross-key checks (checks.ts), read
// the secrets (secrets.ts), and derive what the programs use (below).
// - Every error names the key (or the variable, or the flag) it is about, one line each.
// - Secrets never come from the file; they are held as Redacted.
// - No real money without saying so: a non-loopback venue URL needs venue.kind: lighter AND
//   venue.live: true.
// - Times in the legacy keys are seconds (ints or decimals); the typed config holds integer ms.
// - market.quantity stays a decimal string: the market's decimals are only known once the venue
//   reports it (convert with parseScaled from src/domain/market.ts).
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import { dirname, isAbsolute, resolve } from "node:path"
import { Effect, Redacted, Result, Schema } from "effect"
import { CONFIG_CHECKS, configWarnings, expandPrefix, parseUsdc } from "./checks.ts"
import type { LighterNetwork } from "./fields.ts"
import type { CliOverrides } from "./flags.ts"
import { pathKey, problemsOf, showValue } from "./issues.ts"
import { ConfigFile, type ConfigFileData, KEY_ENTRIES, type Settings, withDefaults } from "./keys.ts"
import { venueEndpoints } from "./network.ts"
import {
  ACCOUNT_A_PRIVATE_KEY_ENV,
  ACCOUNT_B_PRIVATE_KEY_ENV,
  ALERT_WEBHOOK_ENV,
  readSecretFile,
  REDIS_PASSWORD_ENVS,
  scrub,
  secretFromEnv,
  secretsInEnv,
  TELEGRAM_BOT_TOKEN_ENV
} from "./secrets.ts"
import { type Origin, originRank, overlay, ProblemLines, readFileLayer } from "./sources.ts"

export { LIGHTER_NETWORKS, networkOfUrl } from "./network.ts"
export { MIN_QUOTE_ROOM_PER_MINUTE } from "./checks.ts"
export { SECRET_ENV } from "./secrets.ts"
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

/**
 * What the programs read. `settings` holds every key as written, its default applied (keys.ts:
 * one place per key; read a tunable from there). The other fields are only what is derived:
 * times in the previous system's seconds as ms, URLs and chain id from the network, secrets,
 * the expanded key prefix, defaults computed from other keys, values normalised.
 */
export interface HedgeflowConfig {
  /** The config file this came from (absolute path). */
  readonly source: string
  /** Every key of config.yaml with its default applied (keys.ts). */
  readonly settings: Settings
  /** Where each key's value came from: the file's path, "environment variable X", "--flag" or "default". */
  readonly provenance: Readonly<Record<string, string>>
  readonly pair: {
    /** pair.name, default "<SYMBOL>-<a index>-<b index>" */
    readonly name: string
  }
  readonly venue: {
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
  }
  readonly accounts: { readonly a: AccountConfig; readonly b: AccountConfig }
  readonly market: {
    /** market.symbol upper-cased, e.g. "BTC" */
    readonly symbol: string
  }
  readonly maker: {
    /** lighter.maker_order_time_out (s): a resting quote older than this is replaced. */
    readonly maxQuoteAgeMs: number
    /** maker.close_at_best_after (s): A's close quote moves to the best ask after this long in the closing phase; 0 = never. */
    readonly closeAtBestAfterMs: number
    /** strategy.poll_interval (s): how often the quote loop decides. */
    readonly pollIntervalMs: number
  }
  readonly hedge: {
    /** hedge.instance, default b-<hostname>: B's consumer id in the fills stream's group. */
    readonly instance: string
  }
  readonly risk: {
    /** risk.max_hedge_slippage_bps, default half of hedge.slippage_bps; 0 = off. */
    readonly maxHedgeSlippageBps: number
    /** Free collateral (micro-USDC) each account must keep, parsed from risk.min_free_collateral; 0 = off. */
    readonly minFreeCollateralMicro: number
    /** risk.stream_refused_halt_after (s → ms): a channel of the account stream refused this long halts the pair. */
    readonly streamRefusedHaltAfterMs: number
    /**
     * strategy.force_close_timeout (s → ms), the previous system's meaning: A's and B's positions
     * mismatched this long → risk.force_close_action (src/safety/force-close.ts). 0 = off.
     */
    readonly forceCloseAfterMs: number
  }
  /** Where alerts go besides the log. Secrets only from the environment. */
  readonly alerts: {
    readonly webhookUrl: Redacted.Redacted<string> | undefined
    readonly telegramBotToken: Redacted.Redacted<string> | undefined
  }
  /** Transactions per minute shared by A and B of one Lighter address (DESIGN I7). */
  readonly budget: {
    /** budget.tx_per_minute; 0 = no limit (the embedded exchange without its rate limit). */
    readonly txPerMinute: number
    /** budget.hedge_reserve, at most the budget: the part only hedges (and cancels) may use. */
    readonly hedgeReserve: number
    /** budget.key, default <prefix>:tx-budget: pairs trading from one address must use the same key. */
    readonly key: string
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
    /** logging.level, "warning" read as "warn". */
    readonly level: LogLevelName
  }
  readonly metrics: {
    /** metrics.port: one port for whichever process reads this config (A or B); undefined = off. */
    readonly port: number | undefined
    /** metrics.port_a / metrics.port_b: each process's own port (wins over `port`). */
    readonly portA: number | undefined
    readonly portB: number | undefined
  }
  /** The previous system's Redis messages beside the streams (src/bus/legacy-messages.ts). */
  readonly legacy: {
    /** legacy.documented_channels: hedge:account_a_filled / hedge:account_b_filled. */
    readonly documentedChannels: boolean
    /** legacy.previous_channels: hedge:{a}_to_{b}, hedge:positions:{a}_{b}:{SYMBOL}, close_all. */
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
// Loading

/** The reconnect delay doubles up to this (strategy.ws_reconnect_delay is the first one). */
const RECONNECT_MAX_DELAY_MS = 30_000

const toMs = (seconds: number): number => Math.round(seconds * 1000)

const resolvePath = (base: string, p: string): string => (isAbsolute(p) ? p : resolve(dirname(base), p))

const sanitizeId = (s: string): string => s.replace(/[^A-Za-z0-9_.:-]/g, "-").slice(0, 60) || "host"

/** risk.max_hedge_slippage_bps when the file has none: half of hedge.slippage_bps. */
const hedgeSlippageLimitDefault = (slippageBps: number): number => Math.floor(slippageBps / 2)

interface DecodeInput {
  /** The config file path as given (used in messages). */
  readonly path: string
  /** Absolute path (relative secret files are resolved against its folder). */
  readonly absPath: string
  readonly text: string
  readonly env: Record<string, string | undefined>
  readonly overrides: CliOverrides
}

/** Keys whose values must never be shown (they may carry credentials). */
const HIDDEN_VALUE_PATHS = new Set(KEY_ENTRIES.filter((e) => e.spec.hideValue === true).map((e) => pathKey(e.path)))

const describeOrigin = (o: Origin | undefined, file: string): string =>
  o === undefined ? "default" : o._tag === "File" ? file : o._tag === "Env" ? `environment variable ${o.name}` : o.flag

/** The whole pipeline, synchronous and total: returns a config or the list of problems. */
const decode = (input: DecodeInput): Result.Result<HedgeflowConfig, ReadonlyArray<string>> => {
  const warnings: Array<string> = []

  // 1. the file, as plain data (YAML, secrets refused, the previous system's spellings adopted)
  const layer = readFileLayer(input.text, input.path)
  if (layer._tag === "Unreadable") return Result.fail(layer.lines)
  warnings.push(...layer.notes)

  // 2. environment, then flags, on top of the file, each value remembering where it came from
  const origins = overlay(layer.data, input.env, input.overrides)
  const originOf = (path: ReadonlyArray<string>): Origin => origins.get(pathKey(path)) ?? { _tag: "File" }
  const problems = new ProblemLines(input.path, originOf)
  for (const p of layer.secretProblems) problems.add(p, { _tag: "File" })
  const secretPaths = new Set(layer.secretProblems.map((p) => pathKey(p.key)))

  // 3. Schema: types, ranges, unknown keys
  const decoded = Schema.decodeUnknownResult(ConfigFile)(layer.data, {
    errors: "all",
    onExcessProperty: "error",
    reportInput: true
  } as const)
  if (Result.isFailure(decoded)) {
    for (const p of problemsOf(decoded.failure.issue, ConfigFile.ast)) {
      if (secretPaths.has(pathKey(p.path))) continue
      if (p._tag === "Unknown") {
        problems.add({ key: p.path, text: `unknown key${p.suggestion !== undefined ? ` (did you mean ${p.suggestion}?)` : ""}` })
      } else {
        const got = HIDDEN_VALUE_PATHS.has(pathKey(p.path))
          ? "a value that is not one (not shown: it may hold a password)"
          : p.hasInput
          ? showValue(p.input)
          : "nothing"
        problems.add({ key: p.path, text: `expected ${p.expected}, got ${got}` })
      }
    }
  }
  if (problems.lines.length > 0 || Result.isFailure(decoded)) return Result.fail(problems.lines)
  const file = decoded.success
  const written = withDefaults(file)
  // A password in redis.url becomes a secret (below); the settings keep the URL without it.
  const settings: Settings = written.redis.url === undefined
    ? written
    : { ...written, redis: { ...written.redis, url: withoutCredentials(written.redis.url) } }

  // 4. rules between keys
  const describe = (key: ReadonlyArray<string>, shown: string): string => {
    const o = originOf(key)
    const where = o._tag === "Env" ? ` (from environment variable ${o.name})` : o._tag === "Cli" ? ` (from ${o.flag})` : ""
    return `${pathKey(key)}: ${shown}${where}`
  }
  for (const check of CONFIG_CHECKS) {
    for (const p of check.run({ file, settings, describe })) problems.add(p)
  }

  // 5. secrets: the environment wins over a key file
  const secretFile = (name: string | undefined, key: ReadonlyArray<string>): Redacted.Redacted<string> | undefined => {
    if (name === undefined) return undefined
    const r = readSecretFile(resolvePath(input.absPath, name), key)
    if (r._tag === "Refused") {
      problems.add(r.problem, { _tag: "File" })
      return undefined
    }
    if (r.warning !== undefined) warnings.push(r.warning)
    return r.value
  }
  const account = (which: "a" | "b"): AccountConfig => {
    const section = which === "a" ? "account_a" : "account_b"
    const s = settings.accounts[section]
    const envName = which === "a" ? ACCOUNT_A_PRIVATE_KEY_ENV : ACCOUNT_B_PRIVATE_KEY_ENV
    return {
      name: s.account_name,
      accountIndex: s.account_index,
      apiKeyIndex: s.api_key_index,
      privateKey: secretFromEnv(input.env, envName) ?? secretFile(s.private_key_file, ["accounts", section, "private_key_file"]),
      privateKeyEnv: envName
    }
  }
  const a = account("a")
  const b = account("b")
  const redis = redisOf(file, settings.redis, originOf, warnings)
  const envPassword = REDIS_PASSWORD_ENVS.map((n) => secretFromEnv(input.env, n)).find((v) => v !== undefined)
  const redisPassword = envPassword ?? redis.password ?? secretFile(settings.redis.password_file, ["redis", "password_file"])

  if (problems.lines.length > 0) return Result.fail(problems.lines)

  // 6. what the programs use
  const endpoints = venueEndpoints(file)
  const symbol = settings.market.symbol.toUpperCase()
  const pairName = settings.pair.name ?? `${symbol}-${a.accountIndex}-${b.accountIndex}`
  const expanded = expandPrefix(settings.redis.key_prefix, { symbol, a: String(a.accountIndex), b: String(b.accountIndex), pair: pairName })
  const prefix = "prefix" in expanded ? expanded.prefix : settings.redis.key_prefix
  const collateral = settings.risk.min_free_collateral === undefined ? undefined : parseUsdc(settings.risk.min_free_collateral)
  // Default: half of the hedge's price room (25 bps with the default 50). A hedge that used more
  // than that is far beyond the spread plus the usual adverse move on Lighter's liquid markets
  // (a few bps); at or above slippage_bps the limit could never fire, the IOC's cap refuses worse.
  const maxHedgeSlippageBps = settings.risk.max_hedge_slippage_bps ?? hedgeSlippageLimitDefault(settings.hedge.slippage_bps)
  warnings.push(...configWarnings(settings, maxHedgeSlippageBps))
  const reconnectBaseDelayMs = toMs(settings.strategy.ws_reconnect_delay)
  const provenance = Object.fromEntries(
    KEY_ENTRIES.map((e) => [pathKey(e.path), describeOrigin(origins.get(pathKey(e.path)), input.path)])
  )
  const config: HedgeflowConfig = {
    source: input.absPath,
    settings,
    provenance,
    pair: { name: pairName },
    venue: { network: endpoints.network, baseUrl: endpoints.baseUrl, wsUrl: endpoints.wsUrl, chainId: endpoints.chainId },
    accounts: { a, b },
    market: { symbol },
    maker: {
      maxQuoteAgeMs: toMs(settings.lighter.maker_order_time_out),
      closeAtBestAfterMs: toMs(settings.maker.close_at_best_after),
      pollIntervalMs: Math.max(1, toMs(settings.strategy.poll_interval))
    },
    hedge: { instance: settings.hedge.instance ?? `b-${sanitizeId(hostname())}` },
    risk: {
      maxHedgeSlippageBps,
      minFreeCollateralMicro: collateral !== undefined && "micro" in collateral ? collateral.micro : 0,
      streamRefusedHaltAfterMs: toMs(settings.risk.stream_refused_halt_after),
      forceCloseAfterMs: toMs(settings.strategy.force_close_timeout)
    },
    alerts: {
      webhookUrl: secretFromEnv(input.env, ALERT_WEBHOOK_ENV),
      telegramBotToken: secretFromEnv(input.env, TELEGRAM_BOT_TOKEN_ENV)
    },
    budget: {
      txPerMinute: settings.budget.tx_per_minute,
      hedgeReserve: Math.min(settings.budget.hedge_reserve, settings.budget.tx_per_minute),
      key: settings.budget.key ?? `${prefix}:tx-budget`
    },
    connection: {
      reconnectBaseDelayMs: Math.max(1, reconnectBaseDelayMs),
      reconnectMaxDelayMs: Math.max(reconnectBaseDelayMs, RECONNECT_MAX_DELAY_MS)
    },
    redis: { url: redis.url, username: redis.username, password: redisPassword, keyPrefix: prefix },
    logging: { level: settings.logging.level === "warning" ? "warn" : settings.logging.level },
    metrics: {
      port: settings.metrics.port ?? undefined,
      portA: settings.metrics.port_a ?? undefined,
      portB: settings.metrics.port_b ?? undefined
    },
    legacy: {
      documentedChannels: settings.legacy.documented_channels,
      previousChannels: settings.legacy.previous_channels,
      // The previous system's fallback names, not A / B.
      accountAName: file.accounts?.account_a?.account_name ?? "account_a",
      accountBName: file.accounts?.account_b?.account_name ?? "account_b"
    },
    warnings
  }
  return Result.succeed(freeze(config))
}

const withoutCredentials = (url: string): string => {
  const u = new URL(url)
  u.username = ""
  u.password = ""
  return u.toString()
}

/**
 * Redis's URL (without credentials, safe to print) and the credentials a URL carried. The URL
 * from the highest layer that set one wins over host/port/db of lower layers.
 */
const redisOf = (
  file: ConfigFileData,
  /** The completed redis section (host, port, db, username: nothing secret). */
  s: Settings["redis"],
  originOf: (path: ReadonlyArray<string>) => Origin,
  warnings: Array<string>
): { readonly url: string; readonly username: string | undefined; readonly password: Redacted.Redacted<string> | undefined } => {
  const urlRank = file.redis?.url === undefined ? 0 : originRank(originOf(["redis", "url"]))
  const hostRank = Math.max(
    ...(["host", "port", "db"] as const).map((k) => (file.redis?.[k] === undefined ? 0 : originRank(originOf(["redis", k]))))
  )
  if (file.redis?.url !== undefined && urlRank >= hostRank) {
    const u = new URL(file.redis.url)
    let password: Redacted.Redacted<string> | undefined
    if (u.password !== "") {
      password = Redacted.make(decodeURIComponent(u.password))
      if (originOf(["redis", "url"])._tag === "Cli") {
        warnings.push("--redis-url carries a password, which other users of this machine can see in the process list; use REDIS_PASSWORD")
      }
    }
    return {
      url: `${u.protocol}//${u.host}/${u.pathname.replace(/^\//, "") || "0"}`,
      username: u.username !== "" ? decodeURIComponent(u.username) : file.redis?.username,
      password
    }
  }
  const h = s.host.includes(":") && !s.host.startsWith("[") ? `[${s.host}]` : s.host
  return { url: `redis://${h}:${s.port}/${s.db}`, username: s.username, password: undefined }
}

/** The metrics port of process `role` (metrics.port_a / port_b, else metrics.port), or undefined when off. */
export const metricsPortOf = (config: HedgeflowConfig, role: "a" | "b"): { readonly port: number; readonly key: string } | undefined => {
  const own = role === "a" ? config.metrics.portA : config.metrics.portB
  if (own !== undefined) return { port: own, key: `metrics.port_${role}` }
  return config.metrics.port === undefined ? undefined : { port: config.metrics.port, key: "metrics.port" }
}

/** Keys whose value came from the environment or a flag, with where from ("market.symbol (--market)"). */
export const setOutsideFile = (config: HedgeflowConfig): ReadonlyArray<string> =>
  Object.entries(config.provenance)
    .filter(([, from]) => from.startsWith("environment variable ") || from.startsWith("--"))
    .map(([key, from]) => `${key} (${from})`)

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

const configError = (lines: ReadonlyArray<string>, env: Record<string, string | undefined>): ConfigLoadError => {
  const secrets = secretsInEnv(env)
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
