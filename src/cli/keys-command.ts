// bin/hedge keys check | generate: each account's API key against the venue's record
// (app/own-key.ts), and a new key pair for Lighter's own tools (the private key written to a
// file, never printed).
import { chmodSync, existsSync, writeFileSync } from "node:fs"
import { Effect } from "effect"
import { defineCommand, parseArgv, textFlag } from "../config/argv.ts"
import { FilePath } from "../config/fields.ts"
import { loadConfig } from "../config/load.ts"
import { bytesToHex, generateKeyPair } from "../venue/lighter/signing/index.ts"
import { accountKeyStatus, describeKeyStatus } from "../app/own-key.ts"
import { chainIdOf } from "../app/venue-layers.ts"
import { CONFIG_FLAG, MARKET_FLAG, parsePairArgv } from "./market-flag.ts"
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
