// Typed Redis Lua scripts. Each script declares, in one place, the names of its KEYS and ARGV
// (in the order the Lua reads them as KEYS[1], KEYS[2] …, ARGV[1] …), what its variadic ARGV tail
// holds if it has one, and the Schema of its reply. RedisConnection.runScript takes keys and
// arguments by name (a missing or unknown name does not compile), orders them as declared, runs
// EVALSHA (EVAL when Redis does not know the script) and decodes the reply with the Schema: a reply
// that does not decode is a BusError naming the script, never a value cast to a type.
// test/bus/scripts.test.ts checks every declared script's source against its declaration.
import { createHash } from "node:crypto"
import { Schema } from "effect"
import type { Result } from "effect"

/** A value passed to a script (ioredis sends numbers as their decimal text). */
export type ScriptArg = string | number

/** A script's declaration; see `redisScript`. */
export interface RedisScript<
  K extends string = string,
  A extends string = string,
  R = unknown,
  Rest extends string | undefined = string | undefined
> {
  readonly name: string
  /** KEYS[1], KEYS[2] … by name. */
  readonly keys: ReadonlyArray<K>
  /** ARGV[1], ARGV[2] … by name. */
  readonly args: ReadonlyArray<A>
  /** What the variadic tail of ARGV (after the declared args) holds; undefined: the script has none. */
  readonly rest: Rest
  /** The reply's Schema (decoded from the RESP2 reply as ioredis returns it). */
  readonly reply: Schema.ConstraintDecoder<R>
  readonly decodeReply: (reply: unknown) => Result.Result<R, Schema.SchemaError>
  readonly source: string
  readonly sha: string
}

/** Any declared script (for lists of them). */
export type AnyRedisScript = RedisScript<any, any, any, any>

/** An object with exactly these names (none: an empty object). */
type Named<N extends string, V> = [N] extends [never] ? { readonly [name: string]: never } : { readonly [P in N]: V }

/** The keys of script S, by name. */
export type ScriptKeys<S> = S extends RedisScript<infer K, any, any, any> ? Named<K, string> : never
/** The declared arguments of script S, by name. */
export type ScriptArgs<S> = S extends RedisScript<any, infer A, any, any> ? Named<A, ScriptArg> : never
/** The variadic tail of script S's ARGV: one array when it declares one, nothing otherwise. */
export type ScriptRest<S> = S extends RedisScript<any, any, any, infer Rest>
  ? [Rest] extends [string] ? [rest: ReadonlyArray<ScriptArg>] : []
  : never
/** What script S's reply decodes to. */
export type ScriptReply<S> = S extends RedisScript<any, any, infer R, any> ? R : never

/**
 * Declares a script: `keys` and `args` name KEYS[i] and ARGV[i] in order (array literals: the
 * names are inferred as literal types), `rest` says what follows the declared args when the
 * script takes a variadic tail, `reply` is the Schema its reply must decode with.
 */
export const redisScript = <
  const K extends ReadonlyArray<string>,
  const A extends ReadonlyArray<string>,
  S extends Schema.ConstraintDecoder<unknown>,
  Rest extends string | undefined = undefined
>(def: {
  readonly name: string
  readonly keys: K
  readonly args: A
  readonly rest?: Rest
  readonly reply: S
  readonly source: string
}): RedisScript<K[number], A[number], S["Type"], Rest> => ({
  name: def.name,
  keys: def.keys,
  args: def.args,
  rest: def.rest as Rest,
  reply: def.reply,
  decodeReply: Schema.decodeUnknownResult(def.reply),
  source: def.source,
  sha: createHash("sha1").update(def.source).digest("hex")
})

/**
 * KEYS and ARGV of one call, in the declared order. Throws when a declared name has no value
 * (only possible by going around the types).
 */
export const scriptCall = (
  script: AnyRedisScript,
  keys: Readonly<Record<string, string>>,
  args: Readonly<Record<string, ScriptArg>>,
  rest: ReadonlyArray<ScriptArg> = []
): { readonly keys: ReadonlyArray<string>; readonly args: ReadonlyArray<ScriptArg> } => {
  const pick = <V>(what: string, values: Readonly<Record<string, V>>) => (name: string): V => {
    const v = values[name]
    if (v === undefined) throw new Error(`script ${script.name}: no value for ${what} ${name}`)
    return v
  }
  return {
    keys: script.keys.map(pick("key", keys)),
    args: [...script.args.map(pick("argument", args)), ...rest]
  }
}

// -----------------------------------------------------------------------------------------------
// Reply schemas shared by several scripts.

/** A script's 0/1 answer (`return 0` / `return 1`). */
export const ZeroOrOne = Schema.Literals([0, 1])
/** A hash as HGETALL returns it inside a script: field, value, field, value … */
export const FlatPairs = Schema.Array(Schema.String)
