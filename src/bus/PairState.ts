// Small durable state of one pair, shared by A and B: hedge intents, the residual pool,
// trading state, heartbeats. Redis implementation (Lua scripts for atomicity) and in-memory.
import { Context, type Effect, type Option } from "effect"
import type { HedgeAttempt } from "../domain/messages.ts"
import type { BusError } from "./errors.ts"

export type TradingState = "ACTIVE" | "REDUCING" | "HALTED"

/**
 * B's record of a hedge, written before any order is sent. A redelivered fill whose intent
 * exists is resumed from here (resolving sent attempts against the venue), never re-planned.
 */
export interface HedgeIntent {
  readonly fillId: string
  readonly fillSeq: number
  /** "deferred": pooled, nothing to send. "open": attempts in progress. "done": result recorded. */
  readonly status: "deferred" | "open" | "done"
  /** Signed quantity to trade (negative = sell), including the residual taken from the pool. */
  readonly targetSignedBase: number
  /** Residual taken from the pool into this intent (signed). */
  readonly takenFromPool: number
  readonly attempts: ReadonlyArray<HedgeAttempt>
  readonly createdAtMs: number
}

export type BeginHedgeResult =
  | { readonly _tag: "Existing"; readonly intent: HedgeIntent }
  | { readonly _tag: "Created"; readonly intent: HedgeIntent }

export interface PairStateShape {
  /**
   * Atomically: when an intent for `fillId` exists, returns it unchanged. Otherwise adds
   * `signedDelta` to the residual pool; when |pool| < `minBase` the intent is "deferred"
   * and the pool keeps the sum; else the whole pool moves into a new "open" intent and the
   * pool becomes 0.
   */
  readonly beginHedge: (args: {
    readonly fillId: string
    readonly fillSeq: number
    readonly signedDelta: number
    readonly minBase: number
    readonly nowMs: number
  }) => Effect.Effect<BeginHedgeResult, BusError>
  /** Appends or replaces (same attempt number) an attempt on an open intent. Written before the order is sent. */
  readonly recordAttempt: (fillId: string, attempt: HedgeAttempt) => Effect.Effect<void, BusError>
  /** Atomically marks the intent done and adds `returnToPool` (signed, unhedged remainder) to the pool. */
  readonly finishHedge: (fillId: string, returnToPool: number) => Effect.Effect<void, BusError>
  readonly getIntent: (fillId: string) => Effect.Effect<Option.Option<HedgeIntent>, BusError>
  /**
   * Deletes a finished intent once its fill is acknowledged (after completeFill, never before:
   * until then a redelivered fill needs it to avoid hedging twice). Keeps the hash from growing
   * without bound on a pair that runs for months. Open intents are never deleted.
   */
  readonly forgetIntent: (fillId: string) => Effect.Effect<void, BusError>
  /** Signed quantity pooled below the venue minimum, not yet hedged. */
  readonly residualPool: () => Effect.Effect<number, BusError>
  /** Intents still "open" (in flight or unresolved). */
  readonly openIntents: () => Effect.Effect<ReadonlyArray<HedgeIntent>, BusError>
  readonly tradingState: () => Effect.Effect<TradingState, BusError>
  /** The trading state with why and since when (for status; ACTIVE with no reason when never set). */
  readonly tradingStatus: () => Effect.Effect<{ readonly state: TradingState; readonly reason?: string; readonly sinceMs?: number }, BusError>
  readonly setTradingState: (state: TradingState, reason: string) => Effect.Effect<void, BusError>
  /** Liveness of a process ("a" | "b"), with a small JSON status, expiring after `ttlMs`. */
  readonly heartbeat: (role: "a" | "b", status: Readonly<Record<string, unknown>>, ttlMs: number) => Effect.Effect<void, BusError>
  readonly lastHeartbeat: (role: "a" | "b") => Effect.Effect<Option.Option<{ readonly atMs: number; readonly status: Readonly<Record<string, unknown>> }>, BusError>
  /** Next client order index sequence for A's quotes (monotonic, survives restarts). */
  readonly nextQuoteSeq: () => Effect.Effect<number, BusError>
  /**
   * A's quote that may be resting on the venue (set before it is sent, cleared once it is gone),
   * so that B never prices a hedge through it (I5, no self-trade). None when A has no quote.
   */
  readonly publishQuote: (quote: Option.Option<RestingQuoteInfo>) => Effect.Effect<void, BusError>
  readonly restingQuote: () => Effect.Effect<Option.Option<RestingQuoteInfo>, BusError>
}

export interface RestingQuoteInfo {
  readonly side: "buy" | "sell"
  readonly price: number
  readonly clientOrderIndex: number
  /** The quote's size (base units): a fill reaching it means the quote no longer rests. */
  readonly base?: number
}

export class PairState extends Context.Service<PairState, PairStateShape>()("hedgeflow/bus/PairState") {}
