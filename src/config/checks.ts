// Rules between keys, as a list of named checks. Each returns the problems it finds, each about
// one key; load.ts says where that key's value came from (file, variable or flag). A config with
// any problem is refused. Ranges of single keys are not here: each key's schema holds its own.
import { MAX_BOOK_ORDERS } from "../domain/book-depth.ts"
import { DecimalFormatError, parseScaled, QUOTE_DECIMALS } from "../domain/market.ts"
import type { KeyProblem } from "./issues.ts"
import { pathKey } from "./issues.ts"
import type { ConfigFileData, Settings } from "./keys.ts"
import { hostOf, LIGHTER_NETWORKS, networkClaims, networkOf, venueEndpoints } from "./network.ts"
import { isLoopbackHost } from "./sources.ts"

export interface CheckContext {
  /** The config as written (file, environment and flags merged), before defaults. */
  readonly file: ConfigFileData
  /** Every key with its default applied. */
  readonly settings: Settings
  /** A key and its shown value, with where it came from when not the file ("(from --network)"). */
  readonly describe: (key: ReadonlyArray<string>, shown: string) => string
}

export interface ConfigCheck {
  readonly name: string
  readonly run: (c: CheckContext) => ReadonlyArray<KeyProblem>
}

/** Transactions a minute the shared budget must leave quotes beyond budget.hedge_reserve. */
export const MIN_QUOTE_ROOM_PER_MINUTE = 5

/** The prefix template with its placeholders filled, or the unknown placeholders. */
export const expandPrefix = (template: string, vars: Record<string, string>): { readonly prefix: string } | { readonly unknown: ReadonlyArray<string> } => {
  const unknown: Array<string> = []
  const out = template.replace(/\{([^}]*)\}/g, (m, name: string) => {
    const v = vars[name]
    if (v === undefined) {
      unknown.push(m)
      return m
    }
    return v
  })
  return unknown.length > 0 ? { unknown } : { prefix: out }
}

/** USDC text → micro-USDC, or why not (more decimals than USDC has). */
export const parseUsdc = (text: string): { readonly micro: number } | { readonly why: string } => {
  const decimals = (text.split(".")[1] ?? "").replace(/0+$/, "").length
  if (decimals > QUOTE_DECIMALS) {
    return { why: `"${text}" has ${decimals} decimals; USDC has ${QUOTE_DECIMALS} (0.000001 is the smallest amount)` }
  }
  try {
    return { micro: parseScaled(text, QUOTE_DECIMALS) }
  } catch (e) {
    return { why: `"${text}": ${e instanceof DecimalFormatError ? e.reason : String(e)}` }
  }
}

/** What B's tries at one hedge can take at most (ms): a force close must wait longer. */
export const hedgeTriesMs = (s: Settings): number => s.hedge.max_attempts * s.hedge.result_timeout_ms

const problem = (key: ReadonlyArray<string>, text: string): KeyProblem => ({ key, text })

export const CONFIG_CHECKS: ReadonlyArray<ConfigCheck> = [
  {
    // Keys that name different Lighter networks: the second names the first.
    name: "one network",
    run: (c) => {
      const [first, ...rest] = networkClaims(c.file)
      return first === undefined ? [] : rest.filter((r) => r.network !== first.network).map((r) =>
        problem(
          r.key,
          `${r.shown} contradicts ${c.describe(first.key, first.shown)}; ${pathKey(r.key)} and ${pathKey(first.key)} must name the same ` +
            `Lighter network (remove one of them)`
        )
      )
    }
  },
  {
    // A chain id other than the network's: every transaction would be refused.
    name: "chain id of the network",
    run: (c) => {
      const network = networkOf(c.file)
      const chainId = c.file.lighter?.chain_id
      const first = networkClaims(c.file)[0]
      if (network === undefined || chainId === undefined || first === undefined || chainId === LIGHTER_NETWORKS[network].chainId) return []
      return [problem(
        ["lighter", "chain_id"],
        `${chainId} contradicts ${c.describe(first.key, first.shown)}, whose chain id is ${LIGHTER_NETWORKS[network].chainId}; ` +
          `every transaction would be refused (21120 invalid signature). Remove lighter.chain_id or fix ${pathKey(first.key)}`
      )]
    }
  },
  {
    name: "network only for lighter",
    run: (c) =>
      c.file.venue?.network !== undefined && c.settings.venue.kind !== "lighter"
        ? [problem(
          ["venue", "network"],
          `applies to venue.kind: lighter only (now venue.kind: ${c.settings.venue.kind}); remove venue.network, or set venue.kind: lighter and venue.live: true`
        )]
        : []
  },
  {
    // Lighter itself is real money, whatever the URL (a loopback one is how tests reach it).
    name: "lighter needs live",
    run: (c) =>
      c.settings.venue.kind === "lighter" && !c.settings.venue.live
        ? [problem(
          c.file.venue?.live !== undefined ? ["venue", "live"] : ["venue", "kind"],
          `venue.kind: lighter trades real money on Lighter, so it needs venue.live: true as well (now venue.kind: lighter, venue.live: false). ` +
            `To use the simulator set venue.kind: simulator. ` +
            `实盘保护：venue.kind: lighter 需要同时设置 venue.live: true。`
        )]
        : []
  },
  {
    // No real money without saying so: a venue URL off this machine needs kind lighter and live.
    name: "real money needs saying so",
    run: (c) => {
      const { kind, live } = c.settings.venue
      if (kind === "memory" || (kind === "lighter" && !live)) return []
      const { baseUrl, wsUrl } = venueEndpoints(c.file)
      return ([[["lighter", "base_url"], baseUrl], [["lighter", "ws_url"], wsUrl]] as const).flatMap(([key, url]) =>
        !isLoopbackHost(hostOf(url)) && !(kind === "lighter" && live)
          ? [problem(
            key,
            `${url} is not on this machine, so orders there trade real money. ` +
              `To allow it set venue.kind: lighter and venue.live: true (now venue.kind: ${kind}, venue.live: ${live}). ` +
              `实盘保护：非本机地址需要同时设置 venue.kind: lighter 和 venue.live: true。`
          )]
          : []
      )
    }
  },
  {
    // The simulator's account defaults are never a real account.
    name: "real accounts are named",
    run: (c) =>
      c.settings.venue.kind !== "lighter" ? [] : (["account_a", "account_b"] as const).flatMap((section) =>
        (["account_index", "api_key_index"] as const).flatMap((k) =>
          c.file.accounts?.[section]?.[k] === undefined
            ? [problem(["accounts", section, k], "required when venue.kind is lighter (no default for a real account)")]
            : []
        )
      )
  },
  {
    name: "two accounts",
    run: (c) => {
      const a = c.settings.accounts.account_a.account_index
      return a === c.settings.accounts.account_b.account_index
        ? [problem(
          ["accounts", "account_b", "account_index"],
          `must differ from accounts.account_a.account_index (${a}): A and B must be two different accounts`
        )]
        : []
    }
  },
  {
    name: "key prefix placeholders",
    run: (c) => {
      const r = expandPrefix(c.settings.redis.key_prefix, { symbol: "", a: "", b: "", pair: "" })
      return "unknown" in r
        ? [problem(["redis", "key_prefix"], `unknown placeholder ${r.unknown.join(", ")} (known: {symbol} {a} {b} {pair})`)]
        : []
    }
  },
  {
    // money is integers from here on: USDC text -> micro-USDC, refusing digits USDC does not have
    name: "collateral in USDC units",
    run: (c) => {
      const text = c.settings.risk.min_free_collateral
      const r = text === undefined ? undefined : parseUsdc(text)
      return r !== undefined && "why" in r ? [problem(["risk", "min_free_collateral"], r.why)] : []
    }
  },
  {
    // The shared tx budget must leave quotes room: a budget at or below the hedge reserve means A
    // never quotes (quotes stop short of the reserve), and no reserve means quotes can starve hedges.
    name: "budget leaves room for quotes",
    run: (c) => {
      const { tx_per_minute: txPerMinute, hedge_reserve: hedgeReserve } = c.settings.budget
      if (txPerMinute === 0) return []
      if (hedgeReserve < 1) {
        return [problem(
          ["budget", "hedge_reserve"],
          `must be at least 1 while budget.tx_per_minute is on (${txPerMinute}): the reserve is what keeps hedges ahead of quotes (0 budget.tx_per_minute turns the budget off)`
        )]
      }
      if (txPerMinute - hedgeReserve >= MIN_QUOTE_ROOM_PER_MINUTE) return []
      return [problem(
        c.file.budget?.tx_per_minute !== undefined ? ["budget", "tx_per_minute"] : ["budget", "hedge_reserve"],
        `budget.tx_per_minute ${txPerMinute} leaves quotes ${Math.max(0, txPerMinute - hedgeReserve)} transaction(s) a minute after ` +
          `budget.hedge_reserve ${hedgeReserve}; it must exceed the reserve by at least ${MIN_QUOTE_ROOM_PER_MINUTE} ` +
          `(allowed: tx_per_minute >= ${hedgeReserve + MIN_QUOTE_ROOM_PER_MINUTE}, or 0 for no limit), or A never quotes`
      )]
    }
  },
  {
    // strategy.force_close_timeout closes both accounts: it must outlast B's own tries at one
    // hedge, or a slow hedge that would have succeeded closes the pair instead.
    name: "force close outlasts a hedge",
    run: (c) => {
      const s = c.settings
      const seconds = s.strategy.force_close_timeout
      const tries = hedgeTriesMs(s)
      return seconds > 0 && seconds * 1000 <= tries
        ? [problem(
          ["strategy", "force_close_timeout"],
          `${seconds} s is not longer than B's own tries at one hedge (hedge.max_attempts ${s.hedge.max_attempts} × ` +
            `hedge.result_timeout_ms ${s.hedge.result_timeout_ms} = ${tries / 1000} s): a slow hedge would close both accounts; ` +
            `use more than ${tries / 1000} s (the previous system's default was 30), or 0 for off`
        )]
        : []
    }
  },
  {
    // market.depth counted in orders reads the venue's order list, which lists at most 250 a side.
    name: "depth the venue lists",
    run: (c) => {
      const depth = c.settings.market.depth
      return c.settings.maker.depth_unit === "orders" && depth > MAX_BOOK_ORDERS
        ? [problem(
          ["market", "depth"],
          `${depth} orders deep: the venue lists at most ${MAX_BOOK_ORDERS} orders a side (orderBookOrders), so no quote could ever be placed; ` +
            `use at most ${MAX_BOOK_ORDERS}, or maker.depth_unit: levels to count price levels`
        )]
        : []
    }
  },
  {
    // Metrics ports: one per process. metrics.port alone serves whichever process reads the file;
    // A and B sharing a file need metrics.port_a and metrics.port_b.
    name: "a metrics port per process",
    run: (c) => {
      const portA = c.settings.metrics.port_a ?? undefined
      const portB = c.settings.metrics.port_b ?? undefined
      const shared = c.settings.metrics.port ?? undefined
      const a = portA ?? shared
      if ((portA === undefined && portB === undefined) || a === undefined || a !== (portB ?? shared)) return []
      return [problem(
        portB !== undefined ? ["metrics", "port_b"] : ["metrics", "port_a"],
        `A and B would both serve metrics on port ${a} (metrics.port_a ${portA ?? "unset"}, metrics.port_b ${portB ?? "unset"}, ` +
          `metrics.port ${shared ?? "unset"}); give each process its own port`
      )]
    }
  }
]

/** Harmless but pointless settings, said once at start. */
export const configWarnings = (s: Settings, maxHedgeSlippageBps: number): ReadonlyArray<string> =>
  maxHedgeSlippageBps > 0 && maxHedgeSlippageBps >= s.hedge.slippage_bps
    ? [
      `risk.max_hedge_slippage_bps ${maxHedgeSlippageBps} is not below hedge.slippage_bps ${s.hedge.slippage_bps}: a hedge's price cap ` +
      `already refuses anything worse, so this limit never fires (set it lower, or 0 to turn it off)`
    ]
    : []
