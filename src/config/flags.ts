// Command-line flags of bin/main-a and bin/main-b. They accept the previous system's
// invocations unchanged:
//   main_A.py --market BTC --quantity 0.0002 --depth 60 --config config.yaml
//   main_B.py --market BTC --config config.yaml
// Flags override config.yaml and the environment. Values are decoded with the same field
// schemas as the file, so `--depth 0` fails the same way `market.depth: 0` does.
import { Effect, Result, Schema } from "effect"
import { levenshtein, pathKey, problemsOf, showValue } from "./issues.ts"
import { KEY_ENTRIES } from "./keys.ts"
import { Bool, FilePath, type LighterNetwork, type VenueKind } from "./fields.ts"

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

const schemaOfKey = (path: ReadonlyArray<string>): Schema.Top => {
  const entry = KEY_ENTRIES.find((e) => pathKey(e.path) === pathKey(path))
  if (entry === undefined) throw new Error(`flags.ts: ${pathKey(path)} is not a config key`)
  return entry.spec.schema
}

/** Each flag's value decodes with its key's own schema, so `--depth 0` fails as `market.depth: 0` does. */
const OverridesSchema = Schema.Struct({
  config: Schema.optionalKey(FilePath),
  dryRun: Schema.optionalKey(Bool),
  ...Object.fromEntries(CLI_KEYS.map((k) => [k.key, Schema.optionalKey(schemaOfKey(k.path))]))
}) as unknown as Schema.Codec<{ readonly config?: string; readonly dryRun?: boolean } & CliOverrides, unknown>

const flagsOf = (program: Program) => FLAGS.filter((f) => f.programs.includes(program))

export const helpText = (program: Program): string => {
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
  const rows = flagsOf(program).map((f) => {
    const head = f.hint === "" ? f.flag : `${f.flag} ${f.hint}`
    return head.length > 22 ? `  ${head}\n  ${"".padEnd(22)} ${f.help}` : `  ${head.padEnd(22)} ${f.help}`
  })
  return [
    `usage: ${name} [flags]`,
    "",
    role + ".",
    zh,
    "",
    "flags (--flag VALUE or --flag=VALUE; flags override the environment, which overrides the file):",
    ...rows,
    `  ${"-h, --help".padEnd(22)} show this help`,
    "",
    `example: ${example}`,
    "secrets come from the environment only: HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY, HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY, REDIS_PASSWORD"
  ].join("\n")
}

const fail = (flag: string, message: string) => Effect.fail(new CliArgsError({ flag, message }))

const parse = (program: Program, argv: ReadonlyArray<string>): Effect.Effect<CliParse, CliArgsError> =>
  Effect.suspend((): Effect.Effect<CliParse, CliArgsError> => {
    const name = program === "a" ? "main-a" : "main-b"
    const mine = flagsOf(program)
    const raw: Record<string, unknown> = {}
    const flagOfKey = new Map<string, string>()
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      if (arg === "-h" || arg === "--help") return Effect.succeed({ _tag: "Help", text: helpText(program) } as const)
      if (!arg.startsWith("--") || arg === "--") {
        return fail(arg, `${name}: unexpected argument ${JSON.stringify(arg)} (flags look like --market BTC; see --help)`)
      }
      const eq = arg.indexOf("=")
      const flag = eq >= 0 ? arg.slice(0, eq) : arg
      const spec = mine.find((f) => f.flag === flag)
      if (spec === undefined) {
        const other = FLAGS.find((f) => f.flag === flag)
        if (other !== undefined) {
          return fail(flag, `${name}: ${flag} is a flag of ${program === "a" ? "main-b" : "main-a"} only (see --help)`)
        }
        const near = mine
          .map((f) => ({ f: f.flag, d: levenshtein(flag, f.flag) }))
          .filter((x) => x.d <= 3)
          .sort((x, y) => x.d - y.d)[0]
        return fail(flag, `${name}: unknown flag ${flag}${near !== undefined ? ` (did you mean ${near.f}?)` : ""}; see --help`)
      }
      if (spec.switch === true) {
        const v = eq >= 0 ? arg.slice(eq + 1).trim().toLowerCase() : "true"
        if (v !== "true" && v !== "false") {
          return fail(flag, `${name}: ${flag} takes no value (or ${flag}=true / ${flag}=false), got ${showValue(arg.slice(eq + 1))}`)
        }
        raw[spec.key] = v === "true"
        flagOfKey.set(spec.key, flag)
        continue
      }
      let value: string
      if (eq >= 0) {
        value = arg.slice(eq + 1)
      } else {
        const next = argv[i + 1]
        if (next === undefined || (next.startsWith("--") && next.length > 2)) {
          return fail(flag, `${name}: ${flag} needs a value (${flag} ${spec.hint})`)
        }
        value = next
        i++
      }
      if (value.trim() === "") return fail(flag, `${name}: ${flag} needs a value (${flag} ${spec.hint})`)
      if (spec.number === true) {
        if (!/^[+-]?\d+$/.test(value.trim())) {
          return fail(flag, `${name}: ${flag}: expected a whole number, got ${showValue(value)}`)
        }
        raw[spec.key] = Number(value.trim())
      } else {
        raw[spec.key] = spec.key === "market" ? value.trim().toUpperCase() : value.trim()
      }
      flagOfKey.set(spec.key, flag)
    }
    const decoded = Schema.decodeUnknownResult(OverridesSchema)(raw, { errors: "all", onExcessProperty: "error" })
    if (Result.isFailure(decoded)) {
      const problem = problemsOf(decoded.failure.issue, OverridesSchema.ast)[0]
      const key = problem?.path[0] ?? ""
      const flag = flagOfKey.get(key) ?? key
      const expected = problem?._tag === "Invalid" ? problem.expected : "a valid value"
      const got = key === "redisUrl" ? "a value that is not one (not shown: it may hold a password)" : showValue(raw[key])
      return fail(flag, `${name}: ${flag}: expected ${expected}, got ${got}`)
    }
    const { config, dryRun, ...overrides } = decoded.success
    return Effect.succeed({ _tag: "Run", config: config ?? DEFAULT_CONFIG_PATH, overrides, dryRun: dryRun ?? false } as const)
  })

/** Flags of bin/main-a (argv without node and script: process.argv.slice(2)). */
export const parseMainAArgs = (argv: ReadonlyArray<string>): Effect.Effect<CliParse, CliArgsError> => parse("a", argv)

/** Flags of bin/main-b (argv without node and script: process.argv.slice(2)). */
export const parseMainBArgs = (argv: ReadonlyArray<string>): Effect.Effect<CliParse, CliArgsError> => parse("b", argv)
