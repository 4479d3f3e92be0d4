// `bin/hedge chaos --seed N --fills N [--json FILE]`: A and B as real processes, the embedded
// exchange, and a private Redis with AOF; faults from the seeded plan are injected one after the
// other as A's fill count passes their mark. At the end A stops (cancelling its quote), B hedges
// what is pending, and the run is audited from the exchange's trade log and from Redis.
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Layer, Option } from "effect"
import { decodeEntry, pairsToRecord } from "../bus/codec.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import { fillBusKeys } from "../bus/redis/RedisFillBus.ts"
import { tagFromPrefix } from "../domain/client-index.ts"
import { formatBase, LIGHTER_BTC, parseScaled } from "../domain/market.ts"
import { busLayers } from "../runtime/bus-layers.ts"
import { type Child, startEngineProcess } from "../runtime/children.ts"
import { demoConfig, signatureFigures } from "../runtime/demo-sim.ts"
import { generateHarnessKeys, keyEnvFor, simAccountsWith } from "../runtime/harness-keys.ts"
import { startSimulator } from "../sim/server.ts"
import { audit, type AuditFill, type ChaosVerdict } from "./audit.ts"
import { describeFault, FAULT_KINDS, type Fault, type FaultKind, planFaults } from "./plan.ts"
import { startRestartableRedis } from "./redis-process.ts"
import { renderChaosReport } from "./report.ts"

export interface ChaosOptions {
  readonly seed: number
  readonly fills: number
  readonly jsonFile?: string
  /** Fills of A's quote per minute the synthetic market aims at (default 240). */
  readonly fillRatePerMin?: number
  readonly workDir?: string
  readonly quiet?: boolean
}

export interface ChaosReport {
  readonly seed: number
  readonly fillsTarget: number
  readonly durationSec: number
  readonly faults: Readonly<Record<FaultKind, number>>
  readonly faultLog: ReadonlyArray<{ readonly atMs: number; readonly atFill: number; readonly what: string; readonly consumed: boolean }>
  readonly unplannedExits: ReadonlyArray<string>
  readonly stalled: string | undefined
  readonly verdict: ChaosVerdict
  readonly market: string
  readonly minBase: number
  readonly quantity: string
  /** The exchange's count of txs whose signature verified and of txs it refused at verification (must be 0). */
  readonly signatures: { readonly verified: number; readonly rejected: number }
  readonly ok: boolean
  readonly workDir: string
}

const A = 1
const B = 2
const QUANTITY = "0.0002"
const STALL_MS = 120_000

export const runChaos = (o: ChaosOptions) =>
  Effect.gen(function*() {
    const market = LIGHTER_BTC
    const startedAt = Date.now()
    const say = (line: string) => Effect.sync(() => o.quiet === true || process.stdout.write(line + "\n"))
    const workDir = resolve(o.workDir ?? join("logs", `chaos-seed${o.seed}-${new Date(startedAt).toISOString().replace(/[:.]/g, "-")}`))
    mkdirSync(workDir, { recursive: true })
    const plan = planFaults(o.seed, o.fills)

    const redis = yield* startRestartableRedis
    // Fresh API keys for this run: registered on the exchange (which verifies every signature),
    // given to A and B in their environment (restarts after kill -9 get the same).
    const keys = generateHarnessKeys(A, B)
    const sim = yield* Effect.acquireRelease(
      Effect.promise(() =>
        startSimulator({ port: 0, seed: o.seed, accounts: simAccountsWith(keys), market: { fillRatePerMin: o.fillRatePerMin ?? 240, stepMs: 100 } })
      ),
      (s) => Effect.promise(() => s.close())
    )
    const faults = sim.exchange.faults
    const engine = sim.exchange.engine
    const prefix = `hedgeflow:chaos:${o.seed}:${startedAt.toString(36)}`
    const quantity = parseScaled(QUANTITY, market.sizeDecimals)
    const limits = { maxUnhedged: 5 * quantity, maxUnhedgedAgeMs: 30_000 }
    const configFile = join(workDir, "config.yaml")
    writeFileSync(
      configFile,
      demoConfig({
        simUrl: sim.url,
        wsUrl: sim.wsUrl,
        redisUrl: redis.url,
        prefix,
        quantity: QUANTITY,
        depth: 5,
        logDir: workDir,
        pollIntervalSec: 0.05
      }) + `risk: { max_unhedged: "${formatBase(market, limits.maxUnhedged)}", max_unhedged_age_ms: ${limits.maxUnhedgedAgeMs} }\n`
    )
    yield* say(`hedgeflow chaos: seed ${o.seed}, ${o.fills} fills, ${plan.length} faults planned · exchange ${sim.url} · Redis ${redis.url} (AOF everysec) · logs in ${workDir}`)

    const child = (name: "main-a" | "main-b") => startEngineProcess(name, configFile, workDir, keyEnvFor(name === "main-a" ? "a" : "b", keys))
    const b = yield* child("main-b")
    const a = yield* child("main-a")
    const children: Record<"a" | "b", Child> = { a, b }
    const killedByUs = new Set<Child>()

    const elapsed = () => Date.now() - startedAt
    const stamp = (fills: number) => `[${String(fills).padStart(String(o.fills).length)}/${o.fills} fills  t+${(elapsed() / 1000).toFixed(1).padStart(6)} s]`
    let tradeCursor = 0
    let fillsA = 0
    const countFills = () => {
      const ts = engine.trades
      for (; tradeCursor < ts.length; tradeCursor++) {
        const t = ts[tradeCursor]!
        if (t.marketId === market.marketId && (t.askAccountId === A || t.bidAccountId === A)) fillsA++
      }
      return fillsA
    }

    const injected = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]))
    const faultLog: Array<ChaosReport["faultLog"][number]> = []
    const unplannedExits: Array<string> = []
    let halts = 0

    /** Arms a counted venue fault and waits until it has happened (or 60 s). */
    const armed = (arm: () => void) =>
      Effect.gen(function*() {
        const before = faults.outstanding()
        arm()
        for (let i = 0; i < 600; i++) {
          if (faults.outstanding() <= before) return true
          yield* Effect.sleep("100 millis")
        }
        return false
      })
    /** Until the restarted process has sent a heartbeat (it is up and connected), or 30 s. */
    const ready = (role: "a" | "b", sinceMs: number) =>
      Effect.gen(function*() {
        const state = yield* PairState
        for (let i = 0; i < 300; i++) {
          const hb = yield* state.lastHeartbeat(role).pipe(Effect.orElseSucceed(() => Option.none()))
          if (Option.isSome(hb) && hb.value.atMs >= sinceMs) return
          yield* Effect.sleep("100 millis")
        }
      })
    const kill = (role: "a" | "b", restartAfterMs: number) =>
      Effect.gen(function*() {
        const c = children[role]
        killedByUs.add(c)
        c.signal("SIGKILL")
        yield* c.exited
        yield* Effect.sleep(restartAfterMs)
        const restartedAt = Date.now()
        yield* c.restart
        killedByUs.delete(c)
        // The next fault starts once this one is over: the process is back and connected.
        yield* ready(role, restartedAt)
        return true
      })
    const inject = (f: Fault): Effect.Effect<boolean, unknown, PairState> => {
      switch (f.kind) {
        case "kill-a":
          return kill("a", f.restartAfterMs)
        case "kill-b":
          return kill("b", f.restartAfterMs)
        case "redis-restart":
          return redis.stop("kill").pipe(Effect.andThen(redis.start), Effect.as(true))
        case "redis-down":
          return redis.stop("term").pipe(Effect.andThen(Effect.sleep(f.downMs)), Effect.andThen(redis.start), Effect.as(true))
        case "ws-drop":
          return Effect.sync(() => faults.dropSockets(A) + faults.dropSockets(B) > 0)
        case "b-delay":
          return armed(() => faults.delayTxs(B, f.count, f.ms, f.mode))
        case "b-reject":
          return armed(() => faults.rejectTxs(B, f.count))
        case "b-partial":
          return armed(() => faults.partialFillMarketOrders(B, f.count, f.fractionPct / 100))
        case "rate-limit":
          return armed(() => faults.rateLimitTxs(f.account === "a" ? A : B, f.count))
        case "duplicate-frames":
          return armed(() => faults.duplicateFrames(A, f.count))
        case "reorder-frames":
          return armed(() => faults.reorderFrames(A, f.count))
        case "pause-stream":
          return Effect.sync(() => faults.pauseStream(f.account === "a" ? A : B, f.ms)).pipe(Effect.andThen(Effect.sleep(f.ms)), Effect.as(true))
      }
    }

    const bus = busLayers({ redisUrl: redis.url, prefix, market })
    return yield* Effect.gen(function*() {
      const state = yield* PairState
      const fillBus = yield* FillBus
      const conn = yield* RedisConnection
      let next = 0
      let lastFillAt = Date.now()
      let lastFills = 0
      let lastProgress = Date.now()
      let haltedSince: number | undefined
      let stalled: string | undefined

      // ── the run: inject faults as fills pass their marks ──
      while (countFills() < o.fills || next < plan.length) {
        const fills = countFills()
        if (fills > lastFills) {
          lastFills = fills
          lastFillAt = Date.now()
        }
        if (Date.now() - lastFillAt > STALL_MS) {
          stalled = `no fill of A for ${STALL_MS / 1000} s at ${fills} fills`
          yield* say(`${stamp(fills)} STALLED: ${stalled}`)
          break
        }
        // A process that exited without being killed by us is a failure; start it again and go on.
        for (const [role, c] of Object.entries(children)) {
          if (!c.running() && !killedByUs.has(c)) {
            const code = yield* c.exited
            unplannedExits.push(`main-${role} exited with ${code} at ${fills} fills`)
            yield* say(`${stamp(fills)} main-${role} EXITED on its own (code ${code}); restarting it`)
            yield* Effect.sleep("1 second")
            yield* c.restart.pipe(Effect.ignore)
          }
        }
        // A halt is the system protecting itself; an operator would look and resume. So do we, after 3 s.
        const trading = yield* state.tradingState().pipe(Effect.orElseSucceed(() => "ACTIVE" as const))
        if (trading === "HALTED") {
          if (haltedSince === undefined) {
            haltedSince = Date.now()
            halts++
            yield* say(`${stamp(fills)} pair HALTED (see ${workDir}/main_B.log); resuming in 3 s`)
          } else if (Date.now() - haltedSince > 3000) {
            yield* state.setTradingState("ACTIVE", "chaos harness: resumed after a halt").pipe(Effect.ignore)
            haltedSince = undefined
          }
        } else haltedSince = undefined

        const planned = plan[next]
        if (planned !== undefined && fills >= planned.atFill) {
          next++
          const what = describeFault(planned.fault)
          yield* say(`${stamp(fills)} inject ${what}`)
          const ok = yield* inject(planned.fault).pipe(Effect.orElseSucceed(() => false))
          if (ok) injected.set(planned.fault.kind, (injected.get(planned.fault.kind) ?? 0) + 1)
          else yield* say(`${stamp(countFills())}   (did not take effect: ${planned.fault.kind})`)
          faultLog.push({ atMs: elapsed(), atFill: fills, what, consumed: ok })
          // The time a fault took (a Redis outage, a restart) does not count towards a stall.
          lastFillAt = Math.max(lastFillAt, Date.now() - 10_000)
          continue
        }
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now()
          const net = engine.account(A).position(market.marketId).size + engine.account(B).position(market.marketId).size
          const pending = yield* fillBus.pendingCount().pipe(Effect.orElseSucceed(() => -1))
          yield* say(`${stamp(fills)} net ${formatBase(market, net)} · pending ${pending} · faults ${next}/${plan.length}`)
        }
        yield* Effect.sleep("100 millis")
      }

      // ── quiescence: A stops (cancels its quote); B hedges what is pending; then B stops ──
      yield* say(`${stamp(countFills())} stopping A; waiting for B to hedge what is pending …`)
      if (yield* state.tradingState().pipe(Effect.map((s) => s === "HALTED"), Effect.orElseSucceed(() => false))) {
        yield* state.setTradingState("ACTIVE", "chaos harness: end of run").pipe(Effect.ignore)
      }
      const codeA = yield* a.stop(20_000)
      const netNow = () => engine.account(A).position(market.marketId).size + engine.account(B).position(market.marketId).size
      for (let i = 0; i < 600; i++) {
        const pending = yield* fillBus.pendingCount().pipe(Effect.orElseSucceed(() => 1))
        if (pending === 0 && Math.abs(netNow()) < market.minBaseAmount) break
        yield* Effect.sleep("100 millis")
      }
      const codeB = yield* b.stop(20_000)
      if (codeA !== 130) unplannedExits.push(`main-a ended with exit code ${codeA} (expected 130)`)
      if (codeB !== 130) unplannedExits.push(`main-b ended with exit code ${codeB} (expected 130)`)

      // ── audit ──
      const keys = fillBusKeys(prefix)
      const entries = yield* conn.run("xrange fills", (c) => c.xrange(keys.fills, "-", "+"))
      const fills: Array<AuditFill> = []
      for (const [id, fields] of entries) {
        const e = decodeEntry(id, pairsToRecord(fields), 1)
        if (e._tag === "Fill") fills.push({ fillSeq: e.fill.fillSeq, orderIndex: e.fill.orderIndex, size: e.fill.size })
      }
      const deadLetters = yield* conn.run("xlen dead-letter", (c) => c.xlen(keys.deadLetter))
      const results = yield* fillBus.hedgeResults()
      const levels = yield* fillBus.publishedLevels()
      const pending = yield* fillBus.pendingCount()
      const residualPool = yield* state.residualPool().pipe(Effect.orElseSucceed(() => Number.NaN))
      const input = {
        accountA: A,
        accountB: B,
        minBase: market.minBaseAmount,
        hedgeTag: tagFromPrefix(prefix),
        trades: engine.trades.filter((t) => t.marketId === market.marketId).map((t) => ({
          tradeId: t.tradeId,
          timestampMs: t.timestampMs,
          size: t.size,
          askAccountId: t.askAccountId,
          bidAccountId: t.bidAccountId,
          askOrderId: t.askId,
          bidOrderId: t.bidId,
          askClientId: t.askClientId,
          bidClientId: t.bidClientId
        })),
        publishedLevels: levels,
        fills,
        results: results.map((r) => ({ fillSeq: r.fillSeq, hedgedSignedBase: r.hedgedSignedBase, status: r.status })),
        finalPositionA: engine.account(A).position(market.marketId).size,
        finalPositionB: engine.account(B).position(market.marketId).size,
        pending,
        deadLetters,
        limits,
        halts,
        faults: injected
      }
      const verdict = audit(input)
      // Everything the verdict was computed from, for the post-mortem of a failed run.
      writeFileSync(
        join(workDir, "audit-input.json"),
        JSON.stringify({ ...input, residualPool, publishedLevels: Object.fromEntries(levels), faults: Object.fromEntries(injected), results }, null, 1) + "\n"
      )
      const report: ChaosReport = {
        seed: o.seed,
        fillsTarget: o.fills,
        durationSec: elapsed() / 1000,
        faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, injected.get(k) ?? 0])) as Record<FaultKind, number>,
        faultLog,
        unplannedExits,
        stalled,
        verdict,
        market: market.symbol,
        minBase: market.minBaseAmount,
        quantity: QUANTITY,
        signatures: signatureFigures(sim),
        // A refused signature means our signer and the exchange's verifier disagree: a failed run.
        ok: verdict.ok && unplannedExits.length === 0 && stalled === undefined && signatureFigures(sim).rejected === 0,
        workDir
      }
      yield* Effect.sync(() => {
        if (o.quiet !== true) process.stdout.write(renderChaosReport(report, market))
        if (o.jsonFile !== undefined) writeFileSync(o.jsonFile, JSON.stringify(report, null, 2) + "\n")
      })
      return report
    }).pipe(Effect.provide(Layer.fresh(bus)))
  })
