// Every numeric key has a sane range: a harmful value is refused at load, naming the key path and
// the allowed range; the values at both ends of a range are accepted. Cross-key rules: a tx budget
// that leaves quotes no room, and one metrics port for A and B.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { leafPaths } from "../../src/config/issues.ts"
import { ConfigFile } from "../../src/config/keys.ts"
import { loadConfigText, metricsPortOf, MIN_QUOTE_ROOM_PER_MINUTE } from "../../src/config/load.ts"

const load = (text: string, env: Record<string, string> = {}) => Effect.runSyncExit(loadConfigText({ text, env }))
const refused = (text: string, env: Record<string, string> = {}): string => {
  const exit = load(text, env)
  if (Exit.isSuccess(exit)) return assert.fail(`expected ${JSON.stringify(text)} to be refused`)
  const err = Effect.runSync(Effect.flip(loadConfigText({ text, env })))
  return err.message
}
const accepted = (text: string, env: Record<string, string> = {}) => {
  const exit = load(text, env)
  if (Exit.isFailure(exit)) {
    const err = Effect.runSync(Effect.flip(loadConfigText({ text, env })))
    return assert.fail(`expected ${JSON.stringify(text)} to load, got: ${err.message}`)
  }
  return exit.value
}

/** key path → [too small, lowest allowed, highest allowed, too big, the range as the message says it]. */
const RANGES: ReadonlyArray<readonly [string, number, number, number, number, RegExp]> = [
  ["lighter.maker_order_time_out", 0.5, 1, 86_400, 86_401, /a number of seconds from 1 to 86400/],
  ["lighter.auth_lifetime", 59, 60, 28_800, 28_801, /a number of seconds from 60 to 28800/],
  ["lighter.chain_id", -1, 0, 4_294_967_295, 4_294_967_296, /an integer from 0 to 4294967295/],
  ["strategy.retry_times", 0, 1, 50, 51, /an integer from 1 to 50/],
  ["strategy.poll_interval", 0.0001, 0.05, 60, 61, /a number of seconds from 0\.05 to 60/],
  ["strategy.ws_reconnect_delay", 0.01, 0.05, 30, 31, /a number of seconds from 0\.05 to 30/],
  // 1-9 s pass the range but not the rule that it outlast B's tries at a hedge (3 × 3 s by default; config.test.ts).
  ["strategy.force_close_timeout", 0.5, 10, 604_800, 604_801, /0 \(off\) or a number of seconds from 1 to 604800/],
  ["maker.close_at_best_after", 0.5, 1, 604_800, 604_801, /0 \(off\) or a number of seconds from 1 to 604800/],
  // 250 with the default maker.depth_unit: orders (the venue lists 250 orders a side); 10000 in levels, below.
  ["market.depth", 0, 1, 250, 10_001, /a depth from 1 to 10000 \(the N-th resting order on the quote's side, at most 250; or the N-th price level with maker\.depth_unit: levels\)/],
  ["maker.requote_drift_ticks", -1, 0, 1_000_000, 1_000_001, /a number of ticks from 0 to 1000000/],
  ["maker.book_orders_refresh_ms", 1_999, 2_000, 600_000, 600_001, /a number of milliseconds from 2000 to 600000/],
  ["maker.min_requote_interval_ms", -1, 0, 3_600_000, 3_600_001, /a number of milliseconds from 0 to 3600000/],
  ["maker.quote_tx_per_minute", 1, 2, 1_000_000, 1_000_001, /0 \(no cap\) or an integer from 2 to 1000000 transactions a minute/],
  ["maker.hedger_heartbeat_timeout_ms", 1_999, 2_000, 600_000, 600_001, /0 \(don't check\) or an integer from 2000 to 600000 milliseconds/],
  ["risk.stream_refused_halt_after", 0.5, 1, 3_600, 3_601, /a number of seconds from 1 to 3600/],
  ["hedge.slippage_bps", 0, 1, 500, 501, /basis points \(1-500/],
  ["hedge.max_attempts", 0, 1, 20, 21, /an integer 1-20/],
  ["hedge.max_fill_multiple", 0, 1, 1_000, 1_001, /a multiple of market.quantity: an integer from 1 to 1000/],
  ["hedge.result_timeout_ms", 99, 100, 120_000, 120_001, /a number of milliseconds from 100 to 120000/],
  ["hedge.claim_idle_ms", 999, 1_000, 3_600_000, 3_600_001, /a number of milliseconds from 1000 to 3600000/],
  ["hedge.batch_size", 0, 1, 1_000, 1_001, /a number of fills from 1 to 1000/],
  ["hedge.read_block_ms", 49, 50, 10_000, 10_001, /a number of milliseconds from 50 to 10000/],
  ["hedge.send_retry_base_ms", 9, 10, 10_000, 10_001, /a number of milliseconds from 10 to 10000/],
  ["risk.check_interval_ms", 49, 50, 60_000, 60_001, /a number of milliseconds from 50 to 60000/],
  ["risk.reconcile_grace_ms", 999, 1_000, 600_000, 600_001, /0 \(off\) or an integer from 1000 to 600000 milliseconds/],
  ["risk.max_correction_multiple", 0, 1, 1_000, 1_001, /a multiple of market.quantity: an integer from 1 to 1000/],
  ["risk.free_collateral_poll_ms", 999, 1_000, 600_000, 600_001, /a number of milliseconds from 1000 to 600000/],
  ["risk.max_unhedged_age_ms", 999, 1_000, 86_400_000, 86_400_001, /0 \(off\) or an integer from 1000 to 86400000 milliseconds/],
  ["risk.max_consecutive_failures", -1, 0, 1_000, 1_001, /an integer \(0 = off\) from 0 to 1000/],
  ["risk.max_hedge_slippage_bps", -1, 0, 10_000, 10_001, /basis points from 0 to 10000/],
  ["risk.max_clock_skew_ms", 499, 500, 300_000, 300_001, /0 \(off\) or an integer from 500 to 300000 milliseconds/],
  ["budget.tx_per_minute", -1, 0, 1_000_000, 1_000_001, /from 0 to 1000000/],
  ["redis.port", 0, 1, 65_535, 65_536, /a port number \(1-65535\)/],
  ["redis.connect_timeout_ms", 499, 500, 60_000, 60_001, /a number of milliseconds from 500 to 60000/],
  ["redis.db", -1, 0, 15, 100, /a Redis database number \(0-99, and below the server's `databases`\)/],
  ["metrics.port", 0, 1, 65_535, 65_536, /a port number \(1-65535\)/],
  ["metrics.port_a", 0, 1, 65_535, 65_536, /a port number \(1-65535\)/],
  ["metrics.port_b", 0, 1, 65_535, 65_536, /a port number \(1-65535\)/],
  ["accounts.account_a.api_key_index", -1, 0, 255, 256, /an API key index \(0-255\)/],
  ["accounts.account_a.account_index", -1, 0, 9_007_199_254_740_991, 9_007_199_254_740_992, /an account index \(an integer from 0 to 9007199254740991\)/]
]

const yamlAt = (path: string, value: number): string => {
  const keys = path.split(".")
  let text = `${value}`
  for (let i = keys.length - 1; i >= 0; i--) text = `{ ${keys[i]}: ${text} }`
  return text.slice(2, -2) + "\n"
}

describe("numeric config keys have ranges", () => {
  for (const [path, low, min, max, high, range] of RANGES) {
    it(`${path}: ${low} and ${high} refused with the range, ${min} and ${max} accepted`, () => {
      for (const bad of [low, high]) {
        const message = refused(yamlAt(path, bad))
        assert.include(message, `config.yaml: ${path}: expected `)
        assert.match(message, range)
        assert.include(message, `, got ${bad}`)
      }
      for (const good of [min, max]) {
        accepted(yamlAt(path, good))
      }
    })
  }

  it("every numeric key of the schema is in the table above", () => {
    // Keys holding numbers: the leaves that accept some bare YAML number.
    const numeric = leafPaths(ConfigFile.ast).map((p) => p.join(".")).filter((key) =>
      [0, 1, 1_000, 3_000, 1_000_000].some((v) => Exit.isSuccess(load(yamlAt(key, v))))
    )
    // accounts.account_a and account_b share one schema: either one stands for both.
    const same = (k: string) => k.replace("account_b", "account_a")
    const inTable = new Set(RANGES.map((r) => same(r[0])))
    // Decimal-text keys take a bare number as its text; the last two have their own tests below.
    const decimalText = new Set(["market.quantity", "risk.max_position", "risk.max_unhedged", "risk.min_free_collateral", "alerts.telegram_chat_id", "hedge.client_index_tag", "budget.hedge_reserve"])
    for (const key of numeric) {
      if (decimalText.has(key)) continue
      assert.isTrue(inTable.has(same(key)), `${key} takes a number but has no range test`)
    }
  })

  it("budget.hedge_reserve and hedge.client_index_tag have ranges too", () => {
    assert.match(refused("budget: { tx_per_minute: 0, hedge_reserve: -1 }\n"), /^config\.yaml: budget\.hedge_reserve: expected a number of transactions per minute from 0 to 1000000, got -1$/)
    assert.match(refused("budget: { tx_per_minute: 0, hedge_reserve: 1000001 }\n"), /budget\.hedge_reserve: expected a number of transactions per minute from 0 to 1000000, got 1000001/)
    accepted("budget: { tx_per_minute: 0, hedge_reserve: 0 }\n")
    accepted("budget: { tx_per_minute: 1000000, hedge_reserve: 999995 }\n")
    assert.match(refused("hedge: { client_index_tag: 256 }\n"), /^config\.yaml: hedge\.client_index_tag: expected "auto" or an integer 0-255, got 256$/)
    assert.match(refused("hedge: { client_index_tag: -1 }\n"), /hedge\.client_index_tag: expected "auto" or an integer 0-255, got -1/)
    accepted("hedge: { client_index_tag: 0 }\n")
    accepted("hedge: { client_index_tag: 255 }\n")
  })

  it("the probe's harmful values: poll_interval 0.0001 (650 Redis calls/s) is refused with the key and the range", () => {
    assert.strictEqual(
      refused("strategy: { poll_interval: 0.0001 }\n"),
      "config.yaml: strategy.poll_interval: expected a number of seconds from 0.05 to 60 (e.g. 1 or 0.5), got 0.0001"
    )
  })

  it("environment overrides are checked the same way, naming the variable", () => {
    const message = refused("", { HEDGEFLOW_METRICS_PORT_B: "70000" })
    assert.strictEqual(message, "environment variable HEDGEFLOW_METRICS_PORT_B (metrics.port_b): expected a port number (1-65535) or empty, got 70000")
  })
})

describe("the shared tx budget leaves quotes room", () => {
  it("a budget at or below the hedge reserve is refused (A would never quote)", () => {
    for (const [tpm, reserve] of [[10, 10], [8, 10], [12, 10]] as const) {
      const message = refused(`budget: { tx_per_minute: ${tpm}, hedge_reserve: ${reserve} }\n`)
      assert.match(
        message,
        new RegExp(`^config\\.yaml: budget\\.tx_per_minute: budget\\.tx_per_minute ${tpm} leaves quotes ${Math.max(0, tpm - reserve)} transaction\\(s\\) a minute after budget\\.hedge_reserve ${reserve}; it must exceed the reserve by at least ${MIN_QUOTE_ROOM_PER_MINUTE} \\(allowed: tx_per_minute >= ${reserve + MIN_QUOTE_ROOM_PER_MINUTE}, or 0 for no limit\\), or A never quotes$`)
      )
    }
    // The default reserve (10) counts too.
    assert.include(refused("budget: { tx_per_minute: 12 }\n"), "budget.hedge_reserve 10")
  })

  it("no reserve while the budget is on is refused (quotes could starve hedges); a budget of 0 is off", () => {
    assert.match(refused("budget: { tx_per_minute: 60, hedge_reserve: 0 }\n"), /^config\.yaml: budget\.hedge_reserve: must be at least 1 while budget\.tx_per_minute is on \(60\)/)
    const off = accepted("budget: { tx_per_minute: 0, hedge_reserve: 0 }\n")
    assert.strictEqual(off.budget.txPerMinute, 0)
    const ok = accepted(`budget: { tx_per_minute: ${10 + MIN_QUOTE_ROOM_PER_MINUTE}, hedge_reserve: 10 }\n`)
    assert.deepStrictEqual([ok.budget.txPerMinute, ok.budget.hedgeReserve], [15, 10])
    assert.strictEqual(accepted("").budget.txPerMinute, 60)
  })
})

describe("market.depth and what it counts (maker.depth_unit)", () => {
  it("in orders (the default) at most 250, the most the venue lists a side; in levels up to 10000", () => {
    assert.strictEqual(
      refused("market: { depth: 251 }\n"),
      "config.yaml: market.depth: 251 orders deep: the venue lists at most 250 orders a side (orderBookOrders), so no quote could ever be placed; " +
        "use at most 250, or maker.depth_unit: levels to count price levels"
    )
    assert.match(refused("market: { depth: 300 }\n", { HEDGEFLOW_DEPTH: "300" }), /^environment variable HEDGEFLOW_DEPTH \(market\.depth\): 300 orders deep/)
    const levels = accepted("market: { depth: 10000 }\nmaker: { depth_unit: levels }\n")
    assert.deepStrictEqual([levels.settings.market.depth, levels.settings.maker.depth_unit], [10_000, "levels"])
    assert.match(refused("maker: { depth_unit: level }\n"), /^config\.yaml: maker\.depth_unit: expected orders or levels, got "level"$/)
  })

  it("the quote policy's defaults fit a Standard account (60 tx/min, 60 REST requests/min)", () => {
    const c = accepted("")
    assert.deepStrictEqual(
      [c.settings.maker.depth_unit, c.settings.maker.book_orders_refresh_ms, c.settings.maker.min_requote_interval_ms, c.settings.maker.quote_tx_per_minute, c.maker.maxQuoteAgeMs, c.settings.maker.requote_drift_ticks],
      ["orders", 5_000, 10_000, 20, 30_000, 3]
    )
    // A's cap leaves B at least twice the reserve, and the order list at most 12 requests a minute.
    assert.isAtMost(c.settings.maker.quote_tx_per_minute, (c.budget.txPerMinute - c.budget.hedgeReserve) / 2)
    assert.isAtMost(60_000 / c.settings.maker.book_orders_refresh_ms, 12)
    const set = accepted("maker: { depth_unit: orders, book_orders_refresh_ms: 8000, min_requote_interval_ms: 0, quote_tx_per_minute: 0 }\n")
    assert.deepStrictEqual([set.settings.maker.book_orders_refresh_ms, set.settings.maker.min_requote_interval_ms, set.settings.maker.quote_tx_per_minute], [8_000, 0, 0])
  })
})

describe("metrics ports are per process", () => {
  it("metrics.port_a / port_b give each process its own; metrics.port still serves one process", () => {
    const c = accepted("metrics: { port_a: 9101, port_b: 9102 }\n")
    assert.deepStrictEqual([metricsPortOf(c, "a"), metricsPortOf(c, "b")], [{ port: 9101, key: "metrics.port_a" }, { port: 9102, key: "metrics.port_b" }])
    const legacy = accepted("metrics: { port: 9100 }\n")
    assert.deepStrictEqual([metricsPortOf(legacy, "a"), metricsPortOf(legacy, "b")], [{ port: 9100, key: "metrics.port" }, { port: 9100, key: "metrics.port" }])
    const mixed = accepted("metrics: { port: 9100, port_b: 9102 }\n")
    assert.deepStrictEqual([metricsPortOf(mixed, "a")?.port, metricsPortOf(mixed, "b")?.port], [9100, 9102])
    assert.strictEqual(metricsPortOf(accepted(""), "a"), undefined)
  })

  it("the same port for A and B is refused at load, saying why", () => {
    assert.match(
      refused("metrics: { port_a: 9100, port_b: 9100 }\n"),
      /^config\.yaml: metrics\.port_b: A and B would both serve metrics on port 9100 \(metrics\.port_a 9100, metrics\.port_b 9100, metrics\.port unset\); give each process its own port$/
    )
    assert.match(refused("metrics: { port: 9100, port_a: 9100 }\n"), /^config\.yaml: metrics\.port_a: A and B would both serve metrics on port 9100/)
  })
})
