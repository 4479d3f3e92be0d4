// Where a config value comes from. The file is read as plain data (YAML, with secrets refused
// and the previous system's spellings adopted); then environment variables and command-line
// flags are laid over it, each value remembering its origin, so that an error can say where a
// bad value came from:
//
//   file  <  environment (each key's `env` in keys.ts)  <  flags (flags.ts)
import { isMap, isScalar, LineCounter, parseDocument } from "yaml"
import { CLI_KEYS, type CliOverrides } from "./flags.ts"
import { type KeyProblem, pathKey, showValue } from "./issues.ts"
import { type EnvKind, KEY_ENTRIES } from "./keys.ts"
import { findSecrets } from "./secrets.ts"

export type Origin =
  | { readonly _tag: "File" }
  | { readonly _tag: "Env"; readonly name: string }
  | { readonly _tag: "Cli"; readonly flag: string }

/** Later layers win: a flag over the environment over the file. */
export const originRank = (o: Origin | undefined): number =>
  o === undefined ? 0 : o._tag === "File" ? 1 : o._tag === "Env" ? 2 : 3

/** Formats problems as lines that name the file, variable or flag the value came from. */
export class ProblemLines {
  readonly lines: Array<string> = []
  readonly file: string
  readonly originOf: (path: ReadonlyArray<string>) => Origin
  constructor(file: string, originOf: (path: ReadonlyArray<string>) => Origin) {
    this.file = file
    this.originOf = originOf
  }
  add(p: KeyProblem, origin: Origin = this.originOf(p.key)) {
    const key = pathKey(p.key)
    switch (origin._tag) {
      case "File":
        this.lines.push(`${this.file}: ${key === "" ? "" : key + ": "}${p.text}`)
        return
      case "Env":
        this.lines.push(`environment variable ${origin.name} (${key}): ${p.text}`)
        return
      case "Cli":
        this.lines.push(`${origin.flag} (${key}): ${p.text}`)
        return
    }
  }
  general(text: string) {
    this.lines.push(text)
  }
}

export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

export const getPath = (obj: unknown, path: ReadonlyArray<string>): unknown => {
  let cur: unknown = obj
  for (const k of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, k)) return undefined
    cur = cur[k]
  }
  return cur
}

/** Sets a value at a path, creating sections; leaves the object alone where the file has a non-section. */
const setPath = (obj: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown): boolean => {
  let cur: Record<string, unknown> = obj
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!
    const next = Object.hasOwn(cur, k) ? cur[k] : undefined
    if (next === undefined || next === null) {
      const fresh: Record<string, unknown> = {}
      cur[k] = fresh
      cur = fresh
    } else if (isPlainObject(next)) {
      cur = next
    } else {
      return false
    }
  }
  cur[path[path.length - 1]!] = value
  return true
}

/** A deep copy with only plain data: objects, arrays, scalars. */
const plainCopy = (u: unknown, depth = 0): unknown => {
  if (depth > 64) return null
  if (Array.isArray(u)) return u.map((x) => plainCopy(x, depth + 1))
  if (u instanceof Map) {
    const o: Record<string, unknown> = {}
    for (const [k, v] of u) {
      const key = typeof k === "string" ? k : typeof k === "number" || typeof k === "boolean" || k === null ? String(k) : "<complex key>"
      Object.defineProperty(o, key, { value: plainCopy(v, depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return o
  }
  if (isPlainObject(u)) {
    const o: Record<string, unknown> = {}
    for (const k of Object.keys(u)) {
      Object.defineProperty(o, k, { value: plainCopy(u[k], depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return o
  }
  if (typeof u === "bigint") return Number(u)
  return u
}

export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "")
  return h === "localhost" || h.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(h) || h === "::1" ||
    h === "0:0:0:0:0:0:0:1"
}

/** "mainnet.zklighter.elliot.ai" or "127.0.0.1:8787": a host without a scheme (the previous system's ws_url). */
const BARE_HOST = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?(?:\/[^\s]*)?$/

/**
 * The previous system's spellings, rewritten in place on the file's plain data before the schema
 * sees it; returns a note for each. Empty `accounts.*.api_key_private_key` (its template's
 * placeholder) is dropped: keys come from the environment or a key file. A bare host in
 * `lighter.ws_url` becomes wss://host/stream (ws:// on this machine), as its SDK did.
 */
export const adoptPreviousSpellings = (merged: Record<string, unknown>): ReadonlyArray<string> => {
  const notes: Array<string> = []
  const accounts = merged["accounts"]
  for (const [section, role] of [["account_a", "A"], ["account_b", "B"]] as const) {
    const acc = isPlainObject(accounts) ? accounts[section] : undefined
    if (!isPlainObject(acc) || !Object.hasOwn(acc, "api_key_private_key")) continue
    const v = acc["api_key_private_key"]
    if (v === "" || v === null || v === undefined) {
      delete acc["api_key_private_key"]
      notes.push(
        `accounts.${section}.api_key_private_key is empty and ignored: account ${role}'s key comes from ` +
          `HEDGEFLOW_ACCOUNT_${role}_PRIVATE_KEY or the file named in accounts.${section}.private_key_file ` +
          `(私钥只从环境变量或密钥文件读取，配置中的空值已忽略)`
      )
    }
  }
  const lighter = merged["lighter"]
  const ws = isPlainObject(lighter) ? lighter["ws_url"] : undefined
  if (isPlainObject(lighter) && typeof ws === "string" && !ws.includes("://") && BARE_HOST.test(ws.trim())) {
    const text = ws.trim()
    const slash = text.indexOf("/")
    const host = slash < 0 ? text : text.slice(0, slash)
    const path = slash < 0 ? "/stream" : text.slice(slash)
    const url = `${isLoopbackHost(host.replace(/:\d+$/, "")) ? "ws" : "wss"}://${host}${path}`
    lighter["ws_url"] = url
    notes.push(`lighter.ws_url "${text}" is a bare host (the previous system's form): using ${url}`)
  }
  return notes
}

/** The file as plain data, or the lines that say why it cannot be read. */
export type FileLayer =
  | {
    readonly _tag: "Read"
    readonly data: Record<string, unknown>
    /** Keys refused as secrets (reported already; the schema must not report them again). */
    readonly secretProblems: ReadonlyArray<KeyProblem>
    readonly notes: ReadonlyArray<string>
  }
  | { readonly _tag: "Unreadable"; readonly lines: ReadonlyArray<string> }

/** YAML text → plain data: syntax errors, secrets refused, decimal keys kept as their text. */
export const readFileLayer = (text: string, path: string): FileLayer => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, lineCounter, logLevel: "error" })
  if (doc.errors.length > 0) {
    return {
      _tag: "Unreadable",
      lines: doc.errors.slice(0, 3).map((err) => {
        const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0])
        const firstLine = err.message.split("\n")[0] ?? "invalid YAML"
        return `${path}${pos !== undefined ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${firstLine}`
      })
    }
  }
  const secretProblems = findSecrets(doc).map((f) => ({ key: f.path, text: f.message }))
  let raw: unknown
  try {
    // decimal keys keep their source text: 0.0002 stays "0.0002", never a float
    const decimalNodes = KEY_ENTRIES.filter((e) => e.spec.decimalText === true).map((e) =>
      [e.path, isMap(doc.contents) ? doc.getIn(e.path, true) : undefined] as const
    )
    raw = plainCopy(doc.toJS({ maxAliasCount: 100, mapAsMap: true }))
    for (const [keyPath, node] of decimalNodes) {
      if (isScalar(node) && typeof node.value === "number" && typeof node.source === "string") {
        const parent = getPath(raw, keyPath.slice(0, -1))
        if (isPlainObject(parent)) parent[keyPath[keyPath.length - 1]!] = node.source
      }
    }
  } catch (e) {
    return { _tag: "Unreadable", lines: [`${path}: cannot read the YAML document: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`] }
  }
  if (raw === null || raw === undefined) raw = {}
  if (!isPlainObject(raw)) {
    return {
      _tag: "Unreadable",
      lines: [`${path}: expected sections of key: value pairs (like "redis:" and "market:"), got ${showValue(raw)}`]
    }
  }
  // secret keys are reported by the caller; drop them so the schema does not report them again
  for (const p of secretProblems) {
    const parent = getPath(raw, p.key.slice(0, -1))
    const last = p.key[p.key.length - 1]
    if (isPlainObject(parent) && last !== undefined && Object.hasOwn(parent, last)) delete parent[last]
  }
  // the previous system's own file loads as it is (its template's empty key placeholders, a
  // bare host in lighter.ws_url)
  const notes = adoptPreviousSpellings(raw)
  return { _tag: "Read", data: raw, secretProblems, notes }
}

export const envValue = (env: Record<string, string | undefined>, name: string): string | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? undefined : v.trim()
}

const convertEnv = (raw: string, kind: EnvKind): unknown => {
  switch (kind) {
    case "int":
      return /^[+-]?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
    case "bool": {
      const l = raw.toLowerCase()
      if (["true", "1", "yes", "on"].includes(l)) return true
      if (["false", "0", "no", "off"].includes(l)) return false
      return raw
    }
    case "upper":
      return raw.toUpperCase()
    case "string":
      return raw
  }
}

/**
 * Lays the environment, then the flags, over the file's data (in place) and returns where each
 * value came from. A key the file had and nothing overrode is "File".
 */
export const overlay = (
  data: Record<string, unknown>,
  env: Record<string, string | undefined>,
  overrides: CliOverrides
): ReadonlyMap<string, Origin> => {
  const origins = new Map<string, Origin>()
  for (const { path } of KEY_ENTRIES) {
    if (getPath(data, path) !== undefined) origins.set(pathKey(path), { _tag: "File" })
  }
  for (const { path, spec } of KEY_ENTRIES) {
    for (const name of spec.env ?? []) {
      const v = envValue(env, name)
      if (v !== undefined && setPath(data, path, convertEnv(v, spec.envKind ?? "string"))) {
        origins.set(pathKey(path), { _tag: "Env", name })
      }
    }
  }
  for (const { key, flag, path } of CLI_KEYS) {
    const v = overrides[key]
    if (v !== undefined && setPath(data, path, v)) origins.set(pathKey(path), { _tag: "Cli", flag })
  }
  return origins
}
