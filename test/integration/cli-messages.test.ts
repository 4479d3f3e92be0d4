// Every error of bin/hedge, bin/main-a and bin/main-b names its program once, in front:
// "hedge keys check: unknown flag …", never "hedge keys: hedge keys check: …" or "main-a: main-a: …".
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { withProgramName } from "../../src/app/exit.ts"

const root = resolve(import.meta.dirname, "../..")
const cwd = mkdtempSync(join(tmpdir(), "hedgeflow-cli-messages-"))

const run = (script: string, args: ReadonlyArray<string>): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((res) => {
    // bin/hedge's dispatcher is src/cli/hedge.ts; main-a and main-b are in src/app.
    const p = spawn(process.execPath, [join(root, script === "hedge.ts" ? "src/cli" : "src/app", script), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    p.once("exit", (code) => res({ code: code ?? -1, stdout, stderr }))
  })

describe("program names in error messages", () => {
  it("once, in front, for every bin/hedge sub-command and for main-a / main-b", async () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, string, number]> = [
      ["hedge.ts", ["keys", "check", "--confg", "x.yaml"], "hedge keys check: unknown flag --confg (did you mean --config?); see --help", 1],
      ["hedge.ts", ["keys", "generate", "--bogus"], "hedge keys generate: unknown flag --bogus", 1],
      ["hedge.ts", ["keys", "bogus"], "hedge keys: usage: bin/hedge keys check", 1],
      ["hedge.ts", ["demo", "--bogus"], `hedge demo: unknown flag --bogus`, 1],
      ["hedge.ts", ["demo", "--depth", "x"], `hedge demo: --depth: expected a whole number, got "x"`, 1],
      ["hedge.ts", ["demo", "--depth"], "hedge demo: --depth needs a value (--depth N)", 1],
      ["hedge.ts", ["flatten", "--settle-timeout", "900"], "hedge flatten: --settle-timeout: expected a number of seconds from 0 to 600", 1],
      ["hedge.ts", ["chaos", "--bogus"], `hedge chaos: unknown flag --bogus`, 1],
      ["hedge.ts", ["status", "--bogus"], `hedge status: unknown flag --bogus`, 1],
      ["hedge.ts", ["inspect", "--bogus"], `hedge inspect: unknown flag --bogus`, 1],
      ["hedge.ts", ["halt", "--bogus"], `hedge halt: unknown flag --bogus`, 1],
      ["hedge.ts", ["resume", "--bogus"], `hedge resume: unknown flag --bogus`, 1],
      ["hedge.ts", ["flatten", "--bogus"], `hedge flatten: unknown flag --bogus`, 1],
      ["hedge.ts", ["drop-intent"], "hedge drop-intent: usage: bin/hedge drop-intent FILL_ID", 1],
      ["hedge.ts", ["start", "--bogus"], `hedge start: unknown flag --bogus`, 1],
      ["hedge.ts", ["stop", "--bogus"], `hedge stop: unknown flag --bogus`, 1],
      ["hedge.ts", ["start", "--config", "missing.yaml"], "hedge start: config file", 1],
      ["hedge.ts", ["status", "--config", "missing.yaml"], "hedge status: config file", 1],
      ["hedge.ts", ["bench", "--bogus"], "hedge bench: unknown flag --bogus", 1],
      ["hedge.ts", ["sim", "--bogus"], "hedge sim: unknown flag --bogus", 2],
      ["hedge.ts", ["bogus"], `hedge: unknown command "bogus"`, 2],
      ["main-a.ts", ["--markte", "BTC"], "main-a: unknown flag --markte (did you mean --market?)", 1],
      ["main-b.ts", ["--config", "missing.yaml"], "main-b: config file", 1]
    ]
    const results = await Promise.all(cases.map(([script, args]) => run(script, args)))
    cases.forEach(([script, args, first, code], i) => {
      const r = results[i]!
      const what = `${script} ${args.join(" ")}`
      expect(r.code, `${what}: ${r.stderr}`).toBe(code)
      const line = r.stderr.split("\n")[0]!
      expect(line.startsWith(first), `${what}: ${line}`).toBe(true)
      const program = first.split(":")[0]!
      // the program's name once, and no stack trace
      expect(line.split(`${program}:`).length - 1, `${what}: ${line}`).toBe(1)
      expect(line.slice(program.length + 1)).not.toMatch(/^\s*(hedge|main-a|main-b)[ :]/)
      expect(r.stderr, what).not.toMatch(/\n\s+at /)
    })
  }, 60_000)

  it("hedge sim --help prints its usage on stdout and exits 0", async () => {
    const r = await run("hedge.ts", ["sim", "--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^usage: hedge sim /)
    expect(r.stderr).toBe("")
  })

  it("every command's -h / --help: its flags, generated from its declaration, on stdout, exit code 0, nothing run", async () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, string, ReadonlyArray<string>]> = [
      ["hedge.ts", ["status", "--help"], "usage: hedge status [flags]", ["--config FILE", "--market SYMBOL", "--json"]],
      ["hedge.ts", ["keys", "check", "-h"], "usage: hedge keys check [flags]", ["--config FILE", "--market SYMBOL"]],
      ["hedge.ts", ["keys", "generate", "--help"], "usage: hedge keys generate [flags]", ["--private-key-file FILE"]],
      ["hedge.ts", ["drop-intent", "--help"], "usage: bin/hedge drop-intent FILL_ID --yes", ["--yes", "--force"]],
      ["hedge.ts", ["demo", "--depth", "3", "--help"], "usage: hedge demo [flags]", ["--venue sim|memory", "--quiet"]],
      ["hedge.ts", ["start", "--help"], "usage: hedge start [flags]", ["--wait SECONDS"]],
      ["hedge.ts", ["stop", "-h"], "usage: hedge stop [flags]", ["--timeout SECONDS"]],
      ["hedge.ts", ["flatten", "--help"], "usage: hedge flatten [flags]", ["--settle-timeout SECONDS"]],
      ["hedge.ts", ["bench", "--help"], "usage: hedge bench [flags]", ["--signing-only"]],
      ["main-a.ts", ["--help"], "usage: main-a [flags]", ["--quantity DECIMAL"]]
    ]
    const results = await Promise.all(cases.map(([script, args]) => run(script, args)))
    cases.forEach(([script, args, first, flags], i) => {
      const r = results[i]!
      const what = `${script} ${args.join(" ")}`
      expect(r.code, `${what}: ${r.stderr}`).toBe(0)
      expect(r.stderr, what).toBe("")
      expect(r.stdout.startsWith(first), `${what}: ${r.stdout}`).toBe(true)
      for (const f of [...flags, "-h, --help"]) expect(r.stdout, what).toContain(`  ${f}`)
    })
  }, 60_000)

  it("withProgramName", () => {
    expect(withProgramName("hedge keys", "hedge keys check: unknown flag")).toBe("hedge keys check: unknown flag")
    expect(withProgramName("hedge keys", "usage: bin/hedge keys …")).toBe("hedge keys: usage: bin/hedge keys …")
    expect(withProgramName("hedge bench", "bench: unknown flag --x")).toBe("hedge bench: unknown flag --x")
    expect(withProgramName("hedge demo", "hedge demo: --depth: expected a number")).toBe("hedge demo: --depth: expected a number")
    expect(withProgramName("main-a", "main-a: unknown flag --markte")).toBe("main-a: unknown flag --markte")
    expect(withProgramName("main-a", "cannot reach the venue")).toBe("main-a: cannot reach the venue")
    // a message that merely starts with a word of the program is not taken for its name
    expect(withProgramName("hedge drop-intent", "hedge intent f-1: not open")).toBe("hedge drop-intent: hedge intent f-1: not open")
  })
})
