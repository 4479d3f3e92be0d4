// `bin/hedge demo --venue memory`: A and B as fibers in one process over a shared in-memory
// venue that fills A's quotes at random, with real Redis between them. Prints fills and hedges
// as they happen and a summary on exit (Ctrl-C or --duration).
import { HEARTBEAT_EVERY_MS } from "../domain/heartbeat.ts"
import { countCycles } from "../domain/cycles.ts"
import { writeFileSync } from "node:fs"
import { Effect, Fiber, Layer, Ref, Schedule } from "effect"
import { isOrderActive } from "../domain/events.ts"
import { formatBase, formatPrice, LIGHTER_BTC, parseBase, type MarketSpec } from "../domain/market.ts"
import type { FillEvent, HedgeResult } from "../domain/messages.ts"
import { tagFromPrefix } from "../domain/client-index.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { runHedger } from "../hedger/hedger.ts"
import { runMaker } from "../maker/maker.ts"
import { MemoryExchange } from "../venue/memory/MemoryExchange.ts"
import { MemoryAccountStream, MemoryVenue } from "../venue/memory/layers.ts"
import { busLayers } from "../app/bus-layers.ts"
import type { DemoOptions } from "./demo-options.ts"
import { startLocalRedis } from "../testkit/local-redis.ts"
import { makeLoggerLayer } from "../ops/logging.ts"
import { type DemoSummary, latencyFigures, renderSummary } from "./summary.ts"

export type MemoryDemoOptions = DemoOptions

const A = 1
const B = 2

export const runMemoryDemo = (options: MemoryDemoOptions) =>
  Effect.gen(function*() {
    const market: MarketSpec = LIGHTER_BTC
    const quantity = parseBase(market, options.quantity)
    const redisUrl = options.redisUrl ?? (yield* startLocalRedis()).url
    const prefix = `hedgeflow:demo-memory:${Date.now().toString(36)}`
    const ex = new MemoryExchange({ seed: options.seed, mid: { 1: 1_000_000 } })
    const pair = `${market.symbol}:${A}-${B}`
    const startedAt = Date.now()
    const fills = yield* Ref.make<Array<FillEvent>>([])
    const results = yield* Ref.make<Array<HedgeResult>>([])
    const say = (line: string) => Effect.sync(() => options.quiet || process.stdout.write(line + "\n"))

    yield* say(`hedgeflow demo (memory venue) — market ${market.symbol}, quantity ${options.quantity}, depth ${options.depth}, Redis ${redisUrl}`)
    yield* say("Ctrl-C stops quoting, lets B finish pending hedges, and prints a summary. / 按 Ctrl-C 停止并打印汇总。")

    const bus = busLayers({ redisUrl, prefix, market })
    const onFill = (fill: FillEvent, seq: number) =>
      Ref.update(fills, (xs) => [...xs, fill]).pipe(
        Effect.andThen(say(`[A] fill   ${fill.side.padEnd(4)} ${formatBase(market, fill.size)} @ ${formatPrice(market, fill.price)}  seq ${seq}`))
      )
    const onResult = (r: HedgeResult) =>
      Ref.update(results, (xs) => [...xs, r]).pipe(
        Effect.andThen(
          say(
            `[B] hedge  ${r.hedgedSignedBase < 0 ? "sell" : r.hedgedSignedBase > 0 ? "buy " : "—   "} ${formatBase(market, Math.abs(r.hedgedSignedBase))}  for seq ${r.fillSeq} (${r.status})  ${r.doneAtMs - r.fillDetectedAtMs} ms  net ${formatBase(market, ex.position(A, 1).signedBase + ex.position(B, 1).signedBase)}`
          )
        )
      )

    const maker = runMaker({
      pair,
      market,
      cycle: { quantity, depth: options.depth, maxQuoteAgeMs: 10_000, requoteDriftTicks: 3, closeAtBestAfterMs: 0 },
      pollIntervalMs: 100,
      cancelOnExit: true,
      cancelOrphansOnStart: true,
      requireHedgerHeartbeatMs: 0,
      heartbeatMs: HEARTBEAT_EVERY_MS,
      orderRetries: 3,
      onFill
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(MemoryVenue.layer(ex, A), MemoryAccountStream.layer(ex, A))))
    const hedger = runHedger({
      pair,
      aAccountIndex: A,
      maxFillBase: 10 * quantity,
      market,
      consumer: "demo-b",
      clientIndexTag: tagFromPrefix(prefix),
      slippageBps: 50,
      maxAttempts: 3,
      outcomeTimeoutMs: 2000,
      sendRetries: 3,
      sendRetryBaseMs: 100,
      batch: 16,
      blockMs: 500,
      claimIdleMs: 30_000,
      claimEveryMs: 10_000,
      heartbeatMs: HEARTBEAT_EVERY_MS,
      onResult
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(MemoryVenue.layer(ex, B), MemoryAccountStream.layer(ex, B))))

    // The random market: the mid walks, and A's resting quotes fill, wholly or in parts.
    const tickMs = 200
    const randomFills = Effect.sync(() => {
      ex.walk(market.marketId, 1)
      for (const o of ex.activeOrders(A, market.marketId)) {
        if (ex.random() >= (options.fillsPerMin * tickMs) / 60_000) continue
        const remaining = o.remainingBase
        const parts = Math.floor(remaining / market.minBaseAmount)
        const partial = parts >= 2 && ex.random() < 0.4
        ex.fillOrder(o.orderIndex, partial ? market.minBaseAmount * (1 + Math.floor(ex.random() * (parts - 1))) : remaining)
      }
    }).pipe(Effect.repeat(Schedule.spaced(tickMs)))

    const summarise = Effect.gen(function*() {
      const fs = yield* Ref.get(fills)
      const rs = yield* Ref.get(results)
      const state = yield* PairState
      const pool = yield* state.residualPool().pipe(Effect.orElseSucceed(() => 0))
      const posA = ex.position(A, market.marketId).signedBase
      const posB = ex.position(B, market.marketId).signedBase
      const summary: DemoSummary = {
        venue: "memory",
        market: market.symbol,
        durationSec: (Date.now() - startedAt) / 1000,
        fills: fs.length,
        hedges: rs.filter((r) => r.status !== "deferred").length,
        hedgeFailures: rs.filter((r) => r.status === "failed" || r.status === "partial").length,
        deferred: rs.filter((r) => r.status === "deferred").length,
        volumeA: formatBase(market, fs.reduce((s, f) => s + f.size, 0)),
        volumeB: formatBase(market, rs.reduce((s, r) => s + Math.abs(r.hedgedSignedBase), 0)),
        positionA: formatBase(market, posA),
        positionB: formatBase(market, posB),
        netPosition: formatBase(market, posA + posB),
        residualPool: formatBase(market, pool),
        latencyMs: latencyFigures(rs.filter((r) => r.status !== "deferred").map((r) => r.doneAtMs - r.fillDetectedAtMs)),
        cycles: countCycles(fs.map((f) => (f.side === "buy" ? f.size : -f.size)), quantity)
      }
      return summary
    })

    const run = Effect.gen(function*() {
      const b = yield* Effect.forkChild(hedger)
      const a = yield* Effect.forkChild(maker)
      const filler = yield* Effect.forkChild(randomFills)
      const stop = Effect.gen(function*() {
        // Stop quoting first (A cancels its quote), then give B time to hedge what is pending.
        yield* Fiber.interrupt(filler)
        yield* Fiber.interrupt(a)
        const bus = yield* FillBus
        for (let i = 0; i < 100; i++) {
          const pending = yield* bus.pendingCount().pipe(Effect.orElseSucceed(() => 0))
          const stillResting = ex.activeOrders(A, market.marketId).some((o) => isOrderActive(o.status))
          const fs = (yield* Ref.get(fills)).length
          const rs = (yield* Ref.get(results)).length
          if (pending === 0 && rs >= fs && !stillResting) break
          yield* Effect.sleep("100 millis")
        }
        yield* Fiber.interrupt(b)
        const summary = yield* summarise
        yield* Effect.sync(() => process.stdout.write(renderSummary(summary)))
        if (options.summaryFile !== undefined) {
          const file = options.summaryFile
          yield* Effect.sync(() => writeFileSync(file, JSON.stringify(summary, null, 2) + "\n"))
        }
      })
      if (options.durationSec !== undefined) {
        yield* Effect.sleep(options.durationSec * 1000).pipe(Effect.onInterrupt(() => stop))
        yield* stop
      } else {
        yield* Effect.never.pipe(Effect.onInterrupt(() => stop))
      }
    })
    // The view above is the console; the full log goes to a file.
    const logFile = `logs/demo-memory-${new Date(startedAt).toISOString().replace(/[:.]/g, "-")}.jsonl`
    yield* say(`log: ${logFile}`)
    return yield* run.pipe(Effect.provide(bus), Effect.provide(makeLoggerLayer({ file: logFile, level: "info", console: "off" })))
  })

