// venue.network / venue.live / maker.cancel_foreign_orders: what the live configuration
// decodes to, and every way it is refused (each message naming the keys involved).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { type CliParse, parseMainAArgs, parseMainBArgs } from "../../src/config/flags.ts"
import { type ConfigLoadError, type HedgeflowConfig, loadConfigText } from "../../src/config/load.ts"
import { chainIdOf } from "../../src/app/venue-layers.ts"

const ACCOUNTS = `accounts:
  account_a: { account_name: "A", account_index: 11, api_key_index: 4 }
  account_b: { account_name: "B", account_index: 12, api_key_index: 5 }
`
const MAINNET_URL = "https://mainnet.zklighter.elliot.ai"
const TESTNET_URL = "https://testnet.zklighter.elliot.ai"

const loadError = (effect: Effect.Effect<HedgeflowConfig, ConfigLoadError>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return assert.fail(`expected a ConfigLoadError, got a config: ${String(exit.value)}`)
    return yield* Effect.flip(effect)
  })

const live = (venue: string, rest = "") => `${ACCOUNTS}venue: ${venue}\n${rest}`

describe("venue.network picks Lighter's URLs and chain id", () => {
  it.effect("mainnet and testnet", () =>
    Effect.gen(function*() {
      const m = yield* loadConfigText({ text: live("{ kind: lighter, live: true, network: mainnet }") })
      assert.deepStrictEqual(
        { network: m.venue.network, baseUrl: m.venue.baseUrl, wsUrl: m.venue.wsUrl, chainId: m.venue.chainId },
        { network: "mainnet", baseUrl: MAINNET_URL, wsUrl: "wss://mainnet.zklighter.elliot.ai/stream", chainId: 304 }
      )
      assert.strictEqual(chainIdOf(m), 304)
      const t = yield* loadConfigText({ text: live("{ kind: lighter, live: true, network: testnet }") })
      assert.deepStrictEqual(
        { network: t.venue.network, baseUrl: t.venue.baseUrl, wsUrl: t.venue.wsUrl, chainId: t.venue.chainId },
        { network: "testnet", baseUrl: TESTNET_URL, wsUrl: "wss://testnet.zklighter.elliot.ai/stream", chainId: 300 }
      )
      assert.strictEqual(chainIdOf(t), 300)
    }))

  it.effect("the previous system's mainnet base_url means mainnet, without venue.network", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: live("{ kind: lighter, live: true }", `lighter: { base_url: "${MAINNET_URL}" }\n`) })
      assert.strictEqual(c.venue.network, "mainnet")
      assert.strictEqual(c.venue.chainId, 304)
      assert.strictEqual(c.venue.wsUrl, "wss://mainnet.zklighter.elliot.ai/stream")
      const t = yield* loadConfigText({ text: live("{ kind: lighter, live: true }", `lighter: { base_url: "${TESTNET_URL}/" }\n`) })
      assert.strictEqual(t.venue.network, "testnet")
      assert.strictEqual(chainIdOf(t), 300)
    }))

  it.effect("explicit keys that agree win; other URLs have no network unless venue.network says", () =>
    Effect.gen(function*() {
      const a = yield* loadConfigText({
        text: live("{ kind: lighter, live: true, network: mainnet }", `lighter: { base_url: "${MAINNET_URL}", chain_id: 304 }\n`)
      })
      assert.strictEqual(a.venue.baseUrl, MAINNET_URL)
      // a loopback URL (a proxy, or the simulator in tests) is used as written, with the network's chain id
      const p = yield* loadConfigText({
        text: live("{ kind: lighter, live: true, network: testnet }", `lighter: { base_url: "http://127.0.0.1:9100" }\n`)
      })
      assert.deepStrictEqual([p.venue.baseUrl, p.venue.wsUrl, p.venue.chainId, p.venue.network], [
        "http://127.0.0.1:9100",
        "ws://127.0.0.1:9100/stream",
        300,
        "testnet"
      ])
      const u = yield* loadConfigText({ text: live("{ kind: lighter, live: true }", `lighter: { base_url: "http://127.0.0.1:9100" }\n`) })
      assert.strictEqual(u.venue.network, undefined)
      assert.strictEqual(u.venue.chainId, undefined)
      assert.strictEqual(chainIdOf(u), 304)
      // the simulator default has no network either
      const s = yield* loadConfigText({ text: "" })
      assert.strictEqual(s.venue.network, undefined)
      assert.strictEqual(s.venue.baseUrl, "http://127.0.0.1:8787")
    }))
})

describe("contradictions are refused, naming both keys", () => {
  it.effect("venue.network against lighter.base_url's host", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({
        text: live("{ kind: lighter, live: true, network: mainnet }", `lighter: { base_url: "${TESTNET_URL}" }\n`)
      }))
      assert.strictEqual(err.problems.length, 1, err.message)
      assert.include(err.message, "lighter.base_url")
      assert.include(err.message, "venue.network")
      assert.include(err.message, "testnet")
      assert.include(err.message, "mainnet")
    }))

  it.effect("venue.network against lighter.chain_id", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: live("{ kind: lighter, live: true, network: testnet }", "lighter: { chain_id: 304 }\n") }))
      assert.strictEqual(err.problems.length, 1, err.message)
      assert.match(err.problems[0]!, /lighter\.chain_id: 304 contradicts venue\.network: testnet, whose chain id is 300/)
    }))

  it.effect("a Lighter host against the chain id, and base_url against ws_url", () =>
    Effect.gen(function*() {
      const c = yield* loadError(loadConfigText({ text: live("{ kind: lighter, live: true }", `lighter: { base_url: "${MAINNET_URL}", chain_id: 300 }\n`) }))
      assert.match(c.message, /lighter\.chain_id: 300 contradicts lighter\.base_url: https:\/\/mainnet\.zklighter\.elliot\.ai \(mainnet\)/)
      const w = yield* loadError(loadConfigText({
        text: live("{ kind: lighter, live: true }", `lighter: { base_url: "${MAINNET_URL}", ws_url: "wss://testnet.zklighter.elliot.ai/stream" }\n`)
      }))
      assert.match(w.message, /lighter\.ws_url: .*testnet.* contradicts lighter\.base_url: .*mainnet/)
    }))

  it.effect("venue.network with a venue that is not Lighter", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: "venue: { kind: simulator, network: mainnet }\n" }))
      assert.match(err.message, /venue\.network: applies to venue\.kind: lighter only \(now venue\.kind: simulator\)/)
    }))
})

describe("venue.kind lighter needs venue.live: true, whatever the URL", () => {
  it.effect("one clear error naming both keys, in English and 中文 — also on a loopback URL", () =>
    Effect.gen(function*() {
      for (const text of [
        live("{ kind: lighter }", `lighter: { base_url: "http://127.0.0.1:9100" }\n`),
        live("{ kind: lighter, live: false }", `lighter: { base_url: "${MAINNET_URL}" }\n`),
        live("{ kind: lighter, network: mainnet }")
      ]) {
        const err = yield* loadError(loadConfigText({ text }))
        assert.strictEqual(err.problems.length, 1, err.message)
        assert.include(err.message, "venue.kind: lighter")
        assert.include(err.message, "venue.live: true")
        assert.include(err.message, "实盘保护")
      }
    }))

  it.effect("the variable that set the kind is named", () =>
    Effect.gen(function*() {
      const err = yield* loadError(loadConfigText({ text: ACCOUNTS, env: { HEDGEFLOW_VENUE: "lighter" } }))
      assert.strictEqual(err.problems.length, 1, err.message)
      assert.match(err.problems[0]!, /^environment variable HEDGEFLOW_VENUE \(venue\.kind\): .*venue\.live: true/)
      const ok = yield* loadConfigText({ text: ACCOUNTS, env: { HEDGEFLOW_VENUE: "lighter", HEDGEFLOW_VENUE_LIVE: "true" } })
      assert.strictEqual(ok.settings.venue.kind, "lighter")
    }))

  it.effect("live true with the simulator stays fine on loopback and refused elsewhere", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: "venue: { kind: simulator, live: true }\n" })
      assert.strictEqual(c.settings.venue.live, true)
      const err = yield* loadError(loadConfigText({ text: `venue: { kind: simulator, live: true }\nlighter: { base_url: "${MAINNET_URL}" }\n` }))
      assert.include(err.message, "is not on this machine")
    }))
})

describe("the environment and the flags", () => {
  it.effect("HEDGEFLOW_VENUE_NETWORK and --network, the flag winning", () =>
    Effect.gen(function*() {
      const text = live("{ kind: lighter, live: true }")
      const e = yield* loadConfigText({ text, env: { HEDGEFLOW_VENUE_NETWORK: "testnet" } })
      assert.strictEqual(e.venue.network, "testnet")
      assert.strictEqual(e.venue.baseUrl, TESTNET_URL)
      const f = yield* loadConfigText({ text, env: { HEDGEFLOW_VENUE_NETWORK: "testnet" }, overrides: { network: "mainnet" } })
      assert.strictEqual(f.venue.network, "mainnet")
      assert.strictEqual(f.venue.chainId, 304)
      const bad = yield* loadError(loadConfigText({ text, env: { HEDGEFLOW_VENUE_NETWORK: "devnet" } }))
      assert.match(bad.message, /environment variable HEDGEFLOW_VENUE_NETWORK \(venue\.network\): expected mainnet or testnet, got "devnet"/)
      const clash = yield* loadError(loadConfigText({ text: `${text}lighter: { base_url: "${MAINNET_URL}" }\n`, overrides: { network: "testnet" } }))
      assert.include(clash.message, "contradicts venue.network: testnet (from --network)")
    }))

  it.effect("maker.cancel_foreign_orders: off by default, on from the file or --cancel-foreign-orders", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* loadConfigText({ text: "" })).settings.maker.cancel_foreign_orders, false)
      assert.strictEqual((yield* loadConfigText({ text: "maker: { cancel_foreign_orders: true }\n" })).settings.maker.cancel_foreign_orders, true)
      assert.strictEqual((yield* loadConfigText({ text: "", overrides: { cancelForeignOrders: true } })).settings.maker.cancel_foreign_orders, true)
    }))

  const run = (p: CliParse) => (p._tag === "Run" ? p : assert.fail("expected flags, got help"))

  it.effect("--network for both programs, --cancel-foreign-orders a switch of main-a only", () =>
    Effect.gen(function*() {
      const a = run(yield* parseMainAArgs(["--network", "testnet", "--cancel-foreign-orders", "--market", "BTC"]))
      assert.deepStrictEqual(a.overrides, { network: "testnet", cancelForeignOrders: true, market: "BTC" })
      assert.deepStrictEqual(run(yield* parseMainAArgs(["--cancel-foreign-orders=false"])).overrides, { cancelForeignOrders: false })
      assert.deepStrictEqual(run(yield* parseMainBArgs(["--network=mainnet"])).overrides, { network: "mainnet" })
      const onB = yield* Effect.flip(parseMainBArgs(["--cancel-foreign-orders"]))
      assert.strictEqual(onB.message, "main-b: --cancel-foreign-orders is a flag of main-a only (see --help)")
      const bad = yield* Effect.flip(parseMainAArgs(["--network", "devnet"]))
      assert.strictEqual(bad.message, "main-a: --network: expected mainnet or testnet, got \"devnet\"")
      const value = yield* Effect.flip(parseMainAArgs(["--cancel-foreign-orders=maybe"]))
      assert.include(value.message, "--cancel-foreign-orders takes no value")
      const help = yield* parseMainAArgs(["--help"])
      assert.isTrue(help._tag === "Help" && help.text.includes("--cancel-foreign-orders") && help.text.includes("--network NETWORK"))
    }))
})
