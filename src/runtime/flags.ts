// A small flag parser for bin/hedge subcommands: `--flag value`, `--flag=value`, boolean
// `--flag`; the collected values are decoded with a Schema so bad input names the flag.
import { Effect, Result, Schema } from "effect"

export interface FlagSpec {
  readonly flag: string
  readonly key: string
  readonly kind: "string" | "number" | "boolean"
}

export class FlagError extends Schema.TaggedError<FlagError>()("FlagError", {
  flag: Schema.String,
  message: Schema.String
}) {}

export const parseFlags = <S extends Schema.Top>(
  command: string,
  argv: ReadonlyArray<string>,
  specs: ReadonlyArray<FlagSpec>,
  schema: S
): Effect.Effect<S["Type"], FlagError, S["DecodingServices"]> =>
  Effect.gen(function*() {
    const raw: Record<string, unknown> = {}
    const flagOf = new Map<string, string>()
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      const eq = arg.indexOf("=")
      const flag = eq >= 0 ? arg.slice(0, eq) : arg
      const spec = specs.find((s) => s.flag === flag)
      if (spec === undefined) {
        const known = specs.map((s) => s.flag).join(", ")
        return yield* new FlagError({ flag, message: `${command}: unknown flag ${JSON.stringify(flag)} (known: ${known})` })
      }
      flagOf.set(spec.key, flag)
      if (spec.kind === "boolean" && eq < 0) {
        raw[spec.key] = true
        continue
      }
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i]
      if (value === undefined || value === "") return yield* new FlagError({ flag, message: `${command}: ${flag} needs a value` })
      if (spec.kind === "number") {
        const n = Number(value)
        if (!Number.isFinite(n)) return yield* new FlagError({ flag, message: `${command}: ${flag}: expected a number, got ${JSON.stringify(value)}` })
        raw[spec.key] = n
      } else if (spec.kind === "boolean") {
        raw[spec.key] = value === "true" || value === "1"
      } else {
        raw[spec.key] = value
      }
    }
    const decoded = yield* Schema.decodeUnknownEffect(schema)(raw, { onExcessProperty: "error" }).pipe(Effect.result)
    if (Result.isFailure(decoded)) {
      const text = decoded.failure.message
      const key = [...flagOf.keys()].find((k) => text.includes(`["${k}"]`))
      const flag = key === undefined ? "" : flagOf.get(key)!
      return yield* new FlagError({ flag, message: `${command}: ${flag === "" ? "" : `${flag}: `}${text.split("\n")[0]}` })
    }
    return decoded.success
  })
