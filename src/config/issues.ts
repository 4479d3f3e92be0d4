// Turns a Schema issue tree into one plain problem per key: "expected …, got …" or
// "unknown key (did you mean …?)". The "expected" text comes from the field schema's own
// `expected` annotation, found by walking the schema's AST along the issue's path.
import { SchemaAST, type SchemaIssue } from "effect"

export type Problem =
  | { readonly _tag: "Invalid"; readonly path: ReadonlyArray<string>; readonly expected: string; readonly input: unknown; readonly hasInput: boolean }
  | { readonly _tag: "Unknown"; readonly path: ReadonlyArray<string>; readonly suggestion: string | undefined }

/** One problem about one key (or, with an empty key, about the whole file). */
export interface KeyProblem {
  readonly key: ReadonlyArray<string>
  readonly text: string
}

export const pathKey = (path: ReadonlyArray<string>): string => path.join(".")

/** Walks the issue tree; one problem per path (the first one seen). */
export const problemsOf = (issue: SchemaIssue.Issue, root: SchemaAST.AST): ReadonlyArray<Problem> => {
  const out = new Map<string, Problem>()
  const add = (p: Problem) => {
    const k = pathKey(p.path)
    if (!out.has(k)) out.set(k, p)
  }
  const invalid = (path: ReadonlyArray<string>, node: { readonly input?: unknown }) => {
    const hasInput = "input" in node
    add({ _tag: "Invalid", path, expected: expectedAt(root, path), input: hasInput ? node.input : undefined, hasInput })
  }
  const walk = (i: SchemaIssue.Issue, path: ReadonlyArray<string>): void => {
    switch (i._tag) {
      case "Pointer":
        return walk(i.issue, [...path, ...i.path.map(String)])
      case "Composite":
        for (const j of i.issues) walk(j, path)
        return
      case "Encoding":
        return walk(i.issue, path)
      case "UnexpectedKey":
        add({ _tag: "Unknown", path, suggestion: suggestKey(root, path) })
        return
      case "MissingKey":
        add({ _tag: "Invalid", path, expected: expectedAt(root, path), input: undefined, hasInput: false })
        return
      case "Filter":
      case "AnyOf":
      case "OneOf":
      case "InvalidType":
      case "InvalidValue":
      case "Forbidden":
        return invalid(path, i as { readonly input?: unknown })
    }
  }
  walk(issue, [])
  return [...out.values()]
}

// ---------------------------------------------------------------------------------------------
// AST navigation

const fieldsOf = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.PropertySignature> | undefined =>
  ast._tag === "Objects" ? ast.propertySignatures : undefined

const astAt = (root: SchemaAST.AST, path: ReadonlyArray<string>): SchemaAST.AST | undefined => {
  let ast: SchemaAST.AST | undefined = root
  for (const key of path) {
    const fields: ReadonlyArray<SchemaAST.PropertySignature> | undefined = ast === undefined ? undefined : fieldsOf(ast)
    ast = fields?.find((f) => f.name === key)?.type
    if (ast === undefined) return undefined
  }
  return ast
}

const expectedAt = (root: SchemaAST.AST, path: ReadonlyArray<string>): string => {
  const ast = astAt(root, path)
  if (ast === undefined) return "a valid value"
  const annotated = SchemaAST.resolveAt<string>("expected")(ast)
  if (annotated !== undefined) return annotated
  if (ast._tag === "Objects") return "a section of key: value pairs"
  return "a valid value"
}

/** Every leaf path of the schema, e.g. ["redis", "host"]. */
export const leafPaths = (root: SchemaAST.AST): ReadonlyArray<ReadonlyArray<string>> => {
  const out: Array<ReadonlyArray<string>> = []
  const go = (ast: SchemaAST.AST, path: ReadonlyArray<string>) => {
    const fields = fieldsOf(ast)
    if (fields === undefined) {
      out.push(path)
      return
    }
    for (const f of fields) go(f.type, [...path, String(f.name)])
  }
  go(root, [])
  return out
}

export const levenshtein = (a: string, b: string): number => {
  if (a === b) return 0
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]!
}

const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, "")

/** A close sibling key, or the same key name in another section ("redis.base_url" → "lighter.base_url"). */
const suggestKey = (root: SchemaAST.AST, path: ReadonlyArray<string>): string | undefined => {
  const key = path[path.length - 1]
  if (key === undefined) return undefined
  const parent = path.slice(0, -1)
  const parentAst = astAt(root, parent)
  const siblings = parentAst === undefined ? [] : (fieldsOf(parentAst) ?? []).map((f) => String(f.name))
  const budget = Math.max(1, Math.min(3, Math.floor(key.length / 3)))
  let best: { name: string; d: number } | undefined
  for (const s of siblings) {
    const d = norm(s) === norm(key) ? 0 : levenshtein(key.toLowerCase(), s.toLowerCase())
    if (d <= budget && (best === undefined || d < best.d)) best = { name: s, d }
  }
  if (best !== undefined) return pathKey([...parent, best.name])
  // the same key under another section
  const elsewhere = leafPaths(root).filter((p) => p.length > 0 && norm(p[p.length - 1]!) === norm(key))
  return elsewhere.length === 1 ? pathKey(elsewhere[0]!) : undefined
}

// ---------------------------------------------------------------------------------------------
// Showing values in messages (short, single-line, no secrets: callers scrub again)

export const showValue = (u: unknown): string => {
  if (u === null || u === undefined) return "nothing (empty value)"
  if (Array.isArray(u)) return "a list"
  if (typeof u === "object") return "a section"
  if (typeof u === "string") {
    return JSON.stringify(u.length > 60 ? u.slice(0, 57) + "..." : u)
  }
  if (typeof u === "number" || typeof u === "boolean" || typeof u === "bigint") return String(u)
  return typeof u
}
