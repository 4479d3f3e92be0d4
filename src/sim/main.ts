// `hedge sim`: runs the simulator until SIGINT/SIGTERM. Returns the exit code after closing (0;
// 2 for bad usage); the caller should `process.exit(await runSimCli(argv))`.
// Every tx is signature-checked, so the user accounts need registered API keys: for each account
// the key of slot `--api-key-index` (default 4) is loaded from `<keys-dir>/account-<index>.key`, or
// generated and written there (0600). The private key is never printed — only where it is.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Result, Schema } from "effect"
import { ArgvError, defineCommand, helpText, intFlag, numberFlag, readArgv, switchFlag, textFlag } from "../config/argv.ts"
import { FilePath, Host, IntBetween } from "../config/fields.ts"
import { bytesToHex, generateKeyPair, parsePrivateKey, publicKeyOf } from "../venue/lighter/signing/index.ts"
import { startSimulator } from "./server.ts"
import type { SimOptions } from "./server.ts"
import { DEFAULT_CHAIN_ID } from "./verify.ts"

export const DEFAULT_KEYS_DIR = join("logs", "sim-keys")
export const DEFAULT_SIM_API_KEY_INDEX = 4

const NonNegative = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0)).annotate({ expected: "a number >= 0" })

/** `hedge sim`'s flags (its help is generated from them). */
export const SIM_COMMAND = defineCommand({
  name: "hedge sim",
  about: "Runs the embedded Lighter exchange until SIGINT/SIGTERM (see src/sim/README.md).",
  flags: {
    port: intFlag("--port", "N", "port to listen on (bin/hedge sim: default 8787; 0 = any free port)", IntBetween(0, 65535, "a port number")),
    host: textFlag("--host", "H", "address to listen on (default 127.0.0.1)", Host),
    seed: numberFlag("--seed", "N", "seed of the synthetic market (default 1)", NonNegative),
    speedBumps: switchFlag("--speed-bumps", "Lighter's standard-tier speed bumps: 200 ms maker/cancel, 300 ms taker"),
    rateLimit: numberFlag("--rate-limit", "N", "transactions per minute per L1 address before 429 (Lighter standard: 60; default off)", NonNegative),
    noMarket: switchFlag("--no-market", "no synthetic market (price walk, background liquidity, takers): empty books"),
    fillRate: numberFlag("--fill-rate", "N", "sweeps per minute per side the synthetic market aims at, reaching a quote that deep (default 2)", NonNegative),
    volatilityBps: numberFlag("--volatility-bps", "N", "standard deviation of the price walk per minute, in basis points (default 0.5)", NonNegative),
    chainId: intFlag(
      "--chain-id",
      "N",
      `chain id tx signatures are verified with (default ${DEFAULT_CHAIN_ID}, mainnet; testnet 300)`,
      Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 999_999_999_999_999 })).annotate({ expected: "a chain id such as 304 or 300" })
    ),
    keysDir: textFlag(
      "--keys-dir",
      "DIR",
      "API private keys of the accounts, one file per account (default logs/sim-keys):\naccount-<index>.key is used if present, else generated (mode 0600)",
      FilePath
    ),
    accounts: textFlag(
      "--accounts",
      "LIST",
      "user accounts, comma-separated (default 1,2: account_a and account_b of config.yaml)",
      Schema.String.check(
        Schema.isPattern(/^\d{1,15}(,\d{1,15})*$/),
        Schema.makeFilter<string>((s) => s.split(",").every((n) => Number(n) >= 1))
      ).annotate({ expected: "account indexes like 1,2 (they start at 1)" })
    ),
    apiKeyIndex: intFlag(
      "--api-key-index",
      "N",
      `API key slot registered for each account (default ${DEFAULT_SIM_API_KEY_INDEX}, as config.yaml)`,
      IntBetween(0, 254).annotate({ expected: "an API key index (0…254)" })
    ),
    noAuth: switchFlag("--no-auth", "do not require or check auth tokens on private channels and private REST reads")
  }
})

/** `--help`: the usage, on stdout, exit code 0. */
export class SimHelp extends Error {}

export interface SimCliOptions extends SimOptions {
  readonly keysDir: string
  readonly apiKeyIndex: number
}

/** The options of `hedge sim`; throws SimHelp for --help, ArgvError (naming the flag) for a bad one. */
export const parseSimArgs = (argv: readonly string[]): SimCliOptions => {
  const parsed = readArgv(SIM_COMMAND, argv)
  if (Result.isFailure(parsed)) throw parsed.failure
  if (parsed.success._tag === "Help") throw new SimHelp(parsed.success.text)
  const a = parsed.success.args
  const accounts = a.accounts === undefined ? [1, 2] : [...new Set(a.accounts.split(",").map(Number))]
  return {
    port: a.port ?? 0,
    host: a.host ?? "127.0.0.1",
    seed: a.seed ?? 1,
    speedBumps: a.speedBumps ?? false,
    rateLimit: a.rateLimit === undefined ? false : { txPerMinute: a.rateLimit },
    chainId: a.chainId ?? DEFAULT_CHAIN_ID,
    requireAuth: a.noAuth !== true,
    keysDir: a.keysDir ?? DEFAULT_KEYS_DIR,
    apiKeyIndex: a.apiKeyIndex ?? DEFAULT_SIM_API_KEY_INDEX,
    accounts: accounts.map((index) => ({ index })),
    market: a.noMarket === true
      ? false
      : {
          ...(a.fillRate !== undefined ? { fillRatePerMin: a.fillRate } : {}),
          ...(a.volatilityBps !== undefined ? { volatilityBps: a.volatilityBps } : {})
        }
  }
}

export interface SimAccountKey {
  readonly account: number
  /** Absolute path of the file holding the account's API private key. */
  readonly file: string
  /** True when the key was generated (and the file written) now. */
  readonly created: boolean
  /** 80 hex chars, no 0x (what the simulator registers). */
  readonly publicKeyHex: string
  /** Set when an existing file can be read by group/others. */
  readonly warning?: string
}

/**
 * For each account: loads `<dir>/account-<index>.key`, or generates a key pair and writes the private
 * key there ("0x" + 80 hex, mode 0600; the directory is created 0700). Errors never contain a key.
 */
export const loadOrCreateSimKeys = (dir: string, accounts: readonly number[]): SimAccountKey[] => {
  const abs = resolve(dir)
  mkdirSync(abs, { recursive: true, mode: 0o700 })
  return accounts.map((account) => {
    const file = join(abs, `account-${account}.key`)
    if (existsSync(file)) {
      let priv: Uint8Array
      try {
        priv = parsePrivateKey(readFileSync(file, "utf8").trim())
      } catch {
        throw new Error(`${file}: not a Lighter API private key (expected 0x followed by 80 hex digits); delete it to generate a new one`)
      }
      const mode = statSync(file).mode & 0o777
      return {
        account,
        file,
        created: false,
        publicKeyHex: bytesToHex(publicKeyOf(priv)),
        ...((mode & 0o077) !== 0 ? { warning: `${file} can be read by other users: chmod 600 ${file}` } : {})
      }
    }
    const kp = generateKeyPair()
    writeFileSync(file, `0x${bytesToHex(kp.privateKey)}\n`, { mode: 0o600, flag: "wx" })
    chmodSync(file, 0o600)
    return { account, file, created: true, publicKeyHex: bytesToHex(kp.publicKey) }
  })
}

/** The line telling where account `k`'s key is and how process A or B gets it (the key itself is never printed). */
export const keyLine = (k: SimAccountKey, role: "a" | "b" | undefined, apiKeyIndex: number): string => {
  const where = `account ${k.account}: API key ${apiKeyIndex} ${k.created ? "generated into" : "loaded from"} ${k.file}`
  if (role === undefined) return where
  const env = `HEDGEFLOW_ACCOUNT_${role.toUpperCase()}_PRIVATE_KEY`
  return `${where} — for ${role === "a" ? "bin/main-a" : "bin/main-b"}: export ${env}="$(cat ${k.file})" ` +
    `or set accounts.account_${role}.private_key_file: ${k.file}`
}

export const runSimCli = async (argv: readonly string[]): Promise<number> => {
  let options: SimCliOptions
  let keys: SimAccountKey[]
  try {
    options = parseSimArgs(argv)
    keys = loadOrCreateSimKeys(options.keysDir, (options.accounts ?? []).map((a) => a.index))
  } catch (e) {
    if (e instanceof SimHelp) {
      process.stdout.write(`${e.message}\n`)
      return 0
    }
    // The program's name once, in front of the first line (the usage follows a bad flag).
    const text = e instanceof ArgvError ? `${e.message}\n${helpText(SIM_COMMAND)}` : e instanceof Error ? e.message : String(e)
    process.stderr.write(`${text.startsWith("hedge sim") ? text : `hedge sim: ${text}`}\n`)
    return 2
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`)
  const { keysDir: _dir, apiKeyIndex, ...simOptions } = options
  const sim = await startSimulator({
    ...simOptions,
    accounts: keys.map((k) => ({ index: k.account, apiKeys: { [apiKeyIndex]: k.publicKeyHex } })),
    log: out
  })
  // The first account is config.yaml's account_a (the maker), the second account_b (the hedger).
  keys.forEach((k, i) => {
    out(keyLine(k, i === 0 ? "a" : i === 1 ? "b" : undefined, apiKeyIndex))
    if (k.warning !== undefined) out(`warning: ${k.warning}`)
  })
  out(`rest ${sim.url}/api/v1  ws ${sim.wsUrl}  observe ${sim.url}/sim/{trades,positions,timeline,stats}`)
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
  })
  await sim.close()
  out("simulator stopped")
  return 0
}
