// The one command-line parser of every program here: bin/main-a and bin/main-b (flags.ts), the
// bin/hedge sub-commands (src/cli, src/app), `hedge sim` and `hedge bench`.
//
// A command declares each flag once — its name, value hint, help text and Schema (or kind) — and
// gets from that declaration:
//   - tokenising: `--flag value`, `--flag=value`, switches (`--flag`, `--flag=true|false`),
//     `-h` / `--help`; anything that is not a flag is refused ("unexpected argument");
//   - an unknown flag refused with the nearest known one ("did you mean --market?"), and a flag
//     of a sibling program named as such ("--quantity is a flag of main-a only");
//   - a flag without its value refused naming the flag and its hint ("--depth needs a value (--depth N)");
//   - the value decoded with the flag's Schema, so a bad one says which flag and what it expects
//     ("--depth: expected a depth from 1 to 10000 …, got 0"), from the schema's `expected`
//     annotation (fields.ts) or else Schema's own words;
//   - the help text (`helpText`), generated from the same declaration.
// The last of a repeated flag wins. Errors start with the command's name ("hedge status: …").
// It lives in config/ because flags.ts (main-a, main-b) is one of its users and config/ may import
// only domain/; the layers above (app/, cli/, bench/, chaos/, testkit/ and sim/) may all import config/.
import { Effect, Result, Schema, SchemaAST } from "effect"
import { levenshtein, showValue } from "./issues.ts"

/** How a flag's text becomes the value its schema decodes. */
export type FlagKind =
  /** the text as given (trimmed) */
  | "text"
  /** a decimal number such as 2, 0.5 or -1 */
  | "number"
  /** a whole number */
  | "int"
  /** no value: present means true; `--flag=true` / `--flag=false` */
  | "switch"

export interface Flag<A> {
  readonly flag: string
  readonly kind: FlagKind
  /** The value's placeholder in help and messages (`N`, `FILE`); "" for a switch. */
  readonly hint: string
  /** One line, or several separated by "\n", for the help text. */
  readonly help: string
  /** Decodes the value after `kind`'s conversion (a string, a number or a boolean). */
  readonly schema: Schema.ConstraintDecoder<A>
  /** An invalid value is not repeated in the message (it may hold a password). */
  readonly secret?: boolean
  /** Applied to a value's text before it is decoded (e.g. upper-casing a market symbol). */
  readonly normalize?: (text: string) => string
}

export type Flags = { readonly [key: string]: Flag<unknown> }

/** What a command's flags parse into: each flag given, under its key. */
export type ArgsOf<F extends Flags> = { readonly [K in keyof F]?: F[K] extends Flag<infer A> ? A : never }

interface FlagOptions {
  readonly secret?: boolean
  readonly normalize?: (text: string) => string
}

const make = <A>(kind: FlagKind, flag: string, hint: string, help: string, schema: Schema.ConstraintDecoder<A>, options?: FlagOptions): Flag<A> => ({
  flag,
  kind,
  hint,
  help,
  schema,
  ...(options?.secret === true ? { secret: true } : {}),
  ...(options?.normalize !== undefined ? { normalize: options.normalize } : {})
})

/** `--flag TEXT`: a string, decoded with `schema` (any non-empty text when omitted). */
export function textFlag(flag: string, hint: string, help: string): Flag<string>
export function textFlag<A>(flag: string, hint: string, help: string, schema: Schema.ConstraintDecoder<A>, options?: FlagOptions): Flag<A>
export function textFlag(flag: string, hint: string, help: string, schema?: Schema.ConstraintDecoder<unknown>, options?: FlagOptions): Flag<unknown> {
  return make("text", flag, hint, help, schema ?? Schema.String, options)
}

/** `--flag N`: a decimal number, decoded with `schema` (any number when omitted). */
export function numberFlag(flag: string, hint: string, help: string): Flag<number>
export function numberFlag<A>(flag: string, hint: string, help: string, schema: Schema.ConstraintDecoder<A>): Flag<A>
export function numberFlag(flag: string, hint: string, help: string, schema?: Schema.ConstraintDecoder<unknown>): Flag<unknown> {
  return make("number", flag, hint, help, schema ?? Schema.Number)
}

/** `--flag N`: a whole number, decoded with `schema` (any integer when omitted). */
export function intFlag(flag: string, hint: string, help: string): Flag<number>
export function intFlag<A>(flag: string, hint: string, help: string, schema: Schema.ConstraintDecoder<A>): Flag<A>
export function intFlag(flag: string, hint: string, help: string, schema?: Schema.ConstraintDecoder<unknown>): Flag<unknown> {
  return make("int", flag, hint, help, schema ?? Schema.Int)
}

/** `--flag`: a switch, true when given (`--flag=false` turns it off). */
export const switchFlag = (flag: string, help: string): Flag<boolean> => make("switch", flag, "", help, Schema.Boolean)

export interface Command<F extends Flags> {
  /** The program's name, in front of every error ("hedge status", "main-a"). */
  readonly name: string
  readonly flags: F
  /** The help's first line; `usage: <name> [flags]` when omitted. */
  readonly usage?: string
  /** What the command does: the help's paragraph after the usage line. */
  readonly about?: string
  /** The heading over the flags in the help; `flags (--flag VALUE or --flag=VALUE):` when omitted. */
  readonly flagsTitle?: string
  /** The help's last lines (an example, where secrets come from). */
  readonly footer?: string
  /** How its flags look, for a stray argument ("flags look like --market BTC"). */
  readonly example?: string
  /** Flags of a sibling program: refused as "a flag of <program> only" rather than as unknown. */
  readonly elsewhere?: ReadonlyArray<{ readonly flag: string; readonly program: string }>
}

/** Declares a command (the identity, for its flags' types). */
export const defineCommand = <const F extends Flags>(c: Command<F>): Command<F> => c

export class ArgvError extends Schema.TaggedError<ArgvError>()("ArgvError", {
  /** The flag (or stray argument) the message is about. */
  flag: Schema.String,
  message: Schema.String
}) {}

/**
 * `-h` / `--help` was given: not a failure, the command's help. `parseArgv` fails with it so that
 * the caller's caller prints it once (bin/hedge: on stdout, exit code 0) and nothing else runs.
 */
export class ArgvHelp extends Schema.TaggedError<ArgvHelp>()("ArgvHelp", { text: Schema.String }) {}

export type Parsed<A> = { readonly _tag: "Args"; readonly args: A } | { readonly _tag: "Help"; readonly text: string }

// ---------------------------------------------------------------------------------------------
// Help

const HEAD_WIDTH = 22

/** One row per flag (a long head gets its own line), help continuation lines aligned. */
export const flagRows = (flags: ReadonlyArray<Pick<Flag<unknown>, "flag" | "hint" | "help">>, indent = 2, width = HEAD_WIDTH): ReadonlyArray<string> => {
  const pad = " ".repeat(indent)
  const cont = `${pad}${"".padEnd(width)} `
  return flags.flatMap((f) => {
    const head = f.hint === "" ? f.flag : `${f.flag} ${f.hint}`
    const [first = "", ...more] = f.help.split("\n")
    const lead = head.length > width ? [`${pad}${head}`, `${cont}${first}`] : [`${pad}${head.padEnd(width)} ${first}`]
    return [...lead, ...more.map((line) => `${cont}${line}`)]
  })
}

export const helpText = <F extends Flags>(c: Command<F>): string =>
  [
    c.usage ?? `usage: ${c.name} [flags]`,
    ...(c.about === undefined ? [] : ["", c.about]),
    "",
    c.flagsTitle ?? "flags (--flag VALUE or --flag=VALUE):",
    ...flagRows(Object.values(c.flags)),
    ...flagRows([{ flag: "-h, --help", hint: "", help: "show this help" }]),
    ...(c.footer === undefined ? [] : ["", c.footer])
  ].join("\n")

// ---------------------------------------------------------------------------------------------
// Parsing

const isHelp = (arg: string) => arg === "-h" || arg === "--help"
/** A token that is a flag, not a value: `--x` (a lone `--` is neither). */
const looksLikeFlag = (arg: string) => arg.startsWith("--") && arg.length > 2

/** The known flag nearest to a mistyped one, within a few edits. */
export const nearestFlag = (flag: string, known: ReadonlyArray<string>): string | undefined => {
  const budget = Math.max(1, Math.min(3, Math.floor((flag.length - 2) / 2)))
  let best: { readonly flag: string; readonly d: number } | undefined
  for (const k of known) {
    const d = levenshtein(flag, k)
    if (d <= budget && (best === undefined || d < best.d)) best = { flag: k, d }
  }
  return best?.flag
}

/** Schema's "expected …" for a value `schema` refused: its `expected` annotation, else Schema's message. */
const expectedOf = (schema: Schema.ConstraintDecoder<unknown>, error: Schema.SchemaError): string => {
  const annotated = SchemaAST.resolveAt<string>("expected")(schema.ast)
  if (annotated !== undefined) return annotated
  const first = error.message.split("\n")[0]!.trim()
  return first.replace(/^Expected /, "")
}

const WHOLE = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/

/** Parses `argv` (without node and script) by the command's declaration; help or the flags given. */
export const readArgv = <F extends Flags>(c: Command<F>, argv: ReadonlyArray<string>): Result.Result<Parsed<ArgsOf<F>>, ArgvError> => {
  const fail = (flag: string, text: string) => Result.fail(new ArgvError({ flag, message: `${c.name}: ${text}` }))
  const entries = Object.entries(c.flags)
  const seeHelp = "see --help"
  const out: Record<string, unknown> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (isHelp(arg)) return Result.succeed({ _tag: "Help", text: helpText(c) })
    if (!looksLikeFlag(arg)) {
      return fail(arg, `unexpected argument ${JSON.stringify(arg)} (flags look like ${c.example ?? "--flag VALUE"}; ${seeHelp})`)
    }
    const eq = arg.indexOf("=")
    const flag = eq >= 0 ? arg.slice(0, eq) : arg
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined
    const entry = entries.find(([, f]) => f.flag === flag)
    if (entry === undefined) {
      const other = c.elsewhere?.find((e) => e.flag === flag)
      if (other !== undefined) return fail(flag, `${flag} is a flag of ${other.program} only (${seeHelp})`)
      const near = nearestFlag(flag, entries.map(([, f]) => f.flag))
      return fail(flag, `unknown flag ${flag}${near === undefined ? "" : ` (did you mean ${near}?)`}; ${seeHelp}`)
    }
    const [key, spec] = entry
    let value: unknown
    if (spec.kind === "switch") {
      const v = inline === undefined ? "true" : inline.trim().toLowerCase()
      if (v !== "true" && v !== "false") {
        return fail(flag, `${flag} takes no value (or ${flag}=true / ${flag}=false), got ${showValue(inline)}`)
      }
      value = v === "true"
    } else {
      let given = inline
      if (given === undefined) {
        const next = argv[i + 1]
        if (next !== undefined && !looksLikeFlag(next)) {
          given = next
          i++
        }
      }
      const needs = `${flag} needs a value (${flag} ${spec.hint})`
      if (given === undefined || given.trim() === "") return fail(flag, needs)
      const text = spec.normalize === undefined ? given.trim() : spec.normalize(given.trim())
      const shown = spec.secret === true ? "a value that is not one (not shown: it may hold a password)" : showValue(text)
      if (spec.kind === "int" && !WHOLE.test(text)) return fail(flag, `${flag}: expected a whole number, got ${shown}`)
      if (spec.kind === "number" && !DECIMAL.test(text)) return fail(flag, `${flag}: expected a number, got ${shown}`)
      value = spec.kind === "text" ? text : Number(text)
    }
    const decoded = Schema.decodeUnknownResult(spec.schema)(value)
    if (Result.isFailure(decoded)) {
      const shown = spec.secret === true ? "a value that is not one (not shown: it may hold a password)" : showValue(value)
      return fail(flag, `${flag}: expected ${expectedOf(spec.schema, decoded.failure)}, got ${shown}`)
    }
    out[key] = decoded.success
  }
  return Result.succeed({ _tag: "Args", args: out as ArgsOf<F> })
}

/** `readArgv` as an Effect: the flags given; `-h` / `--help` fails with `ArgvHelp` (see there). */
export const parseArgv = <F extends Flags>(c: Command<F>, argv: ReadonlyArray<string>): Effect.Effect<ArgsOf<F>, ArgvError | ArgvHelp> =>
  Effect.suspend((): Effect.Effect<ArgsOf<F>, ArgvError | ArgvHelp> => {
    const r = readArgv(c, argv)
    if (Result.isFailure(r)) return Effect.fail(r.failure)
    const parsed = r.success
    return parsed._tag === "Help" ? Effect.fail(new ArgvHelp({ text: parsed.text })) : Effect.succeed(parsed.args)
  })
