// The durable fill -> hedge pipeline between process A and process B.
// Redis Streams implementation: `<prefix>:fills` (consumer group `hedgers`), `<prefix>:hedges`,
// `<prefix>:dead-letter`, with the legacy Pub/Sub channels mirrored. In-memory implementation for tests.
import { Context, type Effect } from "effect"
import type { FillEvent, FillMessage, HedgeResult } from "../domain/messages.ts"
import type { BusError } from "./errors.ts"

export interface PublishedFill {
  readonly fillSeq: number
  readonly entryId: string
  /** True when this order level had already been published: nothing was appended. */
  readonly duplicate: boolean
}

/** An entry read by a consumer: either a decoded fill or poison (undecodable) content. */
export type BusEntry =
  | { readonly _tag: "Fill"; readonly entryId: string; readonly fill: FillMessage; readonly deliveries: number }
  | { readonly _tag: "Poison"; readonly entryId: string; readonly raw: Readonly<Record<string, string>>; readonly reason: string }

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
   * Also mirrors the legacy message on `hedge:account_a_filled`.
   */
  readonly publishFill: (fill: FillEvent) => Effect.Effect<PublishedFill, BusError>
  /**
   * Appends B's request to hedge the residual pool (see isResidualFlush): a FillEvent whose
   * fillId is replaced by `residual:<fillSeq>`, with a fresh sequence number; no A levels, no mirror.
   */
  readonly publishResidualFlush: (event: FillEvent) => Effect.Effect<PublishedFill, BusError>
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
   * XACKs the entry, mirrors the legacy message on `hedge:account_b_filled`.
   */
  readonly completeFill: (entryId: string, result: HedgeResult) => Effect.Effect<void, BusError>
  /** Moves an undecodable entry to `<prefix>:dead-letter` with the reason, and acknowledges it. */
  readonly deadLetter: (entryId: string, raw: Readonly<Record<string, string>>, reason: string) => Effect.Effect<void, BusError>
  /** Number of fills delivered but not yet acknowledged (for status and quiescence checks). */
  readonly pendingCount: () => Effect.Effect<number, BusError>
  /** Recent hedge results, oldest first (for status, demo summary and tests). */
  readonly hedgeResults: (sinceEntryId?: string) => Effect.Effect<ReadonlyArray<HedgeResult>, BusError>
}

export class FillBus extends Context.Service<FillBus, FillBusShape>()("hedgeflow/bus/FillBus") {}
