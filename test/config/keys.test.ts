// The key table (src/config/keys.ts) is the one place a key is written: its schema, default,
// environment variables and doc. These check the table against itself and against the loader.
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { pathKey } from "../../src/config/issues.ts"
import { ConfigFile, KEY_ENTRIES, withDefaults } from "../../src/config/keys.ts"
import { loadConfigText, setOutsideFile } from "../../src/config/load.ts"

describe("the key table", () => {
  it("every default is a value its own schema accepts", () => {
    for (const { path, spec } of KEY_ENTRIES) {
      if (spec.default === undefined) continue
      expect(Schema.is(spec.schema)(spec.default), `${pathKey(path)}: default ${String(spec.default)}`).toBe(true)
    }
  })

  it("every key has a doc in English and Chinese (\" / \" between them)", () => {
    for (const { path, spec } of KEY_ENTRIES) expect(spec.doc, pathKey(path)).toMatch(/ \/ \S/)
  })

  it("an environment variable sets one key only", () => {
    const names = KEY_ENTRIES.flatMap((e) => e.spec.env ?? [])
    expect(new Set(names).size).toBe(names.length)
  })

  it("an empty file loads, and the settings hold every default of the table", () => {
    const settings = withDefaults(Schema.decodeUnknownSync(ConfigFile)({}))
    const loaded = Effect.runSync(loadConfigText({ text: "" })).settings
    for (const { path, spec } of KEY_ENTRIES) {
      const at = (s: unknown) => path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], s)
      expect(at(settings), pathKey(path)).toStrictEqual(spec.default)
      expect(at(loaded), pathKey(path)).toStrictEqual(spec.default)
    }
  })

  it("a value written in the file wins over the default, and provenance says where each value came from", () => {
    const c = Effect.runSync(loadConfigText({
      text: "hedge: { batch_size: 4 }\n",
      env: { HEDGEFLOW_MARKET: "eth" },
      overrides: { depth: 7 }
    }))
    expect(c.settings.hedge.batch_size).toBe(4)
    expect(c.settings.market.symbol).toBe("ETH")
    expect(c.settings.market.depth).toBe(7)
    expect(c.provenance["hedge.batch_size"]).toBe("config.yaml")
    expect(c.provenance["market.symbol"]).toBe("environment variable HEDGEFLOW_MARKET")
    expect(c.provenance["market.depth"]).toBe("--depth")
    expect(c.provenance["hedge.read_block_ms"]).toBe("default")
    expect(setOutsideFile(c)).toEqual(["market.symbol (environment variable HEDGEFLOW_MARKET)", "market.depth (--depth)"])
  })

  it("a password in redis.url never reaches the settings", () => {
    const c = Effect.runSync(loadConfigText({ text: "", env: { REDIS_URL: "redis://u:pw-secret-1@127.0.0.1:6379/0" } }))
    expect(c.settings.redis.url).toBe("redis://127.0.0.1:6379/0")
    expect(JSON.stringify(c)).not.toContain("pw-secret-1")
  })
})
