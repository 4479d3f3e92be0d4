// Secrets never live in config.yaml: they come from the environment or from files the config
// names, and are held as Redacted. This module reads them, and finds anything in the parsed YAML document
// that looks like one (by key name, or by shape: long hex such as a 40-byte Lighter API key),
// and says where it belongs instead. It reads the raw YAML nodes, so a key pasted unquoted
// (`0xabc…`, which YAML would turn into a lossy number) is still recognised from its source text.
import { readFileSync, statSync } from "node:fs"
import { Redacted } from "effect"
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml"
import type { KeyProblem } from "./issues.ts"

export const ACCOUNT_A_PRIVATE_KEY_ENV = "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY"
export const ACCOUNT_B_PRIVATE_KEY_ENV = "HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY"
export const REDIS_PASSWORD_ENV = "REDIS_PASSWORD"

export interface SecretFinding {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

/** Key names that hold secrets. `*_file` keys (a path to a secret) are fine. */
const SECRET_KEY = /(private[-_]?key|secret|mnemonic|seed[-_]?phrase|passphrase|password|passwd|api[-_]?token|auth[-_]?token)/i
/** 32 bytes or more of hex, with or without 0x: private keys (Ethereum 32 bytes, Lighter API 40 bytes, 80-byte blobs). */
const HEX_KEY = /^(0x)?[0-9a-fA-F]{64,}$/

export const looksLikeKeyMaterial = (s: string): boolean => HEX_KEY.test(s.trim())

const isEmptyValue = (node: unknown): boolean =>
  node === null || node === undefined ||
  (isScalar(node) && (node.value === null || node.value === "" || node.value === undefined))

const where = (path: ReadonlyArray<string>): { env: string; fileKey: string } => {
  const [top, second] = path
  if (top === "accounts" && second === "account_a") {
    return { env: ACCOUNT_A_PRIVATE_KEY_ENV, fileKey: "accounts.account_a.private_key_file" }
  }
  if (top === "accounts" && second === "account_b") {
    return { env: ACCOUNT_B_PRIVATE_KEY_ENV, fileKey: "accounts.account_b.private_key_file" }
  }
  if (top === "redis") return { env: REDIS_PASSWORD_ENV, fileKey: "redis.password_file" }
  return {
    env: `${ACCOUNT_A_PRIVATE_KEY_ENV} / ${ACCOUNT_B_PRIVATE_KEY_ENV}`,
    fileKey: "accounts.account_a.private_key_file / accounts.account_b.private_key_file"
  }
}

const advice = (path: ReadonlyArray<string>): string => {
  const w = where(path)
  return `remove it and set the environment variable ${w.env}, or put it alone in a file (chmod 600) and name that file in ${w.fileKey}`
}

const scalarText = (node: unknown): string | undefined => {
  if (!isScalar(node)) return undefined
  if (typeof node.source === "string") return node.source
  return node.value === null || node.value === undefined ? undefined : String(node.value)
}

const hasUrlPassword = (s: string): boolean => {
  try {
    return new URL(s).password !== ""
  } catch {
    return /\/\/[^/@\s]*:[^/@\s]+@/.test(s)
  }
}

/** Every place in the document that holds (or looks like) a secret. Never includes the value. */
export const findSecrets = (doc: Document): ReadonlyArray<SecretFinding> => {
  const out: Array<SecretFinding> = []
  const seen = new Set<string>()
  const add = (path: ReadonlyArray<string>, message: string) => {
    const k = path.join(".")
    if (seen.has(k)) return
    seen.add(k)
    out.push({ path, message })
  }
  const visited = new Set<unknown>()
  const walk = (node: unknown, path: ReadonlyArray<string>, depth: number): void => {
    if (node === null || node === undefined || depth > 64 || visited.has(node)) return
    visited.add(node)
    if (isAlias(node)) return // the anchored node is walked where it is defined
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue
        const keyText = scalarText(item.key) ?? (item.key === null ? "" : "?")
        const childPath = [...path, keyText]
        if (keyText !== "?" && looksLikeKeyMaterial(keyText)) {
          add([...path, "<key>"], `a key here looks like a private key; ${advice(path)}`)
        }
        if (SECRET_KEY.test(keyText) && !/_file$/i.test(keyText) && !isEmptyValue(item.value)) {
          const what = /password|passwd/i.test(keyText) ? "passwords" : /private/i.test(keyText) ? "private keys" : "secrets"
          add(childPath, `${what} must not be stored in the config file; ${advice(childPath)}`)
          continue
        }
        if (!isScalar(item.key) && item.key !== null) walk(item.key, [...path, "<key>"], depth + 1)
        walk(item.value, childPath, depth + 1)
      }
      return
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, String(i)], depth + 1))
      return
    }
    if (isScalar(node)) {
      const text = scalarText(node)
      if (text === undefined) return
      if (looksLikeKeyMaterial(text)) {
        add(path, `this value looks like a private key (long hex); keys must not be stored in the config file; ${advice(path)}`)
      } else if (/^rediss?:\/\//i.test(text.trim()) && hasUrlPassword(text.trim())) {
        add(path, `this URL contains a password; ${advice(["redis"])}, and keep the URL without it`)
      }
    }
  }
  walk((doc as { contents: Node | null }).contents, [], 0)
  return out
}

/** Removes anything secret-looking from text that is about to be shown (error messages, logs). */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text.replace(/(0x)?[0-9a-fA-F]{32,}/g, "<redacted>")
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join("<redacted>")
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Reading secrets: from the environment, or from a file named in the config. Held as Redacted.

/** The Redis password: HEDGEFLOW_REDIS_PASSWORD wins over REDIS_PASSWORD. */
export const REDIS_PASSWORD_ENVS = [`HEDGEFLOW_${REDIS_PASSWORD_ENV}`, REDIS_PASSWORD_ENV] as const
/** Secrets of the alert channels (URLs of webhooks carry tokens too). */
export const ALERT_WEBHOOK_ENV = "HEDGEFLOW_ALERT_WEBHOOK_URL"
export const TELEGRAM_BOT_TOKEN_ENV = "HEDGEFLOW_TELEGRAM_BOT_TOKEN"

export const SECRET_ENV = {
  accountAPrivateKey: ACCOUNT_A_PRIVATE_KEY_ENV,
  accountBPrivateKey: ACCOUNT_B_PRIVATE_KEY_ENV,
  redisPassword: REDIS_PASSWORD_ENVS,
  alertWebhookUrl: ALERT_WEBHOOK_ENV,
  telegramBotToken: TELEGRAM_BOT_TOKEN_ENV
} as const

/** An environment variable holding a secret; empty counts as unset. */
export const secretFromEnv = (env: Record<string, string | undefined>, name: string): Redacted.Redacted<string> | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? undefined : Redacted.make(v.trim())
}

export type SecretFileRead =
  | { readonly _tag: "Read"; readonly value: Redacted.Redacted<string>; readonly warning: string | undefined }
  | { readonly _tag: "Refused"; readonly problem: KeyProblem }

/** A secret alone in a file (`key` names the config key that names the file). */
export const readSecretFile = (file: string, key: ReadonlyArray<string>): SecretFileRead => {
  const refuse = (text: string): SecretFileRead => ({ _tag: "Refused", problem: { key, text } })
  try {
    const st = statSync(file)
    if (!st.isFile()) return refuse(`${file} is not a file`)
    const text = readFileSync(file, "utf8").trim()
    if (text === "") return refuse(`${file} is empty`)
    const warning = (st.mode & 0o077) !== 0
      ? `${key.join(".")}: ${file} can be read by other users of this machine; run: chmod 600 ${file}`
      : undefined
    return { _tag: "Read", value: Redacted.make(text), warning }
  } catch (e) {
    const code = (e as { code?: string }).code
    return refuse(code === "ENOENT" ? `${file} does not exist` : `cannot read ${file} (${code ?? "error"})`)
  }
}

/** Every secret the environment holds, to scrub from messages. */
export const secretsInEnv = (env: Record<string, string | undefined>): ReadonlyArray<string> =>
  [ACCOUNT_A_PRIVATE_KEY_ENV, ACCOUNT_B_PRIVATE_KEY_ENV, ...REDIS_PASSWORD_ENVS, ALERT_WEBHOOK_ENV, TELEGRAM_BOT_TOKEN_ENV]
    .map((n) => secretFromEnv(env, n))
    .filter((s): s is Redacted.Redacted<string> => s !== undefined)
    .map((s) => Redacted.value(s))
