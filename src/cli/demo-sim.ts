// `bin/hedge demo`: Redis (REDIS_URL or a private redis-server), the embedded Lighter exchange,
// then bin/main-a and bin/main-b as separate processes over real sockets. Shows a live view
// until Ctrl-C (or --duration), then stops A first (it cancels its quote), lets B hedge what
// is pending, stops B, and prints a summary (and writes it as JSON with --summary).
import { tallyPair } from "../domain/trade-log.ts"
import { countCycles } from "../domain/cycles.ts"
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Layer, Ref } from "effect"
import { formatBase, formatPrice, formatScaled, LIGHTER_BTC, type MarketSpec, parseScaled, QUOTE_DECIMALS } from "../domain/market.ts"
import type { HedgeResult } from "../domain/messages.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { startSimulator, type SimHandle } from "../sim/server.ts"
import { busLayers } from "../app/bus-layers.ts"
import { startEngineProcess } from "../testkit/children.ts"
import type { DemoOptions } from "./demo-options.ts"
import { generateHarnessKeys, keyEnvFor, simAccountsWith } from "../testkit/harness-keys.ts"
import { startLocalRedis } from "../testkit/local-redis.ts"
import type { DemoSummary } from "./summary.ts"
import { latencyFigures, percentile } from "../testkit/figures.ts"
import { authFigures, demoConfig, signatureFigures } from "../testkit/pair-config.ts"

export interface SimDemoOptions extends DemoOptions {
  /** Where config, logs and child output go (default logs/demo-<time>). */
  readonly workDir?: string
}

export interface SimDemoSummary extends DemoSummary {
  readonly wearUsdcPer1M: string
  readonly exitCodes: { readonly a: number; readonly b: number }
  readonly selfTrades: number
  readonly workDir: string
}

const A = 1
const B = 2

interface Stats {
  readonly fillsA: number
  readonly fillsB: number
  readonly volumeA: number
  readonly volumeB: number
  readonly volumeUsdMicro: bigint
  readonly posA: number
  readonly posB: number
  readonly selfTrades: number
  /** A's signed legs in the exchange's trade log, in order. */
  readonly legsA: ReadonlyArray<number>
  readonly wearMicro: bigint
  readonly quote: string
}

const collect = (sim: SimHandle, market: MarketSpec, startCollateral: bigint): Stats => {
  const engine = sim.exchange.engine
  const trades = engine.trades.filter((t) => t.marketId === market.marketId)
  const tally = tallyPair(trades, A, B)
  // USDC volume of the pair's legs (a trade between A and B would count twice, as each side's).
  let volumeUsdMicro = 0n
  for (const t of trades) {
    if (t.askAccountId === A || t.bidAccountId === A) volumeUsdMicro += t.usdMicro
    if (t.askAccountId === B || t.bidAccountId === B) volumeUsdMicro += t.usdMicro
  }
  const accA = engine.account(A)
  const accB = engine.account(B)
  // Wear: what the pair lost to fees and price moves — collateral change, counting open positions at entry.
  const wearMicro = startCollateral - (accA.collateralMicro + accB.collateralMicro)
  const q = [...accA.active.values()].find((o) => o.marketId === market.marketId)
  const quote = q === undefined
    ? "none"
    : `${q.isAsk ? "sell" : "buy "} ${formatBase(market, q.initialBase - q.filledBase)} @ ${formatPrice(market, q.price)}`
  return {
    fillsA: tally.fillsA,
    fillsB: tally.fillsB,
    volumeA: tally.volumeA,
    volumeB: tally.volumeB,
    volumeUsdMicro,
    posA: accA.position(market.marketId).size,
    posB: accB.position(market.marketId).size,
    selfTrades: tally.selfTrades,
    legsA: tally.legsA,
    wearMicro,
    quote
  }
}


/**
 * Why a finished demo counts as failed (empty: it did not): the pair not flat, an A↔B self-trade,
 * a refused signature (our signer and the exchange's verifier disagree), a refused auth token
 * (a private channel or read the engine was denied: missing, expired or badly signed token), or
 * A or B not exiting 0 (a shutdown that could not finish, or a crash).
 */
export const demoFailures = (s: SimDemoSummary, flat: string): ReadonlyArray<string> => [
  ...(s.netPosition !== flat ? [`net position ${s.netPosition} is not flat`] : []),
  ...(s.selfTrades > 0 ? [`${s.selfTrades} A↔B self-trade(s)`] : []),
  ...((s.signatures?.rejected ?? 0) > 0 ? [`the exchange refused ${s.signatures?.rejected} signature(s): signer and verifier disagree`] : []),
  ...((s.auth?.rejected ?? 0) > 0
    ? [`the exchange refused ${s.auth?.rejected} auth token(s) on private channels or reads (see "invalid auth" in ${s.workDir}/main_A.log, main_B.log)`]
    : []),
  // A clean stop exits 0; anything else is a shutdown that did not finish, or a crash.
  ...(s.exitCodes.a !== 0 ? [`main-a exited with code ${s.exitCodes.a} (see ${s.workDir}/main_A.log)`] : []),
  ...(s.exitCodes.b !== 0 ? [`main-b exited with code ${s.exitCodes.b} (see ${s.workDir}/main_B.log)`] : [])
]

const wearPer1M = (s: Stats): string =>
  s.volumeUsdMicro === 0n ? "0.000000" : formatScaled((s.wearMicro * 1_000_000n * 1_000_000n) / s.volumeUsdMicro, QUOTE_DECIMALS)

export const runSimDemo = (options: SimDemoOptions) =>
  Effect.gen(function*() {
    const market = LIGHTER_BTC
    const startedAt = Date.now()
    const workDir = resolve(options.workDir ?? join("logs", `demo-${new Date(startedAt).toISOString().replace(/[:.]/g, "-")}`))
    mkdirSync(workDir, { recursive: true })
    const redisUrl = options.redisUrl ?? (yield* startLocalRedis()).url
    // Fresh API keys on every run: registered on the exchange, given to A and B in their environment.
    const keys = generateHarnessKeys(A, B)
    const sim = yield* Effect.acquireRelease(
      Effect.promise(() =>
        startSimulator({ port: 0, seed: options.seed, accounts: simAccountsWith(keys), market: { fillRatePerMin: options.fillsPerMin } })
      ),
      (s) => Effect.promise(() => s.close())
    )
    const startCollateral = sim.exchange.engine.account(A).collateralMicro + sim.exchange.engine.account(B).collateralMicro
    const prefix = `hedgeflow:demo:${startedAt.toString(36)}`
    const configFile = join(workDir, "config.yaml")
    writeFileSync(configFile, demoConfig({ simUrl: sim.url, wsUrl: sim.wsUrl, redisUrl, prefix, quantity: options.quantity, depth: options.depth, logDir: workDir }))
    const say = (line: string) => Effect.sync(() => options.quiet || process.stdout.write(line + "\n"))
    yield* say(`hedgeflow demo: exchange ${sim.url} · Redis ${redisUrl} · logs and config in ${workDir}`)
    yield* say(
      `The embedded exchange verifies every tx signature (chain id ${sim.exchange.chainId}) with keys generated for this run; it is still a simulator. / 模拟交易所校验每笔交易的签名（本次运行生成的密钥）。`
    )

    const child = (name: "main-a" | "main-b") => startEngineProcess(name, configFile, workDir, keyEnvFor(name === "main-a" ? "a" : "b", keys))
    const b = yield* child("main-b")
    const a = yield* child("main-a")

    const results = yield* Ref.make<ReadonlyArray<HedgeResult>>([])
    const events = yield* Ref.make<ReadonlyArray<string>>([])
    const live = options.durationSec === undefined && process.stdout.isTTY === true && !options.quiet

    const monitor = Effect.gen(function*() {
      const bus = yield* FillBus
      let lastPrinted = 0
      let seen = 0
      for (;;) {
        const rs = yield* bus.hedgeResults().pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<HedgeResult>))
        yield* Ref.set(results, rs)
        const fresh = rs.slice(seen)
        seen = rs.length
        if (fresh.length > 0) {
          const lines = fresh.map((r) => {
            const t = new Date(r.doneAtMs).toISOString().slice(11, 23)
            const side = r.aSide === "buy" ? "A buy  → B sell" : "A sell → B buy "
            return `${t}  ${side} ${formatBase(market, r.fillSize)}  hedged ${formatBase(market, Math.abs(r.hedgedSignedBase))} (${r.status}) in ${r.doneAtMs - r.fillDetectedAtMs} ms`
          })
          yield* Ref.update(events, (es) => [...es, ...lines].slice(-8))
          if (!live) for (const l of lines) yield* say(l)
        }
        const s = collect(sim, market, startCollateral)
        const done = rs.filter((r) => r.status !== "deferred").map((r) => r.doneAtMs - r.fillDetectedAtMs)
        const pending = yield* bus.pendingCount().pipe(Effect.orElseSucceed(() => -1))
        if (live) {
          const es = yield* Ref.get(events)
          const up = ((Date.now() - startedAt) / 1000).toFixed(0)
          const screen = [
            `hedgeflow demo — ${market.symbol} on the embedded Lighter exchange (${sim.url})   up ${up}s   Ctrl-C stops / 按 Ctrl-C 停止`,
            "",
            `A quote      ${s.quote}`,
            `positions    A ${formatBase(market, s.posA)}   B ${formatBase(market, s.posB)}   net ${formatBase(market, s.posA + s.posB)}`,
            `fills        A ${s.fillsA}   B ${s.fillsB}   pending ${pending}   self-trades ${s.selfTrades}`,
            `latency      fill seen by A → hedge done: p50 ${percentile(done, 50) ?? "-"} ms   p99 ${percentile(done, 99) ?? "-"} ms   (${done.length})`,
            `volume       A ${formatBase(market, s.volumeA)}   B ${formatBase(market, s.volumeB)}   ${formatScaled(s.volumeUsdMicro, QUOTE_DECIMALS)} USDC`,
            `wear         ${wearPer1M(s)} USDC per 1M USDC volume (fees + realized PnL)`,
            `signatures   verified ${sim.exchange.signatureStats().verified}   rejected ${sim.exchange.signatureStats().rejected}`,
            `auth tokens  accepted ${sim.exchange.authStats().accepted}   rejected ${sim.exchange.authStats().rejected}`,
            `processes    main-a ${a.running() ? "running" : `exited ${a.exitCode()}`}   main-b ${b.running() ? "running" : `exited ${b.exitCode()}`}`,
            "",
            "recent hedges:",
            ...es.map((e) => "  " + e)
          ]
          yield* Effect.sync(() => process.stdout.write("\x1b[H\x1b[2J" + screen.join("\n") + "\n"))
        } else if (Date.now() - lastPrinted > 5000) {
          lastPrinted = Date.now()
          yield* say(
            `… fills A ${s.fillsA} B ${s.fillsB} · net ${formatBase(market, s.posA + s.posB)} · pending ${pending} · p50 ${percentile(done, 50) ?? "-"} ms`
          )
        }
        if (!a.running() && !b.running()) return
        yield* Effect.sleep(live ? "250 millis" : "500 millis")
      }
    })

    const stop = Effect.gen(function*() {
      yield* say("\nstopping: A cancels its quote, B finishes pending hedges …")
      const codeA = yield* a.stop(15_000)
      const bus = yield* FillBus
      for (let i = 0; i < 150; i++) {
        const pending = yield* bus.pendingCount().pipe(Effect.orElseSucceed(() => 0))
        const s = collect(sim, market, startCollateral)
        if (pending === 0 && s.posA + s.posB === 0) break
        yield* Effect.sleep("100 millis")
      }
      const codeB = yield* b.stop(15_000)
      const s = collect(sim, market, startCollateral)
      const rs = yield* bus.hedgeResults().pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<HedgeResult>))
      const state = yield* PairState
      const pool = yield* state.residualPool().pipe(Effect.orElseSucceed(() => 0))
      const summary: SimDemoSummary = {
        venue: `simulator ${sim.url}`,
        market: market.symbol,
        durationSec: (Date.now() - startedAt) / 1000,
        fills: s.fillsA,
        hedges: s.fillsB,
        hedgeFailures: rs.filter((r) => r.status === "failed" || r.status === "partial").length,
        deferred: rs.filter((r) => r.status === "deferred").length,
        volumeA: formatBase(market, s.volumeA),
        volumeB: formatBase(market, s.volumeB),
        positionA: formatBase(market, s.posA),
        positionB: formatBase(market, s.posB),
        netPosition: formatBase(market, s.posA + s.posB),
        residualPool: formatBase(market, pool),
        latencyMs: latencyFigures(rs.filter((r) => r.status !== "deferred").map((r) => r.doneAtMs - r.fillDetectedAtMs)),
        // From the exchange's own trade log: A back to flat after reaching the quote size.
        cycles: countCycles(s.legsA, parseScaled(options.quantity, market.sizeDecimals)),
        wearUsdcPer1M: wearPer1M(s),
        exitCodes: { a: codeA, b: codeB },
        selfTrades: s.selfTrades,
        signatures: signatureFigures(sim),
        auth: authFigures(sim),
        workDir
      }
      return summary
    })

    const bus = busLayers({ redisUrl, prefix, market })
    return yield* Effect.gen(function*() {
      const run = options.durationSec === undefined ? monitor.pipe(Effect.andThen(Effect.never)) : monitor.pipe(Effect.timeout(options.durationSec * 1000), Effect.ignore)
      // The same end whether it ran its --duration or was stopped (Ctrl-C, SIGTERM): A, then B,
      // the summary, and exit code 1 when the run failed.
      const finish = stop.pipe(
        Effect.tap((s) =>
          Effect.sync(() => {
            process.stdout.write(renderSimSummary(s))
            if (options.summaryFile !== undefined) writeFileSync(options.summaryFile, JSON.stringify(s, null, 2) + "\n")
            const failures = demoFailures(s, formatBase(market, 0))
            if (failures.length > 0) {
              process.exitCode = 1
              process.stderr.write(failures.map((f) => `demo FAILED: ${f}\n`).join(""))
            }
          })
        )
      )
      yield* run.pipe(Effect.onInterrupt(() => finish.pipe(Effect.ignore)))
      yield* finish
    }).pipe(Effect.provide(Layer.fresh(bus)))
  })

export const renderSimSummary = (s: SimDemoSummary): string => {
  const f = (v: number | null) => (v === null ? "n/a" : `${v} ms`)
  return [
    "",
    "──────── hedgeflow demo summary / 汇总 ────────",
    `ran               ${s.durationSec.toFixed(1)} s on ${s.venue}, market ${s.market}`,
    `fills             A ${s.fills}   B ${s.hedges}   (deferred below minimum ${s.deferred}, failed/partial ${s.hedgeFailures})`,
    `volume            A ${s.volumeA}   B ${s.volumeB}`,
    `cycles            ${s.cycles} completed open/close cycles of A (循环次数)`,
    `net position      ${s.netPosition}   (A ${s.positionA}, B ${s.positionB}; residual pool ${s.residualPool})`,
    `fill→hedge        p50 ${f(s.latencyMs.p50)}   p99 ${f(s.latencyMs.p99)}   max ${f(s.latencyMs.max)}   (${s.latencyMs.samples} hedges)`,
    `wear              ${s.wearUsdcPer1M} USDC per 1M USDC volume`,
    `self-trades A↔B   ${s.selfTrades}`,
    ...(s.signatures === undefined ? [] : [`signatures        verified ${s.signatures.verified}   rejected ${s.signatures.rejected}   (by the exchange)`]),
    ...(s.auth === undefined ? [] : [`auth tokens       accepted ${s.auth.accepted}   rejected ${s.auth.rejected}   (by the exchange)`]),
    `exit codes        main-a ${s.exitCodes.a}   main-b ${s.exitCodes.b}`,
    `logs              ${s.workDir}`,
    ""
  ].join("\n")
}
