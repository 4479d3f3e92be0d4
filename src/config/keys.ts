// Every key of config.yaml, written once: its type (a field schema from fields.ts, whose
// `expected` text error messages quote), its default, its environment variables and its doc.
// From this table come the file's Schema (ConfigFile), the TypeScript type of the completed
// settings (Settings), the defaults, the environment overrides and the key tables of
// docs/CONFIG.md (`npm run docs:config`; test/config/docs.test.ts fails when they are stale).
//
// A key without a default is undefined in Settings unless a rule in load.ts derives it (its
// `defaultDoc` says how). Adding a tunable: one entry here, then read it from `config.settings`.
// The previous system's sections (accounts, redis, lighter, strategy) keep their old paths.
import { Schema } from "effect"
import {
  AccountIndex,
  ApiKeyIndex,
  Bool,
  ClientIndexTag,
  ConsoleMode,
  Depth,
  DepthUnitSchema,
  EmptyPassword,
  FilePath,
  ForceCloseAction,
  Host,
  HttpUrl,
  Identifier,
  IntBetween,
  KeyPrefix,
  LighterNetwork,
  LogLevel,
  MarketSymbol,
  MaxAttempts,
  MIN_LOOP_INTERVAL_S,
  NonEmptyString,
  OffOrIntBetween,
  OffOrSecondsBetween,
  OptionalPort,
  Port,
  Quantity,
  RedisDb,
  RedisUrl,
  SecondsBetween,
  SlippageBps,
  SlippageLimitBps,
  UsdcAmount,
  VenueKind,
  WsUrl
} from "./fields.ts"

/** How an environment variable's text becomes a value (the key's schema then checks it). */
export type EnvKind = "string" | "int" | "bool" | "upper"

export interface KeySpec<A = unknown, HasDefault extends boolean = boolean> {
  readonly _tag: "ConfigKey"
  readonly schema: Schema.Codec<A, unknown>
  readonly default: A | undefined
  /** Marks, for the type of Settings, whether the key always has a value. */
  readonly hasDefault: HasDefault
  /** Shown after the default in the docs: "s" renders `30` (s). */
  readonly unit?: string
  /** Shown after the default (or after "—" without one): "simulator only", "off". */
  readonly defaultNote?: string
  /** The docs' default cell, for a default derived from other keys (load.ts computes it). */
  readonly defaultDoc?: string
  /** Environment variables that set this key; a later one wins over an earlier one. */
  readonly env?: ReadonlyArray<string>
  readonly envKind?: EnvKind
  /** A decimal amount: a bare YAML number keeps its exact source text (0.0002 stays "0.0002"). */
  readonly decimalText?: boolean
  /** Never shown in an error (it may carry a password). */
  readonly hideValue?: boolean
  /** English / 中文. */
  readonly doc: string
}

type KeyOptions<A> = Omit<KeySpec<A>, "_tag" | "schema" | "default" | "hasDefault">

function key<S extends Schema.Top>(
  schema: S,
  options: KeyOptions<S["Type"]> & { readonly default: S["Type"] }
): KeySpec<S["Type"], true>
function key<S extends Schema.Top>(schema: S, options: KeyOptions<S["Type"]>): KeySpec<S["Type"], false>
function key<S extends Schema.Top>(
  schema: S,
  options: KeyOptions<S["Type"]> & { readonly default?: S["Type"] }
): KeySpec<S["Type"], boolean> {
  return {
    _tag: "ConfigKey",
    ...options,
    schema: schema as unknown as Schema.Codec<S["Type"], unknown>,
    default: options.default,
    hasDefault: options.default !== undefined
  }
}

export interface KeyTree {
  readonly [name: string]: KeySpec<any, boolean> | KeyTree
}

export const isKeySpec = (u: KeySpec<any, boolean> | KeyTree): u is KeySpec<any, boolean> =>
  (u as { readonly _tag?: unknown })._tag === "ConfigKey"

/** The completed settings: every key, its default applied. */
export type SettingsOf<T> = {
  readonly [K in keyof T]: T[K] extends KeySpec<infer A, infer D> ? (D extends true ? A : A | undefined) : SettingsOf<T[K]>
}
/** The file as written: every key optional. */
export type FileOf<T> = {
  readonly [K in keyof T]?: T[K] extends KeySpec<infer A, boolean> ? A : FileOf<T[K]>
}

const seconds = "s"

// ---------------------------------------------------------------------------------------------
// The keys

export const KEYS = {
  accounts: {
    account_a: {
      account_name: key(NonEmptyString, {
        default: "A",
        doc: "label of the maker account, used in logs; `{a}` of the previous system's Redis channel and positions hash (`account_a` when absent, see [`legacy`](#legacy-the-previous-systems-redis-messages--旧系统的-redis-消息)) / maker 账户名称（用于日志）；也是旧系统 Redis 频道和持仓哈希中的名称（未填写时为 `account_a`）"
      }),
      account_index: key(AccountIndex, {
        default: 1,
        defaultNote: "simulator only",
        env: ["HEDGEFLOW_ACCOUNT_A_INDEX"],
        envKind: "int",
        doc: "Lighter account index of A (0-9007199254740991); `main-a` refuses to start when the venue does not know it / A 的 Lighter 账户编号；交易所不存在该账户时 `main-a` 拒绝启动"
      }),
      api_key_index: key(ApiKeyIndex, {
        default: 4,
        defaultNote: "simulator only",
        env: ["HEDGEFLOW_ACCOUNT_A_API_KEY_INDEX"],
        envKind: "int",
        doc: "API key slot of A, 0-255 / A 的 API key 编号（0-255）"
      }),
      private_key_file: key(FilePath, {
        doc: "file holding A's API private key / 存放 A 私钥的文件"
      }),
    },
    account_b: {
      account_name: key(NonEmptyString, {
        default: "B",
        doc: "label of the hedge account, used in logs; `{b}` of the previous system's Redis channel and positions hash (`account_b` when absent) / 对冲账户名称（用于日志）；也是旧系统 Redis 频道和持仓哈希中的名称（未填写时为 `account_b`）"
      }),
      account_index: key(AccountIndex, {
        default: 2,
        defaultNote: "simulator only",
        env: ["HEDGEFLOW_ACCOUNT_B_INDEX"],
        envKind: "int",
        doc: "Lighter account index of B (0-9007199254740991); `main-b` refuses to start when the venue does not know it / B 的 Lighter 账户编号；交易所不存在该账户时 `main-b` 拒绝启动"
      }),
      api_key_index: key(ApiKeyIndex, {
        default: 4,
        defaultNote: "simulator only",
        env: ["HEDGEFLOW_ACCOUNT_B_API_KEY_INDEX"],
        envKind: "int",
        doc: "API key slot of B, 0-255 / B 的 API key 编号（0-255）"
      }),
      private_key_file: key(FilePath, {
        doc: "file holding B's API private key / 存放 B 私钥的文件"
      }),
    },
  },
  redis: {
    host: key(Host, {
      default: "127.0.0.1",
      env: ["HEDGEFLOW_REDIS_HOST"],
      doc: "Redis host / Redis 主机"
    }),
    port: key(Port, {
      default: 6379,
      env: ["HEDGEFLOW_REDIS_PORT"],
      envKind: "int",
      doc: "Redis port (1-65535) / 端口"
    }),
    db: key(RedisDb, {
      default: 0,
      env: ["HEDGEFLOW_REDIS_DB"],
      envKind: "int",
      doc: "database number (0-99, and below the server's `databases` setting, 16 by default: `main-a`, `main-b` and the `bin/hedge` commands check it at start with `CONFIG GET databases`, or with `SELECT` where CONFIG is not allowed, and refuse an out-of-range one — Redis clients otherwise fall back to db 0 silently) / 数据库编号；启动时检查服务器是否有该库，超出范围拒绝启动（否则客户端会悄悄使用 0 号库）"
    }),
    password: key(EmptyPassword, {
      doc: "accepted only empty (old files); put the password in `REDIS_PASSWORD` / 只允许留空；密码请放 `REDIS_PASSWORD`"
    }),
    url: key(RedisUrl, {
      env: ["REDIS_URL", "HEDGEFLOW_REDIS_URL"],
      hideValue: true,
      doc: "`redis://host:port/db` or `rediss://…` (TLS; a private CA through NODE_EXTRA_CA_CERTS), instead of host/port/db, without a password / 代替 host/port/db，不要带密码（`rediss://` 为 TLS，私有 CA 用 NODE_EXTRA_CA_CERTS）"
    }),
    username: key(NonEmptyString, {
      env: ["HEDGEFLOW_REDIS_USERNAME"],
      doc: "Redis ACL user / Redis ACL 用户名"
    }),
    password_file: key(FilePath, {
      doc: "file holding the Redis password / 存放 Redis 密码的文件"
    }),
    connect_timeout_ms: key(IntBetween(500, 60_000, "a number of milliseconds"), {
      default: 3_000,
      doc: "how long one attempt to connect to Redis may take; at start a failed attempt is retried, and an unreachable Redis stops the program with one line (500-60000) / 连接 Redis 单次尝试的超时；启动时会重试，仍无法连接则退出并说明原因"
    }),
    key_prefix: key(KeyPrefix, {
      default: "hedgeflow:{symbol}:{a}-{b}",
      env: ["HEDGEFLOW_REDIS_KEY_PREFIX"],
      doc: "prefix of every key and stream of this pair; placeholders `{symbol}` `{a}` `{b}` (account indexes) `{pair}`. The pair's identity (market, A's and B's accounts) is recorded under it (`<prefix>:pair`) at the first start; another pair using the same prefix is refused / 本交易对所有键和流的前缀；首次启动时记录交易对身份（品种、A/B 账户），其他交易对使用同一前缀会被拒绝"
    }),
  },
  lighter: {
    base_url: key(HttpUrl, {
      defaultDoc: "`http://127.0.0.1:8787`; with `venue.kind: lighter` and `venue.network`, that network's (see above)",
      env: ["HEDGEFLOW_LIGHTER_BASE_URL"],
      doc: "venue REST URL (the simulator by default); a URL on Lighter's mainnet or testnet host implies that network / 交易所 REST 地址（默认模拟交易所）；Lighter 主网或测试网地址即表示该网络"
    }),
    ws_url: key(WsUrl, {
      defaultDoc: "base_url with `ws(s)://` and `/stream`",
      env: ["HEDGEFLOW_LIGHTER_WS_URL"],
      doc: "venue WebSocket URL / WebSocket 地址"
    }),
    maker_order_time_out: key(SecondsBetween(1, 86_400), {
      default: 30,
      unit: seconds,
      doc: "a resting quote older than this is replaced (max quote age); 1-86400 s / 挂单超过此时间即重新挂单"
    }),
    auth_lifetime: key(SecondsBetween(60, 28_800), {
      default: 3_600,
      unit: seconds,
      doc: "lifetime of the auth tokens sent on private channels (`account_all_orders`, `account_all_trades`, `account_all_positions`) and private reads (`accountActiveOrders`, `accountInactiveOrders`, `trades`); each subscription is renewed with a fresh token after 3/4 of it (unsubscribe, subscribe; the new snapshot reconciles anything in between). 60-28800 s: the venue refuses tokens living longer than 8 h / 私有频道与私有查询所用 auth token 的有效期；到 3/4 时自动以新 token 重新订阅；最长 8 小时"
    }),
    chain_id: key(IntBetween(0, 4_294_967_295, "a chain id: an integer"), {
      defaultDoc: "the network's (304 mainnet, 300 testnet); without a network 300 when `base_url`'s host contains `testnet`, else 304 (the simulator verifies with 304 unless told otherwise) — as Lighter's Python SDK picks it",
      env: ["HEDGEFLOW_LIGHTER_CHAIN_ID"],
      envKind: "int",
      doc: "chain id every transaction is signed for (0-4294967295); a wrong one makes the venue answer 21120 \"invalid signature\", so one that contradicts the network is refused at load / 交易签名所用的 chain id（测试网 300，主网与模拟交易所 304）；填错时交易所返回 21120 签名无效，与网络矛盾时加载即报错"
    }),
  },
  strategy: {
    retry_times: key(IntBetween(1, 50), {
      default: 3,
      doc: "retries of an order that could not be sent (rate limit, venue unreachable); used by A and B; 1-50 / 下单失败（限流、连不上）时的重试次数"
    }),
    poll_interval: key(SecondsBetween(MIN_LOOP_INTERVAL_S, 60), {
      default: 1,
      unit: seconds,
      doc: "how often A's quote loop decides; 0.05-60 s (each turn reads Redis and the venue) / A 挂单循环的间隔（0.05-60 秒）"
    }),
    ws_reconnect_delay: key(SecondsBetween(MIN_LOOP_INTERVAL_S, 30), {
      default: 1,
      unit: seconds,
      doc: "first WebSocket reconnect delay; doubles up to 30 s; 0.05-30 s / 首次重连等待，之后翻倍，最长 30 秒"
    }),
    force_close_timeout: key(OffOrSecondsBetween(1, 604_800), {
      default: 0,
      defaultNote: "off",
      doc: "A's and B's positions mismatched (\\|A + B\\| at least the venue minimum) for this long (s) → both accounts closed at market (the previous system's meaning; `risk.force_close_action` below). Must be longer than `hedge.max_attempts` × `hedge.result_timeout_ms` (9 s by default); else 1-604800 s. The previous system's template used 30 / A、B 仓位不匹配持续该时长（秒）后市价平掉两边；0 表示关闭"
    }),
  },
  venue: {
    kind: key(VenueKind, {
      default: "simulator",
      env: ["HEDGEFLOW_VENUE"],
      doc: "`simulator`: the embedded exchange on this machine (transactions signed with the account's key, every signature verified by the exchange). `lighter`: Lighter itself, real money — needs `venue.live: true` and explicit account indexes; same client, signer and start-up checks as the simulator. `memory`: in-process fake (tests, demos). / 交易所类型：`simulator` 本机模拟交易所，`lighter` Lighter 实盘（须 `venue.live: true`），`memory` 进程内模拟"
    }),
    live: key(Bool, {
      default: false,
      env: ["HEDGEFLOW_VENUE_LIVE"],
      envKind: "bool",
      doc: "must be `true` with `kind: lighter` (whatever the URL) and to use a non-local URL, i.e. real money / `kind: lighter` 或使用非本机地址（实盘）时必须为 `true`"
    }),
    network: key(LighterNetwork, {
      defaultDoc: "— (from `lighter.base_url`'s host, else none)",
      env: ["HEDGEFLOW_VENUE_NETWORK"],
      doc: "`mainnet` or `testnet`, with `kind: lighter` only: picks `lighter.base_url`, `lighter.ws_url` and `lighter.chain_id` unless they are set (table above); contradicting one that is set is an error naming both keys / Lighter 网络：`mainnet` 或 `testnet`（仅 `kind: lighter`），决定未填写的地址和 chain id；与已填写的值矛盾时报错"
    }),
  },
  pair: {
    name: key(Identifier, {
      defaultDoc: "`<SYMBOL>-<a index>-<b index>`, e.g. `BTC-1-2`",
      env: ["HEDGEFLOW_PAIR"],
      doc: "name of this pair in logs, metrics and status / 交易对名称（日志、监控中使用）"
    }),
  },
  market: {
    symbol: key(MarketSymbol, {
      default: "BTC",
      env: ["HEDGEFLOW_MARKET"],
      envKind: "upper",
      doc: "market symbol (upper-cased) / 交易品种"
    }),
    quantity: key(Quantity, {
      default: "0.0002",
      env: ["HEDGEFLOW_QUANTITY"],
      decimalText: true,
      doc: "base-asset size of each quote, a decimal (quote it to keep it exact) / 每次挂单数量（建议加引号）"
    }),
    depth: key(Depth, {
      default: 5,
      env: ["HEDGEFLOW_DEPTH"],
      envKind: "int",
      doc: "(1-10000; at most 250 with `maker.depth_unit: orders`, the most the venue lists a side) the quote is priced at the N-th resting **order** of its own side of the book (bids for the open-long buy, asks for the close-long sell; 1 = best), counted in individual orders as the previous system did, A's own quote not counted; post-only. With fewer than N orders on that side A places no quote and logs why once (`no buy quote: market.depth 60 needs the 60th order of the bids, but there are only 12 …`), and again only when that changes (`… the book has enough orders again; quoting`); it never falls back to a shallower price. A resting quote is kept meanwhile and still ages out / 挂单价格取本方向（开多买单取买盘，平多卖单取卖盘）第 N 笔挂单的价格（按单笔计，与旧系统相同，不计 A 自己的挂单；1 为最优价），只做 Maker。该方向不足 N 笔时不挂单，只记录一次原因，情况变化时再记录；不会退而取较浅的价格"
    }),
  },
  maker: {
    requote_drift_ticks: key(IntBetween(0, 1_000_000, "a number of ticks"), {
      default: 3,
      doc: "re-quote when the quote's target price (market.depth) moved more than this many ticks from the quote, once the quote is `min_requote_interval_ms` old (0-1000000) / 目标价格偏离挂单超过此 tick 数（且挂单已存在 `min_requote_interval_ms`）时重新挂单"
    }),
    depth_unit: key(DepthUnitSchema, {
      default: "orders",
      doc: "what `market.depth` counts: `orders`, the venue's individual resting orders (REST `orderBookOrders`, the previous system's meaning), or `levels`, the price levels of the live WebSocket book (no REST read). Either way a side shorter than N places no quote / `market.depth` 的计数单位：`orders` 按单笔挂单（旧系统含义，读取 REST `orderBookOrders`），`levels` 按价格档位"
    }),
    book_orders_refresh_ms: key(IntBetween(2_000, 600_000, "a number of milliseconds"), {
      default: 5_000,
      doc: "with `depth_unit: orders`, the order list is read at most this often, and only when a decision needs a price (no quote resting, or one old enough to be re-quoted for drift); 2000-600000. A REST request: a Standard account has 60 a minute, shared with every other read (below) / 读取挂单列表的最短间隔（仅在需要价格时读取）；REST 请求，标准账户每分钟 60 次，与其他查询共用"
    }),
    min_requote_interval_ms: key(IntBetween(0, 3_600_000, "a number of milliseconds"), {
      default: 10_000,
      doc: "a quote rests at least this long before a drift replaces it (age, a phase or size change and the force-close replace it sooner); `0` = no minimum, at most 3600000 / 挂单至少存在此时长后才因价格偏离而重挂（超时、方向或数量变化、强平不受限）；0 表示不限"
    }),
    quote_tx_per_minute: key(OffOrIntBetween(2, 1_000_000, "transactions a minute", "no cap"), {
      default: 20,
      doc: "A's own cap on its quote transactions (places and cancels) in any rolling minute; a re-quote needs room for both its cancel and the replacement, so A never pulls a quote it cannot put back. Never above `budget.tx_per_minute − budget.hedge_reserve` while the budget is on. `0` = no cap of A's own, else 2-1000000 / A 每分钟挂单类交易（下单与撤单）上限；重新挂单须同时有撤单和新单的额度；启用预算时不超过\"总额 − hedge_reserve\"；0 表示不设"
    }),
    cancel_on_exit: key(Bool, {
      default: true,
      doc: "cancel A's resting quote on shutdown / 退出时撤单"
    }),
    post_only: key(Bool, {
      default: true,
      doc: "quotes are post-only (never take) / 只做 maker"
    }),
    cancel_orphans_on_start: key(Bool, {
      default: true,
      doc: "cancel A's open orders in this market left by an earlier run / 启动时撤掉上次遗留的挂单"
    }),
    cancel_foreign_orders: key(Bool, {
      default: false,
      doc: "orders on A's account in this market that this pair did not place (a client index that is not one of its quotes: none, or beyond the pair's quote counter) stop `main-a` at start, listed; `true` (or `--cancel-foreign-orders`) cancels them instead, logging each / 账户 A 在本品种上不是本交易对下的挂单会使 `main-a` 拒绝启动并列出；设为 `true`（或 `--cancel-foreign-orders`）则逐一撤单并记录"
    }),
    close_at_best_after: key(OffOrSecondsBetween(1, 604_800), {
      default: 300,
      unit: seconds,
      doc: "after this long trying to close its long, A's close quote moves to the best ask (still post-only, never a taker order); `0` = never, else 1-604800 s / 平仓挂单超过此时间后改挂卖一价（仍为 post-only）；0 表示不改"
    }),
    hedger_heartbeat_timeout_ms: key(OffOrIntBetween(2_000, 600_000, "milliseconds", "don't check"), {
      default: 15_000,
      doc: "stop quoting when A has not seen B's heartbeat change for this long (A's own monotonic clock: B's host clock may differ); `0` = don't check, else 2000-600000 (B beats every second) / B 心跳超时则停止挂单；0 表示不检查"
    }),
  },
  hedge: {
    slippage_bps: key(SlippageBps, {
      default: 50,
      doc: "price cap of a hedge: reference price ± this many basis points (1-500) / 对冲价格上限：参考价 ± 基点"
    }),
    max_attempts: key(MaxAttempts, {
      default: 3,
      doc: "attempts per fill for what an IOC leaves unfilled (1-20) / 每笔成交的最多对冲次数"
    }),
    client_index_tag: key(ClientIndexTag, {
      default: "auto",
      doc: "tag in derived client order ids, `auto` (from the key prefix) or 0-255; give pairs sharing account B different tags / 客户端订单号标记"
    }),
    result_timeout_ms: key(IntBetween(100, 120_000, "a number of milliseconds"), {
      default: 3_000,
      doc: "wait this long for a hedge's outcome on B's stream, then ask the venue (100-120000) / 等待对冲结果的时间，超时后向交易所查询"
    }),
    instance: key(Identifier, {
      defaultDoc: "`b-<hostname>`",
      env: ["HEDGEFLOW_INSTANCE"],
      doc: "B's consumer id in the fills stream; keep it stable across restarts / B 的消费者 ID，重启时保持不变"
    }),
    claim_idle_ms: key(IntBetween(1_000, 3_600_000, "a number of milliseconds"), {
      default: 30_000,
      doc: "fills pending at a dead consumer longer than this are taken over (1000-3600000) / 其他消费者挂起超过此时间的成交会被接管"
    }),
    max_fill_multiple: key(IntBetween(1, 1_000, "a multiple of market.quantity: an integer"), {
      default: 10,
      doc: "a fill of A larger than this many times `market.quantity` is not plausible: B moves it to the dead-letter stream, alerts and halts the pair, and never hedges it (1-1000) / 单笔成交超过 `market.quantity` 的这个倍数即视为不可信：B 将其移入死信流、告警并暂停交易对，绝不对冲"
    }),
    batch_size: key(IntBetween(1, 1_000, "a number of fills"), {
      default: 16,
      doc: "fills B reads from the stream at a time (1-1000); each is still hedged on its own, in order: a bigger batch only saves Redis round trips / B 每次从成交流读取的条数（仍逐笔按序对冲）"
    }),
    read_block_ms: key(IntBetween(50, 10_000, "a number of milliseconds"), {
      default: 1_000,
      doc: "how long B's read of the stream waits for a new fill before it looks at its other work (claims, residual flush, stop requests); a fill that arrives meanwhile is read at once, so this adds no latency (50-10000) / B 读取成交流的最长阻塞时间（新成交到达即返回，不增加延迟）"
    }),
    send_retry_base_ms: key(IntBetween(10, 10_000, "a number of milliseconds"), {
      default: 100,
      doc: "first wait before B sends again an order that certainly was not sent (rate limit, venue unreachable); it doubles with each of the `strategy.retry_times` retries (10-10000) / B 重发确定未发出的订单前的首次等待，每次翻倍"
    }),
  },
  risk: {
    max_position: key(Quantity, {
      defaultDoc: "5 × `market.quantity`",
      decimalText: true,
      doc: "largest \\|position\\| of either account / 单个账户最大持仓"
    }),
    max_unhedged: key(Quantity, {
      defaultDoc: "5 × `market.quantity`",
      decimalText: true,
      doc: "\\|A + B\\| that halts at once / 净敞口超过即暂停"
    }),
    max_unhedged_age_ms: key(OffOrIntBetween(1_000, 86_400_000, "milliseconds"), {
      default: 30_000,
      doc: "longest time a net exposure of at least the venue minimum may last; `0` = off, else 1000-86400000 / 净敞口允许持续的最长时间"
    }),
    max_consecutive_failures: key(IntBetween(0, 1_000, "an integer (0 = off)"), {
      default: 3,
      doc: "hedges in a row that end failed or partial; `0` = off; at most 1000 / 连续对冲失败次数上限"
    }),
    max_hedge_slippage_bps: key(SlippageLimitBps, {
      defaultDoc: "half of `hedge.slippage_bps` (`25`)",
      doc: "a completed hedge whose size-weighted average price on B is more than this many basis points worse than A's fill price (B selling below it, or buying above it) halts the pair; the message names the fill and both prices. `0` = off; at most 10000. The default is half of `hedge.slippage_bps` (rounded down): the IOC's price cap already refuses anything worse than `hedge.slippage_bps`, so a limit at or above it never fires (a warning says so at start), while a hedge that used more than half its price room is far beyond the spread plus the usual move on liquid markets / 单笔对冲成交均价比 A 的成交价差超过此基点数（B 卖低于、买高于 A 成交价）即暂停；0 表示关闭；默认取 `hedge.slippage_bps` 的一半（向下取整），因为 IOC 限价已挡住更差的价格，不低于它的值永远不会触发"
    }),
    max_clock_skew_ms: key(OffOrIntBetween(500, 300_000, "milliseconds"), {
      default: 2_000,
      doc: "A and B each compare their machine's clock with the venue's (the timestamps on the order-book frames they receive); more than this far off, either way, raises a `clock-skew` alert, once, and another when it is back within. Only an alert: timeouts, backoffs and ages run on the monotonic clock and do not depend on it, but every transaction's `ExpiredAt` is this clock + 10 min, and the venue refuses one it judges expired (21711). `0` = off, else 500-300000 / 本机时钟与交易所时钟（其订单簿推送中的时间戳）相差超过此值即告警一次，恢复后再告警一次；仅告警。超时与时长均使用单调时钟，但交易的 `ExpiredAt` 取自本机时钟，偏差过大会被交易所以 21711 拒绝；0 表示关闭"
    }),
    stream_refused_halt_after: key(SecondsBetween(1, 3_600), {
      default: 30,
      unit: seconds,
      doc: "the venue refusing a channel of a process's account stream (an auth token it does not accept, an unknown account, too many subscriptions) is logged with the channel and the venue's code, alerted once (`stream-refused`), shown by `bin/hedge status` and retried with backoff (1 s doubling to 30 s); refused for this long, the pair is HALTED (A pulls its quote): trading on with a stream we do not receive would be trading blind. 1-3600 s / 账户推送的某个频道被交易所拒绝（token 无效、账户不存在等）时记录频道与错误码、告警、在 status 中显示并退避重试；持续超过此时间则暂停交易对（A 撤单）"
    }),
    force_close_action: key(ForceCloseAction, {
      default: "flatten",
      doc: "what `strategy.force_close_timeout` does when A's and B's positions stay mismatched that long. `flatten`: B halts the pair, fences the fills and quotes in flight and clears the residual pool (as `bin/hedge flatten`), and asks A and B to close; each cancels its account's open orders (all of them, as `bin/hedge flatten` does) and closes its position in the pair's market with reduce-only market orders (A's under reserved client indexes, never published as fills), checks again a second later, records the result and alerts (`force-close`); a side that is down does it when it starts, a side left not flat tries again after 30 s; `bin/hedge status` shows the request and both results; nothing trades until `bin/hedge resume`, which clears the request. `halt`: the pair only halts, with an alert; positions stay / `strategy.force_close_timeout` 触发后的动作：`flatten` 由 B 暂停交易对、隔离在途成交、清空残余池并请求 A、B 各自市价平仓（结果记录在 Redis、告警、status 可见，直到 `resume`）；`halt` 只暂停"
    }),
    check_interval_ms: key(IntBetween(50, 60_000, "a number of milliseconds"), {
      default: 500,
      doc: "how often B's risk monitor reads both positions and checks the limits of this section (50-60000) / B 风控检查（读取双方仓位、检查各项限制）的间隔"
    }),
    reconcile_grace_ms: key(OffOrIntBetween(1_000, 600_000, "milliseconds"), {
      default: 10_000,
      doc: "once every hedge in flight has landed, A + B should be flat; a mismatch of at least the venue minimum that lasts this long (measured against a report of A's position taken after it began) is repaired on B with a reduce-only order when B over-hedged, else the pair halts. `0` = no reconciliation, else 1000-600000 / 所有在途对冲完成后 A + B 应为零；不匹配持续此时长后：B 多对冲时以只减仓订单修正，否则暂停；0 表示不对账"
    }),
    max_correction_multiple: key(IntBetween(1, 1_000, "a multiple of market.quantity: an integer"), {
      default: 5,
      doc: "the largest correction reconciliation sends on its own, as a multiple of `market.quantity`; a larger mismatch halts the pair instead (1-1000) / 对账自动修正的最大数量（`market.quantity` 的倍数），更大的不匹配直接暂停"
    }),
    free_collateral_poll_ms: key(IntBetween(1_000, 600_000, "a number of milliseconds"), {
      default: 5_000,
      doc: "with `risk.min_free_collateral` set, how often each process reads its own account's free collateral (a REST read: mind the 60 a minute of a Standard account) (1000-600000) / 设置 `risk.min_free_collateral` 时各进程读取可用保证金的间隔（REST 请求）"
    }),
    min_free_collateral: key(UsdcAmount, {
      defaultDoc: "off",
      decimalText: true,
      doc: "USDC (e.g. `\"50\"`) each account must keep free: when A's or B's free collateral (Lighter's `available_balance`) falls below it, the pair halts. Each process reads its own account every `risk.free_collateral_poll_ms` (5 s) only while this is set; A publishes its reading in its heartbeat. A value that is unknown (read failing) does not halt. Absent or `\"0\"` = off / 每个账户必须保留的可用保证金（USDC，即 `available_balance`）；A 或 B 低于此值即暂停。仅在设置时每 5 秒读取一次；不设或 `\"0\"` 表示关闭"
    }),
  },
  alerts: {
    telegram_chat_id: key(Schema.String, {
      doc: "chat to send alerts to / 接收告警的会话 ID"
    }),
    telegram_api_url: key(Schema.String, {
      default: "https://api.telegram.org",
      doc: "Telegram Bot API base URL / Telegram API 地址"
    }),
  },
  budget: {
    tx_per_minute: key(IntBetween(0, 1_000_000, "a number of transactions per minute (0 = no limit)"), {
      default: 60,
      doc: "transactions per minute for the address; `0` = no limit (the embedded exchange has none unless started with `--rate-limit`); at most 1000000, and when on at least `hedge_reserve` + 5 (else A never quotes: refused at load) / 每分钟交易上限，0 表示不限；启用时至少为 `hedge_reserve` + 5（否则 A 永远无法挂单，加载时即拒绝）"
    }),
    hedge_reserve: key(IntBetween(0, 1_000_000, "a number of transactions per minute"), {
      default: 10,
      doc: "slots of the window quotes may not use; at least 1 while the budget is on (else quotes can starve hedges), at most 1000000 / 仅供对冲和撤单使用的额度；启用预算时至少为 1"
    }),
    key: key(Identifier, {
      defaultDoc: "`<redis.key_prefix>:tx-budget`",
      doc: "Redis key of the window; pairs trading from the same address must share it / 共享窗口的 Redis 键，同一地址的多个交易对须相同"
    }),
  },
  logging: {
    dir: key(FilePath, {
      default: "logs",
      env: ["HEDGEFLOW_LOG_DIR"],
      doc: "folder of `main_A.jsonl` / `main_B.jsonl` (JSON lines, appended; relative to the working directory), and of `bin/hedge start`'s `main_A.log` / `main_B.log` and pid files / 日志目录"
    }),
    level: key(LogLevel, {
      default: "info",
      env: ["HEDGEFLOW_LOG_LEVEL"],
      doc: "`trace` `debug` `info` `warn` `error` `fatal` / 日志级别"
    }),
    console: key(ConsoleMode, {
      default: "pretty",
      env: ["HEDGEFLOW_LOG_CONSOLE"],
      doc: "stderr output: `pretty` (readable lines), `json`, `off` / 终端输出格式"
    }),
  },
  metrics: {
    port_a: key(OptionalPort, {
      defaultNote: "off",
      env: ["HEDGEFLOW_METRICS_PORT_A"],
      envKind: "int",
      doc: "port of process A's Prometheus text, `http://host:port/metrics` (1-65535) / A 的 Prometheus 指标端口"
    }),
    port_b: key(OptionalPort, {
      defaultNote: "off",
      env: ["HEDGEFLOW_METRICS_PORT_B"],
      envKind: "int",
      doc: "port of process B's (must differ from A's) / B 的指标端口（须与 A 不同）"
    }),
    port: key(OptionalPort, {
      defaultNote: "off",
      env: ["HEDGEFLOW_METRICS_PORT"],
      envKind: "int",
      doc: "one port for whichever process reads this file: for separate config files (or hosts) of A and B. When `main-a` and `main-b` read one file with only `metrics.port`, the second to start is refused with one line naming the first and telling you to set `metrics.port_a` / `metrics.port_b` (rather than dying with EADDRINUSE); `port_a` / `port_b` win over it / 只供读取此文件的那一个进程使用；A、B 共用同一配置时请分别设置 `port_a` / `port_b`，否则后启动的进程会被拒绝并说明原因"
    }),
    host: key(Host, {
      default: "127.0.0.1",
      doc: "address to bind; `0.0.0.0` exposes it to the network / 绑定地址"
    }),
  },
  legacy: {
    documented_channels: key(Bool, {
      default: true,
      doc: "the messages the previous system's README / SYSTEM_STATUS.md document: A's fills on `hedge:account_a_filled`, B's results on `hedge:account_b_filled` / 旧系统文档中的消息：A 的成交、B 的对冲结果"
    }),
    previous_channels: key(Bool, {
      default: true,
      doc: "what the previous implementation actually wrote: A's fills and `close_all` on `hedge:{a}_to_{b}`, the positions hash `hedge:positions:{a}_{b}:{SYMBOL}` / 旧代码实际写入的内容：成交与平仓信号频道、持仓哈希"
    }),
  },} as const satisfies KeyTree

export type Keys = typeof KEYS
/** The completed settings of config.yaml: every key, defaults applied. */
export type Settings = SettingsOf<Keys>
/** config.yaml as written (after decoding): every key optional. */
export type ConfigFileData = FileOf<Keys>

export interface KeyEntry {
  readonly path: ReadonlyArray<string>
  readonly spec: KeySpec<unknown, boolean>
}

const entriesOf = (tree: KeyTree, path: ReadonlyArray<string>): ReadonlyArray<KeyEntry> =>
  Object.entries(tree).flatMap(([name, node]) =>
    isKeySpec(node) ? [{ path: [...path, name], spec: node as KeySpec<unknown, boolean> }] : entriesOf(node, [...path, name])
  )

/** Every key, in the table's order. */
export const KEY_ENTRIES: ReadonlyArray<KeyEntry> = entriesOf(KEYS, [])

const structOf = (tree: KeyTree): Schema.Top =>
  Schema.Struct(
    Object.fromEntries(
      Object.entries(tree).map(([name, node]) => [name, Schema.optionalKey(isKeySpec(node) ? node.schema : structOf(node))])
    )
  )

/**
 * The shape of config.yaml, derived from KEYS. Every key is optional (a missing one takes its
 * default); unknown keys are refused by decoding with onExcessProperty: "error".
 */
export const ConfigFile = structOf(KEYS) as unknown as Schema.Codec<ConfigFileData, unknown>

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const fill = (tree: KeyTree, file: unknown): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(tree).map(([name, node]) => {
      const written = isPlainObject(file) && Object.hasOwn(file, name) ? file[name] : undefined
      return [name, isKeySpec(node) ? written ?? node.default : fill(node, written)]
    })
  )

/** The file's values completed with the table's defaults (a key written empty, YAML null, takes its default). */
export const withDefaults = (file: ConfigFileData): Settings => fill(KEYS, file) as unknown as Settings
