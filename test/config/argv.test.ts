// The one argv parser (src/config/argv.ts): tokenising, `=`, switches, missing values, unknown
// flags with a suggestion, schema errors naming the flag, and the help generated from the flags.
import { describe, expect, it } from "vitest"
import { Effect, Result, Schema } from "effect"
import {
  type ArgvError,
  defineCommand,
  flagRows,
  helpText,
  intFlag,
  nearestFlag,
  numberFlag,
  parseArgv,
  readArgv,
  switchFlag,
  textFlag
} from "../../src/config/argv.ts"
import { MarketSymbol } from "../../src/config/fields.ts"

const demo = defineCommand({
  name: "hedge demo",
  about: "run the demo",
  flags: {
    venue: textFlag("--venue", "sim|memory", "where A and B trade", Schema.Literals(["sim", "memory"]).annotate({ expected: "sim or memory" })),
    duration: numberFlag("--duration", "SECONDS", "stop after this long", Schema.Number.check(Schema.isGreaterThan(0))),
    depth: intFlag("--depth", "N", "quote at the N-th level"),
    market: textFlag("--market", "SYMBOL", "the market", MarketSymbol, { normalize: (s) => s.toUpperCase() }),
    redisUrl: textFlag("--redis-url", "URL", "a Redis URL", Schema.String.check(Schema.isPattern(/^redis:\/\//)), { secret: true }),
    quiet: switchFlag("--quiet", "no live view\nand no summary")
  },
  example: "--venue sim",
  elsewhere: [{ flag: "--fills", program: "hedge chaos" }]
})

const args = (argv: ReadonlyArray<string>) => {
  const r = readArgv(demo, argv)
  if (Result.isFailure(r)) throw new Error(`unexpected failure: ${r.failure.message}`)
  if (r.success._tag !== "Args") throw new Error("unexpected help")
  return r.success.args
}
const error = (argv: ReadonlyArray<string>): ArgvError => {
  const r = readArgv(demo, argv)
  if (Result.isSuccess(r)) throw new Error(`expected a failure for ${argv.join(" ")}`)
  return r.failure
}

describe("readArgv: tokens", () => {
  it("--flag value and --flag=value, each decoded by its kind and schema; nothing given, nothing set", () => {
    expect(args([])).toEqual({})
    expect(args(["--venue", "memory", "--duration", "2.5", "--depth", "7"])).toEqual({ venue: "memory", duration: 2.5, depth: 7 })
    expect(args(["--venue=sim", "--duration=10", "--depth=-3"])).toEqual({ venue: "sim", duration: 10, depth: -3 })
    // a value after `=` may itself contain `=`; values are trimmed and normalized
    expect(args(["--redis-url=redis://h:1/0?a=b", "--market", " eth "])).toEqual({ redisUrl: "redis://h:1/0?a=b", market: "ETH" })
  })

  it("the last of a repeated flag wins", () => {
    expect(args(["--depth", "1", "--depth", "2"])).toEqual({ depth: 2 })
  })

  it("a value that starts with one dash is a value (a negative number), not a flag", () => {
    expect(args(["--depth", "-1"])).toEqual({ depth: -1 })
  })

  it("switches: present means true; =true / =false; any other value refused naming the switch", () => {
    expect(args(["--quiet"])).toEqual({ quiet: true })
    expect(args(["--quiet=false"])).toEqual({ quiet: false })
    expect(args(["--quiet=TRUE"])).toEqual({ quiet: true })
    const e = error(["--quiet=yes"])
    expect(e.flag).toBe("--quiet")
    expect(e.message).toBe(`hedge demo: --quiet takes no value (or --quiet=true / --quiet=false), got "yes"`)
    // a switch takes no value: the next word is not its value
    expect(error(["--quiet", "yes"]).message).toBe(`hedge demo: unexpected argument "yes" (flags look like --venue sim; see --help)`)
  })
})

describe("readArgv: refusals name the flag", () => {
  it("a flag missing its value: at the end, before another flag, empty after =", () => {
    for (const argv of [["--depth"], ["--depth", "--quiet"], ["--depth="], ["--depth", "  "]]) {
      const e = error(argv)
      expect(e.flag).toBe("--depth")
      expect(e.message).toBe("hedge demo: --depth needs a value (--depth N)")
    }
  })

  it("an unknown flag, with the nearest known one when there is one", () => {
    expect(error(["--venu", "sim"]).message).toBe("hedge demo: unknown flag --venu (did you mean --venue?); see --help")
    expect(error(["--qiuet"]).message).toBe("hedge demo: unknown flag --qiuet (did you mean --quiet?); see --help")
    expect(error(["--bogus=1"])).toMatchObject({ flag: "--bogus", message: "hedge demo: unknown flag --bogus; see --help" })
    expect(nearestFlag("--x", ["--all"])).toBeUndefined()
    expect(nearestFlag("--markte", ["--config", "--market"])).toBe("--market")
  })

  it("a flag of a sibling program is named as such", () => {
    expect(error(["--fills", "3"])).toMatchObject({ flag: "--fills", message: "hedge demo: --fills is a flag of hedge chaos only (see --help)" })
  })

  it("a word that is not a flag (and a lone --)", () => {
    expect(error(["BTC"])).toMatchObject({ flag: "BTC", message: `hedge demo: unexpected argument "BTC" (flags look like --venue sim; see --help)` })
    expect(error(["--"]).flag).toBe("--")
  })

  it("a value its kind or schema refuses: the flag, what it expects, what it got", () => {
    expect(error(["--depth", "x"])).toMatchObject({ flag: "--depth", message: `hedge demo: --depth: expected a whole number, got "x"` })
    expect(error(["--depth", "1.5"]).message).toBe(`hedge demo: --depth: expected a whole number, got "1.5"`)
    expect(error(["--duration", "1e3"]).message).toBe(`hedge demo: --duration: expected a number, got "1e3"`)
    // the schema's `expected` annotation
    expect(error(["--venue", "binance"]).message).toBe(`hedge demo: --venue: expected sim or memory, got "binance"`)
    expect(error(["--market", "B-T-C"]).message).toBe(`hedge demo: --market: expected a market symbol such as BTC, got "B-T-C"`)
    // without one, Schema's own words
    expect(error(["--duration", "0"]).message).toBe("hedge demo: --duration: expected a value greater than 0, got 0")
  })

  it("a secret flag's bad value is not repeated", () => {
    const e = error(["--redis-url", "http://:hunter2@h"])
    expect(e.flag).toBe("--redis-url")
    expect(e.message).not.toContain("hunter2")
    expect(e.message).toMatch(/--redis-url: expected a string matching .*, got a value that is not one \(not shown: it may hold a password\)$/)
  })
})

describe("help", () => {
  it("-h and --help give the help generated from the flags, wherever they come", () => {
    for (const argv of [["-h"], ["--help"], ["--depth", "3", "--help"]]) {
      const r = readArgv(demo, argv)
      expect(Result.isSuccess(r) && r.success._tag === "Help" ? r.success.text : "").toBe(helpText(demo))
    }
  })

  it("lists each flag with its hint and help, aligned, continuation lines under the text", () => {
    expect(helpText(demo)).toBe([
      "usage: hedge demo [flags]",
      "",
      "run the demo",
      "",
      "flags (--flag VALUE or --flag=VALUE):",
      "  --venue sim|memory     where A and B trade",
      "  --duration SECONDS     stop after this long",
      "  --depth N              quote at the N-th level",
      "  --market SYMBOL        the market",
      "  --redis-url URL        a Redis URL",
      "  --quiet                no live view",
      "                         and no summary",
      "  -h, --help             show this help"
    ].join("\n"))
  })

  it("a head longer than the column gets its own line", () => {
    expect(flagRows([{ flag: "--private-key-file", hint: "FILE", help: "write it there" }])).toEqual([
      "  --private-key-file FILE",
      "                         write it there"
    ])
  })
})

describe("parseArgv (Effect)", () => {
  it("succeeds with the flags, fails with ArgvError, or with ArgvHelp carrying the help", async () => {
    expect(await Effect.runPromise(parseArgv(demo, ["--depth", "2"]))).toEqual({ depth: 2 })
    const bad = await Effect.runPromise(Effect.flip(parseArgv(demo, ["--nope"])))
    expect(bad._tag).toBe("ArgvError")
    const help = await Effect.runPromise(Effect.flip(parseArgv(demo, ["-h"])))
    expect(help).toMatchObject({ _tag: "ArgvHelp", text: helpText(demo) })
  })
})
