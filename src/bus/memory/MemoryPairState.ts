// In-memory PairState with the semantics of the Redis implementation. Intents are kept as the
// same JSON the Redis hash holds and decoded with the same Schema, so a corrupt intent is the
// same typed BusError. Heartbeats expire by Effect's Clock (monotonic time). Like MemoryFillBus, the store lives
// outside the layer, so a rebuilt layer ("restarted" process) sees the same state.
import { poolDecision } from "../../domain/hedge-plan.ts"
import { formatBase, type MarketSpec } from "../../domain/market.ts"
import { Clock, Effect, Layer, Option } from "effect"
import type { HedgeAttempt } from "../../domain/messages.ts"
import { decodeIntent, encodeIntent } from "../codec.ts"
import { withAttempt } from "../../domain/intent.ts"
import { BusError } from "../errors.ts"
import { monoNow } from "./mono.ts"
import {
  type AuditEntry,
  type BeginHedgeResult,
  type EpochMarker,
  type ForceCloseState,
  type HedgeIntent,
  type LossReport,
  type PairFences,
  PairState,
  type PairStateShape,
  type RestingQuoteInfo,
  type TradingState
} from "../PairState.ts"

export interface MemoryPairStateInspect {
  /** Stores raw text as the intent of `fillId` (to test corrupt records). */
  readonly putRawIntent: (fillId: string, json: string) => void
  readonly tradingStateRecord: () => { readonly state: TradingState; readonly reason: string; readonly sinceMs: number } | undefined
  readonly loseEverything: () => void
  readonly setUnavailable: (down: boolean) => void
}

export interface MemoryPairStateHandle {
  readonly layer: Layer.Layer<PairState>
  readonly inspect: MemoryPairStateInspect
}

interface Store {
  intents: Map<string, string>
  pool: number
  state: { state: TradingState; reason: string; sinceMs: number } | undefined
  heartbeats: Map<"a" | "b", { readonly json: { readonly atMs: number; readonly status: Readonly<Record<string, unknown>> }; /** monotonic ms */ readonly expiresAtMs: number }>
  quoteSeq: number
  quote: RestingQuoteInfo | undefined
  down: boolean
  epoch: EpochMarker | undefined
  fences: { flattenQuoteSeq: number; flattenFillSeq: number; flattenId?: string; flattenAtMs?: number; lossQuoteSeq: number }
  /** Highest fill sequence number seen by beginHedge: the memory bus keeps its counter elsewhere. */
  fillSeqSeen: number
  audit: Array<AuditEntry>
  lossReports: { a?: LossReport; b?: LossReport }
  forceClose: ForceCloseState | undefined
}

const emptyStore = (): Store => ({
  intents: new Map(),
  pool: 0,
  state: undefined,
  heartbeats: new Map(),
  quoteSeq: 0,
  quote: undefined,
  down: false,
  epoch: undefined,
  fences: { flattenQuoteSeq: 0, flattenFillSeq: 0, lossQuoteSeq: 0 },
  fillSeqSeen: 0,
  audit: [],
  lossReports: {},
  forceClose: undefined
})

export class MemoryPairState {
  /** `market`: sizes in audit entries are in its units (absent: base units). */
  static readonly make = (market?: MarketSpec): MemoryPairStateHandle => {
    let store = emptyStore()
    const available = (op: string) =>
      store.down ? Effect.fail(new BusError({ op, message: `${op} on memory pair state: unavailable (simulated)` })) : Effect.void
    const parse = (op: string, fillId: string, json: string) => {
      const r = decodeIntent(json)
      return r._tag === "Success"
        ? Effect.succeed(r.success as HedgeIntent)
        : Effect.fail(new BusError({ op, message: `corrupt hedge intent intents[${fillId}]: ${r.failure.message}` }))
    }
    const current = (op: string, fillId: string) =>
      Effect.gen(function*() {
        yield* available(op)
        const json = store.intents.get(fillId)
        if (json === undefined) return yield* new BusError({ op, message: `no hedge intent intents[${fillId}]` })
        return yield* parse(op, fillId, json)
      })

    const beginHedge: PairStateShape["beginHedge"] = (args) =>
      Effect.gen(function*() {
        yield* available("beginHedge")
        const existing = store.intents.get(args.fillId)
        if (existing !== undefined) {
          return { _tag: "Existing", intent: yield* parse("beginHedge", args.fillId, existing) } satisfies BeginHedgeResult
        }
        store.fillSeqSeen = Math.max(store.fillSeqSeen, Math.trunc(args.fillSeq))
        if (args.fillSeq <= store.fences.flattenFillSeq) {
          // Settled by a flatten: never hedged (as the Redis script).
          const settled: HedgeIntent = {
            fillId: args.fillId,
            fillSeq: Math.trunc(args.fillSeq),
            status: "deferred",
            targetSignedBase: 0,
            takenFromPool: 0,
            attempts: [],
            createdAtMs: Math.trunc(args.nowMs)
          }
          store.intents.set(args.fillId, encodeIntent(settled))
          pushAudit(Math.trunc(args.nowMs), "fill-settled-by-flatten", `fill ${args.fillId} (seq ${args.fillSeq}, ${units(Math.trunc(args.signedDelta))} to hedge) was settled by flatten ${store.fences.flattenId ?? "?"}: not hedged`)
          return { _tag: "Created", intent: settled } satisfies BeginHedgeResult
        }
        const d = poolDecision(store.pool, Math.trunc(args.signedDelta), args.minBase)
        const intent: HedgeIntent = {
          fillId: args.fillId,
          fillSeq: Math.trunc(args.fillSeq),
          status: d._tag === "Defer" ? "deferred" : "open",
          targetSignedBase: d._tag === "Defer" ? 0 : d.target,
          takenFromPool: d._tag === "Defer" ? 0 : d.takenFromPool,
          attempts: [],
          createdAtMs: Math.trunc(args.nowMs)
        }
        store.pool = d.newPool
        store.intents.set(args.fillId, encodeIntent(intent))
        return { _tag: "Created", intent } satisfies BeginHedgeResult
      })

    const recordAttempt = (fillId: string, attempt: HedgeAttempt) =>
      Effect.gen(function*() {
        const intent = yield* current("recordAttempt", fillId)
        if (intent.status !== "open") {
          return yield* new BusError({ op: "recordAttempt", message: `hedge intent ${fillId} is ${intent.status}, not open` })
        }
        store.intents.set(fillId, encodeIntent(withAttempt(intent, attempt)))
      })

    const finishHedge = (fillId: string, returnToPool: number) =>
      Effect.gen(function*() {
        const intent = yield* current("finishHedge", fillId)
        if (intent.status !== "open") return
        store.intents.set(fillId, encodeIntent({ ...intent, status: "done" }))
        store.pool += Math.trunc(returnToPool)
      })

    const forgetIntent = (fillId: string) =>
      available("forgetIntent").pipe(Effect.andThen(Effect.sync(() => {
        const json = store.intents.get(fillId)
        if (json !== undefined && !json.includes('"status":"open"')) store.intents.delete(fillId)
      })))

    const getIntent = (fillId: string) =>
      Effect.gen(function*() {
        yield* available("getIntent")
        const json = store.intents.get(fillId)
        return json === undefined ? Option.none<HedgeIntent>() : Option.some(yield* parse("getIntent", fillId, json))
      })

    const openIntents = () =>
      Effect.gen(function*() {
        yield* available("openIntents")
        const out: Array<HedgeIntent> = []
        for (const [fillId, json] of store.intents) {
          const intent = yield* parse("openIntents", fillId, json)
          if (intent.status === "open") out.push(intent)
        }
        return out.sort((a, b) => a.fillSeq - b.fillSeq)
      })

    const heartbeat = (role: "a" | "b", status: Readonly<Record<string, unknown>>, ttlMs: number) =>
      Effect.gen(function*() {
        yield* available("heartbeat")
        const now = yield* Clock.currentTimeMillis
        // Same round trip as the Redis record: JSON in, JSON out.
        const json = JSON.parse(JSON.stringify({ atMs: now, status })) as { atMs: number; status: Record<string, unknown> }
        // Expiry on monotonic time, the store's own (as Redis's PX does not depend on the writer's
        // or the reader's clock): a writer whose wall clock is an hour off expires on time.
        store.heartbeats.set(role, { json, expiresAtMs: (yield* monoNow) + Math.max(1, Math.ceil(ttlMs)) })
      })

    const lastHeartbeat = (role: "a" | "b") =>
      Effect.gen(function*() {
        yield* available("lastHeartbeat")
        const now = yield* monoNow
        const hb = store.heartbeats.get(role)
        if (hb === undefined || hb.expiresAtMs <= now) return Option.none()
        return Option.some(hb.json)
      })

    const units = (n: number) => (market === undefined ? `${n} base units` : `${formatBase(market, n)} ${market.symbol}`)
    function pushAudit(atMs: number, kind: string, text: string) {
      store.audit.push({ atMs, kind, text })
      // Stryker disable next-line ConditionalExpression,EqualityOperator: at or below 1000 entries the splice count is 0 or negative, which removes nothing
      if (store.audit.length > 1000) store.audit.splice(0, store.audit.length - 1000)
    }
    const now = Clock.currentTimeMillis
    const fencesNow = (): PairFences => ({ ...store.fences })

    const service: PairStateShape = {
      beginHedge,
      recordAttempt,
      finishHedge,
      getIntent,
      forgetIntent,
      residualPool: () => available("residualPool").pipe(Effect.andThen(Effect.sync(() => store.pool))),
      openIntents,
      tradingState: () => available("tradingState").pipe(Effect.andThen(Effect.sync(() => store.state?.state ?? "ACTIVE"))),
      tradingStatus: () =>
        available("tradingStatus").pipe(Effect.andThen(Effect.sync(() =>
          store.state === undefined ? { state: "ACTIVE" as const } : { state: store.state.state, reason: store.state.reason, sinceMs: store.state.sinceMs }
        ))),
      setTradingState: (state, reason) =>
        available("setTradingState").pipe(
          Effect.andThen(Clock.currentTimeMillis),
          Effect.map((now) => {
            store.state = { state, reason, sinceMs: now }
          })
        ),
      heartbeat,
      lastHeartbeat,
      nextQuoteSeq: () => available("nextQuoteSeq").pipe(Effect.andThen(Effect.sync(() => ++store.quoteSeq))),
      publishQuote: (quote) => available("publishQuote").pipe(Effect.andThen(Effect.sync(() => void (store.quote = Option.getOrUndefined(quote))))),
      restingQuote: () => available("restingQuote").pipe(Effect.andThen(Effect.sync(() => Option.fromNullishOr(store.quote)))),
      claimQuoteSeq: (gate) =>
        available("claimQuoteSeq").pipe(Effect.andThen(Effect.sync(() => {
          const st = store.state?.state
          if (st !== undefined && st !== "ACTIVE") return { _tag: "Refused" as const, reason: `the pair is ${st}` }
          if (gate.epochId !== undefined) {
            if (store.epoch === undefined) return { _tag: "Refused" as const, reason: "no epoch: the state was lost" }
            if (store.epoch.id !== gate.epochId) return { _tag: "Refused" as const, reason: `epoch ${store.epoch.id}, not ${gate.epochId}` }
            if (store.epoch.adoptedAtMs === undefined) return { _tag: "Refused" as const, reason: `epoch ${store.epoch.id} is waiting for an operator` }
          }
          return { _tag: "Granted" as const, seq: ++store.quoteSeq }
        }))),
      epoch: () => available("epoch").pipe(Effect.andThen(Effect.sync(() => Option.fromNullishOr(store.epoch)))),
      replaceEpoch: (next, expectedId) =>
        available("replaceEpoch").pipe(Effect.andThen(Effect.sync(() => {
          if (store.epoch?.id === expectedId) store.epoch = { ...next }
          return store.epoch!
        }))),
      adoptEpoch: (by) =>
        available("adoptEpoch").pipe(
          Effect.andThen(now),
          Effect.map((atMs) => {
            if (store.epoch === undefined) return Option.none<EpochMarker>()
            if (store.epoch.adoptedAtMs === undefined) {
              store.epoch = { ...store.epoch, adoptedAtMs: atMs, adoptedBy: by }
              pushAudit(atMs, "epoch-adopted", `epoch ${store.epoch.id} adopted by ${by}`)
            }
            return Option.some(store.epoch)
          })
        ),
      sequenceCounters: () =>
        available("sequenceCounters").pipe(Effect.andThen(Effect.sync(() => ({ fillSeq: store.fillSeqSeen, quoteSeq: store.quoteSeq })))),
      raiseSequences: (floors) =>
        available("raiseSequences").pipe(Effect.andThen(Effect.sync(() => {
          if (floors.quoteSeq !== undefined) store.quoteSeq = Math.max(store.quoteSeq, Math.trunc(floors.quoteSeq))
        }))),
      fences: () => available("fences").pipe(Effect.andThen(Effect.sync(fencesNow))),
      fenceLoss: (quoteSeq) =>
        available("fenceLoss").pipe(Effect.andThen(Effect.sync(() => {
          store.fences.lossQuoteSeq = Math.max(store.fences.lossQuoteSeq, Math.trunc(quoteSeq))
        }))),
      fenceFlatten: (id) =>
        available("fenceFlatten").pipe(
          Effect.andThen(now),
          Effect.flatMap((atMs) =>
            Effect.gen(function*() {
              const q = Math.max(store.quoteSeq, store.fences.flattenQuoteSeq)
              const f = Math.max(store.fillSeqSeen, store.fences.flattenFillSeq)
              store.fences = { ...store.fences, flattenQuoteSeq: q, flattenFillSeq: f, flattenId: id, flattenAtMs: atMs }
              const closed: Array<string> = []
              for (const [fillId, json] of store.intents) {
                const intent = yield* parse("fenceFlatten", fillId, json)
                if (intent.status === "open") {
                  store.intents.set(fillId, encodeIntent({ ...intent, status: "done" }))
                  closed.push(fillId)
                }
              }
              const pool = store.pool
              store.pool = 0
              pushAudit(atMs, "flatten-fence", `flatten ${id}: quotes up to ${q} and fills up to seq ${f} settled; residual pool ${units(pool)} cleared; ${closed.length} open hedge intent(s) closed`)
              return { quoteSeqFence: q, fillSeqFence: f, poolCleared: pool, intentsClosed: closed }
            })
          )
        ),
      clearResidualPool: () =>
        available("clearResidualPool").pipe(Effect.andThen(Effect.sync(() => {
          const pool = store.pool
          store.pool = 0
          return pool
        }))),
      audit: (kind, text) => available("audit").pipe(Effect.andThen(now), Effect.map((atMs) => pushAudit(atMs, kind, text))),
      auditLog: (count) => available("auditLog").pipe(Effect.andThen(Effect.sync(() => store.audit.slice(-Math.max(1, count))))),
      requestForceClose: (request) =>
        available("requestForceClose").pipe(Effect.andThen(Effect.sync(() => {
          if (store.forceClose === undefined) store.forceClose = { request }
          return store.forceClose
        }))),
      forceClose: () => available("forceClose").pipe(Effect.andThen(Effect.sync(() => Option.fromUndefinedOr(store.forceClose)))),
      recordForceCloseResult: (id, role, result) =>
        available("recordForceCloseResult").pipe(Effect.andThen(Effect.sync(() => {
          if (store.forceClose?.request.id === id) store.forceClose = { ...store.forceClose, [role]: result }
        }))),
      clearForceClose: () =>
        available("clearForceClose").pipe(Effect.andThen(Effect.sync(() => {
          const was = store.forceClose
          store.forceClose = undefined
          return Option.fromUndefinedOr(was)
        }))),
      reportLoss: (role, report) => available("reportLoss").pipe(Effect.andThen(Effect.sync(() => void (store.lossReports[role] = report)))),
      lossReports: () => available("lossReports").pipe(Effect.andThen(Effect.sync(() => ({ ...store.lossReports }))))
    }

    const inspect: MemoryPairStateInspect = {
      putRawIntent: (fillId, json) => {
        store.intents.set(fillId, json)
      },
      tradingStateRecord: () => (store.state === undefined ? undefined : { ...store.state }),
      loseEverything: () => {
        store = emptyStore()
      },
      setUnavailable: (down) => {
        store.down = down
      }
    }
    return { layer: Layer.succeed(PairState, PairState.of(service)), inspect }
  }

  /** A layer over a fresh store (no test hooks). */
  static readonly layer = (): Layer.Layer<PairState> => Layer.suspend(() => MemoryPairState.make().layer)
}
