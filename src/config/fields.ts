// One field schema per kind of value a config key holds, each with an `expected` annotation
// that error messages quote ("expected a positive integer, got …"). keys.ts gives every key one
// of these; the command-line flags decode with the same ones.
import { Schema } from "effect"

// ---------------------------------------------------------------------------------------------
// Field schemas (shared with the CLI flags and the environment overrides)

const isHttpUrl = (s: string): boolean => {
  try {
    const u = new URL(s)
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== ""
  } catch {
    return false
  }
}
const isWsUrl = (s: string): boolean => {
  try {
    const u = new URL(s)
    return (u.protocol === "ws:" || u.protocol === "wss:") && u.hostname !== ""
  } catch {
    return false
  }
}
const isRedisUrl = (s: string): boolean => {
  try {
    const u = new URL(s)
    return (u.protocol === "redis:" || u.protocol === "rediss:") && u.hostname !== "" &&
      /^\/?(\d{1,2})?$/.test(u.pathname)
  } catch {
    return false
  }
}

export const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0)).annotate({ expected: "a positive integer" })
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
  expected: "an integer >= 0"
})
export const Port = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 })).annotate({
  expected: "a port number (1-65535)"
})
/** The server's own range (`databases`, 16 by default) is checked when main-a / main-b connect. */
export const RedisDb = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 99 })).annotate({
  expected: "a Redis database number (0-99, and below the server's `databases`)"
})
export const OptionalPort = Schema.Union([Port, Schema.Null]).annotate({ expected: "a port number (1-65535) or empty" })
export const AccountIndex = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
  expected: "an account index (an integer from 0 to 9007199254740991)"
})
export const ApiKeyIndex = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 255 })).annotate({
  expected: "an API key index (0-255)"
})
/** Legacy times are seconds; ints or decimals ("0.5"). */
export const PositiveSeconds = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThan(0)).annotate({
  expected: "a positive number of seconds (e.g. 1 or 0.5)"
})
export const NonNegativeSeconds = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0)).annotate({
  expected: "a number of seconds >= 0 (0 = off)"
})
export const PositiveMillis = Schema.Int.check(Schema.isGreaterThan(0)).annotate({
  expected: "a positive integer number of milliseconds"
})
export const NonNegativeMillis = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
  expected: "an integer number of milliseconds >= 0 (0 = off)"
})

// Ranges. Every number a config key holds is bounded: a value outside is refused at load with
// the key path and the allowed range (a loop interval of 0.1 ms, a retry count of a million or a
// timeout of a year does harm instead of failing loudly).

const fmt = (n: number): string => String(n)

/** An integer in [min, max]; `unit` is appended to the message ("milliseconds"). */
export const IntBetween = (min: number, max: number, what = "an integer", unit = "") =>
  Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max })).annotate({
    expected: `${what} from ${fmt(min)} to ${fmt(max)}${unit === "" ? "" : ` ${unit}`}`
  })

/** 0 (off) or an integer in [min, max]. */
export const OffOrIntBetween = (min: number, max: number, unit: string, off = "off") =>
  Schema.Int.check(Schema.makeFilter<number>((n) => n === 0 || (n >= min && n <= max))).annotate({
    expected: `0 (${off}) or an integer from ${fmt(min)} to ${fmt(max)}${unit === "" ? "" : ` ${unit}`}`
  })

/** Legacy seconds (ints or decimals) in [min, max]. */
export const SecondsBetween = (min: number, max: number) =>
  Schema.Number.check(Schema.isFinite(), Schema.isBetween({ minimum: min, maximum: max })).annotate({
    expected: `a number of seconds from ${fmt(min)} to ${fmt(max)} (e.g. 1 or 0.5)`
  })

/** Legacy seconds: 0 (off) or in [min, max]. */
export const OffOrSecondsBetween = (min: number, max: number) =>
  Schema.Number.check(Schema.isFinite(), Schema.makeFilter<number>((n) => n === 0 || (n >= min && n <= max))).annotate({
    expected: `0 (off) or a number of seconds from ${fmt(min)} to ${fmt(max)}`
  })

/** The shortest loop interval any key may ask for (each turn costs Redis and venue calls). */
export const MIN_LOOP_INTERVAL_S = 0.05

export const Bool = Schema.Boolean.annotate({ expected: "true or false" })
export const NonEmptyString = Schema.String.check(Schema.isPattern(/\S/)).annotate({ expected: "a non-empty string" })
export const FilePath = Schema.String.check(Schema.isPattern(/\S/)).annotate({ expected: "a file path" })
export const HttpUrl = Schema.String.check(Schema.makeFilter<string>(isHttpUrl)).annotate({
  expected: "an http:// or https:// URL"
})
export const WsUrl = Schema.String.check(Schema.makeFilter<string>(isWsUrl)).annotate({
  expected: "a ws:// or wss:// URL"
})
export const RedisUrl = Schema.String.check(Schema.makeFilter<string>(isRedisUrl)).annotate({
  expected: "a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0"
})
export const Host = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._:[\]-]+$/)).annotate({
  expected: "a host name or IP address"
})
export const MarketSymbol = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9]{1,20}$/)).annotate({
  expected: "a market symbol such as BTC"
})
/** Kept as a decimal string: the market's size decimals are only known once the venue reports it. */
export const Quantity = Schema.String.check(
  Schema.isPattern(/^\d{1,15}(\.\d{1,18})?$/),
  Schema.makeFilter<string>((s) => /[1-9]/.test(s))
).annotate({ expected: "a positive decimal quantity such as \"0.0002\"" })
/**
 * A USDC amount as decimal text (a bare YAML number keeps its source text). Only the shape is
 * checked here; config.ts parses it to micro-USDC and names the key when it has more than the
 * 6 decimals USDC has.
 */
export const UsdcAmount = Schema.String.check(Schema.isPattern(/^\d{1,9}(\.\d{1,30})?$/)).annotate({
  expected: "a USDC amount such as \"50\" or \"12.5\" (at most 6 decimals; 0 = off)"
})
export const Depth = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 })).annotate({
  expected: "a depth from 1 to 10000 (the N-th resting order on the quote's side, at most 250; or the N-th price level with maker.depth_unit: levels)"
})
export const Identifier = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_.:-]{1,64}$/)).annotate({
  expected: "a name of 1-64 letters, digits, '_', '.', ':' or '-'"
})
export const KeyPrefix = Schema.String.check(Schema.isPattern(/^[^\s]{1,200}$/)).annotate({
  expected: "a Redis key prefix without spaces"
})
export const VenueKind = Schema.Literals(["simulator", "lighter", "memory"]).annotate({
  expected: "one of simulator, lighter, memory"
})
export type VenueKind = typeof VenueKind.Type
export const LighterNetwork = Schema.Literals(["mainnet", "testnet"]).annotate({
  expected: "mainnet or testnet"
})
export type LighterNetwork = typeof LighterNetwork.Type
/** What market.depth counts: the venue's individual resting orders (the previous system's) or price levels. */
export const DepthUnitSchema = Schema.Literals(["orders", "levels"]).annotate({
  expected: "orders or levels"
})
export const LogLevel = Schema.Literals(["trace", "debug", "info", "warn", "warning", "error", "fatal"]).annotate({
  expected: "one of trace, debug, info, warn, error, fatal"
})
export const ConsoleMode = Schema.Literals(["pretty", "json", "off"]).annotate({ expected: "one of pretty, json, off" })
export const ClientIndexTag = Schema.Union([
  Schema.Literal("auto"),
  Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 255 }))
]).annotate({ expected: "\"auto\" or an integer 0-255" })
export const SlippageBps = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 500 })).annotate({
  expected: "an integer number of basis points (1-500; the venue refuses prices more than ~5% off)"
})
export const SlippageLimitBps = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10_000 })).annotate({
  expected: "an integer number of basis points from 0 to 10000 (0 = off)"
})
export const MaxAttempts = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 20 })).annotate({
  expected: "an integer 1-20"
})
/** What strategy.force_close_timeout does: close both accounts at market, or only halt. */
export const ForceCloseAction = Schema.Literals(["flatten", "halt"]).annotate({ expected: "flatten or halt" })
/** Legacy files may carry `password:` empty or null; a real password there is refused as a secret. */
export const EmptyPassword = Schema.Union([Schema.Null, Schema.Literal("")]).annotate({
  expected: "empty (put the password in REDIS_PASSWORD or a file named by redis.password_file)"
})
