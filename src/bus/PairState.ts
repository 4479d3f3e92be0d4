// Small durable state of one pair, shared by A and B: hedge intents, the residual pool,
// trading state, heartbeats. Redis implementation (Lua scripts for atomicity) and in-memory.
import { Context, type Effect, type Option } from "effect"
import type { HedgeAttempt } from "../domain/messages.ts"
import type { BusError } from "./errors.ts"

export type TradingState = "ACTIVE" | "REDUCING" | "HALTED"

// B's record of a hedge lives in the domain (one Schema, its type derived); the bus stores it.
export type { HedgeIntent } from "../domain/intent.ts"
import type { AuditEntry, EpochMarker, ForceCloseRequest, ForceCloseResult, LossReport, RestingQuote } from "../domain/pair-records.ts"
export type { AuditEntry, EpochMarker, ForceCloseRequest, ForceCloseResult, LossReport }
/** A's quote as published for B (src/domain/pair-records.ts). */
export type RestingQuoteInfo = RestingQuote
import type { HedgeIntent } from "../domain/intent.ts"

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
  /**
   * The next quote sequence number, granted only while the pair is ACTIVE and (when `epochId` is
   * given) Redis still holds that epoch: a quote is never placed on state Redis has lost, nor
   * after a halt that raced with the maker's own check.
   */
  readonly claimQuoteSeq: (gate: { readonly epochId?: string | undefined }) => Effect.Effect<QuoteSeqClaim, BusError>

  // ---- epoch, fences and audit (flatten, lost Redis state) ----------------------------------
  readonly epoch: () => Effect.Effect<Option.Option<EpochMarker>, BusError>
  /**
   * Writes `next` when the stored epoch's id is `expectedId` (undefined: when none is stored).
   * Returns the epoch stored afterwards (another one when someone else replaced it first).
   */
  readonly replaceEpoch: (next: EpochMarker, expectedId: string | undefined) => Effect.Effect<EpochMarker, BusError>
  /** Marks the stored epoch adopted (kept when it already is). None when Redis has no epoch. */
  readonly adoptEpoch: (by: string) => Effect.Effect<Option.Option<EpochMarker>, BusError>
  /** The fill and quote sequence counters (undefined: missing). */
  readonly sequenceCounters: () => Effect.Effect<{ readonly fillSeq?: number | undefined; readonly quoteSeq?: number | undefined }, BusError>
  /** Raises the counters to at least these values; never lowers them. */
  readonly raiseSequences: (floors: { readonly fillSeq?: number | undefined; readonly quoteSeq?: number | undefined }) => Effect.Effect<void, BusError>
  readonly fences: () => Effect.Effect<PairFences, BusError>
  /**
   * After a loss of Redis state: fences A's quotes 1 … `quoteSeq`, and records `levels` (order →
   * filled amount now, never lowered) for those of A's orders that may still fill.
   */
  readonly fenceLoss: (quoteSeq: number, levels: ReadonlyMap<string, number>) => Effect.Effect<void, BusError>
  /**
   * A flatten's fence, atomically: fences A's quotes and the fills published so far (their
   * current counters), closes the hedge intents still open, clears the residual pool, and
   * writes an audit entry.
   */
  readonly fenceFlatten: (id: string) => Effect.Effect<FlattenFence, BusError>
  /** Clears the residual pool; returns what it held. */
  readonly clearResidualPool: () => Effect.Effect<number, BusError>
  readonly audit: (kind: string, text: string) => Effect.Effect<void, BusError>
  /** The newest `count` audit entries, oldest first. */
  readonly auditLog: (count: number) => Effect.Effect<ReadonlyArray<AuditEntry>, BusError>
  // ---- force close (strategy.force_close_timeout: A and B mismatched too long) -------------
  /**
   * Asks A and B to close their own positions (no process holds both keys). Written once: while a
   * request is stored, another is refused and the stored one returned. Cleared by `bin/hedge resume`.
   */
  readonly requestForceClose: (request: ForceCloseRequest) => Effect.Effect<ForceCloseState, BusError>
  readonly forceClose: () => Effect.Effect<Option.Option<ForceCloseState>, BusError>
  /** Records what A or B did for request `id` (ignored when another request, or none, is stored). */
  readonly recordForceCloseResult: (id: string, role: "a" | "b", result: ForceCloseResult) => Effect.Effect<void, BusError>
  /** Removes the request and its results; returns what was stored. */
  readonly clearForceClose: () => Effect.Effect<Option.Option<ForceCloseState>, BusError>
  readonly reportLoss: (role: "a" | "b", report: LossReport) => Effect.Effect<void, BusError>
  readonly lossReports: () => Effect.Effect<{ readonly a?: LossReport | undefined; readonly b?: LossReport | undefined }, BusError>
}


/** Fences that keep what happened before a flatten, or before a loss of Redis state, from being traded again. */
export interface PairFences {
  /** A's quotes with a client index 1 … this were closed by a flatten: their fills are never published. 0: none. */
  readonly flattenQuoteSeq: number
  /** Fills with a sequence number up to this were settled by a flatten: they are never hedged. 0: none. */
  readonly flattenFillSeq: number
  readonly flattenId?: string
  readonly flattenAtMs?: number
  /**
   * A's quotes with a client index 1 … this were placed before Redis lost its state: their fills
   * are published only above a level recorded after the loss (none recorded: not published). 0: none.
   */
  readonly lossQuoteSeq: number
}

/** What a flatten's fence did, atomically. */
export interface FlattenFence {
  readonly quoteSeqFence: number
  readonly fillSeqFence: number
  /** Signed residual pool that was cleared (base units). */
  readonly poolCleared: number
  /** Fill ids of the hedge intents that were still open: closed, nothing more is sent for them. */
  readonly intentsClosed: ReadonlyArray<string>
}




export interface ForceCloseState {
  readonly request: ForceCloseRequest
  readonly a?: ForceCloseResult | undefined
  readonly b?: ForceCloseResult | undefined
}


export type QuoteSeqClaim = { readonly _tag: "Granted"; readonly seq: number } | { readonly _tag: "Refused"; readonly reason: string }


// Stryker disable next-line StringLiteral: equivalent: a service's key only has to differ from every other service's
export class PairState extends Context.Service<PairState, PairStateShape>()("hedgeflow/bus/PairState") {}
