// The layering of src/ (docs/ARCHITECTURE.md): which folder may import which, read from the table
// in that document so the two cannot drift; src/domain imports nothing but itself and `effect`;
// and no import cycles anywhere in src/ (type-only imports count: a cycle that exists only to
// share a type is still one).
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "../..")
const src = join(root, "src")

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : []
  })

/** Every module specifier a file names: static imports and re-exports, and dynamic import(). */
export const specifiers = (text: string): Array<string> => [
  ...[...text.matchAll(/^\s*(?:import|export)\b[^"'`;]*?\bfrom\s+["']([^"']+)["']/gm)].map((m) => m[1]!),
  ...[...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)].map((m) => m[1]!),
  ...[...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!)
]

const files = sourceFiles(src)
const folderOf = (file: string) => relative(src, file).split("/")[0]!
const edges = new Map(files.map((f) => [f, specifiers(readFileSync(f, "utf8")).filter((s) => s.startsWith(".")).map((s) => resolve(dirname(f), s))]))

/** The table under "What each folder may import" in docs/ARCHITECTURE.md: folder → folders it may import. */
const allowedFromDoc = (): Map<string, Set<string>> => {
  const doc = readFileSync(join(root, "docs/ARCHITECTURE.md"), "utf8")
  const section = doc.slice(doc.indexOf("## What each folder may import"))
  const rows = [...section.matchAll(/^\| `([a-z]+)\/` \| ([^|]*) \|/gm)]
  return new Map(rows.map((r) => [r[1]!, new Set([...r[2]!.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]!))]))
}

describe("the layering of src/ (docs/ARCHITECTURE.md)", () => {
  it("the document's table names every folder of src/", () => {
    const allowed = allowedFromDoc()
    const folders = [...new Set(files.map(folderOf))].sort()
    expect([...allowed.keys()].sort()).toEqual(folders)
  })

  it("every import between folders is one the table allows", () => {
    const allowed = allowedFromDoc()
    const broken: Array<string> = []
    for (const [file, targets] of edges) {
      const from = folderOf(file)
      for (const t of targets) {
        const to = folderOf(t)
        if (to !== from && !allowed.get(from)?.has(to)) broken.push(`${relative(root, file)} imports ${relative(root, t)} (${from}/ → ${to}/)`)
      }
    }
    expect(broken).toEqual([])
  })

  it("src/domain imports nothing but itself and effect", () => {
    const outside: Array<string> = []
    for (const file of files.filter((f) => folderOf(f) === "domain")) {
      for (const s of specifiers(readFileSync(file, "utf8"))) {
        const ok = s === "effect" || s.startsWith("effect/") || (s.startsWith(".") && folderOf(resolve(dirname(file), s)) === "domain")
        if (!ok) outside.push(`${relative(root, file)} imports ${s}`)
      }
    }
    expect(outside).toEqual([])
  })

  it("no import cycles in src/", () => {
    // Tarjan's strongly connected components over the file graph.
    let next = 0
    const index = new Map<string, number>()
    const low = new Map<string, number>()
    const stack: Array<string> = []
    const onStack = new Set<string>()
    const cycles: Array<string> = []
    const visit = (v: string) => {
      index.set(v, next)
      low.set(v, next++)
      stack.push(v)
      onStack.add(v)
      for (const w of edges.get(v) ?? []) {
        if (!edges.has(w)) continue
        if (!index.has(w)) {
          visit(w)
          low.set(v, Math.min(low.get(v)!, low.get(w)!))
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
      if (low.get(v) === index.get(v)) {
        const component: Array<string> = []
        let w: string
        do {
          w = stack.pop()!
          onStack.delete(w)
          component.push(relative(src, w))
        } while (w !== v)
        if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort().join(" ↔ "))
      }
    }
    for (const f of files) if (!index.has(f)) visit(f)
    expect(cycles).toEqual([])
  })

  it("the checks see what they claim to (a cycle and a forbidden import are found in a sample)", () => {
    expect(specifiers(`import type { A } from "./a.ts"\nexport { b } from "../b.ts"\nconst m = await import("./c.ts")\nimport "./d.ts"`)).toEqual([
      "./a.ts",
      "../b.ts",
      "./d.ts",
      "./c.ts"
    ])
    expect(allowedFromDoc().get("domain")).toEqual(new Set())
    expect(allowedFromDoc().get("maker")?.has("app")).toBe(false)
    // The programs never import the operator CLI or the harnesses.
    for (const h of ["cli", "testkit", "chaos", "bench"]) expect(allowedFromDoc().get("app")?.has(h), h).toBe(false)
  })
})
