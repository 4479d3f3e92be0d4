// A stop that comes while main-a or main-b is still loading its modules (a supervisor, or
// `bin/hedge stop`, in the program's first second) ends it cleanly with exit 0, not Node's
// default death by signal (143) — the CI run that caught this saw a demo report "main-b exited
// with code 143" for a Ctrl-C during B's start-up.
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { demoConfig } from "../../src/testkit/pair-config.ts"
import { freePort } from "../support/redis.ts"

const root = resolve(import.meta.dirname, "../..")

describe("a stop signal during start-up", () => {
  for (const [program, signal] of [["main-b", "SIGTERM"], ["main-a", "SIGINT"]] as const) {
    it(`${program}: ${signal} while it is starting up ends it with exit 0, saying so`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "hedgeflow-early-signal-"))
      const config = join(dir, "config.yaml")
      // Nothing listens on these ports: were it not stopped, it would fail later, with exit 1.
      const port = await freePort()
      writeFileSync(config, demoConfig({ simUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/stream`, redisUrl: `redis://127.0.0.1:${port}`, prefix: "early", quantity: "0.0002", depth: 5, logDir: dir }))
      const p = spawn(process.execPath, [join(root, "src/app", `${program}.ts`), "--config", config], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, HEDGEFLOW_LOG_CONSOLE: "off", HEDGEFLOW_TEST_STARTUP_PAUSE_MS: "2000", HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: "0x" + "11".repeat(40), HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: "0x" + "22".repeat(40) }
      })
      let err = ""
      p.stderr!.on("data", (d: Buffer) => (err += d.toString()))
      // The entry point holds signals from its first line; the pause (tests only) keeps it there,
      // before it loads the program, and says so: then the signal.
      const deadline = Date.now() + 20_000
      while (p.exitCode === null && Date.now() < deadline && !err.includes("start-up paused for a test")) await new Promise((r) => setTimeout(r, 5))
      p.kill(signal)
      const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => p.once("exit", (c, s) => res([c, s])))
      expect({ code, sig }, err).toEqual({ code: 0, sig: null })
      expect(err).toContain(`${program}: ${signal} during start-up: stopping before anything was traded`)
      expect(err).not.toMatch(/cannot reach/)
    }, 30_000)
  }
})
