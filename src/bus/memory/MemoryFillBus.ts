// In-memory FillBus with the semantics of the Redis Streams implementation: one consumer
// group, a pending list per consumer with delivery counts and delivery times (Effect's Clock,
// monotonic time: idle times never go backward when a wall clock is stepped, as Redis's own do
// not depend on its clients' clocks; TestClock drives claimStale), duplicates by published order level, dead letter.
// No Pub/Sub: the previous system's messages (src/bus/legacy-messages.ts) exist on Redis only.
// The store lives outside the layer: building the layer again (a "restarted" process) sees the
// same data, like a new connection to the same Redis.
import { Clock, Effect, Layer, Option } from "effect"
import type { MarketSpec } from "../../domain/market.ts"
import { type FillEvent, FillEvent as FillEventClass, type HedgeResult, RESIDUAL_FILL_PREFIX, type ResidualFlush } from "../../domain/messages.ts"
import {
  compareEntryIds,
  decodeEntry,
  decodeHedgeResult,
  encodeHedgeResult,
  fillEventToFields,
  hedgedRecordValue,
  parseHedgedRecord,
  residualFlushToFields
} from "../codec.ts"
import { BusError } from "../errors.ts"
import { monoNow } from "./mono.ts"
import { type BusEntry, FillBus, type FillBusShape, type PublishedFill, type ReadOptions } from "../FillBus.ts"

export interface MemoryFillBusOptions {
  /** Accepted as RedisFillBus takes it; unused (no legacy messages in memory). */
  readonly market?: MarketSpec
  /** How many hedged fill identities are kept (as RedisFillBus's maxLen). Default 100 000. */
  readonly maxHedged?: number
}

export interface PendingInfo {
  readonly entryId: string
  readonly consumer: string
  readonly deliveries: number
  /** Monotonic ms (Effect's Clock): only differences mean something. */
  readonly deliveredAtMs: number
}

export interface DeadLetterRecord {
  readonly entryId: string
  readonly reason: string
  readonly raw: Readonly<Record<string, string>>
}

/** Test hooks of a MemoryFillBus store (all synchronous). */
export interface MemoryFillBusInspect {
  /** Appends an arbitrary field map to the fills stream, as `XADD` would; returns its id. */
  readonly injectRaw: (fields: Readonly<Record<string, string>>) => string
  /** Deletes an entry's content from the stream (as XDEL / trimming would). */
  readonly deleteEntry: (entryId: string) => void
  readonly pending: () => ReadonlyArray<PendingInfo>
  readonly deadLetters: () => ReadonlyArray<DeadLetterRecord>
  readonly streamLength: () => number
  /** Forgets everything, like a Redis restart without persistence (the group is re-created on use). */
  readonly loseEverything: () => void
  /** When set, every operation fails with a BusError (Redis unreachable). */
  readonly setUnavailable: (down: boolean) => void
}

interface StoredEntry {
  readonly id: string
  fields: Record<string, string> | undefined
}

interface PelEntry {
  consumer: string
  deliveries: number
  deliveredAtMs: number
}

interface Store {
  nextId: number
  entries: Array<StoredEntry>
  /** Index in `entries` of the first entry not yet delivered to the group. */
  cursor: number
  pel: Map<string, PelEntry>
  levels: Map<string, number>
  last: Map<string, { readonly seq: number; readonly id: string }>
  seq: number
  hedges: Array<{ readonly id: string; readonly json: string }>
  /** fillId → hedgedRecordValue, oldest first (Map order), at most maxHedged. */
  hedged: Map<string, string>
  dead: Array<DeadLetterRecord>
  waiters: Set<() => void>
  down: boolean
}

const emptyStore = (): Store => ({
  nextId: 1,
  // Stryker disable next-line ArrayDeclaration: an element that is not a stored entry has no id and no fields, so every reader skips it as it skips a deleted entry
  entries: [],
  cursor: 0,
  pel: new Map(),
  levels: new Map(),
  last: new Map(),
  seq: 0,
  hedges: [],
  hedged: new Map(),
  dead: [],
  waiters: new Set(),
  down: false
})

export interface MemoryFillBusHandle {
  readonly layer: Layer.Layer<FillBus>
  readonly inspect: MemoryFillBusInspect
}

export class MemoryFillBus {
  /** A fresh store, with the layer over it and its test hooks. */
  static readonly make = (options: MemoryFillBusOptions = {}): MemoryFillBusHandle => {
    let store = emptyStore()
    const maxHedged = options.maxHedged ?? 100_000
    const newId = () => `${store.nextId++}-0`
    const wake = () => {
      for (const w of [...store.waiters]) w()
    }
    const append = (fields: Record<string, string>) => {
      const id = newId()
      store.entries.push({ id, fields })
      wake()
      return id
    }
    const available = (op: string) =>
      store.down ? Effect.fail(new BusError({ op, message: `${op} on memory bus: unavailable (simulated)` })) : Effect.void
    const byId = (id: string) => store.entries.find((e) => e.id === id)

    const publishResidualFlush = (flush: ResidualFlush): Effect.Effect<PublishedFill, BusError> =>
      available("publishResidualFlush").pipe(
        Effect.andThen(Clock.currentTimeMillis),
        Effect.map((nowMs) => {
          if (store.seq === 0) store.seq = Math.floor(nowMs / 250)
          const seq = ++store.seq
          const id = append({ ...residualFlushToFields(flush), fillId: `${RESIDUAL_FILL_PREFIX}${seq}`, fillSeq: String(seq) })
          return { duplicate: false, fillSeq: seq, entryId: id }
        })
      )

    const publishFill = (fill: FillEvent): Effect.Effect<PublishedFill, BusError> =>
      available("publishFill").pipe(
        Effect.andThen(Clock.currentTimeMillis),
        Effect.map((nowMs) => {
          {
            const level = store.levels.get(fill.orderIndex) ?? 0
            if (level >= fill.filledAfter) {
              const last = store.last.get(fill.orderIndex)
              // Stryker disable next-line OptionalChaining,StringLiteral: unreachable fallbacks (kept as the Redis script's {1, '0', ''}): an order's level and last entry are set together and filledAfter > 0, so last is defined whenever level >= filledAfter
              return { duplicate: true, fillSeq: last?.seq ?? 0, entryId: last?.id ?? "" }
            }
            const event = level > fill.filledBefore
              ? new FillEventClass({ ...fill, filledBefore: level, size: fill.filledAfter - level })
              : fill
            // As on Redis: the sequence starts from the clock (4 per second) so it never repeats after data loss.
            if (store.seq === 0) store.seq = Math.floor(nowMs / 250)
            const seq = ++store.seq
            const id = append({ ...fillEventToFields(event), fillSeq: String(seq) })
            store.levels.set(fill.orderIndex, fill.filledAfter)
            store.last.set(fill.orderIndex, { seq, id })
            return { duplicate: false, fillSeq: seq, entryId: id }
          }
        })
      )

    const publishedLevels = () =>
      available("publishedLevels").pipe(Effect.andThen(Effect.sync(() => new Map(store.levels) as ReadonlyMap<string, number>)))

    const deliver = (e: StoredEntry, deliveries: number): BusEntry => decodeEntry(e.id, e.fields, deliveries)

    const readOwnPending = (consumer: string, count: number) =>
      available("readOwnPending").pipe(
        Effect.andThen(monoNow),
        Effect.map((now) => {
          // In id order: the pending map is filled only by takeNew, in stream order.
          const mine = [...store.pel.entries()]
            .filter(([, p]) => p.consumer === consumer)
            .slice(0, count)
          return mine.map(([id, p]) => {
            p.deliveries++
            p.deliveredAtMs = now
            // Stryker disable next-line OptionalChaining: every pending id names a stored entry (entries are never removed, only emptied)
            return decodeEntry(id, byId(id)?.fields, p.deliveries)
          })
        })
      )

    const claimStale = (consumer: string, minIdleMs: number, count: number) =>
      available("claimStale").pipe(
        Effect.andThen(monoNow),
        Effect.map((now) => {
          const out: Array<BusEntry> = []
          const deleted: Array<BusEntry> = []
          // In id order: the pending map is filled only by takeNew, in stream order.
          for (const [id, p] of [...store.pel.entries()]) {
            if (out.length >= count) break
            if (now - p.deliveredAtMs < minIdleMs) continue
            const e = byId(id)
            // Stryker disable next-line OptionalChaining: every pending id names a stored entry (entries are never removed, only emptied)
            if (e?.fields === undefined) {
              // Redis drops deleted entries from the pending list and reports them.
              store.pel.delete(id)
              deleted.push(decodeEntry(id, undefined, 1))
              continue
            }
            p.consumer = consumer
            p.deliveries++
            p.deliveredAtMs = now
            out.push(deliver(e, p.deliveries))
          }
          return [...out, ...deleted]
        })
      )

    const takeNew = (consumer: string, count: number, now: number): Array<BusEntry> => {
      const out: Array<BusEntry> = []
      while (store.cursor < store.entries.length && out.length < count) {
        const e = store.entries[store.cursor++]!
        if (e.fields === undefined) continue
        store.pel.set(e.id, { consumer, deliveries: 1, deliveredAtMs: now })
        out.push(deliver(e, 1))
      }
      return out
    }

    const waitForEntries = (blockMs: number) =>
      Effect.race(
        Effect.callback<void>((resume) => {
          const w = () => resume(Effect.void)
          store.waiters.add(w)
          // Stryker disable next-line ArrowFunction: memory-only cleanup: a waiter left behind only resumes a wait that already ended, which is ignored
          return Effect.sync(() => store.waiters.delete(w))
        }),
        Effect.sleep(blockMs)
      )

    const readNew = (o: ReadOptions): Effect.Effect<ReadonlyArray<BusEntry>, BusError> =>
      Effect.gen(function*() {
        yield* available("readNew")
        const first = takeNew(o.consumer, o.count, yield* monoNow)
        if (first.length > 0 || o.blockMs <= 0) return first
        yield* waitForEntries(o.blockMs)
        yield* available("readNew")
        return takeNew(o.consumer, o.count, yield* monoNow)
      })

    const completeFill = (entryId: string, result: HedgeResult) =>
      available("completeFill").pipe(
        Effect.andThen(
          Effect.sync(() => {
            if (!store.pel.has(entryId)) return
            store.hedges.push({ id: newId(), json: encodeHedgeResult(result) })
            store.hedged.delete(result.fillId)
            store.hedged.set(result.fillId, hedgedRecordValue(entryId, result))
            while (store.hedged.size > maxHedged) store.hedged.delete(store.hedged.keys().next().value!)
            store.pel.delete(entryId)
          })
        )
      )

    const hedgedFill = (fillId: string) =>
      available("hedgedFill").pipe(
        Effect.andThen(Effect.sync(() => {
          const v = store.hedged.get(fillId)
          const r = v === undefined ? undefined : parseHedgedRecord(fillId, v)
          return Option.fromUndefinedOr(r)
        }))
      )

    const ackDuplicate = (entryId: string) =>
      available("ackDuplicate").pipe(Effect.andThen(Effect.sync(() => void store.pel.delete(entryId))))

    const deadLetter = (entryId: string, raw: Readonly<Record<string, string>>, reason: string) =>
      available("deadLetter").pipe(
        Effect.andThen(
          Effect.sync(() => {
            const pending = store.pel.has(entryId)
            if (!pending && byId(entryId)?.fields !== undefined) return
            store.dead.push({ entryId, reason, raw: { ...raw } })
            store.pel.delete(entryId)
          })
        )
      )

    const pendingCount = () => available("pendingCount").pipe(Effect.andThen(Effect.sync(() => store.pel.size)))

    const hedgeResults = (sinceEntryId?: string) =>
      available("hedgeResults").pipe(
        Effect.andThen(
          Effect.forEach(
            store.hedges.filter((h) => sinceEntryId === undefined || compareEntryIds(h.id, sinceEntryId) > 0),
            (h) => {
              const r = decodeHedgeResult(h.json)
              // Stryker disable next-line ConditionalExpression: unreachable failure: store.hedges holds only encodeHedgeResult output of a HedgeResult (encoding checks it), which always decodes
              if (r._tag === "Success") return Effect.succeed(r.success)
              // Stryker disable next-line ObjectLiteral,StringLiteral: unreachable failure: store.hedges holds only encodeHedgeResult output of a HedgeResult (encoding checks it), which always decodes
              return Effect.fail(new BusError({ op: "hedgeResults", message: `corrupt hedge entry ${h.id}: ${r.failure.message}` }))
            }
          )
        )
      )

    const service: FillBusShape = {
      publishFill,
      publishResidualFlush,
      publishedLevels,
      readOwnPending,
      claimStale,
      readNew,
      completeFill,
      hedgedFill,
      ackDuplicate,
      deadLetter,
      pendingCount,
      hedgeResults
    }

    const inspect: MemoryFillBusInspect = {
      injectRaw: (fields) => append({ ...fields }),
      deleteEntry: (entryId) => {
        const e = byId(entryId)
        if (e !== undefined) e.fields = undefined
      },
      pending: () =>
        // In id order: the pending map is filled only by takeNew, in stream order.
        [...store.pel.entries()]
          .map(([entryId, p]) => ({ entryId, consumer: p.consumer, deliveries: p.deliveries, deliveredAtMs: p.deliveredAtMs })),
      deadLetters: () => [...store.dead],
      streamLength: () => store.entries.filter((e) => e.fields !== undefined).length,
      loseEverything: () => {
        const waiters = store.waiters
        store = emptyStore()
        store.waiters = waiters
      },
      setUnavailable: (down) => {
        store.down = down
      }
    }

    return { layer: Layer.succeed(FillBus, FillBus.of(service)), inspect }
  }

  /** A layer over a fresh store (no test hooks). */
  static readonly layer = (options: MemoryFillBusOptions = {}): Layer.Layer<FillBus> =>
    Layer.suspend(() => MemoryFillBus.make(options).layer)
}
