// In-memory PairState with the semantics of the Redis implementation. Intents are kept as the
// same JSON the Redis hash holds and decoded with the same Schema, so a corrupt intent is the
// same typed BusError. Heartbeats expire by Effect's Clock. Like MemoryFillBus, the store lives
// outside the layer, so a rebuilt layer ("restarted" process) sees the same state.
import { poolDecision } from "../../domain/hedge-plan.ts"
import { Clock, Effect, Layer, Option } from "effect"
import type { HedgeAttempt } from "../../domain/messages.ts"
import { decodeIntent, encodeIntent, withAttempt } from "../codec.ts"
import { BusError } from "../errors.ts"
import { type BeginHedgeResult, type HedgeIntent, PairState, type PairStateShape, type RestingQuoteInfo, type TradingState } from "../PairState.ts"

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
  heartbeats: Map<"a" | "b", { readonly json: { readonly atMs: number; readonly status: Readonly<Record<string, unknown>> }; readonly expiresAtMs: number }>
  quoteSeq: number
  quote: RestingQuoteInfo | undefined
  down: boolean
}

const emptyStore = (): Store => ({ intents: new Map(), pool: 0, state: undefined, heartbeats: new Map(), quoteSeq: 0, quote: undefined, down: false })

export class MemoryPairState {
  static readonly make = (): MemoryPairStateHandle => {
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
        store.heartbeats.set(role, { json, expiresAtMs: now + Math.max(1, Math.ceil(ttlMs)) })
      })

    const lastHeartbeat = (role: "a" | "b") =>
      Effect.gen(function*() {
        yield* available("lastHeartbeat")
        const now = yield* Clock.currentTimeMillis
        const hb = store.heartbeats.get(role)
        if (hb === undefined || hb.expiresAtMs <= now) return Option.none()
        return Option.some(hb.json)
      })

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
      restingQuote: () => available("restingQuote").pipe(Effect.andThen(Effect.sync(() => Option.fromNullishOr(store.quote))))
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
