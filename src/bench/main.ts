// `npm run bench`: the demo configuration (embedded exchange, Redis, main-a and main-b as
// processes) at a fixed fill rate for a fixed time, then the floor on the same exchange.
// Prints, by the exchange's own clock, fill→hedge latency p50/p90/p99/max, hedges per second and
// the RSS of A and B, and the engine/floor ratio. A program that prints figures, not a test.
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect, Result, Schema } from "effect"
import { defineCommand, numberFlag, readArgv, switchFlag, textFlag } from "../config/argv.ts"
import { FilePath, PositiveSeconds } from "../config/fields.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import { makeRedisFillBus } from "../bus/redis/RedisFillBus.ts"
import { LIGHTER_BTC } from "../domain/market.ts"
import { startChild } from "../testkit/children.ts"
import { demoConfig } from "../testkit/pair-config.ts"
import { generateHarnessKeys, keyEnvFor, simAccountsWith } from "../testkit/harness-keys.ts"
import { startLocalRedis } from "../testkit/local-redis.ts"
import { startSimulator } from "../sim/server.ts"
import { runFloor } from "./floor.ts"
import { formatSigningFigure, signingFigures } from "./signing.ts"
import { fillToHedge, figures, type HedgeRec, type LatencyFigures } from "./latency.ts"
import { RssSampler } from "./rss.ts"

const root = resolve(import.meta.dirname, "../..")
const A = 1
const B = 2

const BENCH = defineCommand({
  name: "hedge bench",
  about: "The demo configuration (embedded exchange, Redis, main-a and main-b as processes) at a fixed fill rate for a\n" +
    "fixed time, then the floor on the same exchange: fill→hedge latency, hedges per second, RSS, signing.",
  flags: {
    durationSec: numberFlag("--duration", "SECONDS", "how long each of the engine and the floor runs (default 30)", PositiveSeconds),
    fillRate: numberFlag(
      "--fill-rate",
      "PER_MIN",
      "fills per minute per side the exchange aims at (default 120)",
      Schema.Number.check(Schema.isFinite(), Schema.isGreaterThan(0)).annotate({ expected: "a positive number of fills per minute" })
    ),
    json: textFlag("--json", "FILE", "write the figures as JSON", FilePath),
    signingOnly: switchFlag("--signing-only", "only the in-process signing figures (no exchange, no Redis)")
  }
})

const timelineOf = (sim: Awaited<ReturnType<typeof startSimulator>>) => {
  const tl = sim.exchange.exchange.timeline
  const framesToA = [...tl.frames].filter(([ch]) => ch.startsWith("account_") && ch.endsWith(`:${A}`)).flatMap(([, fs]) => fs)
  const txsFromB = tl.txs.get(String(B)) ?? []
  const tradesOfA = sim.exchange.engine.trades
    .filter((t) => t.askAccountId === A || t.bidAccountId === A)
    .map((t) => ({ tradeId: t.tradeId, aOrder: String(t.askAccountId === A ? t.askId : t.bidId) }))
  return { framesToA, txsFromB, tradesOfA }
}

const fmt = (v: number | null) => (v === null ? "   n/a" : v.toFixed(2).padStart(7))
const row = (name: string, f: LatencyFigures, rate: number) =>
  `${name.padEnd(8)} ${fmt(f.p50)} ${fmt(f.p90)} ${fmt(f.p99)} ${fmt(f.max)}   ${String(f.samples).padStart(6)}   ${rate.toFixed(2).padStart(6)}`

export const runBench = async (argv: ReadonlyArray<string>): Promise<number> => {
  const parsed = readArgv(BENCH, argv)
  if (Result.isFailure(parsed)) throw parsed.failure
  if (parsed.success._tag === "Help") {
    process.stdout.write(parsed.success.text + "\n")
    return 0
  }
  const given = parsed.success.args
  if (given.signingOnly === true) {
    process.stdout.write(signingFigures().map(formatSigningFigure).join("\n") + "\n")
    return 0
  }
  const args = { durationSec: given.durationSec ?? 30, fillRate: given.fillRate ?? 120, json: given.json }
  const program = Effect.gen(function*() {
    const redis = yield* startLocalRedis()
    // Fresh API keys for this run: the exchange verifies every signature, the floor signs too.
    const keys = generateHarnessKeys(A, B)
    const sim = yield* Effect.acquireRelease(
      Effect.promise(() => startSimulator({ port: 0, seed: 11, accounts: simAccountsWith(keys), market: { fillRatePerMin: args.fillRate, stepMs: 100 } })),
      (s) => Effect.promise(() => s.close())
    )
    const dir = mkdtempSync(join(tmpdir(), "hedgeflow-bench-"))
    const prefix = `hedgeflow:bench:${Date.now().toString(36)}`
    const config = join(dir, "config.yaml")
    writeFileSync(config, demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl: redis.url, prefix, quantity: "0.0002", depth: 5, logDir: dir, pollIntervalSec: 0.05, quoteTxPerMinute: 0 }))
    process.stdout.write(`bench: engine for ${args.durationSec} s at ~${args.fillRate} fills/min per side (logs in ${dir}) …\n`)
    const spawn = (name: "main-a" | "main-b") =>
      startChild({
        name,
        command: process.execPath,
        args: [join(root, "src/app", `${name}.ts`), "--config", config],
        logFile: join(dir, `${name}.out`),
        env: { HEDGEFLOW_LOG_CONSOLE: "off", ...keyEnvFor(name === "main-a" ? "a" : "b", keys) }
      })
    const rss = new RssSampler()
    const b = yield* spawn("main-b")
    const a = yield* spawn("main-a")
    yield* Effect.sleep("2 seconds") // start-up is not measured
    sim.exchange.exchange.timeline.reset()
    const t0 = Date.now()
    while (Date.now() - t0 < args.durationSec * 1000) {
      rss.sample("A", a.pid())
      rss.sample("B", b.pid())
      yield* Effect.sleep("500 millis")
    }
    yield* a.stop(10_000)
    yield* Effect.sleep("1 second")
    const engineSec = (Date.now() - t0) / 1000
    yield* b.stop(10_000)
    // B's results: which A order each hedge was for, and its first attempt's client index.
    const results = yield* makeRedisFillBus({ prefix, market: LIGHTER_BTC }).pipe(
      Effect.flatMap((bus) => bus.hedgeResults()),
      Effect.provide(RedisConnection.layerFromUrl(redis.url))
    )
    const hedges: Array<HedgeRec> = results
      .filter((r) => r.attempts.length > 0)
      .map((r) => ({ aOrder: r.fillId.split(":")[0]!, clientOrderIndex: r.attempts[0]!.clientOrderIndex }))
    const engineLat = fillToHedge({ ...timelineOf(sim), hedges })

    process.stdout.write(`bench: floor for ${args.durationSec} s on the same exchange …\n`)
    sim.exchange.exchange.timeline.reset()
    const f0 = Date.now()
    const floor = yield* Effect.promise(() => runFloor(sim, redis.url, args.durationSec * 1000, { aPrivateKeyHex: keys.a.privateKeyHex, bPrivateKeyHex: keys.b.privateKeyHex }))
    const floorSec = (Date.now() - f0) / 1000
    const floorLat = fillToHedge({ ...timelineOf(sim), hedges: floor.hedges })

    const e = figures(engineLat)
    const fl = figures(floorLat)
    const ratio = (x: number | null, y: number | null) => (x === null || y === null || y === 0 ? null : x / y)
    const report = {
      durationSec: args.durationSec,
      fillRatePerMin: args.fillRate,
      engine: { latencyMs: e, hedgesPerSec: engineLat.length / engineSec, rss: { a: rss.report("A"), b: rss.report("B") } },
      floor: { latencyMs: fl, hedgesPerSec: floorLat.length / floorSec },
      ratio: { p50: ratio(e.p50, fl.p50), p99: ratio(e.p99, fl.p99) },
      signatures: sim.exchange.signatureStats(),
      auth: sim.exchange.authStats()
    }
    const lines = [
      "",
      "fill → hedge, exchange clock (fill frame sent to A → hedge tx received from B), ms",
      "           p50     p90     p99     max   hedges   per s",
      row("engine", e, report.engine.hedgesPerSec),
      row("floor", fl, report.floor.hedgesPerSec),
      `ratio    p50 ${report.ratio.p50?.toFixed(2) ?? "n/a"}×   p99 ${report.ratio.p99?.toFixed(2) ?? "n/a"}×`,
      `RSS      A max ${report.engine.rss.a.maxMiB?.toFixed(1) ?? "n/a"} MiB   B max ${report.engine.rss.b.maxMiB?.toFixed(1) ?? "n/a"} MiB`,
      `signatures verified ${report.signatures.verified}, refused ${report.signatures.rejected} (by the exchange; engine and floor both sign)`,
      `auth tokens accepted ${report.auth.accepted}, refused ${report.auth.rejected} (by the exchange; engine and floor both subscribe private channels)`,
      ""
    ]
    process.stdout.write(lines.join("\n"))
    // Signing alone, after the processes stopped (so that it measures this machine, not contention).
    const signing = signingFigures()
    process.stdout.write(["", "signing, in process (each figure is also how long one signature holds the event loop)", ...signing.map(formatSigningFigure), ""].join("\n"))
    if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ ...report, signing }, null, 2) + "\n")
    return 0
  })
  return Effect.runPromise(Effect.scoped(program))
}
