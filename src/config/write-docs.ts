// `npm run docs:config`: rewrites the generated tables of docs/CONFIG.md from the key table.
import { readFileSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { regenerate } from "./docs.ts"

const file = resolve(import.meta.dirname, "../../docs/CONFIG.md")
const before = readFileSync(file, "utf8")
const after = regenerate(before)
if (after === before) {
  process.stdout.write("docs/CONFIG.md is up to date\n")
} else {
  writeFileSync(file, after)
  process.stdout.write("docs/CONFIG.md: generated tables rewritten\n")
}
