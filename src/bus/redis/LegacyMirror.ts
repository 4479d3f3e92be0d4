// The previous implementation's Redis state beside our streams (config legacy.previous_channels),
// for what still reads it (src/bus/legacy-messages.ts has the shapes):
//   hedge:positions:{a}_{b}:{SYMBOL}   hash: each account's position under its account name, kept
//                                      current by its own process (makeLegacyPositions: on every
//                                      change of the position and every 5 s, as main_A.py's loop
//                                      and main_B.py's sync thread did), and by bin/hedge flatten
//   hedge:{a}_to_{b}                   close_all when bin/hedge flatten closes the pair
// A's fills on hedge:{a}_to_{b} are published by RedisFillBus with the stream entry. Nothing here
// is ever a reason to stop: a failed write is logged and tried again on the next turn.
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import type { AccountEvent } from "../../domain/events.ts"
import type { MarketSpec } from "../../domain/market.ts"
import { BusError } from "../errors.ts"
import {
  encodePreviousCloseAll,
  type LegacyOptions,
  positionValueParts,
  previousChannel,
  previousCloseAll,
  previousPosition,
  previousPositionsKey
} from "../legacy-messages.ts"
import { RedisConnection } from "./connection.ts"
import { redisScript } from "./script.ts"

export interface LegacyPositionWrite {
  readonly role: "a" | "b"
  readonly accountIndex: number
  /** Signed position in base units. */
  readonly signedBase: number
  /** Available balance in micro-USDC, when it was read (the field is left out otherwise, as update_position did). */
  readonly availableBalanceMicro?: number | undefined
}

export interface LegacyMirrorShape {
  /** legacy.previous_channels: when false every operation does nothing. */
  readonly enabled: boolean
  /** Writes the account's field of the positions hash. */
  readonly position: (p: LegacyPositionWrite) => Effect.Effect<void, BusError>
  /** Publishes close_all on hedge:{a}_to_{b}. */
  readonly closeAll: () => Effect.Effect<void, BusError>
}

// Stryker disable next-line StringLiteral: equivalent: a service's key only has to differ from every other service's
export class LegacyMirror extends Context.Service<LegacyMirror, LegacyMirrorShape>()("hedgeflow/bus/LegacyMirror") {}

// Writes the account's field as head .. ts .. tail, ts the stored timestamp when the stored size
// and sign are these (update_position keeps the time the position was taken), else `timestamp`.
// Returns the timestamp written.
export const WRITE_POSITION = redisScript({
  name: "legacyPosition",
  keys: ["positions"],
  args: ["field", "size", "sign", "timestamp", "head", "tail"],
  reply: Schema.String,
  source: `
local ts = ARGV[4]
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, o = pcall(cjson.decode, old)
  if ok and type(o) == 'table' and type(o.timestamp) == 'number' and tonumber(o.size) == tonumber(ARGV[2]) and tonumber(o.sign) == tonumber(ARGV[3]) then
    ts = string.format('%d', o.timestamp)
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[5] .. ts .. ARGV[6])
return ts
`
})

/** Builds a message; a value it cannot hold is a BusError (logged by the callers), never a defect. */
const build = <A>(op: string, f: () => A): Effect.Effect<A, BusError> =>
  Effect.try({ try: f, catch: (e) => new BusError({ op, message: `${op}: ${e instanceof Error ? e.message : String(e)}` }) })

export const makeLegacyMirror = (o: { readonly legacy: LegacyOptions; readonly market: MarketSpec }) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const key = previousPositionsKey(o.legacy, o.market.symbol)
    const channel = previousChannel(o.legacy)
    const enabled = o.legacy.previousChannels
    const position = (p: LegacyPositionWrite) =>
      !enabled ? Effect.void : Effect.gen(function*() {
        const atMs = yield* Clock.currentTimeMillis
        const accountName = p.role === "a" ? o.legacy.accountAName : o.legacy.accountBName
        const parts = yield* build("legacyPosition", () =>
          positionValueParts(previousPosition({ accountName, accountIndex: p.accountIndex, market: o.market, signedBase: p.signedBase, atMs, availableBalanceMicro: p.availableBalanceMicro }))
        )
        yield* conn.runScript(
          WRITE_POSITION,
          { positions: key },
          { field: accountName, size: parts.size, sign: parts.sign, timestamp: Math.floor(atMs / 1000), head: parts.head, tail: parts.tail }
        )
      })
    const closeAll = () =>
      !enabled ? Effect.void : Effect.gen(function*() {
        const atMs = yield* Clock.currentTimeMillis
        const message = yield* build("legacyCloseAll", () => encodePreviousCloseAll(previousCloseAll(o.market, atMs)))
        yield* conn.run("legacyCloseAll", (c) => c.publish(channel, message))
      })
    return LegacyMirror.of({ enabled, position, closeAll })
  })

export const legacyMirrorLayer = (o: { readonly legacy: LegacyOptions; readonly market: MarketSpec }): Layer.Layer<LegacyMirror, never, RedisConnection> =>
  Layer.effect(LegacyMirror, makeLegacyMirror(o))

// ---------------------------------------------------------------------------------------------
// Hooks for the programs and bin/hedge flatten: each does nothing without a LegacyMirror (memory
// bus, dry run) or with legacy.previous_channels off, and never fails.

/** bin/hedge flatten closes the pair: close_all on hedge:{a}_to_{b}. */
export const announceCloseAll = (print: (line: string) => Effect.Effect<void>): Effect.Effect<void> =>
  Effect.serviceOption(LegacyMirror).pipe(
    Effect.flatMap((m) =>
      Option.isNone(m) || !m.value.enabled ? Effect.void : m.value.closeAll().pipe(
        Effect.andThen(print("legacy: close_all published (legacy.previous_channels).")),
        Effect.catch((e) => print(`legacy: close_all not published: ${e.message}`))
      )
    )
  )

/** Writes positions into the hash now (bin/hedge flatten's final positions). */
export const recordLegacyPositions = (
  writes: ReadonlyArray<LegacyPositionWrite>,
  print: (line: string) => Effect.Effect<void>
): Effect.Effect<void> =>
  Effect.serviceOption(LegacyMirror).pipe(
    Effect.flatMap((m) =>
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: `discard` only drops the array of void results; the hook's result is void either way
      Option.isNone(m) || !m.value.enabled ? Effect.void : Effect.forEach(writes, (w) => m.value.position(w), { discard: true }).pipe(
        Effect.catch((e) => print(`legacy: positions not written: ${e.message}`))
      )
    )
  )

export interface LegacyPositionsSource {
  readonly role: "a" | "b"
  readonly accountIndex: number
  readonly marketId: number
  /** The account's position from the venue (signed base units), read while the stream has reported none. */
  readonly readPosition: Effect.Effect<number, unknown>
  /** The account's available balance (micro-USDC) from the venue. */
  readonly readAvailableBalance: Effect.Effect<Option.Option<number>, unknown>
  /** How often the field is written in any case, with a fresh available balance. Default 5 s (the previous system's loop). */
  readonly everyMs?: number
}

/**
 * A process's own field of the positions hash: `observe` every event of its account stream (the
 * position it reports), fork `run` for the life of the program. A changed position is written
 * within a quarter of a second; every `everyMs` the field is written with a fresh available
 * balance. Without a LegacyMirror, or with it off, `run` returns at once and reads nothing.
 */
export const makeLegacyPositions = (src: LegacyPositionsSource) => {
  let position: number | undefined
  const observe = (e: AccountEvent): Effect.Effect<void> =>
    Effect.sync(() => {
      if (e._tag === "PositionUpdate" && e.marketId === src.marketId) position = e.signedBase
    })
  const everyMs = src.everyMs ?? 5_000
  const run: Effect.Effect<void> = Effect.gen(function*() {
    const found = yield* Effect.serviceOption(LegacyMirror)
    if (Option.isNone(found) || !found.value.enabled) return
    const mirror = found.value
    const clock = yield* Clock.Clock
    const mono = () => Number(clock.monotonicTimeNanosUnsafe() / 1_000_000n)
    let written: number | undefined
    let available: number | undefined
    let lastFull = -Infinity
    // Stryker disable next-line BooleanLiteral: decides only whether a failed write is logged
    let failing = false
    for (;;) {
      const full = mono() - lastFull >= everyMs
      if (full) {
        lastFull = mono()
        if (position === undefined) {
          const read = yield* src.readPosition.pipe(Effect.timeout("3 seconds"), Effect.option)
          // Stryker disable next-line ConditionalExpression: `Option.isSome(read)` → true is equivalent (a None's value is undefined, assigned only while the position is undefined); the other conditional mutants here are killed by test/bus/legacy-mirror-more.test.ts
          if (Option.isSome(read) && position === undefined) position = read.value
        }
        const balance = yield* src.readAvailableBalance.pipe(Effect.timeout("3 seconds"), Effect.option)
        // update_position leaves the field out when the read gave none.
        available = Option.isSome(balance) && Option.isSome(balance.value) ? balance.value.value : undefined
      }
      const now = position
      if (now !== undefined && (full || now !== written)) {
        const ok = yield* mirror.position({ role: src.role, accountIndex: src.accountIndex, signedBase: now, availableBalanceMicro: available }).pipe(
          Effect.as(true),
          Effect.catch((e) => (failing ? Effect.succeed(false) : Effect.logWarning(`legacy positions hash not written: ${e.message}`).pipe(Effect.as(false))))
        )
        // Stryker disable next-line BooleanLiteral: decides only whether the next failed write is logged
        failing = !ok
        if (ok) written = now
      }
      yield* Effect.sleep("250 millis")
    }
  })
  return { observe, run }
}
