// Random and hostile YAML never throws: every document gives a config or a ConfigLoadError
// (never a defect, never our "unexpected error" fallback), and a key-shaped secret placed
// anywhere never comes back out in a message or a config.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import fc from "fast-check"
import { stringify } from "yaml"
import { loadConfigText } from "../../src/config/load.ts"

const SECTIONS = ["accounts", "redis", "lighter", "strategy", "venue", "pair", "market", "maker", "hedge", "logging", "metrics"]
const KEYS = [
  "account_a", "account_b", "account_name", "account_index", "api_key_index", "private_key_file", "host", "port", "db",
  "password", "url", "key_prefix", "base_url", "ws_url", "maker_order_time_out", "retry_times", "poll_interval",
  "ws_reconnect_delay", "force_close_timeout", "kind", "live", "symbol", "quantity", "depth", "slippage_bps",
  "client_index_tag", "level", "console", "dir", "__proto__", "constructor", "toString", "<<"
]
const TOKENS = [
  ...SECTIONS.map((s) => `${s}:`), ...KEYS.map((k) => `${k}:`), " ", "  ", "\n", "\n  ", "\n    ", "- ", "? ", ": ",
  "{", "}", "[", "]", ",", "&a ", "*a", "*b", "!!binary ", "!!str ", "!!int ", "!foo ", "~", "null", "true", "no", "'", "\"",
  "#", "---\n", "...\n", "|\n", ">-\n", "0x", "1e400", "-0", ".inf", ".nan", "0o17", "\t", "\u0000", "\ufeff", "%YAML 1.2\n",
  "http://127.0.0.1:8787", "https://example.com", "redis://:pw@h:1/0", "\"0.0002\"", "60", "-1", "3.5", "BTC"
]

const outcomeOf = (text: string, env: Record<string, string> = {}) => {
  const exit = Effect.runSyncExit(loadConfigText({ text, env }))
  if (Exit.isSuccess(exit)) return { ok: true as const, config: exit.value, message: "" }
  const reasons = exit.cause.reasons
  assert.isTrue(
    reasons.length > 0 && reasons.every((r) => Cause.isFailReason(r) && r.error._tag === "ConfigLoadError"),
    `not a ConfigLoadError: ${Cause.pretty(exit.cause)}`
  )
  const err = Cause.isFailReason(reasons[0]!) ? reasons[0].error : undefined
  const message = err?.message ?? ""
  assert.notInclude(message, "unexpected error", `fell through to the fallback for ${JSON.stringify(text)}`)
  assert.isTrue(message.length > 0)
  return { ok: false as const, config: undefined, message }
}

describe("loadConfig on random and hostile YAML", () => {
  it("arbitrary text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => void outcomeOf(text)), { numRuns: 300 })
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => void outcomeOf(text)), { numRuns: 150 })
  })

  it("token soup built from YAML syntax and our keys", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (tokens) => void outcomeOf(tokens.join(""))),
      { numRuns: 1000 }
    )
  })

  it("well-formed YAML with our sections and keys holding arbitrary values", () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(null, true, false, 0, -1, 1.5, 65536, "", "BTC", "0.0002", "redis://h:1/0", "http://10.0.0.1", "auto")
    )
    const section = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 })
    const doc = fc.dictionary(fc.constantFrom(...SECTIONS, ...KEYS.slice(0, 5)), fc.oneof(section, value), { maxKeys: 8 })
    fc.assert(fc.property(doc, (d) => void outcomeOf(stringify(d))), { numRuns: 600 })
  })

  it("random environment values never throw and name their variable", () => {
    const names = ["HEDGEFLOW_REDIS_PORT", "HEDGEFLOW_DEPTH", "HEDGEFLOW_VENUE", "HEDGEFLOW_VENUE_LIVE", "REDIS_URL", "HEDGEFLOW_MARKET", "HEDGEFLOW_METRICS_PORT"]
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.string({ maxLength: 40 }), (name, v) => {
        const r = outcomeOf("", { [name]: v })
        if (!r.ok && name !== "REDIS_URL") assert.include(r.message, name)
      }),
      { numRuns: 500 }
    )
  })

  it("alias bombs, deep nesting and huge numbers are refused cleanly", () => {
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for (let i = 1; i < 10; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`)
    assert.isFalse(outcomeOf(laughs.join("\n")).ok)
    assert.isFalse(outcomeOf("market: " + "[".repeat(5000) + "]".repeat(5000)).ok)
    assert.isFalse(outcomeOf("redis: { port: 1" + "0".repeat(400) + " }").ok)
    assert.isFalse(outcomeOf("__proto__: { polluted: 1 }").ok)
    assert.strictEqual(({} as Record<string, unknown>)["polluted"], undefined)
  })

  it("a key-shaped secret anywhere never comes back out", () => {
    const hex = fc.stringMatching(/^[0-9a-f]{80}$/)
    fc.assert(
      fc.property(hex, fc.constantFrom(...SECTIONS), fc.constantFrom(...KEYS), fc.boolean(), fc.boolean(), (h, s, k, prefixed, asKey) => {
        const secret = prefixed ? `0x${h}` : h
        const text = asKey ? `${s}:\n  ${secret}: 1\n` : `${s}:\n  ${k}: ${secret}\n`
        const r = outcomeOf(text)
        assert.isFalse(r.ok, "a key-shaped value must be refused")
        assert.notInclude(r.message, h)
        assert.notInclude(r.message, h.slice(0, 32))
      }),
      { numRuns: 300 }
    )
  })
})
