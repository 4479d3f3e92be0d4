// bin/hedge demo as a user runs it, with --duration and --summary: the summary JSON reports what
// the exchange saw (fills, hedges, flat net), the completed cycles (it used to say 0 after 908
// fills), signatures and auth tokens all accepted, and both processes' clean exit codes.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "../..")

describe("bin/hedge demo --duration --summary", () => {
  it("ends flat with every fill hedged, cycles counted, every signature and token accepted, exit codes 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-demo-summary-"))
    const file = join(dir, "s.json")
    const r = spawnSync(process.execPath, [join(root, "src/cli/hedge.ts"), "demo", "--duration", "25", "--summary", file], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: "1" }
    })
    expect(r.status, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).toBe(0)
    const s = JSON.parse(readFileSync(file, "utf8")) as {
      fills: number
      hedges: number
      netPosition: string
      cycles: number
      exitCodes: { a: number; b: number }
      signatures: { verified: number; rejected: number }
      auth: { accepted: number; rejected: number }
      workDir: string
    }
    expect(s.fills).toBeGreaterThanOrEqual(3)
    expect(s.hedges).toBe(s.fills)
    expect(Number(s.netPosition)).toBe(0)
    // A cycle takes at least a buy and a sell; the exchange's count agrees with the one A logged.
    expect(s.cycles).toBeGreaterThanOrEqual(1)
    expect(s.cycles).toBeLessThanOrEqual(Math.floor(s.fills / 2))
    const logged = [...readFileSync(join(s.workDir, "main_A.jsonl"), "utf8").matchAll(/"message":"cycle (\d+) complete: A opened and closed/g)].map((m) => Number(m[1]))
    expect(Math.max(0, ...logged)).toBe(s.cycles)
    expect(s.exitCodes).toEqual({ a: 0, b: 0 })
    expect(s.signatures.rejected).toBe(0)
    expect(s.signatures.verified).toBeGreaterThan(s.fills)
    expect(s.auth.rejected).toBe(0)
    expect(s.auth.accepted).toBeGreaterThanOrEqual(6)
    expect(r.stdout).toMatch(/cycles +\d+ completed open\/close cycles of A/)
  }, 150_000)
})
