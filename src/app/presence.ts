// What main-a / main-b tell `bin/hedge status` about themselves, live: written with every lease
// renewal (each second) into `<prefix>:seen:<role>` (src/bus/redis/lease.ts).
//   both: streamConnected (the account stream now), streamRefused (a channel the venue refuses
//         now: channel, code, message, forMs), position (this account, from the stream),
//         metricsPort (so the other process of the pair can explain a shared port)
//   B:    exposure — A's position (A's heartbeat) + B's position, and for how long |A + B| has
//         been at or above the venue minimum (a duration on this process's monotonic clock, so
//         status needs no agreement between clocks)
import { makerBeatOf } from "../domain/heartbeat.ts"
import { Effect, Option } from "effect"
import type { AccountEvent } from "../domain/events.ts"
import type { MarketSpec } from "../domain/market.ts"
import { PairState } from "../bus/PairState.ts"

export interface Presence {
  /** Feed every account event of this process's own account here. */
  readonly observe: (e: AccountEvent) => Effect.Effect<void>
  /** The status JSON of the next renewal (B reads A's heartbeat for the exposure). */
  readonly status: () => Effect.Effect<Readonly<Record<string, unknown>>, never, PairState>
}

export const makePresence = (o: {
  readonly role: "a" | "b"
  readonly market: MarketSpec
  readonly metricsPort: number | undefined
  /** Asks the venue for this account's position while the stream has not reported one (at most every 10 s). */
  readonly readPosition?: Effect.Effect<number, unknown>
  /** A channel of the account stream the venue refuses now (stream-refusal.ts). */
  readonly streamRefused?: () => Readonly<Record<string, unknown>> | undefined
}): Presence => {
  let streamConnected = false
  let streamChangedAt = performance.now()
  let position: number | undefined
  let unhedgedSince: number | undefined
  let lastRead = -Infinity
  // A market without a position may never appear in the stream's snapshot: ask the venue once.
  const ensurePosition = Effect.suspend(() => {
    if (position !== undefined || o.readPosition === undefined || performance.now() - lastRead < 10_000) return Effect.void
    lastRead = performance.now()
    return o.readPosition.pipe(
      Effect.timeout("2 seconds"),
      Effect.tap((p) => Effect.sync(() => (position ??= p))),
      Effect.catchCause(() => Effect.void),
      Effect.asVoid
    )
  })
  const observe = (e: AccountEvent) =>
    Effect.sync(() => {
      if (e._tag === "StreamConnected" || e._tag === "StreamDisconnected") {
        const up = e._tag === "StreamConnected"
        if (up !== streamConnected) streamChangedAt = performance.now()
        streamConnected = up
      } else if (e._tag === "PositionUpdate" && e.marketId === o.market.marketId) {
        position = e.signedBase
      }
    })
  const status = () =>
    Effect.gen(function*() {
      yield* ensurePosition
      const now = performance.now()
      const base: Record<string, unknown> = {
        streamConnected,
        streamStateForMs: Math.round(now - streamChangedAt),
        ...(o.streamRefused?.() !== undefined ? { streamRefused: o.streamRefused() } : {}),
        ...(position !== undefined ? { position } : {}),
        ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {})
      }
      if (o.role !== "b") return base
      const state = yield* PairState
      const hbA = yield* state.lastHeartbeat("a").pipe(Effect.orElseSucceed(() => Option.none()))
      const aPosition = Option.isSome(hbA) ? makerBeatOf(hbA.value.status)?.position : undefined
      if (aPosition === undefined || position === undefined) {
        unhedgedSince = undefined
        return { ...base, exposure: null }
      }
      const net = aPosition + position
      if (Math.abs(net) >= o.market.minBaseAmount) unhedgedSince ??= now
      else unhedgedSince = undefined
      return {
        ...base,
        exposure: { aPosition, bPosition: position, net, unhedgedForMs: unhedgedSince === undefined ? 0 : Math.round(now - unhedgedSince) }
      }
    })
  return { observe, status }
}
