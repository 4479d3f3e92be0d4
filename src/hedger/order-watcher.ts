// Follows B's account stream and answers "what became of the order with client index X?".
// The hedger sends an IOC and waits here for its terminal state; when the stream is silent
// (dropped, slow) the caller falls back to asking the venue.
import { Deferred, Effect, Option, Stream } from "effect"
import { type AccountEvent, isOrderTerminal, type OrderUpdate } from "../domain/events.ts"

export interface OrderWatcher {
  /**
   * Waits up to `timeoutMs` for the order with this client index to reach a terminal state;
   * with `accept`, only for an order it accepts (another order that has the index — an older one
   * of another intent — is not this one's outcome).
   */
  readonly awaitTerminal: (
    clientOrderIndex: number,
    timeoutMs: number,
    accept?: (u: OrderUpdate) => boolean
  ) => Effect.Effect<Option.Option<OrderUpdate>>
  readonly latest: (clientOrderIndex: number) => OrderUpdate | undefined
  /** Signed position per market as last reported by the stream. */
  readonly position: (marketId: number) => number | undefined
  readonly connected: () => boolean
}

const MAX_REMEMBERED = 10_000

/** Starts consuming `events` in a scoped fiber and returns the watcher. */
export const makeOrderWatcher = (
  events: Stream.Stream<AccountEvent>,
  onEvent?: (e: AccountEvent) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const byCoi = new Map<number, OrderUpdate>()
    interface Waiter {
      readonly d: Deferred.Deferred<OrderUpdate>
      readonly accept: ((u: OrderUpdate) => boolean) | undefined
    }
    const waiters = new Map<number, Set<Waiter>>()
    const positions = new Map<number, number>()
    let isConnected = false

    const remember = (u: OrderUpdate) => {
      if (u.clientOrderIndex === 0) return
      const prev = byCoi.get(u.clientOrderIndex)
      // Never let a stale (out-of-order) update overwrite a terminal state or a higher fill.
      if (prev !== undefined && prev.orderIndex === u.orderIndex) {
        if (isOrderTerminal(prev.status) && !isOrderTerminal(u.status)) return
        if (u.filledBase < prev.filledBase) return
      }
      byCoi.delete(u.clientOrderIndex)
      byCoi.set(u.clientOrderIndex, u)
      if (byCoi.size > MAX_REMEMBERED) byCoi.delete(byCoi.keys().next().value!)
      if (isOrderTerminal(u.status)) {
        const ws = waiters.get(u.clientOrderIndex)
        if (ws !== undefined) {
          for (const w of [...ws]) {
            if (w.accept !== undefined && !w.accept(u)) continue
            // Stryker disable next-line CallExpression: equivalent: a Deferred completes once; removing the waiter only frees memory
            ws.delete(w)
            Deferred.doneUnsafe(w.d, Effect.succeed(u))
          }
          // Stryker disable next-line ConditionalExpression,CallExpression: equivalent: an empty waiter set left in the map is only memory (the next waiter of this index reuses it)
          if (ws.size === 0) waiters.delete(u.clientOrderIndex)
        }
      }
    }

    yield* events.pipe(
      Stream.runForEach((e) =>
        Effect.suspend(() => {
          if (e._tag === "OrderUpdate") remember(e)
          else if (e._tag === "PositionUpdate") positions.set(e.marketId, e.signedBase)
          else if (e._tag === "StreamConnected") isConnected = true
          else if (e._tag === "StreamDisconnected") isConnected = false
          return onEvent === undefined ? Effect.void : onEvent(e)
        })
      ),
      Effect.forkScoped
    )

    const awaitTerminal = (
      coi: number,
      timeoutMs: number,
      accept?: (u: OrderUpdate) => boolean
    ): Effect.Effect<Option.Option<OrderUpdate>> =>
      Effect.suspend(() => {
        const known = byCoi.get(coi)
        if (known !== undefined && isOrderTerminal(known.status) && (accept === undefined || accept(known))) {
          return Effect.succeed(Option.some(known))
        }
        return Effect.gen(function*() {
          const w: Waiter = { d: yield* Deferred.make<OrderUpdate>(), accept }
          const set = waiters.get(coi) ?? new Set()
          set.add(w)
          waiters.set(coi, set)
          return yield* Deferred.await(w.d).pipe(
            Effect.timeoutOption(timeoutMs),
            // Stryker disable next-line ArrowFunction,OptionalChaining: equivalent: a waiter left behind is only memory (completing its Deferred again does nothing)
            Effect.ensuring(Effect.sync(() => waiters.get(coi)?.delete(w)))
          )
        })
      })

    const watcher: OrderWatcher = {
      awaitTerminal,
      latest: (coi) => byCoi.get(coi),
      position: (marketId) => positions.get(marketId),
      connected: () => isConnected
    }
    return watcher
  })
