// legacy.documented_channels / legacy.previous_channels: on unless turned off; the account names
// of the previous system's channel and hash fall back as the previous system's did.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadConfigText } from "../../src/config/load.ts"

const load = (text: string) => loadConfigText({ text, env: {} })

describe("config: legacy", () => {
  it.effect("both on by default; names from accounts.*.account_name", () =>
    Effect.gen(function*() {
      const c = yield* load("accounts:\n  account_a: { account_name: account_4 }\n  account_b: { account_name: account_5 }\n")
      assert.deepStrictEqual({ ...c.legacy }, { documentedChannels: true, previousChannels: true, accountAName: "account_4", accountBName: "account_5" })
    }))

  it.effect("without account_name: account_a / account_b, as the previous system (main_A.py:86-87), not our log labels A / B", () =>
    Effect.gen(function*() {
      const c = yield* load("market: { symbol: BTC }\n")
      assert.deepStrictEqual([c.accounts.a.name, c.accounts.b.name], ["A", "B"])
      assert.deepStrictEqual([c.legacy.accountAName, c.legacy.accountBName], ["account_a", "account_b"])
    }))

  it.effect("each can be turned off", () =>
    Effect.gen(function*() {
      const a = yield* load("legacy:\n  documented_channels: false\n")
      assert.deepStrictEqual([a.legacy.documentedChannels, a.legacy.previousChannels], [false, true])
      const b = yield* load("legacy: { previous_channels: false }\n")
      assert.deepStrictEqual([b.legacy.documentedChannels, b.legacy.previousChannels], [true, false])
      const both = yield* load("legacy: { documented_channels: false, previous_channels: false }\n")
      assert.deepStrictEqual([both.legacy.documentedChannels, both.legacy.previousChannels], [false, false])
    }))

  it.effect("a value that is not a boolean, or an unknown key, is refused naming the key", () =>
    Effect.gen(function*() {
      const e1 = yield* load("legacy: { documented_channels: maybe }\n").pipe(Effect.flip)
      assert.include(e1.message, "legacy.documented_channels")
      const e2 = yield* load("legacy: { previous_channel: false }\n").pipe(Effect.flip)
      assert.include(e2.message, "legacy.previous_channel")
    }))
})
