// Secrets never live in config.yaml. This module finds anything in the parsed YAML document
// that looks like one (by key name, or by shape: long hex such as a 40-byte Lighter API key),
// and says where it belongs instead. It reads the raw YAML nodes, so a key pasted unquoted
// (`0xabc…`, which YAML would turn into a lossy number) is still recognised from its source text.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml"

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
