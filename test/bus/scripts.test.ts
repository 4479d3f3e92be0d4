// Typed Redis scripts (issue 10, item 4): every declared script's KEYS/ARGV declaration matches
// what its Lua source reads, so the two cannot drift; keys and arguments go by name (checked by
// the compiler); replies are decoded, and a reply that does not decode is a BusError naming the
// script; Redis errors are classified by their leading code word.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { BusError } from "../../src/bus/errors.ts"
import { RedisConnection, type RedisConnectionShape } from "../../src/bus/redis/connection.ts"
import { redisErrorCode, redisErrorCodeOfMessage } from "../../src/bus/redis/error-code.ts"
import { BEGIN_HEDGE, CLEAR_POOL, FENCE_LOSS } from "../../src/bus/redis/RedisPairState.ts"
import { type AnyRedisScript, redisScript, scriptCall, ZeroOrOne } from "../../src/bus/redis/script.ts"
import { allRedisScripts } from "../../src/bus/redis/scripts.ts"
import { redisFixture } from "../support/redis-fixture.ts"

// ---------------------------------------------------------------------------------------------
// Declaration against source

/** The Lua code without comments and without the text of string literals (their quotes stay). */
const luaCode = (source: string): string => {
  let out = ""
  let i = 0
  while (i < source.length) {
    const ch = source[i]!
    if (ch === "-" && source[i + 1] === "-") {
      const long = /^--\[(=*)\[/.exec(source.slice(i))
      if (long !== null) {
        const end = source.indexOf(`]${long[1]}]`, i + long[0].length)
        i = end < 0 ? source.length : end + long[1]!.length + 2
      } else {
        const nl = source.indexOf("\n", i)
        i = nl < 0 ? source.length : nl
      }
      continue
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1
      while (j < source.length && source[j] !== ch) j += source[j] === "\\" ? 2 : 1
      out += ch + ch
      i = j + 1
      continue
    }
    const long = ch === "[" ? /^\[(=*)\[/.exec(source.slice(i)) : null
    if (long !== null) {
      const end = source.indexOf(`]${long[1]}]`, i + long[0].length)
      out += "''"
      i = end < 0 ? source.length : end + long[1]!.length + 2
      continue
    }
    out += ch
    i++
  }
  return out
}

/** What a script's source does with KEYS and ARGV. */
const usage = (source: string) => {
  const code = luaCode(source)
  const literal = (table: "KEYS" | "ARGV") => new Set([...code.matchAll(new RegExp(`\\b${table}\\[\\s*(\\d+)\\s*\\]`, "g"))].map((m) => Number(m[1])))
  const variadic = (table: "KEYS" | "ARGV") =>
    new RegExp(`\\b${table}\\[(?!\\s*\\d+\\s*\\])|#${table}\\b|unpack\\(\\s*${table}\\b|pairs\\(\\s*${table}\\b`).test(code)
  // Where the source starts reading the variadic tail: `for i = N …, #ARGV` and `unpack(ARGV, N)`.
  const restStarts = [
    ...[...code.matchAll(/for\s+\w+\s*=\s*(\d+)[^,\n]*,\s*#ARGV\b/g)].map((m) => Number(m[1])),
    ...[...code.matchAll(/unpack\(\s*ARGV\s*,\s*(\d+)\s*\)/g)].map((m) => Number(m[1]))
  ]
  return { keys: literal("KEYS"), args: literal("ARGV"), variadicKeys: variadic("KEYS"), variadicArgs: variadic("ARGV"), restStarts }
}

/** Every way the declaration of `script` disagrees with its source (none: they agree). */
const declarationProblems = (script: AnyRedisScript): Array<string> => {
  const problems: Array<string> = []
  const u = usage(script.source)
  const dup = (names: ReadonlyArray<string>) => names.filter((n, i) => names.indexOf(n) !== i)
  for (const d of dup(script.keys)) problems.push(`key ${d} is declared twice`)
  for (const d of dup(script.args)) problems.push(`argument ${d} is declared twice`)
  script.keys.forEach((name: string, i: number) => {
    if (!u.keys.has(i + 1)) problems.push(`key ${name} (KEYS[${i + 1}]) is declared but never read`)
  })
  for (const k of u.keys) if (k > script.keys.length) problems.push(`KEYS[${k}] is read but only ${script.keys.length} key(s) are declared`)
  if (u.variadicKeys) problems.push("KEYS is read with a computed index or as a whole: declare each key")
  script.args.forEach((name: string, i: number) => {
    if (!u.args.has(i + 1)) problems.push(`argument ${name} (ARGV[${i + 1}]) is declared but never read`)
  })
  for (const a of u.args) {
    if (a > script.args.length && script.rest === undefined) {
      problems.push(`ARGV[${a}] is read but only ${script.args.length} argument(s) are declared and no rest`)
    }
  }
  if (u.variadicArgs && script.rest === undefined) problems.push("ARGV is read past its declared arguments (a computed index, #ARGV or unpack) but no rest is declared")
  if (!u.variadicArgs && script.rest !== undefined) problems.push(`a rest (${script.rest}) is declared but the source never reads a variadic ARGV tail`)
  for (const start of u.restStarts) {
    if (start !== script.args.length + 1) problems.push(`the source reads its ARGV tail from ${start}, but ${script.args.length} argument(s) are declared`)
  }
  return problems
}

/** Every `.ts` file under `dir`. */
const tsFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : []
  })

describe("script declarations", () => {
  it("every script in src/bus is in the list of all scripts, once, under its own name", () => {
    const defined = tsFiles("src/bus").reduce((n, f) => n + [...readFileSync(f, "utf8").matchAll(/=\s*redisScript\(/g)].length, 0)
    expect(allRedisScripts.length).toBe(defined)
    expect(allRedisScripts.length).toBeGreaterThanOrEqual(27)
    expect(new Set(allRedisScripts).size).toBe(allRedisScripts.length)
    const names = allRedisScripts.map((s) => s.name)
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([])
    // The name is what a failing script's BusError and log lines say: a word a person can grep for.
    expect(names.filter((n) => !/^[a-z][A-Za-z]+$/.test(n))).toEqual([])
  })

  it("a script that takes a variadic tail says what the tail holds", () => {
    const tails = allRedisScripts.filter((s) => s.rest !== undefined)
    expect(tails.length).toBeGreaterThanOrEqual(7)
    expect(tails.filter((s) => s.rest!.trim().length < 10).map((s) => s.name)).toEqual([])
  })

  it.each(allRedisScripts.map((s) => [s.name, s] as const))("%s: keys, args and rest match what the Lua reads", (_, script) => {
    expect(declarationProblems(script)).toEqual([])
  })

  it("the check finds drift: an undeclared key, an unread argument, an undeclared tail, a tail read from the wrong place", () => {
    const drifted = (def: { keys: ReadonlyArray<string>; args: ReadonlyArray<string>; rest?: string; source: string }) =>
      declarationProblems(redisScript({ name: "drifted", reply: Schema.Unknown, ...def }))
    expect(drifted({ keys: ["a"], args: [], source: "return redis.call('GET', KEYS[2])" })).toEqual([
      "key a (KEYS[1]) is declared but never read",
      "KEYS[2] is read but only 1 key(s) are declared"
    ])
    expect(drifted({ keys: ["a"], args: ["x", "y"], source: "return redis.call('SET', KEYS[1], ARGV[1])" })).toEqual([
      "argument y (ARGV[2]) is declared but never read"
    ])
    expect(drifted({ keys: ["a"], args: ["x"], source: "redis.call('SET', KEYS[1], ARGV[1])\nreturn #ARGV" })).toEqual([
      "ARGV is read past its declared arguments (a computed index, #ARGV or unpack) but no rest is declared"
    ])
    expect(drifted({ keys: ["a"], args: ["x"], rest: "pairs", source: "local t = {}\nfor i = 3, #ARGV do t[#t + 1] = ARGV[i] end\nreturn redis.call('SET', KEYS[1], ARGV[1])" }))
      .toEqual(["the source reads its ARGV tail from 3, but 1 argument(s) are declared"])
    expect(drifted({ keys: ["a"], args: ["x"], rest: "pairs", source: "return redis.call('SET', KEYS[1], ARGV[1])" })).toEqual([
      "a rest (pairs) is declared but the source never reads a variadic ARGV tail"
    ])
    expect(drifted({ keys: ["a", "b"], args: [], source: "for i = 1, 2 do redis.call('DEL', KEYS[i]) end" })).toContain(
      "KEYS is read with a computed index or as a whole: declare each key"
    )
    // Comments and strings do not count as reads.
    expect(drifted({ keys: ["a"], args: [], source: "-- ARGV[1] is not read\nlocal s = 'KEYS[2]'\nreturn redis.call('GET', KEYS[1])" })).toEqual([])
  })

  it("orders KEYS and ARGV as declared, the tail after the declared arguments", () => {
    expect(scriptCall(FENCE_LOSS, { seen: "s", fence: "f", levels: "l" }, { nowMs: 5, quoteSeq: "9" }, ["o1", "3"])).toEqual({
      keys: ["f", "l", "s"],
      args: ["9", 5, "o1", "3"]
    })
    expect(() => scriptCall(FENCE_LOSS, { fence: "f", levels: "l" }, { nowMs: 5, quoteSeq: "9" })).toThrow(/no value for key seen/)
  })
})

// Compile-time checks: never run, only type-checked (npx tsc). A missing or unknown name, or a
// tail given to a script without one (or left out of one with one), does not compile.
export const compileChecks = (conn: RedisConnectionShape) => [
  conn.runScript(CLEAR_POOL, { residual: "r" }, {}),
  // @ts-expect-error a key is missing
  conn.runScript(CLEAR_POOL, {}, {}),
  // @ts-expect-error an unknown key
  conn.runScript(CLEAR_POOL, { residual: "r", other: "x" }, {}),
  // @ts-expect-error an unknown argument
  conn.runScript(CLEAR_POOL, { residual: "r" }, { extra: 1 }),
  // @ts-expect-error CLEAR_POOL takes no tail
  conn.runScript(CLEAR_POOL, { residual: "r" }, {}, []),
  conn.runScript(FENCE_LOSS, { fence: "f", levels: "l", seen: "s" }, { quoteSeq: "1", nowMs: 1 }, []),
  // @ts-expect-error FENCE_LOSS needs its tail
  conn.runScript(FENCE_LOSS, { fence: "f", levels: "l", seen: "s" }, { quoteSeq: "1", nowMs: 1 }),
  // @ts-expect-error an argument is missing
  conn.runScript(FENCE_LOSS, { fence: "f", levels: "l", seen: "s" }, { quoteSeq: "1" }, []),
  conn.runScript(BEGIN_HEDGE, { intents: "i", residual: "r", fence: "f", audit: "a" }, {
    fillId: "x",
    fillSeq: 1,
    signedDelta: 1,
    minBase: 1,
    nowMs: 1,
    sizeDecimals: "",
    symbol: ""
  }).pipe(Effect.map(([existing, json]): [0 | 1, string] => [existing, json]))
]

// ---------------------------------------------------------------------------------------------
// Error codes

/** An error as ioredis reports a Redis error reply. */
const replyError = (message: string): Error => Object.assign(new Error(message), { name: "ReplyError" })

describe("redisErrorCode", () => {
  it("is the leading code word of an error reply", () => {
    expect(redisErrorCode(replyError("NOGROUP No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option"))).toBe("NOGROUP")
    expect(redisErrorCode(replyError("BUSYGROUP Consumer Group name already exists"))).toBe("BUSYGROUP")
    expect(redisErrorCode(replyError("NOSCRIPT No matching script. Please use EVAL."))).toBe("NOSCRIPT")
    expect(redisErrorCode(replyError("WRONGTYPE Operation against a key holding the wrong kind of value"))).toBe("WRONGTYPE")
    expect(redisErrorCode(replyError("LOADING Redis is loading the dataset in memory"))).toBe("LOADING")
    expect(redisErrorCode(replyError("READONLY You can't write against a read only replica."))).toBe("READONLY")
    expect(redisErrorCode(replyError("OOM command not allowed when used memory > 'maxmemory'."))).toBe("OOM")
    expect(redisErrorCode(replyError("ERR unknown command 'FOO'"))).toBe("ERR")
    expect(redisErrorCode(replyError("EXECABORT"))).toBe("EXECABORT")
    // A script's own code, with the suffix Redis 7 adds to errors raised in scripts.
    expect(redisErrorCode(replyError("SEQ_REGRESSED fill sequence 5 is below 9 script: 29285bd6, on @user_script:1."))).toBe("SEQ_REGRESSED")
    // Redis before 7 wrapped a redis.call error raised inside a script.
    expect(redisErrorCodeOfMessage("ERR Error running script (call to f_0a1b2c): @user_script:1: NOGROUP No such key 'k'")).toBe("NOGROUP")
  })

  it("never takes a code word from the middle of the text", () => {
    expect(redisErrorCode(replyError("ERR something about NOGROUP happened"))).toBe("ERR")
    expect(redisErrorCode(replyError("SEQ_REGRESSED x NOGROUP y"))).toBe("SEQ_REGRESSED")
    expect(redisErrorCode(replyError("the group is gone: NOGROUP"))).toBeUndefined()
    expect(redisErrorCode(replyError("NOGROUPS are fine"))).toBe("NOGROUPS")
    expect(redisErrorCode(replyError("NOGROUP:x"))).toBeUndefined()
    expect(redisErrorCode(replyError(""))).toBeUndefined()
  })

  it("is undefined for anything that is not an error reply", () => {
    expect(redisErrorCode(new Error("NOGROUP but a plain Error"))).toBeUndefined()
    expect(redisErrorCode(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBeUndefined()
    expect(redisErrorCode("NOGROUP")).toBeUndefined()
    expect(redisErrorCode(undefined)).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------------------------
// On a real Redis

const redis = redisFixture("scripts")

const withConn = <A, E>(f: (conn: RedisConnectionShape) => Effect.Effect<A, E>) =>
  redis.rt.runPromise(Effect.gen(function*() {
    return yield* f(yield* RedisConnection)
  }))
const failureOf = <A>(f: (conn: RedisConnectionShape) => Effect.Effect<A, BusError>) =>
  withConn((conn) => Effect.flip(f(conn)))

describe("runScript on Redis", () => {
  it("runs a script Redis does not know yet (EVAL after NOSCRIPT), then by its sha", async () => {
    const prefix = redis.server.prefix("script")
    const echo = redisScript({
      name: "echoTest",
      keys: ["target"],
      args: ["value"],
      rest: "more values",
      reply: Schema.Tuple([Schema.String, Schema.Array(Schema.String)]),
      // A source of its own (the prefix), so Redis cannot have it cached.
      source: `-- ${prefix}\nredis.call('SET', KEYS[1], ARGV[1])\nlocal more = {}\nfor i = 2, #ARGV do more[#more + 1] = ARGV[i] end\nreturn {redis.call('GET', KEYS[1]), more}`
    })
    expect(declarationProblems(echo)).toEqual([])
    expect(await redis.raw.script("EXISTS", echo.sha)).toEqual([0])
    expect(await withConn((conn) => conn.runScript(echo, { target: `${prefix}:k` }, { value: "v1" }, ["a", 2]))).toEqual(["v1", ["a", "2"]])
    expect(await redis.raw.script("EXISTS", echo.sha)).toEqual([1])
    expect(await withConn((conn) => conn.runScript(echo, { target: `${prefix}:k` }, { value: "v2" }, []))).toEqual(["v2", []])
    await redis.raw.del(`${prefix}:k`)
  })

  it("a reply that does not decode is a BusError naming the script and what was wrong", async () => {
    const wrong = redisScript({ name: "wrongReplyTest", keys: [], args: [], reply: ZeroOrOne, source: "return 'surprise'" })
    const e = await failureOf((conn) => conn.runScript(wrong, {}, {}))
    expect(e).toBeInstanceOf(BusError)
    expect(e.op).toBe("wrongReplyTest")
    expect(e.code).toBeUndefined()
    expect(e.message).toMatch(/^script wrongReplyTest on Redis .*: unexpected reply "surprise": /)
    expect(e.message).toMatch(/: Expected 0 \| 1$/)
    const shape = redisScript({ name: "wrongShapeTest", keys: [], args: [], reply: Schema.Tuple([ZeroOrOne, Schema.String]), source: "return {1, 2}" })
    const e2 = await failureOf((conn) => conn.runScript(shape, {}, {}))
    expect(e2.message).toMatch(/^script wrongShapeTest on Redis .*: unexpected reply \[1,2\]: /)
    expect(e2.message).toContain("[1]")
  })

  it("an error reply's code is on the BusError: a script's own code, NOGROUP, BUSYGROUP, WRONGTYPE", async () => {
    const prefix = redis.server.prefix("codes")
    const raise = redisScript({ name: "raiseTest", keys: [], args: ["text"], reply: Schema.Unknown, source: "return redis.error_reply(ARGV[1])" })
    const own = await failureOf((conn) => conn.runScript(raise, {}, { text: "HELPER_CODE the text mentions NOGROUP" }))
    expect(own.code).toBe("HELPER_CODE")
    expect(own.op).toBe("raiseTest")
    const plain = await failureOf((conn) => conn.runScript(raise, {}, { text: "the text mentions NOGROUP" }))
    expect(plain.code).toBeUndefined()

    await redis.raw.xadd(`${prefix}:s`, "*", "a", "1")
    const noGroup = await failureOf((conn) => conn.run("xreadgroup", (c) => c.xreadgroup("GROUP", "g", "c", "STREAMS", `${prefix}:s`, "0")))
    expect(noGroup.code).toBe("NOGROUP")
    const readInScript = redisScript({
      name: "readGroupTest",
      keys: ["stream"],
      args: ["group"],
      reply: Schema.Unknown,
      source: "return redis.call('XREADGROUP', 'GROUP', ARGV[1], 'c', 'STREAMS', KEYS[1], '0')"
    })
    const noGroupInScript = await failureOf((conn) => conn.runScript(readInScript, { stream: `${prefix}:s` }, { group: "g" }))
    expect(noGroupInScript.code).toBe("NOGROUP")
    await redis.raw.xgroup("CREATE", `${prefix}:s`, "g", "0")
    const busy = await failureOf((conn) => conn.run("xgroup", (c) => c.xgroup("CREATE", `${prefix}:s`, "g", "0")))
    expect(busy.code).toBe("BUSYGROUP")
    const wrongType = await failureOf((conn) => conn.run("incr", (c) => c.incr(`${prefix}:s`)))
    expect(wrongType.code).toBe("WRONGTYPE")
    await redis.raw.del(`${prefix}:s`)
  })
})
