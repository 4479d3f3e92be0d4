// `bin/hedge chaos --seed N --fills N [--json FILE]`: A and B as real processes, the embedded
// exchange, and a private Redis with AOF; faults from the seeded plan are injected one after the
// other as A's fill count passes their mark. At the end A stops (cancelling its quote), B hedges
// what is pending, and the run is audited from the exchange's trade log and from Redis.
// Where an operator would act — a halt, Redis restarted empty, a flatten — the harness runs the
// real `bin/hedge resume` / `bin/hedge flatten --yes` as child processes (operator.ts).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Layer, Option } from "effect"
import { decodeEntry, pairsToRecord } from "../bus/codec.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import { fillBusKeys } from "../bus/redis/RedisFillBus.ts"
import { HEDGER_GROUP } from "../bus/redis/inspect.ts"
import { pairControlKeys } from "../bus/redis/pair-keys.ts"
import { tagFromPrefix } from "../domain/client-index.ts"
import { isClosingClientIndex } from "../domain/closing.ts"
import { subjectOfFlush } from "../domain/messages.ts"
import { formatBase, LIGHTER_BTC, parseScaled } from "../domain/market.ts"
import { busLayers } from "../app/bus-layers.ts"
import { type Child, startEngineProcess } from "../testkit/children.ts"
import { authFigures, demoConfig, signatureFigures } from "../testkit/pair-config.ts"
import { generateHarnessKeys, keyEnvFor, simAccountsWith } from "../testkit/harness-keys.ts"
import { pendingFills } from "../bus/pending-fills.ts"
import { startSimulator } from "../sim/server.ts"
import {
  audit,
  type AuditDuplicate,
  type AuditFill,
  type AuditFlatten,
  type AuditRedisLoss,
  type AuditResult
} from "./audit.ts"
import { runOperator } from "./operator.ts"
import { describeFault, FAULT_KINDS, type Fault, type FaultKind, planFaults } from "./plan.ts"
import { startLocalRedis } from "../testkit/local-redis.ts"
import { type ChaosReport, renderChaosReport } from "./report.ts"

export interface ChaosOptions {
  readonly seed: number
  readonly fills: number
  readonly jsonFile?: string
  /** Fills of A's quote per minute the synthetic market aims at (default 240). */
  readonly fillRatePerMin?: number
  readonly workDir?: string
  readonly quiet?: boolean
}


const A = 1
const B = 2
const QUANTITY = "0.0002"
const STALL_MS = 120_000
/** How long A and B get to notice that Redis came back empty (they compare every second). */
const DETECT_MS = 30_000
/** How long A and B get to trade again after `bin/hedge resume`. */
const RUNNING_AGAIN_MS = 30_000
/** How long B gets to acknowledge a copied fill entry. */
const DUPLICATE_MS = 20_000

/** "1712345678901-3" → [ms, seq], for ordering stream ids. */
const streamId = (id: string): readonly [number, number] => {
  const [ms, seq] = id.split("-")
  return [Number(ms), Number(seq ?? 0)]
}
const idAtOrBefore = (a: string, b: string): boolean => {
  const [am, as] = streamId(a)
  const [bm, bs] = streamId(b)
  return am < bm || (am === bm && as <= bs)
}

export const runChaos = (o: ChaosOptions) =>
  Effect.gen(function*() {
    const market = LIGHTER_BTC
    const startedAt = Date.now()
    const say = (line: string) => Effect.sync(() => o.quiet === true || process.stdout.write(line + "\n"))
    const workDir = resolve(o.workDir ?? join("logs", `chaos-seed${o.seed}-${new Date(startedAt).toISOString().replace(/[:.]/g, "-")}`))
    mkdirSync(workDir, { recursive: true })
    const plan = planFaults(o.seed, o.fills)

    // AOF on: a restart brings back what was acknowledged (the documented production setting).
    const redis = yield* startLocalRedis({ appendOnly: true })
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
    /** The exchange's clock (the simulator runs in this process): what trade timestamps are in. */
    const exchangeNow = () => performance.timeOrigin + performance.now()
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
        pollIntervalSec: 0.05,
        // The exchange here has no rate limit, and pacing is proven on the TestClock
        // (test/pair/quote-budget.test.ts): A's own quote cap off, so a run takes fills, not minutes.
        quoteTxPerMinute: 0
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
    /** A's quote fills on the exchange (its flatten closing trades are not fills). */
    const countFills = () => {
      const ts = engine.trades
      for (; tradeCursor < ts.length; tradeCursor++) {
        const t = ts[tradeCursor]!
        if (t.marketId !== market.marketId) continue
        if ((t.askAccountId === A && !isClosingClientIndex(t.askClientId)) || (t.bidAccountId === A && !isClosingClientIndex(t.bidClientId))) fillsA++
      }
      return fillsA
    }
    const positionOf = (account: number) => engine.account(account).position(market.marketId).size
    const netNow = () => positionOf(A) + positionOf(B)
    /** Trades of A or B from index `from` of the exchange's log. */
    const tradesOfPairSince = (from: number) =>
      engine.trades.slice(from).filter((t) => t.askAccountId === A || t.bidAccountId === A || t.askAccountId === B || t.bidAccountId === B).length

    const injected = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]))
    const faultLog: Array<ChaosReport["faultLog"][number]> = []
    const unplannedExits: Array<string> = []
    const halts: Array<ChaosReport["halts"][number]> = []
    const operatorCommands: Array<ChaosReport["operatorCommands"][number]> = []
    const redisLosses: Array<AuditRedisLoss> = []
    const flattens: Array<AuditFlatten> = []
    const duplicates: Array<AuditDuplicate> = []
    /** Fill messages and results of the Redis epochs lost so far (noted just before each loss). */
    const lostFills: Array<AuditFill> = []
    const lostResults: Array<AuditResult> = []
    let lostDeadLetters = 0
    let lostSettledByFlatten = 0
    let epoch = 0

    /** `bin/hedge <args>` as the operator runs it: both accounts' keys in its environment. */
    const operator = (args: ReadonlyArray<string>) =>
      runOperator(args, { configFile, workDir, env: { ...keyEnvFor("a", keys), ...keyEnvFor("b", keys) } }).pipe(
        Effect.tap((r) =>
          Effect.sync(() => operatorCommands.push({ atMs: elapsed(), command: r.command, code: r.code, ms: r.ms })).pipe(
            Effect.andThen(say(`${stamp(countFills())}   ${r.command}: exit code ${r.code} after ${(r.ms / 1000).toFixed(1)} s`))
          )
        )
      )

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
    /** Until A and B both run their programs again after `sinceMs` (not waiting for an operator); false after `RUNNING_AGAIN_MS`. */
    const runningAgain = (sinceMs: number) =>
      Effect.gen(function*() {
        const state = yield* PairState
        const isRunning = (role: "a" | "b") =>
          state.lastHeartbeat(role).pipe(
            Effect.map((hb) => Option.isSome(hb) && hb.value.atMs >= sinceMs && hb.value.status["awaitingOperator"] !== true),
            Effect.orElseSucceed(() => false)
          )
        for (let i = 0; i < RUNNING_AGAIN_MS / 100; i++) {
          if ((yield* isRunning("a")) && (yield* isRunning("b"))) return true
          yield* Effect.sleep("100 millis")
        }
        return false
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

    const busKeys = fillBusKeys(prefix)
    /** The fill messages and hedge results Redis holds now, tagged with the current epoch. */
    const readBus = Effect.gen(function*() {
      const conn = yield* RedisConnection
      const fillBus = yield* FillBus
      const entries = yield* conn.run("xrange fills", (c) => c.xrange(busKeys.fills, "-", "+"))
      const fills: Array<AuditFill> = []
      for (const [id, fields] of entries) {
        const e = decodeEntry(id, pairsToRecord(fields), 1)
        if (e._tag === "Fill") {
          const f = e.fill
          fills.push({ fillSeq: f.fillSeq, fillId: f.fillId, orderIndex: f.orderIndex, side: f.side, size: f.size, filledAfter: f.filledAfter, epoch })
        } else if (e._tag === "ResidualFlush") {
          // B's flush, as the audit counts it: the A side its hedge answers, the whole pool.
          const s = subjectOfFlush(e.flush)
          fills.push({ fillSeq: s.fillSeq, fillId: s.fillId, orderIndex: "residual", side: s.side, size: s.size, filledAfter: s.size, epoch })
        }
      }
      const raw = yield* fillBus.hedgeResults()
      const results: Array<AuditResult> = raw.map((r) => ({ fillSeq: r.fillSeq, hedgedSignedBase: r.hedgedSignedBase, status: r.status, epoch }))
      const deadLetters = yield* conn.run("xlen dead-letter", (c) => c.xlen(busKeys.deadLetter))
      // The engine's own account of the fills a flatten settled (recorded, never hedged).
      const auditLog = yield* conn.run("xrange audit", (c) => c.xrange(pairControlKeys(prefix).audit, "-", "+"))
      const settledByFlatten = auditLog.filter(([, kv]) => pairsToRecord(kv)["kind"] === "fill-settled-by-flatten").length
      return { fills, results, deadLetters, settledByFlatten, raw }
    })

    /**
     * A flatten as the operator runs it (`bin/hedge flatten --yes`), then `bin/hedge resume`
     * `resumeAfterMs` later; nothing of A or B may trade in between.
     */
    const flattenThenResume = (cause: AuditFlatten["cause"], settleTimeoutSec: number, resumeAfterMs: number) =>
      Effect.gen(function*() {
        const startMs = exchangeNow()
        const run = yield* operator(["flatten", "--yes", "--settle-timeout", String(settleTimeoutSec)])
        const endMs = exchangeNow()
        const positionA = positionOf(A)
        const positionB = positionOf(B)
        yield* say(`${stamp(countFills())}   after the flatten: A ${formatBase(market, positionA)}, B ${formatBase(market, positionB)}`)
        const mark = engine.trades.length
        yield* Effect.sleep(resumeAfterMs)
        const tradesWhileHalted = tradesOfPairSince(mark)
        const resumedFrom = Date.now()
        const resume = yield* operator(["resume"])
        const running = yield* runningAgain(resumedFrom)
        // "… N open hedge intent(s) closed (id, id)." in the flatten's "fenced:" line.
        const closed = /open hedge intent\(s\) closed \(([^)]*)\)/.exec(run.stdout)?.[1]?.split(", ").filter((id) => id !== "") ?? []
        flattens.push({ cause, startMs, endMs, exitCode: run.code, positionA, positionB, tradesWhileHalted, resumeExitCode: resume.code, intentsClosed: closed })
        return { resumeCode: resume.code, running }
      })

    /**
     * Redis without persistence restarted: frozen (writes paused, so what it holds is what dies
     * with it) and noted, killed, its data deleted, started empty. Then the harness is the
     * operator: it waits for A and B to halt and report, and after `operatorAfterMs` runs
     * `bin/hedge flatten --yes` when A + B is not flat, and `bin/hedge resume`.
     */
    const redisEmpty = (operatorAfterMs: number, pendingFill: boolean) =>
      Effect.gen(function*() {
        const conn = yield* RedisConnection
        const state = yield* PairState
        if (pendingFill) {
          // B down, so that A's next fill stays pending when Redis dies (at most 20 s of waiting).
          killedByUs.add(b)
          b.signal("SIGKILL")
          yield* b.exited
          for (let i = 0; i < 100; i++) {
            if ((yield* pendingFills(prefix).pipe(Effect.orElseSucceed(() => 0))) > 0) break
            yield* Effect.sleep("200 millis")
          }
        }
        yield* conn.run("client pause", (c) => c.call("CLIENT", "PAUSE", "5000", "WRITE"))
        const atMs = exchangeNow()
        const held = yield* readBus
        const pendingAtLoss = yield* pendingFills(prefix).pipe(Effect.orElseSucceed(() => -1))
        const poolAtLoss = yield* state.residualPool().pipe(Effect.orElseSucceed(() => 0))
        const openIntentsAtLoss = yield* state.openIntents().pipe(Effect.map((l) => l.length), Effect.orElseSucceed(() => -1))
        yield* redis.stop("kill")
        yield* redis.wipe
        yield* redis.start
        if (pendingFill) {
          yield* b.restart
          killedByUs.delete(b)
        }
        const lostEpoch = epoch
        lostFills.push(...held.fills)
        lostResults.push(...held.results)
        lostDeadLetters += held.deadLetters
        lostSettledByFlatten += held.settledByFlatten
        epoch++
        yield* say(
          `${stamp(countFills())}   Redis restarted EMPTY; it held ${held.fills.length} fill message(s), ${held.results.length} result(s), ` +
            `${pendingAtLoss} pending, ${openIntentsAtLoss} open intent(s), a pool of ${poolAtLoss}`
        )

        // A and B must find the epoch gone, halt, make a new epoch that waits, and report positions.
        let detected = false
        let reportedA: number | undefined
        let reportedB: number | undefined
        for (let i = 0; i < DETECT_MS / 200; i++) {
          yield* Effect.sleep("200 millis")
          const ep = yield* state.epoch().pipe(Effect.orElseSucceed(() => Option.none()))
          const trading = yield* state.tradingState().pipe(Effect.orElseSucceed(() => "ACTIVE" as const))
          detected = trading === "HALTED" && Option.isSome(ep) && ep.value.adoptedAtMs === undefined
          if (!detected || Option.isNone(ep)) continue
          const reports = yield* state.lossReports().pipe(Effect.orElseSucceed(() => ({ a: undefined, b: undefined })))
          reportedA = reports.a?.epochId === ep.value.id ? reports.a.positionBase : undefined
          reportedB = reports.b?.epochId === ep.value.id ? reports.b.positionBase : undefined
          if (reportedA !== undefined && reportedB !== undefined) break
        }
        yield* say(
          `${stamp(countFills())}   ${detected ? "A and B halted: a new epoch waits for an operator" : "NOT DETECTED: no halt with a waiting epoch"}; ` +
            `reported positions A ${reportedA ?? "none"}, B ${reportedB ?? "none"}; the operator acts in ${operatorAfterMs} ms`
        )
        yield* Effect.sleep(operatorAfterMs)

        // The operator's decision, from what `bin/hedge status` shows: the positions at the exchange,
        // and the fills pending in the new Redis. Those were published before A and B noticed the
        // loss, so their other halves may have died with the old Redis: they cannot be trusted either.
        const decidedAtMs = exchangeNow()
        const netAtDecision = netNow()
        const pendingAtDecision = yield* pendingFills(prefix).pipe(Effect.orElseSucceed(() => -1))
        const action = netAtDecision === 0 && pendingAtDecision === 0 ? "resume" as const : "flatten+resume" as const
        let resumeCode: number
        let running: boolean
        if (action === "flatten+resume") {
          yield* say(
            `${stamp(countFills())}   A + B = ${formatBase(market, netAtDecision)} at the exchange, ${pendingAtDecision} fill(s) pending in the new Redis: flatten, then resume`
          )
          const r = yield* flattenThenResume("redis-empty", 5, 1000)
          resumeCode = r.resumeCode
          running = r.running
        } else {
          const resumedFrom = Date.now()
          resumeCode = (yield* operator(["resume"])).code
          running = yield* runningAgain(resumedFrom)
        }
        const ep = yield* state.epoch().pipe(Effect.orElseSucceed(() => Option.none()))
        const resumed = resumeCode === 0 && Option.isSome(ep) && ep.value.adoptedAtMs !== undefined
        redisLosses.push({
          epoch: lostEpoch,
          atMs,
          decidedAtMs,
          detected,
          reportedA,
          reportedB,
          netAtDecision,
          pendingAtDecision,
          action,
          resumed,
          running,
          pendingAtLoss,
          poolAtLoss,
          openIntentsAtLoss
        })
        return true
      })

    /** A copy of a real fill entry, under a new stream id: B must acknowledge it as a duplicate, not hedge it, not halt. */
    const duplicateFill = (back: number) =>
      Effect.gen(function*() {
        const conn = yield* RedisConnection
        const state = yield* PairState
        // A's fills only (not B's residual flushes); after a Redis loss, wait for the first one.
        let picked: { readonly id: string; readonly fields: Array<string>; readonly fillId: string; readonly fillSeq: number } | undefined
        for (let i = 0; i < 150 && picked === undefined; i++) {
          const newest = yield* conn.run("xrevrange fills", (c) => c.xrevrange(busKeys.fills, "+", "-", "COUNT", 200)).pipe(Effect.orElseSucceed(() => []))
          const candidates = newest.flatMap(([id, fields]) => {
            const e = decodeEntry(id, pairsToRecord(fields), 1)
            return e._tag === "Fill" ? [{ id, fields, fillId: e.fill.fillId, fillSeq: e.fill.fillSeq }] : []
          })
          picked = candidates[Math.min(back, candidates.length - 1)]
          if (picked === undefined) yield* Effect.sleep("200 millis")
        }
        if (picked === undefined) return false
        const deadBefore = yield* conn.run("xlen dead-letter", (c) => c.xlen(busKeys.deadLetter))
        const copyId = yield* conn.run("xadd copy", (c) => c.xadd(busKeys.fills, "*", ...picked.fields))
        if (copyId === null) return false
        yield* say(`${stamp(countFills())}   copied entry ${picked.id} (fill ${picked.fillId}, seq ${picked.fillSeq}) as ${copyId}`)
        let acknowledged = false
        let loggedAsDuplicate = false
        let haltedMeanwhile = false
        const logB = join(workDir, "main_B.jsonl")
        for (let i = 0; i < DUPLICATE_MS / 200 && !(acknowledged && loggedAsDuplicate); i++) {
          yield* Effect.sleep("200 millis")
          if ((yield* state.tradingState().pipe(Effect.orElseSucceed(() => "ACTIVE" as const))) === "HALTED") haltedMeanwhile = true
          const groups = yield* conn.run("xinfo groups", (c) => c.call("XINFO", "GROUPS", busKeys.fills) as Promise<Array<Array<unknown>>>).pipe(
            Effect.orElseSucceed(() => [] as Array<Array<unknown>>)
          )
          const group = groups.map((g) => {
            const r: Record<string, unknown> = {}
            for (let k = 0; k + 1 < g.length; k += 2) r[String(g[k])] = g[k + 1]
            return r
          }).find((g) => g["name"] === HEDGER_GROUP)
          const delivered = group !== undefined && idAtOrBefore(copyId, String(group["last-delivered-id"] ?? "0-0"))
          const stillPending = yield* conn.run("xpending copy", (c) => c.xpending(busKeys.fills, HEDGER_GROUP, copyId, copyId, 1)).pipe(
            Effect.map((l) => (l as Array<unknown>).length > 0),
            Effect.orElseSucceed(() => true)
          )
          acknowledged = delivered && !stillPending
          loggedAsDuplicate = yield* Effect.sync(() => {
            try {
              return readFileSync(logB, "utf8").split("\n").some((l) => l.includes(copyId) && l.includes("duplicate fill entry acknowledged"))
            } catch {
              return false
            }
          })
        }
        const deadAfter = yield* conn.run("xlen dead-letter", (c) => c.xlen(busKeys.deadLetter))
        duplicates.push({
          fillSeq: picked.fillSeq,
          fillId: picked.fillId,
          originalEntryId: picked.id,
          copyEntryId: copyId,
          acknowledged,
          loggedAsDuplicate,
          deadLettered: deadAfter > deadBefore,
          haltedMeanwhile
        })
        yield* say(
          `${stamp(countFills())}   copy ${copyId}: ${acknowledged ? "acknowledged" : "NOT acknowledged"}${loggedAsDuplicate ? " as a duplicate" : ", no duplicate log line"}` +
            `${haltedMeanwhile ? ", pair HALTED" : ""}${deadAfter > deadBefore ? ", dead-lettered" : ""}`
        )
        return true
      })

    const inject = (f: Fault): Effect.Effect<boolean, unknown, PairState | FillBus | RedisConnection> => {
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
        case "redis-empty":
          return redisEmpty(f.operatorAfterMs, f.pendingFill)
        case "duplicate-fill":
          return duplicateFill(f.back)
        case "flatten-mid-run":
          // With A and B running, the flatten settles what is in flight first (30 s at most, the default).
          return flattenThenResume("flatten-mid-run", 30, f.resumeAfterMs).pipe(Effect.as(true))
      }
    }

    const bus = busLayers({ redisUrl: redis.url, prefix, market })
    return yield* Effect.gen(function*() {
      const state = yield* PairState
      const fillBus = yield* FillBus
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
        // A halt is the system protecting itself; an operator would look and resume. So do we, after
        // 3 s, with the real `bin/hedge resume` (which also adopts an epoch that waits for an operator).
        const trading = yield* state.tradingStatus().pipe(Effect.orElseSucceed(() => ({ state: "ACTIVE" as const, reason: undefined })))
        if (trading.state === "HALTED") {
          if (haltedSince === undefined) {
            haltedSince = Date.now()
            halts.push({ atFill: fills, reason: trading.reason ?? "?" })
            yield* say(`${stamp(fills)} pair HALTED: ${trading.reason ?? "?"} (see ${workDir}/main_B.log); resuming in 3 s`)
          } else if (Date.now() - haltedSince > 3000) {
            yield* operator(["resume"])
            haltedSince = undefined
          }
        } else haltedSince = undefined

        const planned = plan[next]
        if (planned !== undefined && fills >= planned.atFill) {
          next++
          const what = describeFault(planned.fault)
          yield* say(`${stamp(fills)} inject ${what}`)
          const ok = yield* inject(planned.fault).pipe(
            Effect.catchCause((cause) => say(`${stamp(countFills())}   (failed: ${String(cause).slice(0, 300)})`).pipe(Effect.as(false)))
          )
          if (ok) injected.set(planned.fault.kind, (injected.get(planned.fault.kind) ?? 0) + 1)
          else yield* say(`${stamp(countFills())}   (did not take effect: ${planned.fault.kind})`)
          faultLog.push({ atMs: elapsed(), atFill: fills, what, consumed: ok })
          // The time a fault took (a Redis outage, a restart) does not count towards a stall.
          lastFillAt = Math.max(lastFillAt, Date.now() - 10_000)
          continue
        }
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now()
          const pending = yield* pendingFills(prefix).pipe(Effect.orElseSucceed(() => -1))
          yield* say(`${stamp(fills)} net ${formatBase(market, netNow())} · pending ${pending} · faults ${next}/${plan.length}`)
        }
        yield* Effect.sleep("100 millis")
      }

      // ── quiescence: A stops (cancels its quote); B hedges what is pending; then B stops ──
      yield* say(`${stamp(countFills())} stopping A; waiting for B to hedge what is pending …`)
      if (yield* state.tradingState().pipe(Effect.map((s) => s === "HALTED"), Effect.orElseSucceed(() => false))) {
        yield* operator(["resume"])
      }
      const codeA = yield* a.stop(20_000)
      for (let i = 0; i < 600; i++) {
        const pending = yield* pendingFills(prefix).pipe(Effect.orElseSucceed(() => 1))
        if (pending === 0 && Math.abs(netNow()) < market.minBaseAmount) break
        yield* Effect.sleep("100 millis")
      }
      const codeB = yield* b.stop(20_000)
      if (codeA !== 0) unplannedExits.push(`main-a ended with exit code ${codeA} (expected 0)`)
      if (codeB !== 0) unplannedExits.push(`main-b ended with exit code ${codeB} (expected 0)`)

      // ── audit: the exchange's trade log, and what Redis holds now and held before each loss ──
      const now = yield* readBus
      const levels = yield* fillBus.publishedLevels()
      const pending = yield* pendingFills(prefix)
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
        fills: [...lostFills, ...now.fills],
        results: [...lostResults, ...now.results],
        finalPositionA: positionOf(A),
        finalPositionB: positionOf(B),
        pending,
        deadLetters: lostDeadLetters + now.deadLetters,
        fillsSettledByFlatten: lostSettledByFlatten + now.settledByFlatten,
        limits,
        halts: halts.length,
        faults: injected,
        losses: redisLosses,
        flattens,
        duplicates
      }
      const verdict = audit(input)
      // Everything the verdict was computed from, for the post-mortem of a failed run.
      writeFileSync(
        join(workDir, "audit-input.json"),
        JSON.stringify(
          { ...input, residualPool, publishedLevelsNow: Object.fromEntries(levels), faults: Object.fromEntries(injected), resultsNow: now.raw, halts, operatorCommands },
          null,
          1
        ) + "\n"
      )
      const signatures = signatureFigures(sim)
      const auth = authFigures(sim)
      const report: ChaosReport = {
        seed: o.seed,
        fillsTarget: o.fills,
        durationSec: elapsed() / 1000,
        faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, injected.get(k) ?? 0])) as Record<FaultKind, number>,
        faultLog,
        halts,
        operatorCommands,
        redisLosses,
        flattens,
        duplicates,
        unplannedExits,
        stalled,
        verdict,
        market: market.symbol,
        minBase: market.minBaseAmount,
        quantity: QUANTITY,
        signatures,
        auth,
        // A refused signature means our signer and the exchange's verifier disagree; a refused auth
        // token, that A, B or an operator command was denied a private channel or read: failed runs.
        ok: verdict.ok && unplannedExits.length === 0 && stalled === undefined && signatures.rejected === 0 && auth.rejected === 0,
        workDir
      }
      yield* Effect.sync(() => {
        if (o.quiet !== true) process.stdout.write(renderChaosReport(report, market))
        if (o.jsonFile !== undefined) writeFileSync(o.jsonFile, JSON.stringify(report, null, 2) + "\n")
      })
      return report
    }).pipe(Effect.provide(Layer.fresh(bus)))
  })
