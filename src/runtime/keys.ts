// `bin/hedge keys check | generate`, and the same check at the start of bin/main-a and bin/main-b.
//
// check: for accounts A and B of the config, derives the public key from the private key
// (HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY or accounts.account_x.private_key_file) and compares it with
// what the venue has registered (GET /api/v1/apikeys?account_index=N&api_key_index=K).
// generate: prints a new key pair, to be registered with Lighter's own tools.
//
// Private keys are read, parsed and dropped here; only public keys are ever printed.
import { chmodSync, existsSync, writeFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { type HedgeflowConfig, loadConfig } from "../config/load.ts"
import { compareKeys, fetchRegisteredKey } from "../venue/lighter/api-keys.ts"
import { parseKey } from "../venue/lighter/signer.ts"
import { bytesToHex, generateKeyPair } from "../venue/lighter/signing/index.ts"
import type { VenueError } from "../venue/errors.ts"
import { defineCommand, parseArgv, textFlag } from "../config/argv.ts"
import { FilePath } from "../config/fields.ts"
import { CONFIG_FLAG, MARKET_FLAG, parsePairArgv } from "./market-flag.ts"
import type { Role } from "../domain/role.ts"
import { chainIdOf, keySourceOf, missingKeyAdvice, missingKeyMessage } from "./venue-layers.ts"

export type AccountKeyStatus =
  | { readonly _tag: "Match"; readonly publicKey: string }
  | { readonly _tag: "Mismatch"; readonly publicKey: string; readonly registered: string }
  | { readonly _tag: "NotRegistered"; readonly publicKey: string }
  | { readonly _tag: "KeyMissing" }
  | { readonly _tag: "BadKey"; readonly message: string }
  | { readonly _tag: "Unreachable"; readonly error: VenueError }

/** Where Lighter's own tools register a public key (we do not: that is an L1-signed transaction). */
export const REGISTER_HOW =
  "register it with Lighter's own tools — the official Python SDK's SignerClient.change_api_key (see its example " +
  "examples/system_setup.py in elliottech/lighter-python; it is signed with the account's Ethereum key) or the Lighter app"

const who = (role: Role, config: HedgeflowConfig) => {
  const acc = config.accounts[role]
  return `account ${role.toUpperCase()} (${acc.name}, index ${acc.accountIndex}, API key ${acc.apiKeyIndex})`
}

/** Compares account `role`'s key with the venue's registration. Never fails: every outcome is a status. */
export const accountKeyStatus = (role: Role, config: HedgeflowConfig): Effect.Effect<AccountKeyStatus> =>
  Effect.gen(function*() {
    const acc = config.accounts[role]
    if (acc.privateKey === undefined) return { _tag: "KeyMissing" } as const
    const parsed = yield* parseKey(acc.privateKey, keySourceOf(role, config)).pipe(Effect.result)
    if (parsed._tag === "Failure") return { _tag: "BadKey", message: parsed.failure.message } as const
    const publicKey = parsed.success.publicKey
    const registered = yield* fetchRegisteredKey({ baseUrl: config.venue.baseUrl, timeoutMs: 5000 }, acc.accountIndex, acc.apiKeyIndex).pipe(
      Effect.result
    )
    if (registered._tag === "Failure") return { _tag: "Unreachable", error: registered.failure } as const
    const c = compareKeys(publicKey, registered.success)
    return c._tag === "Match"
      ? { _tag: "Match", publicKey } as const
      : c._tag === "Mismatch"
      ? { _tag: "Mismatch", publicKey, registered: c.registered } as const
      : { _tag: "NotRegistered", publicKey } as const
  })

/** One line per account for `keys check`: match, mismatch, not registered, key missing (and what to do). */
export const describeKeyStatus = (role: Role, config: HedgeflowConfig, s: AccountKeyStatus): string => {
  const acc = config.accounts[role]
  const head = who(role, config)
  switch (s._tag) {
    case "Match":
      return `${head}: match — public key ${s.publicKey} is registered on ${config.venue.baseUrl}`
    case "Mismatch":
      return `${head}: MISMATCH — the venue has public key ${s.registered} in this slot, but the private key in ${keySourceOf(role, config)} ` +
        `belongs to ${s.publicKey}. Set the private key of the registered key, or ${REGISTER_HOW} for account ${acc.accountIndex}, API key ${acc.apiKeyIndex}`
    case "NotRegistered":
      return `${head}: NOT REGISTERED — the venue has no public key in this slot. Its private key's public key is ${s.publicKey}; ` +
        `${REGISTER_HOW} for account ${acc.accountIndex}, API key ${acc.apiKeyIndex}`
    case "KeyMissing":
      return `${head}: KEY MISSING — ${missingKeyAdvice(role, config)}`
    case "BadKey":
      return `${head}: BAD KEY — ${s.message}`
    case "Unreachable":
      return `${head}: UNKNOWN — cannot ask the venue at ${config.venue.baseUrl}: ${s.error.message}`
  }
}

/** Thrown into a start-up failure: the message is the one line the user sees. */
export class KeyCheckError extends Schema.TaggedError<KeyCheckError>()("KeyCheckError", { message: Schema.String }) {}

/**
 * What bin/main-a and bin/main-b do before trading: their own account's key must be the one the
 * venue has registered. A mismatch, an empty slot, a missing or malformed key is one clear line;
 * an unreachable venue is returned as its VenueError (reported like every other start-up failure).
 */
export const ensureOwnKey = (role: Role, config: HedgeflowConfig): Effect.Effect<void, KeyCheckError | VenueError> =>
  Effect.gen(function*() {
    const s = yield* accountKeyStatus(role, config)
    const acc = config.accounts[role]
    const head = who(role, config)
    const tail = "; refusing to trade (see `bin/hedge keys check`)"
    switch (s._tag) {
      case "Match":
        return yield* Effect.logInfo(`${head}: API key matches the venue's registration (public key ${s.publicKey}, chain id ${chainIdOf(config)})`)
      case "Unreachable":
        return yield* Effect.fail(s.error)
      case "KeyMissing":
        return yield* new KeyCheckError({ message: missingKeyMessage(role, config) })
      case "BadKey":
        return yield* new KeyCheckError({ message: `${head}: ${s.message}` })
      case "Mismatch":
        return yield* new KeyCheckError({
          message: `${head}: the private key in ${acc.privateKeyEnv} (or accounts.account_${role}.private_key_file) belongs to public key ${s.publicKey}, ` +
            `but the venue has ${s.registered} registered for this API key; set the matching private key, or register ${s.publicKey} with Lighter's tools${tail}`
        })
      case "NotRegistered":
        return yield* new KeyCheckError({
          message: `${head}: no API key is registered on the venue for this account and index; register public key ${s.publicKey} ` +
            `(of the private key in ${acc.privateKeyEnv}) with Lighter's tools, or set api_key_index to a registered key${tail}`
        })
    }
  })

// ---------------------------------------------------------------------------------------------
// bin/hedge keys

const KEYS_CHECK = defineCommand({
  name: "hedge keys check",
  about: "Compare the public key of A's and B's private keys with what the venue has registered for their API key;\n" +
    "exit code 1 unless both match.",
  flags: { config: CONFIG_FLAG, market: MARKET_FLAG }
})
const KEYS_GENERATE = defineCommand({
  name: "hedge keys generate",
  about: "Print a new API key pair; register its public key with Lighter's tools.",
  flags: {
    privateKeyFile: textFlag("--private-key-file", "FILE", "write the private key there (mode 600) instead of showing it", FilePath)
  }
})

const out = (text: string) => Effect.sync(() => void process.stdout.write(text + "\n"))

/** `keys check`: one line per account; exit code 1 unless both match. */
export const keysCheck = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parsePairArgv(KEYS_CHECK, argv)
    const config = yield* loadConfig({ path: args.config ?? "config.yaml", env: process.env })
    if (config.settings.venue.kind === "memory") {
      return yield* Effect.fail(new Error('venue.kind "memory" has no API keys: keys check needs venue.kind simulator or lighter'))
    }
    yield* out(`API keys on ${config.venue.baseUrl} (venue.kind ${config.settings.venue.kind}, chain id ${chainIdOf(config)}) / API 密钥检查`)
    let allMatch = true
    for (const role of ["a", "b"] as const) {
      const s = yield* accountKeyStatus(role, config)
      if (s._tag !== "Match") allMatch = false
      yield* out(describeKeyStatus(role, config, s))
    }
    if (!allMatch) {
      yield* out("Not all keys match: main-a and main-b refuse to start until they do. / 密钥不匹配：修复前 main-a / main-b 不会启动。")
      process.exitCode = 1
    }
  })

/** `keys generate`: a new key pair; the private key is shown once (or written to a chmod 600 file). */
export const keysGenerate = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parseArgv(KEYS_GENERATE, argv)
    const pair = generateKeyPair()
    const privateHex = "0x" + bytesToHex(pair.privateKey)
    const publicHex = "0x" + bytesToHex(pair.publicKey)
    const lines: Array<string> = ["New Lighter API key pair / 新的 Lighter API 密钥对", ""]
    if (args.privateKeyFile !== undefined) {
      const file = args.privateKeyFile
      if (existsSync(file)) return yield* Effect.fail(new Error(`${file} exists already; not overwritten (choose another --private-key-file)`))
      yield* Effect.try({
        try: () => {
          writeFileSync(file, privateHex + "\n", { mode: 0o600, flag: "wx" })
          chmodSync(file, 0o600)
        },
        catch: (e) => new Error(`cannot write ${file}: ${(e as { code?: string }).code ?? "error"}`)
      })
      lines.push(`private key  written to ${file} (mode 600); it is not shown here`)
    } else {
      lines.push(`private key  ${privateHex}`)
    }
    lines.push(
      `public key   ${publicHex}`,
      "",
      args.privateKeyFile !== undefined
        ? `Name that file in accounts.account_x.private_key_file (or put its content in HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY).`
        : "WARNING: the private key above is shown this once and is not stored anywhere. Store it now, and only in a file\n" +
          "readable by you alone (chmod 600) named in accounts.account_x.private_key_file, or in the environment variable\n" +
          "HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY (x = a or b); never in config.yaml. Clear your terminal scrollback afterwards.",
      "",
      "This key cannot trade until its public key is registered on Lighter for your account and an API key index",
      "(4–254; 0–3 belong to Lighter's apps). hedgeflow does not register keys. Register the public key with Lighter's",
      "own tools: the official Python SDK's SignerClient.change_api_key (see its example examples/system_setup.py in",
      "elliottech/lighter-python; it is signed with the account's Ethereum key), or the Lighter app.",
      "Then set accounts.account_x.account_index / api_key_index and run `bin/hedge keys check`.",
      "",
      "警告：私钥只显示这一次。请立即保存到仅本人可读的文件（chmod 600，配置 accounts.account_x.private_key_file）",
      "或环境变量 HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY，切勿写入 config.yaml。公钥需用 Lighter 官方工具（SDK 的 change_api_key 示例或 App）",
      "注册到账户的 API key 槽位（4–254），然后运行 `bin/hedge keys check` 检查。"
    )
    yield* out(lines.join("\n"))
  })

export const keysCommand = (argv: ReadonlyArray<string>) => {
  const [sub, ...rest] = argv
  if (sub === "check") return keysCheck(rest)
  if (sub === "generate") return keysGenerate(rest)
  return Effect.fail(new Error(`usage: bin/hedge keys check [--config FILE] [--market SYMBOL] | bin/hedge keys generate [--private-key-file FILE]`))
}
