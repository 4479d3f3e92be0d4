import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type CliParse, parseMainAArgs, parseMainBArgs } from "../../src/config/flags.ts"

const run = (p: CliParse) => {
  if (p._tag !== "Run") return assert.fail("expected flags, got help")
  return p
}

describe("CLI flags", () => {
  it.effect("the previous system's invocations work unchanged", () =>
    Effect.gen(function*() {
      const a = run(yield* parseMainAArgs(["--market", "BTC", "--quantity", "0.0002", "--depth", "60", "--config", "config.yaml"]))
      assert.deepStrictEqual(a, { _tag: "Run", config: "config.yaml", overrides: { market: "BTC", quantity: "0.0002", depth: 60 }, dryRun: false })
      const b = run(yield* parseMainBArgs(["--market", "BTC", "--config", "config.yaml"]))
      assert.deepStrictEqual(b, { _tag: "Run", config: "config.yaml", overrides: { market: "BTC" }, dryRun: false })
    }))

  it.effect("defaults to config.yaml and no overrides", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* parseMainAArgs([]), { _tag: "Run", config: "config.yaml", overrides: {}, dryRun: false })
    }))

  it.effect("--flag=value and the new flags", () =>
    Effect.gen(function*() {
      const a = run(yield* parseMainAArgs(["--market=eth", "--depth=3", "--venue=memory", "--redis-url=redis://r:6379/1", "--log-dir", "/tmp/l", "--config=/etc/h.yaml"]))
      assert.deepStrictEqual(a.overrides, { market: "ETH", depth: 3, venue: "memory", redisUrl: "redis://r:6379/1", logDir: "/tmp/l" })
      assert.strictEqual(a.config, "/etc/h.yaml")
      const b = run(yield* parseMainBArgs(["--instance", "b-2", "--venue", "simulator"]))
      assert.deepStrictEqual(b.overrides, { instance: "b-2", venue: "simulator" })
    }))

  it.effect("--dry-run is a switch of both programs, not a config override", () =>
    Effect.gen(function*() {
      const a = run(yield* parseMainAArgs(["--dry-run", "--market", "BTC"]))
      assert.strictEqual(a.dryRun, true)
      assert.deepStrictEqual(a.overrides, { market: "BTC" })
      assert.strictEqual(run(yield* parseMainBArgs(["--dry-run=false"])).dryRun, false)
      assert.strictEqual(run(yield* parseMainBArgs(["--dry-run"])).dryRun, true)
      const bad = yield* Effect.flip(parseMainBArgs(["--dry-run=yes"]))
      assert.include(bad.message, "--dry-run takes no value")
    }))

  it.effect("--help (and -h) gives the help text, English and 中文", () =>
    Effect.gen(function*() {
      for (const argv of [["--help"], ["-h"], ["--market", "BTC", "--help"]]) {
        const h = yield* parseMainAArgs(argv)
        assert.strictEqual(h._tag, "Help")
        if (h._tag === "Help") {
          assert.include(h.text, "--quantity DECIMAL")
          assert.include(h.text, "进程 A")
        }
      }
      const hb = yield* parseMainBArgs(["--help"])
      assert.strictEqual(hb._tag, "Help")
      if (hb._tag === "Help") {
        assert.include(hb.text, "--instance ID")
        assert.notInclude(hb.text, "--quantity")
      }
    }))

  it.effect("errors name the flag", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[ReadonlyArray<string>, "a" | "b", string, string]> = [
        [["--markte", "BTC"], "a", "--markte", "main-a: unknown flag --markte (did you mean --market?); see --help"],
        [["--depth"], "a", "--depth", "main-a: --depth needs a value (--depth N)"],
        [["--depth", "--market", "BTC"], "a", "--depth", "main-a: --depth needs a value (--depth N)"],
        [["--depth", "sixty"], "a", "--depth", "main-a: --depth: expected a whole number, got \"sixty\""],
        [["--depth", "0"], "a", "--depth", "main-a: --depth: expected a depth from 1 to 10000 (the N-th resting order on the quote's side, at most 250; or the N-th price level with maker.depth_unit: levels), got 0"],
        [["--quantity", "0.0.2"], "a", "--quantity", "main-a: --quantity: expected a positive decimal quantity such as \"0.0002\", got \"0.0.2\""],
        [["--quantity", "-1"], "a", "--quantity", "main-a: --quantity: expected a positive decimal quantity such as \"0.0002\", got \"-1\""],
        [["--venue", "binance"], "a", "--venue", "main-a: --venue: expected one of simulator, lighter, memory, got \"binance\""],
        [["--quantity", "1"], "b", "--quantity", "main-b: --quantity is a flag of main-a only (see --help)"],
        [["--instance", "x"], "a", "--instance", "main-a: --instance is a flag of main-b only (see --help)"],
        [["BTC"], "a", "BTC", "main-a: unexpected argument \"BTC\" (flags look like --market BTC; see --help)"],
        [["--config="], "b", "--config", "main-b: --config needs a value (--config FILE)"]
      ]
      for (const [argv, program, flag, message] of cases) {
        const err = yield* Effect.flip(program === "a" ? parseMainAArgs(argv) : parseMainBArgs(argv))
        assert.strictEqual(err._tag, "CliArgsError")
        assert.strictEqual(err.flag, flag, argv.join(" "))
        assert.strictEqual(err.message, message)
      }
    }))

  it.effect("a bad --redis-url is refused without echoing it (it may hold a password)", () =>
    Effect.gen(function*() {
      const err = yield* Effect.flip(parseMainAArgs(["--redis-url", "http://:hunter2@h"]))
      assert.strictEqual(err.flag, "--redis-url")
      assert.notInclude(err.message, "hunter2")
    }))
})
