// `npm run mutate:bus-static`: judges the bus's static mutants, which `npm run mutate:bus` leaves
// out (docs/MUTATION.md). A static mutant sits in code that runs while a module loads (a Schema, a
// Lua script's declaration, a constant), so Stryker can only judge it by running every test of the
// run; a run over all of src/bus would spend hours on the others too. This runs Stryker twice:
//   1. against test/bus/modules-load.test.ts only, to list the static mutants (seconds);
//   2. against the bus's suites (or --vitest-config FILE), mutating only the lines that hold them.
// Then it prints the score of the static mutants and, when reports/mutation/bus.json is there,
// the bus's whole score: its non-static mutants from that report, its static ones from this run.
//
//   node scripts/mutate-bus-static.ts [--vitest-config FILE] [--force]
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"

interface Mutant {
  readonly mutatorName: string
  readonly replacement?: string
  readonly status: string
  readonly statusReason?: string
  readonly location: { readonly start: { readonly line: number; readonly column: number } }
}
interface Report {
  readonly files: Record<string, { readonly mutants: ReadonlyArray<Mutant> }>
}

const argv = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i < 0 ? undefined : argv[i + 1]
}
const vitestConfig = option("--vitest-config") ?? "vitest.mutate-bus.config.ts"
const force = argv.includes("--force")
const dir = "reports/mutation"
mkdirSync(dir, { recursive: true })

const base = JSON.parse(readFileSync("stryker.bus.config.json", "utf8")) as Record<string, unknown>
const stryker = (name: string, config: Record<string, unknown>, extra: ReadonlyArray<string> = []): void => {
  const file = `${dir}/${name}.stryker.json`
  writeFileSync(file, JSON.stringify({ ...base, ...config }, null, 2))
  const run = spawnSync("npx", ["stryker", "run", file, ...extra], { stdio: "inherit" })
  if (run.status !== 0) {
    console.error(`stryker (${file}) exited with ${run.status ?? run.signal}`)
    process.exit(1)
  }
}
const isStatic = (m: Mutant): boolean => m.status === "Ignored" && /static/i.test(m.statusReason ?? "")
const keyOf = (file: string, m: Mutant): string =>
  `${file}:${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement ?? ""}`

// 1. Which mutants are static: those the load-only test reaches while the modules load.
stryker("bus-static-list", {
  vitest: { configFile: "vitest.mutate-bus-load.config.ts" },
  ignoreStatic: true,
  incremental: false,
  reporters: ["progress-append-only", "json"],
  jsonReporter: { fileName: `${dir}/bus-static-list.json` },
  tempDirName: ".stryker-tmp-bus-static-list"
})
const list = JSON.parse(readFileSync(`${dir}/bus-static-list.json`, "utf8")) as Report
const statics = new Set<string>()
const ranges: Array<string> = []
for (const [file, { mutants }] of Object.entries(list.files)) {
  const lines = [...new Set(mutants.filter(isStatic).map((m) => m.location.start.line))].sort((a, b) => a - b)
  for (const m of mutants.filter(isStatic)) statics.add(keyOf(file, m))
  // Neighbouring lines (a declaration spread over several) become one range.
  let start = lines[0]
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const next = lines[i + 1]
    if (next === undefined || next > line + 1) {
      ranges.push(`${file}:${start}-${line}`)
      start = next
    }
  }
}
console.log(`${statics.size} static mutants on ${ranges.length} line ranges`)

// 2. Judge them: every test of the run, for each.
stryker("bus-static", {
  vitest: { configFile: vitestConfig },
  mutate: ranges,
  ignoreStatic: false,
  jsonReporter: { fileName: `${dir}/bus-static.json` },
  incrementalFile: `${dir}/bus-static.incremental.json`,
  tempDirName: ".stryker-tmp-bus-static"
}, force ? ["--force"] : [])

// 3. The figures.
const detected = (m: Mutant): boolean => m.status === "Killed" || m.status === "Timeout"
const judged = (m: Mutant): boolean => detected(m) || m.status === "Survived" || m.status === "NoCoverage"
const run = JSON.parse(readFileSync(`${dir}/bus-static.json`, "utf8")) as Report
let killed = 0
let total = 0
const survivors: Array<string> = []
for (const [file, { mutants }] of Object.entries(run.files)) {
  for (const m of mutants) {
    if (!statics.has(keyOf(file, m)) || !judged(m)) continue
    total++
    if (detected(m)) killed++
    else survivors.push(`${file}:${m.location.start.line} ${m.mutatorName} ${JSON.stringify(m.replacement ?? "")}`)
  }
}
const pct = (k: number, t: number) => `${t === 0 ? "100.0" : ((100 * k) / t).toFixed(1)} % (${k}/${t})`
console.log(`\nstatic mutants of src/bus: ${pct(killed, total)} killed`)
for (const s of survivors) console.log(`  survived: ${s}`)
try {
  const whole = JSON.parse(readFileSync(`${dir}/bus.json`, "utf8")) as Report
  let k = killed
  let t = total
  for (const { mutants } of Object.values(whole.files)) {
    for (const m of mutants) {
      if (!judged(m)) continue
      t++
      if (detected(m)) k++
    }
  }
  console.log(`src/bus with its static mutants (non-static from ${dir}/bus.json): ${pct(k, t)}`)
} catch {
  console.log(`(no ${dir}/bus.json: run npm run mutate:bus for the whole folder's score)`)
}
