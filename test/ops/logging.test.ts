import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Redacted } from "effect"
import { loadConfigText } from "../../src/config/load.ts"
import { jsonLogFileFor, makeLoggerLayer, readableLogFileFor } from "../../src/ops/logging.ts"

const dir = mkdtempSync(join(tmpdir(), "hedgeflow-logs-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const FAKE_KEY = "0x" + "a1b2c3d4e5".repeat(8)

const readJsonLines = (file: string): Array<Record<string, any>> =>
  readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>)

describe("logging", () => {
  it.live("writes parseable JSON lines with annotations, spans, fiber id and causes; pretty lines to the console", () =>
    Effect.gen(function*() {
      const file = jsonLogFileFor(join(dir, "run1", "logs"), "main_A") // the folder does not exist yet
      assert.match(file, /\/main_A\.jsonl$/)
      // the readable log (where bin/hedge start redirects the output) is another file
      assert.match(readableLogFileFor(join(dir, "run1", "logs"), "main_A"), /\/main_A\.log$/)
      const consoleLines: Array<string> = []
      const layer = makeLoggerLayer({ file, level: "info", console: "pretty", writeConsole: (l) => consoleLines.push(l) })
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("hedge sent").pipe(
          Effect.annotateLogs({ fillId: "f-1", attempt: 2 }),
          Effect.withLogSpan("hedge")
        )
        yield* Effect.logDebug("below the level: not written")
        yield* Effect.logError("venue call failed", Cause.fail(new Error("venue down")))
      }).pipe(Effect.provide(layer))

      const lines = readJsonLines(file)
      assert.strictEqual(lines.length, 2)
      const [first, second] = lines as [Record<string, any>, Record<string, any>]
      assert.strictEqual(first["message"], "hedge sent")
      assert.strictEqual(first["level"], "INFO")
      assert.deepStrictEqual(first["annotations"], { fillId: "f-1", attempt: 2 })
      assert.isNumber(first["spans"]["hedge"])
      assert.match(first["fiberId"], /^#\d+$/)
      assert.isFalse(Number.isNaN(Date.parse(first["timestamp"])))
      assert.strictEqual(second["level"], "ERROR")
      assert.isString(second["cause"])
      assert.include(second["cause"], "venue down")

      assert.strictEqual(consoleLines.length, 2)
      assert.match(consoleLines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  hedge sent  fillId=f-1 attempt=2 hedge=\d+ms$/)
      assert.match(consoleLines[1]!, /ERROR venue call failed\n {4}.*venue down/)
    }))

  it.live("appends to an existing file", () =>
    Effect.gen(function*() {
      const file = join(dir, "append", "main_B.jsonl")
      for (const msg of ["one", "two"]) {
        yield* Effect.logInfo(msg).pipe(Effect.provide(makeLoggerLayer({ file, level: "info", console: "off" })))
      }
      assert.deepStrictEqual(readJsonLines(file).map((l) => l["message"]), ["one", "two"])
    }))

  it.live("json console mode writes the same JSON lines to the console", () =>
    Effect.gen(function*() {
      const out: Array<string> = []
      yield* Effect.logWarning("careful").pipe(
        Effect.annotateLogs("pair", "BTC-1-2"),
        Effect.provide(makeLoggerLayer({ level: "warn", console: "json", writeConsole: (l) => out.push(l) }))
      )
      assert.strictEqual(out.length, 1)
      const parsed = JSON.parse(out[0]!)
      assert.strictEqual(parsed.level, "WARN")
      assert.deepStrictEqual(parsed.annotations, { pair: "BTC-1-2" })
    }))

  it.live("Redacted values and the whole config print as <redacted>, never the secret", () =>
    Effect.gen(function*() {
      const config = yield* loadConfigText({
        text: "",
        env: { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: FAKE_KEY, REDIS_PASSWORD: "pw-Zq81-secret" }
      })
      const file = join(dir, "redacted", "main_A.jsonl")
      const consoleLines: Array<string> = []
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("starting", config)
        yield* Effect.logInfo("key", config.accounts.a.privateKey).pipe(
          Effect.annotateLogs({ key: config.accounts.a.privateKey, password: config.redis.password, token: Redacted.make("tok-77") })
        )
        yield* Effect.logInfo(`config: ${config}`)
      }).pipe(Effect.provide(makeLoggerLayer({ file, level: "info", console: "pretty", writeConsole: (l) => consoleLines.push(l) })))
      const text = readFileSync(file, "utf8") + consoleLines.join("\n")
      for (const secret of [FAKE_KEY, FAKE_KEY.slice(2), "pw-Zq81-secret", "tok-77"]) assert.notInclude(text, secret)
      assert.include(text, "<redacted>")
      const lines = readJsonLines(file)
      assert.strictEqual(lines[1]!["annotations"]["key"], "<redacted>")
      assert.deepStrictEqual(lines[1]!["message"], ["key", "<redacted>"])
    }))

  it.effect("a log file that cannot be opened is a typed error", () =>
    Effect.gen(function*() {
      const notADir = join(dir, "plain-file")
      writeFileSync(notADir, "")
      for (const file of [join(notADir, "logs", "main_A.jsonl"), "/proc/hedgeflow-no/main_A.jsonl"]) {
        const err = yield* Effect.flip(
          Effect.logInfo("x").pipe(Effect.provide(makeLoggerLayer({ file, level: "info", console: "off" })))
        )
        assert.strictEqual(err._tag, "LogFileError")
        assert.include(err.message, file)
      }
    }))
})
