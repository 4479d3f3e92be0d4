// `hedge sim`: runs the simulator until SIGINT/SIGTERM. Returns the exit code after closing (0;
// 2 for bad usage); the caller should `process.exit(await runSimCli(argv))`.
// Every tx is signature-checked, so the user accounts need registered API keys: for each account
// the key of slot `--api-key-index` (default 4) is loaded from `<keys-dir>/account-<index>.key`, or
// generated and written there (0600). The private key is never printed — only where it is.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { bytesToHex, generateKeyPair, parsePrivateKey, publicKeyOf } from "../venue/lighter/signing/index.ts"
import { startSimulator } from "./server.ts"
import type { SimOptions } from "./server.ts"
import { DEFAULT_CHAIN_ID } from "./verify.ts"

const USAGE = `usage: hedge sim [--port N] [--host H] [--seed N] [--speed-bumps] [--rate-limit N] [--no-market] [--fill-rate N]
                 [--volatility-bps N] [--chain-id N] [--keys-dir DIR] [--accounts 1,2] [--api-key-index N] [--no-auth]
  --chain-id N        chain id tx signatures are verified with (default ${DEFAULT_CHAIN_ID}, mainnet; testnet 300)
  --keys-dir DIR      API private keys of the accounts, one file per account (default logs/sim-keys):
                      account-<index>.key is used if present, else generated (mode 0600)
  --accounts LIST     user accounts, comma-separated (default 1,2: account_a and account_b of config.yaml)
  --api-key-index N   API key slot registered for each account (default 4, as config.yaml)
  --no-auth           do not require or check auth tokens on private channels and private REST reads`

/** `--help`: the usage, on stdout, exit code 0. */
export class SimHelp extends Error {}

export const DEFAULT_KEYS_DIR = join("logs", "sim-keys")
export const DEFAULT_SIM_API_KEY_INDEX = 4

export interface SimCliOptions extends SimOptions {
  readonly keysDir: string
  readonly apiKeyIndex: number
}

export const parseSimArgs = (argv: readonly string[]): SimCliOptions => {
  let port = 0
  let host = "127.0.0.1"
  let seed = 1
  let speedBumps = false
  let rateLimit: SimOptions["rateLimit"] = false
  let market = true
  let fillRatePerMin: number | undefined
  let volatilityBps: number | undefined
  let chainId = DEFAULT_CHAIN_ID
  let keysDir = DEFAULT_KEYS_DIR
  let accounts = [1, 2]
  let apiKeyIndex = DEFAULT_SIM_API_KEY_INDEX
  let requireAuth = true
  const num = (i: number, flag: string): number => {
    const v = argv[i]
    if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new Error(`${flag} needs a number\n${USAGE}`)
    return Number(v)
  }
  const int = (i: number, flag: string): number => {
    const v = argv[i]
    if (v === undefined || !/^\d{1,15}$/.test(v)) throw new Error(`${flag} needs a whole number\n${USAGE}`)
    return Number(v)
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case "--port":
        port = num(++i, a)
        break
      case "--host":
        host = argv[++i] ?? host
        break
      case "--seed":
        seed = num(++i, a)
        break
      case "--speed-bumps":
        speedBumps = true
        break
      case "--rate-limit":
        rateLimit = { txPerMinute: num(++i, a) }
        break
      case "--no-market":
        market = false
        break
      case "--fill-rate":
        fillRatePerMin = num(++i, a)
        break
      case "--volatility-bps":
        volatilityBps = num(++i, a)
        break
      case "--chain-id":
        chainId = int(++i, a)
        break
      case "--keys-dir": {
        const v = argv[++i]
        if (v === undefined || v === "") throw new Error(`--keys-dir needs a directory\n${USAGE}`)
        keysDir = v
        break
      }
      case "--accounts": {
        const v = argv[++i] ?? ""
        if (!/^\d{1,15}(,\d{1,15})*$/.test(v)) throw new Error(`--accounts needs account indexes like 1,2\n${USAGE}`)
        accounts = [...new Set(v.split(",").map(Number))]
        if (accounts.some((n) => n < 1)) throw new Error(`--accounts: account indexes start at 1\n${USAGE}`)
        break
      }
      case "--api-key-index":
        apiKeyIndex = int(++i, a)
        if (apiKeyIndex > 254) throw new Error(`--api-key-index must be 0…254\n${USAGE}`)
        break
      case "--no-auth":
        requireAuth = false
        break
      case "-h":
      case "--help":
        throw new SimHelp(USAGE)
      default:
        throw new Error(`unknown flag ${a}\n${USAGE}`)
    }
  }
  return {
    port,
    host,
    seed,
    speedBumps,
    rateLimit,
    chainId,
    requireAuth,
    keysDir,
    apiKeyIndex,
    accounts: accounts.map((index) => ({ index })),
    market: market
      ? {
          ...(fillRatePerMin !== undefined ? { fillRatePerMin } : {}),
          ...(volatilityBps !== undefined ? { volatilityBps } : {})
        }
      : false
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
    const text = e instanceof Error ? e.message : String(e)
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
