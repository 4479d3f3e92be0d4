import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { leafPaths } from "../../src/config/issues.ts"
import { ConfigFile, KEY_ENTRIES } from "../../src/config/keys.ts"
import {
  type ConfigLoadError,
  type HedgeflowConfig,
  loadConfig,
  loadConfigText,
  requirePrivateKey,
  SECRET_ENV
} from "../../src/config/load.ts"

const dir = mkdtempSync(join(tmpdir(), "hedgeflow-config-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const writeConfig = (text: string, name = `c${n++}.yaml`): string => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const LEGACY = `accounts:
  account_a: { account_name: "A", account_index: 1, api_key_index: 4 }
  account_b: { account_name: "B", account_index: 2, api_key_index: 4 }
redis: { host: 127.0.0.1, port: 6379, db: 0 }
lighter: { base_url: "http://127.0.0.1:8787", ws_url: "ws://127.0.0.1:8787/stream", maker_order_time_out: 30 }
strategy: { retry_times: 3, poll_interval: 1, ws_reconnect_delay: 1, force_close_timeout: 300 }
`

// An 80-hex-digit (40-byte) key, the shape of a Lighter API private key. Not a real key.
const FAKE_KEY = "0x" + "a1b2c3d4e5".repeat(8)
const FAKE_KEY_B = "0x" + "0f1e2d3c4b".repeat(8)

/** The error of a failed load (fails the test if it succeeded). */
const loadError = (effect: Effect.Effect<HedgeflowConfig, ConfigLoadError>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return assert.fail(`expected a ConfigLoadError, got a config: ${String(exit.value)}`)
    const err = yield* Effect.flip(effect)
    assert.strictEqual(err._tag, "ConfigLoadError")
    return err
  })

describe("loadConfig: the previous system's file", () => {
  it.effect("loads unchanged and maps every legacy key", () =>
    Effect.gen(function*() {
      const path = writeConfig(LEGACY)
      const c = yield* loadConfig({ path, env: {} })
      assert.deepStrictEqual(
        { a: { ...c.accounts.a, privateKey: undefined }, b: { ...c.accounts.b, privateKey: undefined } },
        {
          a: { name: "A", accountIndex: 1, apiKeyIndex: 4, privateKey: undefined, privateKeyEnv: "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY" },
          b: { name: "B", accountIndex: 2, apiKeyIndex: 4, privateKey: undefined, privateKeyEnv: "HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY" }
        }
      )
      assert.strictEqual(c.redis.url, "redis://127.0.0.1:6379/0")
      assert.strictEqual(c.venue.baseUrl, "http://127.0.0.1:8787")
      assert.strictEqual(c.venue.wsUrl, "ws://127.0.0.1:8787/stream")
      assert.strictEqual(c.settings.venue.kind, "simulator")
      assert.strictEqual(c.settings.venue.live, false)
      assert.strictEqual(c.maker.maxQuoteAgeMs, 30_000) // maker_order_time_out
      assert.strictEqual(c.settings.strategy.retry_times, 3) // retry_times
      assert.strictEqual(c.maker.pollIntervalMs, 1_000) // poll_interval
      assert.strictEqual(c.connection.reconnectBaseDelayMs, 1_000) // ws_reconnect_delay
      // force_close_timeout: the previous meaning (A and B mismatched this long → both closed)
      assert.strictEqual(c.risk.forceCloseAfterMs, 300_000)
      assert.strictEqual(c.settings.risk.force_close_action, "flatten")
      assert.strictEqual(c.maker.closeAtBestAfterMs, 300_000) // maker.close_at_best_after's default, not force_close_timeout
      assert.strictEqual(c.source, path)
      // our keys take their defaults
      assert.deepStrictEqual([c.market.symbol, c.settings.market.quantity, c.settings.market.depth], ["BTC", "0.0002", 5])
      assert.strictEqual(c.redis.keyPrefix, "hedgeflow:BTC:1-2")
      assert.strictEqual(c.pair.name, "BTC-1-2")
      assert.deepStrictEqual([c.settings.logging.dir, c.logging.level, c.settings.logging.console], ["logs", "info", "pretty"])
      assert.strictEqual(c.metrics.port, undefined)
    }))

  it.effect("accepts decimal seconds in the legacy keys", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({
        text: "lighter: { maker_order_time_out: 2.5 }\nstrategy: { poll_interval: 0.25, ws_reconnect_delay: 0.5, force_close_timeout: 0 }\n"
      })
      assert.strictEqual(c.maker.maxQuoteAgeMs, 2_500)
      assert.strictEqual(c.maker.pollIntervalMs, 250)
      assert.strictEqual(c.connection.reconnectBaseDelayMs, 500)
      assert.strictEqual(c.risk.forceCloseAfterMs, 0)
      assert.strictEqual(c.maker.closeAtBestAfterMs, 300_000)
    }))

  it.effect("strategy.force_close_timeout must outlast B's tries at one hedge; risk.force_close_action is flatten or halt; maker.close_at_best_after is A's own", () =>
    Effect.gen(function*() {
      const short = yield* Effect.flip(loadConfigText({ text: "strategy: { force_close_timeout: 9 }\n" }))
      assert.include(short.message, "strategy.force_close_timeout: 9 s is not longer than B's own tries at one hedge (hedge.max_attempts 3 × hedge.result_timeout_ms 3000 = 9 s)")
      const ok = yield* loadConfigText({ text: "strategy: { force_close_timeout: 10 }\nrisk: { force_close_action: halt }\nmaker: { close_at_best_after: 0 }\n" })
      assert.strictEqual(ok.risk.forceCloseAfterMs, 10_000)
      assert.strictEqual(ok.settings.risk.force_close_action, "halt")
      assert.strictEqual(ok.maker.closeAtBestAfterMs, 0)
      // Faster hedges allow a shorter timeout.
      const fast = yield* loadConfigText({ text: "strategy: { force_close_timeout: 5 }\nhedge: { max_attempts: 2, result_timeout_ms: 2000 }\n" })
      assert.strictEqual(fast.risk.forceCloseAfterMs, 5_000)
      const bad = yield* Effect.flip(loadConfigText({ text: "risk: { force_close_action: close }\n" }))
      assert.include(bad.message, "risk.force_close_action: expected flatten or halt")
      // Off by default: an A/B mismatch then halts the pair after risk.max_unhedged_age_ms.
      const none = yield* loadConfigText({ text: "" })
      assert.strictEqual(none.risk.forceCloseAfterMs, 0)
    }))

  it.effect("the repository's config.yaml loads: simulator, local Redis, BTC 0.0002 depth 5, accounts 1 and 2", () =>
    Effect.gen(function*() {
      const c = yield* loadConfig({ path: "config.yaml", env: {} })
      assert.strictEqual(c.settings.venue.kind, "simulator")
      assert.strictEqual(c.venue.baseUrl, "http://127.0.0.1:8787")
      assert.strictEqual(c.redis.url, "redis://127.0.0.1:6379/0")
      assert.deepStrictEqual([c.market.symbol, c.settings.market.quantity, c.settings.market.depth], ["BTC", "0.0002", 5])
      assert.deepStrictEqual([c.accounts.a.accountIndex, c.accounts.b.accountIndex], [1, 2])
      assert.deepStrictEqual([c.accounts.a.apiKeyIndex, c.accounts.b.apiKeyIndex], [4, 4])
    }))

  it.effect("an empty file gives every default", () =>
    Effect.gen(function*() {
      const c = yield* loadConfig({ path: writeConfig(""), env: {} })
      assert.strictEqual(c.settings.venue.kind, "simulator")
      assert.strictEqual(c.settings.strategy.retry_times, 3)
      assert.strictEqual(c.settings.hedge.client_index_tag, "auto")
      assert.match(c.hedge.instance, /^b-/)
    }))
})

describe("loadConfig: hedgeflow's own keys", () => {
  it.effect("load and map", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({
        text: `${LEGACY}
venue: { kind: simulator, live: false }
pair: { name: btc-main }
market: { symbol: eth, quantity: "0.01", depth: 60 }
maker: { requote_drift_ticks: 7, cancel_on_exit: false, post_only: true, cancel_orphans_on_start: false, hedger_heartbeat_timeout_ms: 0 }
hedge: { slippage_bps: 30, max_attempts: 5, client_index_tag: 17, result_timeout_ms: 1500, instance: b-tokyo-1, claim_idle_ms: 60000, max_fill_multiple: 20 }
logging: { dir: /var/log/hedgeflow, level: debug, console: json }
metrics: { port: 9464 }
`
      })
      assert.strictEqual(c.pair.name, "btc-main")
      assert.deepStrictEqual([c.market.symbol, c.settings.market.quantity, c.settings.market.depth], ["ETH", "0.01", 60])
      assert.strictEqual(c.redis.keyPrefix, "hedgeflow:ETH:1-2")
      assert.deepStrictEqual(
        [c.settings.maker.requote_drift_ticks, c.settings.maker.cancel_on_exit, c.settings.maker.post_only, c.settings.maker.cancel_orphans_on_start, c.settings.maker.hedger_heartbeat_timeout_ms],
        [7, false, true, false, 0]
      )
      assert.deepStrictEqual(c.settings.hedge, {
        slippage_bps: 30,
        max_attempts: 5,
        client_index_tag: 17,
        result_timeout_ms: 1500,
        instance: "b-tokyo-1",
        claim_idle_ms: 60_000,
        max_fill_multiple: 20,
        batch_size: 16,
        read_block_ms: 1_000,
        send_retry_base_ms: 100
      })
      assert.strictEqual(c.hedge.instance, "b-tokyo-1")
      assert.deepStrictEqual([c.settings.logging.dir, c.logging.level, c.settings.logging.console], ["/var/log/hedgeflow", "debug", "json"])
      assert.deepStrictEqual(c.metrics, { port: 9464, portA: undefined, portB: undefined })
      assert.strictEqual(c.settings.metrics.host, "127.0.0.1")
    }))

  it.effect("market.quantity written as a bare YAML number keeps its exact decimal text", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: "market: { quantity: 0.00001 }\n" })
      assert.strictEqual(c.settings.market.quantity, "0.00001") // not "1e-5"
    }))

  it.effect("risk: hedge slippage limit and minimum free collateral (USDC text -> integer micro-USDC)", () =>
    Effect.gen(function*() {
      const d = yield* loadConfigText({ text: "" })
      assert.deepStrictEqual(
        [d.risk.maxHedgeSlippageBps, d.risk.minFreeCollateralMicro, d.warnings],
        [25, 0, []] // half of hedge.slippage_bps 50; collateral check off
      )
      const half = yield* loadConfigText({ text: "hedge: { slippage_bps: 31 }\n" })
      assert.strictEqual(half.risk.maxHedgeSlippageBps, 15)
      const c = yield* loadConfigText({ text: "risk: { max_hedge_slippage_bps: 10, min_free_collateral: \"50\" }\n" })
      assert.deepStrictEqual([c.risk.maxHedgeSlippageBps, c.risk.minFreeCollateralMicro], [10, 50_000_000])
      for (const [text, micro] of [["12.5", 12_500_000], ["\"0.000001\"", 1], ["\"0\"", 0], ["0", 0], ["1.2300000", 1_230_000], ["999999999", 999_999_999_000_000]] as const) {
        const x = yield* loadConfigText({ text: `risk: { min_free_collateral: ${text} }\n` })
        assert.strictEqual(x.risk.minFreeCollateralMicro, micro, text)
        assert.isTrue(Number.isSafeInteger(x.risk.minFreeCollateralMicro))
      }
      const off = yield* loadConfigText({ text: "risk: { max_hedge_slippage_bps: 0 }\n" })
      assert.deepStrictEqual([off.risk.maxHedgeSlippageBps, off.warnings], [0, []])
    }))

  it.effect("risk.max_hedge_slippage_bps at or above hedge.slippage_bps warns that it can never fire", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: "hedge: { slippage_bps: 40 }\nrisk: { max_hedge_slippage_bps: 40 }\n" })
      assert.strictEqual(c.warnings.length, 1)
      assert.include(c.warnings[0]!, "risk.max_hedge_slippage_bps 40 is not below hedge.slippage_bps 40")
    }))

  it.effect("risk.max_clock_skew_ms: 2000 by default, 0 turns the check off", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* loadConfigText({ text: "" })).settings.risk.max_clock_skew_ms, 2_000)
      assert.strictEqual((yield* loadConfigText({ text: "risk: { max_clock_skew_ms: 5000 }\n" })).settings.risk.max_clock_skew_ms, 5_000)
      assert.strictEqual((yield* loadConfigText({ text: "risk: { max_clock_skew_ms: 0 }\n" })).settings.risk.max_clock_skew_ms, 0)
    }))

  it.effect("redis.key_prefix placeholders are filled; unknown ones refused", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: "redis: { key_prefix: 'hf:{pair}:{symbol}:{a}:{b}' }\n" })
      assert.strictEqual(c.redis.keyPrefix, "hf:BTC-1-2:BTC:1:2")
      const err = yield* loadError(loadConfigText({ text: "redis: { key_prefix: 'hf:{sym}' }\n" }))
      assert.strictEqual(err.message, "config.yaml: redis.key_prefix: unknown placeholder {sym} (known: {symbol} {a} {b} {pair})")
    }))

  it.effect("A and B must be different accounts", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({
        text: "accounts: { account_a: { account_index: 5 }, account_b: { account_index: 5 } }\n"
      }))
      assert.include(err.message, "accounts.account_b.account_index: must differ from accounts.account_a.account_index")
    }))
})

describe("loadConfig: errors name the key, one message each", () => {
  it.effect("wrong type", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "strategy: { retry_times: three }\n" }))
      assert.strictEqual(err.message, "config.yaml: strategy.retry_times: expected an integer from 1 to 50, got \"three\"")
      assert.deepStrictEqual(err.problems, [err.message])
    }))

  it.effect("out of range", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "redis: { port: 70000 }\n", path: "/etc/hedgeflow.yaml" }))
      assert.strictEqual(err.message, "/etc/hedgeflow.yaml: redis.port: expected a port number (1-65535), got 70000")
    }))

  it.effect("unknown key, with a suggestion", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "redis: { hostt: 127.0.0.1 }\n" }))
      assert.strictEqual(err.message, "config.yaml: redis.hostt: unknown key (did you mean redis.host?)")
    }))

  it.effect("a key in the wrong section points to the right one", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "redis: { base_url: 'http://127.0.0.1:1' }\n" }))
      assert.strictEqual(err.message, "config.yaml: redis.base_url: unknown key (did you mean lighter.base_url?)")
    }))

  it.effect("a section that is not a section", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "market: BTC\n" }))
      assert.strictEqual(err.message, "config.yaml: market: expected a section of key: value pairs, got \"BTC\"")
    }))

  it.effect("bad risk values name their key", () =>
    Effect.gen(function*() {
      const tooFine = yield* loadError(loadConfigText({ text: "risk: { min_free_collateral: \"0.0000001\" }\n" }))
      assert.strictEqual(
        tooFine.message,
        "config.yaml: risk.min_free_collateral: \"0.0000001\" has 7 decimals; USDC has 6 (0.000001 is the smallest amount)"
      )
      const bare = yield* loadError(loadConfigText({ text: "risk: { min_free_collateral: 1.12345678 }\n" }))
      assert.strictEqual(bare.message, "config.yaml: risk.min_free_collateral: \"1.12345678\" has 8 decimals; USDC has 6 (0.000001 is the smallest amount)")
      const expected = "expected a USDC amount such as \"50\" or \"12.5\" (at most 6 decimals; 0 = off)"
      for (const [text, shown] of [["\"-5\"", "\"-5\""], ["fifty", "\"fifty\""], ["\"1e3\"", "\"1e3\""], ["\"50 USDC\"", "\"50 USDC\""], ["\".5\"", "\".5\""]] as const) {
        const err = yield* loadError(loadConfigText({ text: `risk: { min_free_collateral: ${text} }\n` }))
        assert.strictEqual(err.message, `config.yaml: risk.min_free_collateral: ${expected}, got ${shown}`)
      }
      const neg = yield* loadError(loadConfigText({ text: "risk: { min_free_collateral: -5 }\n" }))
      assert.include(neg.message, "config.yaml: risk.min_free_collateral: expected a USDC amount")
      for (const v of ["-1", "2.5", "ten"]) {
        const err = yield* loadError(loadConfigText({ text: `risk: { max_hedge_slippage_bps: ${v} }\n` }))
        assert.match(err.message, /^config\.yaml: risk\.max_hedge_slippage_bps: expected an integer number of basis points from 0 to 10000 \(0 = off\), got /)
      }
    }))

  it.effect("several problems: one line each", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "strategy: { retry_times: 0 }\nmarket: { depth: -1 }\nvenue: { kind: binance }\n" }))
      assert.deepStrictEqual([...err.problems].sort(), [
        "config.yaml: market.depth: expected a depth from 1 to 10000 (the N-th resting order on the quote's side, at most 250; or the N-th price level with maker.depth_unit: levels), got -1",
        "config.yaml: strategy.retry_times: expected an integer from 1 to 50, got 0",
        "config.yaml: venue.kind: expected one of simulator, lighter, memory, got \"binance\""
      ])
      assert.match(err.message, /^3 problems in the configuration:\n/)
    }))

  it.effect("bad YAML gives the line", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "redis:\n  host: [1,\n" }))
      assert.match(err.message, /^config\.yaml:\d+:\d+: YAML syntax error: /)
    }))

  it.effect("a missing file names the path", () =>
    Effect.gen(function*() {
      const path = join(dir, "nope", "config.yaml")
      const err = yield* loadError(loadConfig({ path, env: {} }))
      assert.include(err.message, path)
      assert.include(err.message, "not found")
    }))

  it.effect("a bad environment value names the variable", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: LEGACY, env: { HEDGEFLOW_REDIS_PORT: "sixtythree" } }))
      assert.strictEqual(
        err.message,
        "environment variable HEDGEFLOW_REDIS_PORT (redis.port): expected a port number (1-65535), got \"sixtythree\""
      )
      const err2 = yield* loadError(loadConfigText({ text: LEGACY, env: { HEDGEFLOW_VENUE: "binance" } }))
      assert.strictEqual(err2.message, "environment variable HEDGEFLOW_VENUE (venue.kind): expected one of simulator, lighter, memory, got \"binance\"")
    }))

  it.effect("a bad flag value names the flag", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: LEGACY, overrides: { depth: 0 } }))
      assert.strictEqual(err.message, "--depth (market.depth): expected a depth from 1 to 10000 (the N-th resting order on the quote's side, at most 250; or the N-th price level with maker.depth_unit: levels), got 0")
    }))
})

describe("loadConfig: overrides", () => {
  it.effect("environment wins over the file, flags win over the environment", () =>
    Effect.gen(function*() {
      const env = {
        HEDGEFLOW_REDIS_HOST: "10.0.0.5",
        HEDGEFLOW_REDIS_PORT: "6380",
        HEDGEFLOW_MARKET: "eth",
        HEDGEFLOW_DEPTH: "9",
        HEDGEFLOW_LOG_LEVEL: "debug",
        HEDGEFLOW_METRICS_PORT: "9464",
        HEDGEFLOW_VENUE_LIVE: "false",
        HEDGEFLOW_INSTANCE: "b-env"
      }
      const c = yield* loadConfigText({ text: LEGACY, env })
      assert.strictEqual(c.redis.url, "redis://10.0.0.5:6380/0")
      assert.strictEqual(c.market.symbol, "ETH")
      assert.strictEqual(c.settings.market.depth, 9)
      assert.strictEqual(c.logging.level, "debug")
      assert.strictEqual(c.metrics.port, 9464)
      assert.strictEqual(c.hedge.instance, "b-env")
      const c2 = yield* loadConfigText({
        text: LEGACY,
        env,
        overrides: { market: "SOL", depth: 60, quantity: "0.5", logDir: "/tmp/x", instance: "b-cli", venue: "memory" }
      })
      assert.deepStrictEqual([c2.market.symbol, c2.settings.market.quantity, c2.settings.market.depth], ["SOL", "0.5", 60])
      assert.strictEqual(c2.settings.logging.dir, "/tmp/x")
      assert.strictEqual(c2.hedge.instance, "b-cli")
      assert.strictEqual(c2.settings.venue.kind, "memory")
    }))

  it.effect("REDIS_URL replaces the file's host/port/db; its password becomes a secret", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: LEGACY, env: { REDIS_URL: "redis://app:s3cretPw@redis.internal:6390/2" } })
      assert.strictEqual(c.redis.url, "redis://redis.internal:6390/2")
      assert.strictEqual(c.redis.username, "app")
      assert.strictEqual(Redacted.value(c.redis.password!), "s3cretPw")
      assert.notInclude(JSON.stringify(c), "s3cretPw")
      // HEDGEFLOW_REDIS_URL wins over REDIS_URL, --redis-url over both
      const c2 = yield* loadConfigText({
        text: LEGACY,
        env: { REDIS_URL: "redis://a:1/0", HEDGEFLOW_REDIS_URL: "redis://b:2/0" }
      })
      assert.strictEqual(c2.redis.url, "redis://b:2/0")
      const c3 = yield* loadConfigText({ text: LEGACY, env: { REDIS_URL: "redis://a:1/0" }, overrides: { redisUrl: "redis://c:3/1" } })
      assert.strictEqual(c3.redis.url, "redis://c:3/1")
    }))

  it.effect("an environment host beats a URL written in the file", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: "redis: { url: 'redis://file-host:6379/0' }\n", env: { HEDGEFLOW_REDIS_HOST: "env-host" } })
      assert.strictEqual(c.redis.url, "redis://env-host:6379/0")
    }))

  it.effect("empty environment variables count as unset", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: LEGACY, env: { HEDGEFLOW_REDIS_PORT: "", HEDGEFLOW_MARKET: "  " } })
      assert.strictEqual(c.redis.url, "redis://127.0.0.1:6379/0")
      assert.strictEqual(c.market.symbol, "BTC")
    }))
})

describe("loadConfig: no real money without explicit config", () => {
  const MAINNET = "lighter: { base_url: 'https://mainnet.zklighter.elliot.ai', ws_url: 'wss://mainnet.zklighter.elliot.ai/stream' }\n"

  it.effect("a non-loopback URL is refused with the default venue", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: LEGACY.replace(/lighter:.*\n/, MAINNET) }))
      assert.include(err.message, "lighter.base_url: https://mainnet.zklighter.elliot.ai is not on this machine")
      assert.include(err.message, "venue.kind: lighter and venue.live: true")
    }))

  it.effect("kind lighter alone is not enough, nor live alone", () =>
    Effect.gen(function*() {
      yield* loadError(loadConfigText({ text: LEGACY.replace(/lighter:.*\n/, MAINNET) + "venue: { kind: lighter }\n" }))
      yield* loadError(loadConfigText({ text: LEGACY.replace(/lighter:.*\n/, MAINNET) + "venue: { kind: simulator, live: true }\n" }))
      // the environment cannot sneak a real URL in either
      const err = yield* loadError(loadConfigText({ text: LEGACY, env: { HEDGEFLOW_LIGHTER_BASE_URL: "https://mainnet.zklighter.elliot.ai" } }))
      assert.match(err.problems[0]!, /^environment variable HEDGEFLOW_LIGHTER_BASE_URL \(lighter\.base_url\): /)
    }))

  it.effect("kind lighter + live true is accepted, and then account indexes are required", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: LEGACY.replace(/lighter:.*\n/, MAINNET) + "venue: { kind: lighter, live: true }\n" })
      assert.strictEqual(c.venue.baseUrl, "https://mainnet.zklighter.elliot.ai")
      assert.strictEqual(c.settings.venue.live, true)
      const err = yield* loadError(loadConfigText({ text: MAINNET + "venue: { kind: lighter, live: true }\n" }))
      assert.include(err.message, "accounts.account_a.account_index: required when venue.kind is lighter")
    }))

  it.effect("ws_url defaults from base_url", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: "lighter: { base_url: 'http://localhost:9000' }\n" })
      assert.strictEqual(c.venue.wsUrl, "ws://localhost:9000/stream")
    }))
})

describe("loadConfig: secrets", () => {
  const refuses = (text: string, path: string, envVar: string, secret: string) =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text }))
      assert.strictEqual(err.problems.length, 1, err.message)
      assert.include(err.message, `config.yaml: ${path}: `)
      assert.include(err.message, envVar)
      assert.notInclude(err.message, secret)
      assert.notInclude(err.message, secret.replace(/^0x/, ""))
    })

  it.effect("a private key in the file is refused, naming the variable to use", () =>
    Effect.gen(function*() {
      yield* refuses(
        `accounts:\n  account_a: { account_index: 1, api_key_index: 4, private_key: "${FAKE_KEY}" }\n`,
        "accounts.account_a.private_key",
        "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY",
        FAKE_KEY
      )
      yield* refuses(
        `accounts:\n  account_b:\n    api_key_private_key: ${FAKE_KEY}\n`, // unquoted: YAML would read a (lossy) number
        "accounts.account_b.api_key_private_key",
        "HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY",
        FAKE_KEY
      )
      yield* refuses(
        `accounts:\n  account_a: { api_private_key: "${FAKE_KEY.slice(2)}" }\n`,
        "accounts.account_a.api_private_key",
        "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY",
        FAKE_KEY
      )
      yield* refuses(`secret: "${FAKE_KEY}"\n`, "secret", "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY", FAKE_KEY)
    }))

  it.effect("key-shaped hex is refused wherever it is", () =>
    Effect.gen(function*() {
      yield* refuses(`accounts:\n  account_b: { account_name: "${FAKE_KEY}" }\n`, "accounts.account_b.account_name", "HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY", FAKE_KEY)
      const eighty = "0x" + "ab".repeat(80)
      yield* refuses(`pair: { name: ${eighty} }\n`, "pair.name", "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY", eighty)
    }))

  it.effect("a Redis password in the file is refused (the URL too); an empty legacy one is fine", () =>
    Effect.gen(function*() {
      yield* refuses("redis: { host: h, password: hunter2pw }\n", "redis.password", "REDIS_PASSWORD", "hunter2pw")
      yield* refuses("redis: { url: 'redis://:hunter2pw@h:6379/0' }\n", "redis.url", "REDIS_PASSWORD", "hunter2pw")
      const c = yield* loadConfigText({ text: "redis: { host: 127.0.0.1, port: 6379, db: 0, password: }\n" })
      assert.strictEqual(c.redis.password, undefined)
    }))

  it.effect("keys come from the environment and never show in String, JSON, inspect, or errors", () =>
    Effect.gen(function*() {
      const env = {
        HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: FAKE_KEY,
        HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: FAKE_KEY_B,
        REDIS_PASSWORD: "pw-Zq81-secret"
      }
      const c = yield* loadConfigText({ text: LEGACY, env })
      assert.strictEqual(Redacted.value(c.accounts.a.privateKey!), FAKE_KEY)
      assert.strictEqual(Redacted.value(c.accounts.b.privateKey!), FAKE_KEY_B)
      assert.strictEqual(Redacted.value(c.redis.password!), "pw-Zq81-secret")
      assert.strictEqual(Redacted.value(yield* requirePrivateKey(c, "a")), FAKE_KEY)
      for (const text of [String(c), `${c}`, JSON.stringify(c), inspect(c, { depth: 10 }), JSON.stringify(c.accounts)]) {
        for (const s of [FAKE_KEY, FAKE_KEY.slice(2), FAKE_KEY_B, "pw-Zq81-secret"]) assert.notInclude(text, s)
        assert.include(text, "<redacted>")
      }
      // an error while secrets are set: the message carries none of them
      const err = yield* loadError(loadConfigText({
        text: `${LEGACY}pair: { name: "${FAKE_KEY}" }\nmarket: { symbol: "pw-Zq81-secret" }\n`,
        env
      }))
      for (const s of [FAKE_KEY, FAKE_KEY.slice(2), FAKE_KEY_B, "pw-Zq81-secret"]) {
        assert.notInclude(err.message, s)
        assert.notInclude(String(err), s)
      }
    }))

  it.effect("keys can come from files named in the config (relative to it); loose permissions warn", () =>
    Effect.gen(function*() {
      const keyA = join(dir, "a.key")
      writeFileSync(keyA, FAKE_KEY + "\n")
      chmodSync(keyA, 0o600)
      const keyB = join(dir, "b.key")
      writeFileSync(keyB, FAKE_KEY_B)
      chmodSync(keyB, 0o644)
      const path = writeConfig(
        `accounts:\n  account_a: { account_index: 1, private_key_file: a.key }\n  account_b: { account_index: 2, private_key_file: ${keyB} }\n`
      )
      const c = yield* loadConfig({ path, env: {} })
      assert.strictEqual(Redacted.value(c.accounts.a.privateKey!), FAKE_KEY)
      assert.strictEqual(Redacted.value(c.accounts.b.privateKey!), FAKE_KEY_B)
      assert.strictEqual(c.warnings.length, 1)
      assert.include(c.warnings[0]!, "chmod 600")
      // the environment wins over the file
      const c2 = yield* loadConfig({ path, env: { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: "0xenv" } })
      assert.strictEqual(Redacted.value(c2.accounts.a.privateKey!), "0xenv")
      // a missing key file names the key and the file
      const bad = writeConfig("accounts:\n  account_a: { private_key_file: missing.key }\n")
      const err = yield* loadError(loadConfig({ path: bad, env: {} }))
      assert.include(err.message, "accounts.account_a.private_key_file:")
      assert.include(err.message, join(dir, "missing.key"))
    }))

  it.effect("requirePrivateKey names the variable when the key is missing", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: LEGACY })
      const err = yield* Effect.flip(requirePrivateKey(c, "b"))
      assert.include(err.message, "HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY")
    }))

  it.effect("the config is frozen", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: LEGACY })
      assert.isTrue(Object.isFrozen(c))
      assert.isTrue(Object.isFrozen(c.market))
    }))
})

describe("docs/CONFIG.md", () => {
  it("documents every key, environment variable and flag", () => {
    const doc = readFileSync("docs/CONFIG.md", "utf8")
    for (const path of leafPaths(ConfigFile.ast)) {
      const key = path.join(".")
      const documented = doc.includes(`\`${key}\``) ||
        (path[0] === "accounts" && path[1] === "account_b" && doc.includes("`accounts.account_b.*`"))
      assert.isTrue(documented, `${key} is not in docs/CONFIG.md`)
    }
    for (const name of KEY_ENTRIES.flatMap((e) => e.spec.env ?? [])) assert.include(doc, `\`${name}\``)
    for (const name of [SECRET_ENV.accountAPrivateKey, SECRET_ENV.accountBPrivateKey, ...SECRET_ENV.redisPassword]) {
      assert.include(doc, `\`${name}\``)
    }
    for (const flag of ["--config", "--market", "--quantity", "--depth", "--venue", "--network", "--redis-url", "--log-dir", "--instance"]) {
      assert.include(doc, `\`${flag} `)
    }
    assert.include(doc, "`--cancel-foreign-orders`")
  })
})
