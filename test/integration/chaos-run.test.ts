// A short seeded chaos run, as CI runs it: `bin/hedge chaos` as a real process (A, B, the
// exchange and an AOF Redis it kills and restarts), every fault kind injected once at least —
// Redis restarted empty with a fill pending (the harness then flattens and resumes with the real
// commands), a copy of a real fill entry, a flatten while A and B run — and the invariants checked
// from the exchange's trade log and from Redis.
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { FAULT_KINDS } from "../../src/chaos/plan.ts"
import type { ChaosReport } from "../../src/chaos/report.ts"

const root = resolve(import.meta.dirname, "../..")

describe("bin/hedge chaos", () => {
  it("a seeded run with every fault kind loses nothing unexplained, doubles nothing, and ends flat", async () => {
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
    // Redis restarted empty: detected, both positions reported, resumed through bin/hedge resume
    // (epoch adopted), A and B trading again; a fill pending then is lost with Redis, said so, not hidden.
    expect(report.redisLosses.length).toBeGreaterThanOrEqual(1)
    for (const l of report.redisLosses) {
      expect(l, JSON.stringify(l)).toMatchObject({ detected: true, resumed: true, running: true })
      expect(l.reportedA !== undefined && l.reportedB !== undefined).toBe(true)
    }
    if (report.redisLosses[0]!.pendingAtLoss > 0) expect(f.lostWithRedisPending).toBeGreaterThanOrEqual(1)
    // Every flatten (mid-run, and after a loss that left the pair unflat): flat at once, nothing traded until resume.
    expect(report.flattens.some((x) => x.cause === "flatten-mid-run")).toBe(true)
    for (const x of report.flattens) expect(x, JSON.stringify(x)).toMatchObject({ exitCode: 0, positionA: 0, positionB: 0, tradesWhileHalted: 0, resumeExitCode: 0 })
    // A copied fill entry: acknowledged as a duplicate, not hedged again, no halt.
    expect(report.duplicates.length).toBeGreaterThanOrEqual(1)
    for (const d of report.duplicates) expect(d).toMatchObject({ acknowledged: true, loggedAsDuplicate: true, deadLettered: false, haltedMeanwhile: false })
    expect(f.closingFillsPublished).toBe(0)
    expect(report.verdict.invariants.every((i) => i.ok)).toBe(true)
    // Every tx was signed by our signer and verified by the exchange: none refused.
    expect(report.signatures.verified).toBeGreaterThan(0)
    expect(report.signatures.rejected).toBe(0)
    // Every private channel and read carried a token the exchange accepted: through ws-drop
    // reconnects, kill -9 restarts and the operator's commands, none refused.
    expect(report.auth.accepted).toBeGreaterThan(0)
    expect(report.auth.rejected).toBe(0)
    expect(out).toContain("chaos seed 3: PASS")
  }, 600_000)
})
