// The durable fill -> hedge pipeline between process A and process B.
// Redis Streams implementation: `<prefix>:fills` (consumer group `hedgers`), `<prefix>:hedges`,
// `<prefix>:dead-letter`, with the previous system's Pub/Sub messages published beside them
// (src/bus/legacy-messages.ts; Redis only). In-memory implementation for tests.
import { Context, type Effect, type Option } from "effect"
import type { FillEvent, FillMessage, HedgeResult, ResidualFlush, ResidualFlushMessage } from "../domain/messages.ts"
import type { Side } from "../domain/side.ts"
import type { BusError } from "./errors.ts"

export interface PublishedFill {
  readonly fillSeq: number
  readonly entryId: string
  /** True when this order level had already been published: nothing was appended. */
  readonly duplicate: boolean
  /**
   * Set (with duplicate) when the fill is not to be hedged and nothing was appended: why (a
   * flatten closed its order, it is a closing order, or its order predates a loss of Redis state).
   */
  readonly fenced?: string
}

/**
 * An entry read by a consumer: either a decoded fill (with its raw fields, for the dead letter
 * when B refuses it) or poison (undecodable) content.
 */
export type BusEntry =
  | {
    readonly _tag: "Fill"
    readonly entryId: string
    readonly fill: FillMessage
    readonly deliveries: number
    readonly raw: Readonly<Record<string, string>>
  }
  | {
    readonly _tag: "ResidualFlush"
    readonly entryId: string
    readonly flush: ResidualFlushMessage
    readonly deliveries: number
    readonly raw: Readonly<Record<string, string>>
  }
  | { readonly _tag: "Poison"; readonly entryId: string; readonly raw: Readonly<Record<string, string>>; readonly reason: string }

/**
 * B's record of a fill it completed, by the fill's identity (its `fillId`, which names A's order
 * and the level the fill reached), whatever stream entry carried it. Written by completeFill in
 * the same atomic step as the result and the XACK; only the newest `maxLen` are kept.
 */
export interface HedgedFillRecord {
  readonly fillId: string
  /** The fill's size (filledAfter − filledBefore) and A's side: with the fillId, the whole range. */
  readonly size: number
  readonly side: Side
  readonly fillSeq: number
  /** The stream entry whose result was recorded. */
  readonly entryId: string
}

export interface ReadOptions {
  readonly consumer: string
  readonly count: number
  /** How long a read of new entries may block waiting for one. */
  readonly blockMs: number
}

export interface FillBusShape {
  /**
   * Appends A's fill, atomically with A's per-order published level and the pair's
   * fill sequence number. Idempotent per (orderIndex, filledAfter): a fill whose range is
   * already covered by the order's published level appends nothing (duplicate = true).
   * On Redis, publishes the previous system's messages of the fill with the append (and only
   * then): `hedge:account_a_filled`, `hedge:{a}_to_{b}` (RedisFillBusOptions.legacy).
   */
  readonly publishFill: (fill: FillEvent) => Effect.Effect<PublishedFill, BusError>
  /**
   * Appends B's request to hedge the residual pool, with a fresh sequence number (its identity
   * becomes `residual:<fillSeq>`); no A levels, no mirror. Read back as a ResidualFlush entry.
   */
  readonly publishResidualFlush: (flush: ResidualFlush) => Effect.Effect<PublishedFill, BusError>
  /** Highest filled level published so far for each of A's orders (for A's restart). */
  readonly publishedLevels: () => Effect.Effect<ReadonlyMap<string, number>, BusError>
  /** This consumer's own delivered-but-unacknowledged entries (read these first on start). */
  readonly readOwnPending: (consumer: string, count: number) => Effect.Effect<ReadonlyArray<BusEntry>, BusError>
  /** Take over entries other consumers left unacknowledged for longer than `minIdleMs`. */
  readonly claimStale: (consumer: string, minIdleMs: number, count: number) => Effect.Effect<ReadonlyArray<BusEntry>, BusError>
  /** New entries for this consumer, blocking up to `blockMs`. */
  readonly readNew: (options: ReadOptions) => Effect.Effect<ReadonlyArray<BusEntry>, BusError>
  /**
   * Records B's result and acknowledges the fill, atomically: appends to `<prefix>:hedges`,
   * records the fill's identity as hedged (`<prefix>:hedged`, see hedgedFill), XACKs the entry,
   * on Redis publishes the previous system's message of the result on `hedge:account_b_filled`
   * (not for a deferred one). A no-op when the entry is no longer pending.
   */
  readonly completeFill: (entryId: string, result: HedgeResult) => Effect.Effect<void, BusError>
  /**
   * The record completeFill wrote for this fillId, if it is still kept: the identities of the
   * newest `maxLen` completed fills are (default 100 000, as many as the fills history keeps).
   */
  readonly hedgedFill: (fillId: string) => Effect.Effect<Option.Option<HedgedFillRecord>, BusError>
  /** Acknowledges an entry whose fill was already hedged (a duplicate): nothing is recorded. */
  readonly ackDuplicate: (entryId: string) => Effect.Effect<void, BusError>
  /**
   * Moves an entry B will not hedge (undecodable, not this pair's, implausible) to
   * `<prefix>:dead-letter` with the reason, and acknowledges it.
   */
  readonly deadLetter: (entryId: string, raw: Readonly<Record<string, string>>, reason: string) => Effect.Effect<void, BusError>
  /** Number of fills delivered but not yet acknowledged (for status and quiescence checks). */
  readonly pendingCount: () => Effect.Effect<number, BusError>
  /** Recent hedge results, oldest first (for status, demo summary and tests). */
  readonly hedgeResults: (sinceEntryId?: string) => Effect.Effect<ReadonlyArray<HedgeResult>, BusError>
}

// Stryker disable next-line StringLiteral: equivalent: a service's key only has to differ from every other service's
export class FillBus extends Context.Service<FillBus, FillBusShape>()("hedgeflow/bus/FillBus") {}
