// bin/hedge flatten: the pair ends flat, and stays so until `bin/hedge resume`.
//   1. HALTED first: A pulls its quote and places nothing new (a quote sequence number is granted
//      only while the pair is ACTIVE).
//   2. Settle the fills in flight: wait (bounded, with progress lines) until no fill is pending,
//      no hedge is open and A has no quote — B hedges what A already published.
//   3. Fence, in one Redis script: A's quotes up to the quote counter and the fills up to the fill
//      counter are settled by the flatten (A never publishes those quotes' fills again, even after
//      a restart that catches up from a venue snapshot; B never hedges those fills), the hedge
//      intents still open are closed (B sends nothing more for them), and the residual pool is
//      cleared — recorded in the pair's audit log.
//   4. Close A, then B: cancel their orders, then reduce-only market orders with client indexes
//      reserved for closing orders (src/domain/closing.ts): A's are never published as fills.
//   5. Check both positions again a moment later; clear the pool again should anything have come
//      back to it; adopt a Redis epoch that waited for an operator (lost state: flat is a state
//      nothing from before can disturb); record the result in the audit log and print it.
// With legacy.previous_channels, the previous system's close_all goes out as the closing starts
// (between 3 and 4) and both accounts' final positions go into its positions hash (LegacyMirror.ts).
import { Effect, Layer, Option } from "effect"
import { closingClientIndexA, closingClientIndexB } from "../domain/closing.ts"
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { PairState } from "../bus/PairState.ts"
import { announceCloseAll, recordLegacyPositions } from "../bus/redis/LegacyMirror.ts"
import type { AccountStream } from "../venue/AccountStream.ts"
import { closePosition, positionNow } from "../safety/close-position.ts"
import type { Venue } from "../venue/Venue.ts"
import { pendingFills } from "../bus/pending-fills.ts"

export interface FlattenOptions {
  readonly prefix: string
  readonly market: MarketSpec
  /** How long to wait for fills in flight to be hedged before fencing them. */
  readonly settleTimeoutMs: number
  /** B's client index tag (hedge.client_index_tag), for B's closing orders. */
  readonly bClientIndexTag: number
  readonly venueA: Layer.Layer<Venue | AccountStream, unknown>
  readonly venueB: Layer.Layer<Venue | AccountStream, unknown>
  /** A's and B's account indexes, for the previous system's positions hash (none: not written). */
  readonly accountIndexes?: { readonly a: number; readonly b: number }
  readonly print: (line: string) => Effect.Effect<void>
}

export interface FlattenReport {
  readonly id: string
  readonly flat: boolean
  readonly positionA: number
  readonly positionB: number
  readonly poolCleared: number
  readonly intentsClosed: ReadonlyArray<string>
  readonly quoteSeqFence: number
  readonly fillSeqFence: number
  readonly pendingSettled: number
  readonly epochAdopted?: string
}


export const runFlatten = (o: FlattenOptions) =>
  Effect.gen(function*() {
    const state = yield* PairState
    const startedAtMs = Date.now()
    const id = `F${startedAtMs.toString(36)}`

    // 1. Halt.
    yield* state.setTradingState("HALTED", `flatten ${id} by operator`)
    yield* o.print(`flatten ${id}: pair HALTED — A pulls its quote and places nothing new.`)

    // 2. Settle what is in flight.
    const deadline = Date.now() + o.settleTimeoutMs
    let lastLine = ""
    let pending = 0
    for (;;) {
      pending = yield* pendingFills(o.prefix)
      const open = (yield* state.openIntents()).length
      const hbA = yield* state.lastHeartbeat("a")
      const hbB = yield* state.lastHeartbeat("b")
      // A heartbeat key exists only while its writer renews it (PX = 3 beats, on Redis's clock), so
      // its presence is the freshness test: comparing its atMs with this host's clock would mislead
      // when the operator's machine and A's or B's disagree.
      const aUp = Option.isSome(hbA) && hbA.value.status["awaitingOperator"] !== true
      const bUp = Option.isSome(hbB) && hbB.value.status["awaitingOperator"] !== true
      const aQuote = aUp && Option.isSome(yield* state.restingQuote())
      const waitingOn: Array<string> = []
      if (bUp && pending > 0) waitingOn.push(`${pending} pending fill(s)`)
      if (bUp && open > 0) waitingOn.push(`${open} open hedge(s)`)
      if (aQuote) waitingOn.push("A's quote")
      if (waitingOn.length === 0) {
        const left = [pending > 0 ? `${pending} pending fill(s)` : "", open > 0 ? `${open} open hedge(s)` : ""].filter((s) => s !== "")
        yield* o.print(
          left.length === 0
            ? "settled: no fill pending, no hedge open, no quote of A."
            : `B is not running: ${left.join(" and ")} will be settled by the flatten instead of hedged.`
        )
        break
      }
      if (Date.now() >= deadline) {
        yield* o.print(`still waiting on ${waitingOn.join(", ")} after ${Math.round(o.settleTimeoutMs / 1000)} s: the flatten settles them.`)
        break
      }
      const line = `settling: waiting on ${waitingOn.join(", ")}…`
      if (line !== lastLine) yield* o.print(line)
      lastLine = line
      yield* Effect.sleep("200 millis")
    }

    // 3. Fence.
    const fence = yield* state.fenceFlatten(id)
    yield* o.print(
      `fenced: A's quotes up to ${fence.quoteSeqFence} and fills up to sequence ${fence.fillSeqFence} are settled by this flatten ` +
        `(never published or hedged again); residual pool ${formatBase(o.market, fence.poolCleared)} ${o.market.symbol} cleared; ` +
        `${fence.intentsClosed.length} open hedge intent(s) closed${fence.intentsClosed.length > 0 ? ` (${fence.intentsClosed.join(", ")})` : ""}.`
    )

    yield* announceCloseAll(o.print)

    // 4. Close both accounts.
    const closeA = closePosition({ name: "A", market: o.market, print: o.print, clientIndex: (n) => closingClientIndexA(startedAtMs, n) }).pipe(Effect.provide(o.venueA))
    const closeB = closePosition({ name: "B", market: o.market, print: o.print, clientIndex: (n) => closingClientIndexB(o.bClientIndexTag, startedAtMs, n) }).pipe(
      Effect.provide(o.venueB)
    )
    let posA = yield* closeA
    let posB = yield* closeB
    // 5. A moment later (a hedge sent just before the fence lands late): again, up to twice.
    for (let round = 0; round < 2; round++) {
      yield* Effect.sleep("1 second")
      posA = yield* positionNow(o.market.marketId).pipe(Effect.provide(o.venueA))
      posB = yield* positionNow(o.market.marketId).pipe(Effect.provide(o.venueB))
      if (posA === 0 && posB === 0) break
      yield* o.print(`positions moved after closing (A ${formatBase(o.market, posA)}, B ${formatBase(o.market, posB)}): closing again`)
      if (posA !== 0) posA = yield* closeA
      if (posB !== 0) posB = yield* closeB
    }
    const lateFromPool = yield* state.clearResidualPool()
    const poolCleared = fence.poolCleared + lateFromPool
    if (lateFromPool !== 0) yield* o.print(`residual pool ${formatBase(o.market, lateFromPool)} ${o.market.symbol} came back after the fence: cleared too.`)

    const epoch = yield* state.epoch()
    let epochAdopted: string | undefined
    if (Option.isSome(epoch) && epoch.value.adoptedAtMs === undefined) {
      yield* state.adoptEpoch(`bin/hedge flatten ${id}`)
      epochAdopted = epoch.value.id
      yield* o.print(`epoch ${epoch.value.id} (made after Redis lost its state) adopted: A and B start again, HALTED.`)
    }

    const flat = posA === 0 && posB === 0
    if (o.accountIndexes !== undefined) {
      yield* recordLegacyPositions([
        { role: "a", accountIndex: o.accountIndexes.a, signedBase: posA },
        { role: "b", accountIndex: o.accountIndexes.b, signedBase: posB }
      ], o.print)
    }
    const summary = `flatten ${id}: ${flat ? "both accounts flat" : `NOT flat: A ${formatBase(o.market, posA)}, B ${formatBase(o.market, posB)} ${o.market.symbol}`}; residual pool ${formatBase(o.market, poolCleared)} ${o.market.symbol} cleared; ` +
      `${fence.intentsClosed.length} open hedge intent(s) closed; fills up to sequence ${fence.fillSeqFence} and A's quotes up to ${fence.quoteSeqFence} settled` +
      (pending > 0 ? ` (${pending} fill(s) were still pending)` : "") + `; pair HALTED until bin/hedge resume`
    yield* state.audit(flat ? "flatten-done" : "flatten-incomplete", summary)
    return {
      id,
      flat,
      positionA: posA,
      positionB: posB,
      poolCleared,
      intentsClosed: fence.intentsClosed,
      quoteSeqFence: fence.quoteSeqFence,
      fillSeqFence: fence.fillSeqFence,
      pendingSettled: pending,
      ...(epochAdopted !== undefined ? { epochAdopted } : {})
    } satisfies FlattenReport
  })
