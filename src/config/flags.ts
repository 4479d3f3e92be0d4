// Command-line flags of bin/main-a and bin/main-b. They accept the previous system's
// invocations unchanged:
//   main_A.py --market BTC --quantity 0.0002 --depth 60 --config config.yaml
//   main_B.py --market BTC --config config.yaml
// Flags override config.yaml and the environment. Values are decoded with the same field
// schemas as the file, so `--depth 0` fails the same way `market.depth: 0` does. FLAGS is the one
// table (docs/CONFIG.md's flag table is generated from it); argv.ts parses by it.
import { Effect, Result, Schema } from "effect"
import { defineCommand, type Flag, helpText as argvHelpText, intFlag, readArgv, switchFlag, textFlag } from "./argv.ts"
import { pathKey } from "./issues.ts"
import { KEY_ENTRIES } from "./keys.ts"
import { FilePath, type LighterNetwork, type VenueKind } from "./fields.ts"

/** What flags can override. Each maps onto one config key (see docs/CONFIG.md). */
export interface CliOverrides {
  /** --market → market.symbol */
  readonly market?: string
  /** --quantity → market.quantity (decimal string, A only) */
  readonly quantity?: string
  /** --depth → market.depth (A only) */
  readonly depth?: number
  /** --venue → venue.kind */
  readonly venue?: VenueKind
  /** --network → venue.network */
  readonly network?: LighterNetwork
  /** --cancel-foreign-orders → maker.cancel_foreign_orders (A only; a switch: no value) */
  readonly cancelForeignOrders?: boolean
  /** --redis-url → redis.url */
  readonly redisUrl?: string
  /** --log-dir → logging.dir */
  readonly logDir?: string
  /** --instance → hedge.instance (B's consumer id, B only) */
  readonly instance?: string
}

export type CliParse =
  | {
    readonly _tag: "Run"
    readonly config: string
    readonly overrides: CliOverrides
    /** --dry-run: read the venue, log every transaction, send none, no Redis. */
    readonly dryRun: boolean
  }
  | { readonly _tag: "Help"; readonly text: string }

export class CliArgsError extends Schema.TaggedError<CliArgsError>()("CliArgsError", {
  message: Schema.String,
  flag: Schema.String
}) {}

export const DEFAULT_CONFIG_PATH = "config.yaml"

type Program = "a" | "b"

interface FlagSpec {
  readonly flag: string
  readonly key: keyof CliOverrides | "config" | "dryRun"
  /** The config key the flag sets (keys.ts), for flags that set one. */
  readonly path?: ReadonlyArray<string>
  readonly hint: string
  readonly programs: ReadonlyArray<Program>
  readonly number?: boolean
  /** A switch: present means true, takes no value (`--flag=false` turns it off). */
  readonly switch?: boolean
  readonly help: string
  /** docs/CONFIG.md's text for the flag, after its key (or instead, for a flag without one). */
  readonly doc?: string
}

export const FLAGS: ReadonlyArray<FlagSpec> = [
  {
    flag: "--config",
    key: "config",
    hint: "FILE",
    programs: ["a", "b"],
    help: "config file (default config.yaml)",
    doc: "the config file (default `config.yaml`) / 配置文件"
  },
  { flag: "--market", key: "market", path: ["market", "symbol"], hint: "SYMBOL", programs: ["a", "b"], help: "market symbol, e.g. BTC (market.symbol)" },
  {
    flag: "--quantity",
    key: "quantity", path: ["market", "quantity"],
    hint: "DECIMAL",
    programs: ["a"],
    help: "quote size in base asset, e.g. 0.0002 (market.quantity)"
  },
  {
    flag: "--depth",
    key: "depth", path: ["market", "depth"],
    hint: "N",
    programs: ["a"],
    number: true,
    help: "quote at the price of the N-th resting order of its own side of the book (bids to buy, asks to sell), counted in orders as the previous system did; 1 = best (market.depth; maker.depth_unit: levels counts price levels)"
  },
  { flag: "--venue", key: "venue", path: ["venue", "kind"], hint: "KIND", programs: ["a", "b"], help: "simulator | lighter | memory (venue.kind)" },
  {
    flag: "--network",
    key: "network", path: ["venue", "network"],
    hint: "NETWORK",
    programs: ["a", "b"],
    help: "mainnet | testnet: Lighter's URLs and chain id (venue.network)",
    doc: "(`mainnet` / `testnet`)"
  },
  {
    flag: "--cancel-foreign-orders",
    key: "cancelForeignOrders", path: ["maker", "cancel_foreign_orders"],
    hint: "",
    programs: ["a"],
    switch: true,
    help: "cancel orders this pair did not place on A's account in this market instead of refusing to start (maker.cancel_foreign_orders)"
  },
  {
    flag: "--dry-run",
    key: "dryRun",
    hint: "",
    programs: ["a", "b"],
    switch: true,
    help: "connect, authenticate, subscribe and read with the real keys; log every transaction instead of sending it; no Redis",
    doc: "no key: connect, authenticate, subscribe and read with the real keys; log every transaction instead of sending it; no Redis (README \"Going live\") / 演练模式：用真实密钥连接、认证、订阅和读取，只记录将要发送的交易而不发送，不使用 Redis"
  },
  { flag: "--redis-url", key: "redisUrl", path: ["redis", "url"], hint: "URL", programs: ["a", "b"], help: "redis://host:port/db (redis.url)",
    doc: "(don't put a password here: the process list shows it / 不要在此写密码，进程列表可见)"
  },
  { flag: "--log-dir", key: "logDir", path: ["logging", "dir"], hint: "DIR", programs: ["a", "b"], help: "log directory (logging.dir)" },
  { flag: "--instance", key: "instance", path: ["hedge", "instance"], hint: "ID", programs: ["b"], help: "consumer id of this hedger (hedge.instance)" }
]

/** The config keys flags can set, with their flag and override name (sources.ts lays them over the file). */
export const CLI_KEYS: ReadonlyArray<{ readonly key: keyof CliOverrides; readonly flag: string; readonly path: ReadonlyArray<string> }> =
  FLAGS.flatMap((f) => (f.path === undefined || f.key === "config" || f.key === "dryRun" ? [] : [{ key: f.key, flag: f.flag, path: f.path }]))

/** The key's own schema (the keys' schemas need no services). */
const schemaOfKey = (path: ReadonlyArray<string>): Schema.ConstraintDecoder<unknown> => {
  const entry = KEY_ENTRIES.find((e) => pathKey(e.path) === pathKey(path))
  if (entry === undefined) throw new Error(`flags.ts: ${pathKey(path)} is not a config key`)
  return entry.spec.schema as Schema.ConstraintDecoder<unknown>
}

const flagsOf = (program: Program) => FLAGS.filter((f) => f.programs.includes(program))

const upperCase = (text: string) => text.toUpperCase()

/** A row of FLAGS as the argv parser takes it: each value decodes with its key's own schema, so `--depth 0` fails as `market.depth: 0` does. */
const argvFlag = (f: FlagSpec): Flag<unknown> => {
  if (f.switch === true) return switchFlag(f.flag, f.help)
  const schema = f.path === undefined ? FilePath : schemaOfKey(f.path)
  if (f.number === true) return intFlag(f.flag, f.hint, f.help, schema)
  return textFlag(f.flag, f.hint, f.help, schema, {
    // the Redis URL may hold a password: a bad one is not repeated
    ...(f.key === "redisUrl" ? { secret: true } : {}),
    ...(f.key === "market" ? { normalize: upperCase } : {})
  })
}

const commandOf = (program: Program) => {
  const name = program === "a" ? "main-a" : "main-b"
  const role = program === "a"
    ? "process A: quotes post-only orders on account A and publishes its fills to Redis"
    : "process B: hedges account A's fills on account B"
  const zh = program === "a"
    ? "进程 A：在账户 A 挂单（只做 maker），成交写入 Redis。配置见 docs/CONFIG.md。"
    : "进程 B：在账户 B 对冲账户 A 的成交。配置见 docs/CONFIG.md。"
  const example = program === "a"
    ? `${name} --market BTC --quantity 0.0002 --depth 60 --config config.yaml`
    : `${name} --market BTC --config config.yaml`
  return defineCommand({
    name,
    flags: Object.fromEntries(flagsOf(program).map((f) => [f.key, argvFlag(f)])),
    about: `${role}.\n${zh}`,
    flagsTitle: "flags (--flag VALUE or --flag=VALUE; flags override the environment, which overrides the file):",
    footer: `example: ${example}\nsecrets come from the environment only: HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY, HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY, REDIS_PASSWORD`,
    example: "--market BTC",
    elsewhere: FLAGS.filter((f) => !f.programs.includes(program)).map((f) => ({ flag: f.flag, program: program === "a" ? "main-b" : "main-a" }))
  })
}

const COMMANDS = { a: commandOf("a"), b: commandOf("b") }

export const helpText = (program: Program): string => argvHelpText(COMMANDS[program])

const parse = (program: Program, argv: ReadonlyArray<string>): Effect.Effect<CliParse, CliArgsError> =>
  Effect.suspend((): Effect.Effect<CliParse, CliArgsError> => {
    const parsed = readArgv(COMMANDS[program], argv)
    if (Result.isFailure(parsed)) return Effect.fail(new CliArgsError({ flag: parsed.failure.flag, message: parsed.failure.message }))
    if (parsed.success._tag === "Help") return Effect.succeed({ _tag: "Help", text: parsed.success.text } as const)
    const { config, dryRun, ...overrides } = parsed.success.args as { readonly config?: string; readonly dryRun?: boolean } & CliOverrides
    return Effect.succeed({ _tag: "Run", config: config ?? DEFAULT_CONFIG_PATH, overrides, dryRun: dryRun ?? false } as const)
  })

/** Flags of bin/main-a (argv without node and script: process.argv.slice(2)). */
export const parseMainAArgs = (argv: ReadonlyArray<string>): Effect.Effect<CliParse, CliArgsError> => parse("a", argv)

/** Flags of bin/main-b (argv without node and script: process.argv.slice(2)). */
export const parseMainBArgs = (argv: ReadonlyArray<string>): Effect.Effect<CliParse, CliArgsError> => parse("b", argv)
