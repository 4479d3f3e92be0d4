// The previous system's own config.yaml (gread-liu/Lighter-hedge, hedge_strategy/config.yaml)
// loads unchanged once its keys are in the environment: the template's empty api_key_private_key
// placeholders are ignored with a note, its bare-host ws_url is completed as its SDK did, and a key
// whose meaning changed says so at start.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadConfigText } from "../../src/config/load.ts"
import { previousConfigYaml as previous } from "../support/previous-config.ts"

describe("the previous system's config.yaml", () => {
  it.effect("loads against the simulator: empty key placeholders ignored with a note, the bare ws host completed, keys kept", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: previous({ baseUrl: "http://127.0.0.1:8787", wsUrl: "127.0.0.1:8787" }) })
      assert.strictEqual(c.venue.wsUrl, "ws://127.0.0.1:8787/stream")
      assert.strictEqual(c.accounts.a.accountIndex, 1)
      assert.strictEqual(c.accounts.b.name, "account_5")
      assert.strictEqual(c.maker.maxQuoteAgeMs, 30_000)
      assert.strictEqual(c.maker.pollIntervalMs, 1_000)
      assert.strictEqual(c.redis.url, "redis://localhost:6379/0")
      const notes = c.warnings.join("\n")
      assert.include(notes, "accounts.account_a.api_key_private_key is empty and ignored: account A's key comes from HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY")
      assert.include(notes, "accounts.account_b.api_key_private_key is empty and ignored")
      assert.include(notes, `lighter.ws_url "127.0.0.1:8787" is a bare host (the previous system's form): using ws://127.0.0.1:8787/stream`)
    }))

  it.effect("its mainnet URLs mean mainnet: the bare host becomes wss://…/stream and the chain id 304", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({
        text: previous({ baseUrl: "https://mainnet.zklighter.elliot.ai", wsUrl: "mainnet.zklighter.elliot.ai" }) + "venue: { kind: lighter, live: true }\n"
      })
      assert.strictEqual(c.venue.wsUrl, "wss://mainnet.zklighter.elliot.ai/stream")
      assert.strictEqual(c.venue.network, "mainnet")
      assert.strictEqual(c.venue.chainId, 304)
    }))

  it.effect("a filled api_key_private_key is still refused, naming the variable to use", () =>
    Effect.gen(function*() {
      const text = previous({ baseUrl: "http://127.0.0.1:8787", wsUrl: "127.0.0.1:8787" })
        .replace(`api_key_private_key: ""  # 替换为实际的私钥\n    account_index: 1`, `api_key_private_key: "0x${"ab".repeat(40)}"\n    account_index: 1`)
      const e = yield* Effect.flip(loadConfigText({ text }))
      assert.include(e.message, "accounts.account_a.api_key_private_key")
      assert.include(e.message, "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY")
      assert.notInclude(e.message, "ab".repeat(40))
    }))

  it.effect("strategy.force_close_timeout keeps the previous meaning: A and B mismatched this long → both closed at market; 0 = off", () =>
    Effect.gen(function*() {
      const c = yield* loadConfigText({ text: previous({ baseUrl: "http://127.0.0.1:8787", wsUrl: "127.0.0.1:8787" }) })
      assert.strictEqual(c.risk.forceCloseAfterMs, 30_000)
      assert.strictEqual(c.settings.risk.force_close_action, "flatten")
      assert.isFalse(c.warnings.some((w) => w.includes("force_close_timeout")))
      const off = yield* loadConfigText({ text: previous({ baseUrl: "http://127.0.0.1:8787", wsUrl: "127.0.0.1:8787", forceClose: 0 }) })
      assert.strictEqual(off.risk.forceCloseAfterMs, 0)
    }))

  it.effect("a ws_url that is neither a URL nor a host is still refused", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(loadConfigText({ text: previous({ baseUrl: "http://127.0.0.1:8787", wsUrl: "not a host!" }) }))
      assert.include(e.message, "lighter.ws_url: expected a ws:// or wss:// URL")
    }))
})
