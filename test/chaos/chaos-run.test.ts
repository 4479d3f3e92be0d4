// A short seeded chaos run, as CI runs it: `bin/hedge chaos` as a real process (A, B, the
// exchange and an AOF Redis it kills and restarts), every fault kind injected once at least,
// and the invariants checked from the exchange's trade log and from Redis.
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { FAULT_KINDS } from "../../src/chaos/plan.ts"
import type { ChaosReport } from "../../src/chaos/run.ts"

const root = resolve(import.meta.dirname, "../..")

describe("bin/hedge chaos", () => {
  it("a seeded run with every fault kind loses nothing, doubles nothing, and ends flat", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-chaos-"))
    const json = join(dir, "chaos.json")
    const p = spawn(join(root, "bin/hedge"), ["chaos", "--seed", "3", "--fills", "40", "--json", json], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    p.stdout.on("data", (d: Buffer) => (out += d.toString()))
    p.stderr.on("data", (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number>((res) => p.once("exit", (c) => res(c ?? 1)))
    expect(code, out.slice(-6000)).toBe(0)
    const report = JSON.parse(readFileSync(json, "utf8")) as ChaosReport
    expect(report.ok).toBe(true)
    for (const k of FAULT_KINDS) expect(report.faults[k], k).toBeGreaterThanOrEqual(1)
    const f = report.verdict.figures
    expect(f.fillsA).toBeGreaterThanOrEqual(40)
    expect([f.duplicatedHedges, f.lostFills, f.fillsWithoutResult, f.selfTrades, f.pending]).toEqual([0, 0, 0, 0, 0])
    expect(Math.abs(f.finalNet)).toBeLessThan(report.minBase)
    expect(report.unplannedExits).toEqual([])
    // Every tx was signed by our signer and verified by the exchange: none refused.
    expect(report.signatures.verified).toBeGreaterThan(0)
    expect(report.signatures.rejected).toBe(0)
    expect(out).toContain("chaos seed 3: PASS")
  }, 600_000)
})
