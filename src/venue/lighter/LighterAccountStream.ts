// AccountStream over Lighter's WebSocket: account_all_orders (order state), account_all_trades
// (fills) and account_all_positions (positions) of one account. After every (re)connect it emits
// StreamConnected, then the channels' snapshots; drops show as StreamDisconnected. Frames that do
// not decode are logged with context and skipped: the stream never fails.
import { Effect, Layer, Predicate, Queue, Result, Stream } from "effect"
import type { AccountEvent } from "../../domain/events.ts"
import { AccountStream } from "../AccountStream.ts"
import { decodeWire, type Markets, wireText, toOrderUpdate, toPositionUpdate, toTradeEvent, WireOrdersFrame, WirePositionsFrame, WireTradesFrame } from "./codecs.ts"
import { fetchMarkets } from "./LighterVenue.ts"
import { LighterSocket } from "./ws.ts"

export interface LighterAccountStreamOptions {
  readonly baseUrl: string
  readonly wsUrl: string
  readonly accountIndex: number
  readonly reconnectBaseMs?: number
  readonly reconnectMaxMs?: number
}

/** Decodes one account frame into events (pure: the caller logs the error side). */
export const accountFrameEvents = (
  frame: unknown,
  accountIndex: number,
  markets: Markets
): { readonly events: ReadonlyArray<AccountEvent>; readonly error?: string } => {
  if (!Predicate.isObject(frame) || Array.isArray(frame)) return { events: [], error: `not a JSON object: ${typeof frame}` }
  const channel = wireText((frame as Record<string, unknown>)["channel"])
  try {
    if (channel.startsWith("account_all_orders:")) {
      const r = decodeWire(WireOrdersFrame, channel, frame)
      if (Result.isFailure(r)) return { events: [], error: `${r.failure.what}: ${r.failure.message} — ${r.failure.snippet}` }
      return { events: Object.values(r.success.orders).flatMap((os) => os.map((o) => toOrderUpdate(o, markets))) }
    }
    if (channel.startsWith("account_all_trades:")) {
      const r = decodeWire(WireTradesFrame, channel, frame)
      if (Result.isFailure(r)) return { events: [], error: `${r.failure.what}: ${r.failure.message} — ${r.failure.snippet}` }
      const trades = Object.values(r.success.trades).flat()
        .filter((t) => t.ask_account_id === accountIndex || t.bid_account_id === accountIndex)
        .sort((a, b) => a.timestamp - b.timestamp)
      return { events: trades.map((t) => toTradeEvent(t, accountIndex, markets)) }
    }
    if (channel.startsWith("account_all_positions:")) {
      const r = decodeWire(WirePositionsFrame, channel, frame)
      if (Result.isFailure(r)) return { events: [], error: `${r.failure.what}: ${r.failure.message} — ${r.failure.snippet}` }
      return { events: Object.values(r.success.positions).map((p) => toPositionUpdate(p, accountIndex, markets)) }
    }
    return { events: [] }
  } catch (e) {
    return { events: [], error: `${channel}: ${e instanceof Error ? e.message : "non-error thrown"} — ${frameSnippet(frame)}` }
  }
}

const frameSnippet = (frame: unknown) => {
  try {
    return (JSON.stringify(frame) ?? "").slice(0, 200)
  } catch {
    return "<unprintable>"
  }
}

export const lighterAccountEvents = (o: LighterAccountStreamOptions, markets: Markets): Stream.Stream<AccountEvent> =>
  Stream.callback<AccountEvent>((queue) =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const logError = (line: string) => Effect.runForkWith(context)(Effect.logError(line))
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const s = new LighterSocket({
            url: o.wsUrl,
            name: `account(${o.accountIndex})`,
            reconnectBaseMs: o.reconnectBaseMs ?? 200,
            reconnectMaxMs: o.reconnectMaxMs ?? 10_000,
            log: (line) => logError(line),
            onState: (up, info) => {
              Queue.offerUnsafe(queue, up ? { _tag: "StreamConnected", reconnect: info.reconnect } : { _tag: "StreamDisconnected", reason: info.reason })
            },
            onFrame: (frame) => {
              const { events, error } = accountFrameEvents(frame, o.accountIndex, markets)
              if (error !== undefined) logError(`skipping an account frame that does not decode: ${error}`)
              for (const e of events) Queue.offerUnsafe(queue, e)
            }
          })
          for (const c of ["account_all_orders", "account_all_trades", "account_all_positions"]) s.subscribe(`${c}/${o.accountIndex}`)
          s.start()
          return s
        }),
        (s) => Effect.sync(() => s.stop())
      )
    })
  )

export const LighterAccountStream = {
  layer: (o: LighterAccountStreamOptions) =>
    Layer.effect(
      AccountStream,
      Effect.gen(function*() {
        const markets = yield* fetchMarkets({ baseUrl: o.baseUrl, timeoutMs: 5000 })
        return AccountStream.of({ accountIndex: o.accountIndex, events: lighterAccountEvents(o, markets) })
      })
    )
}
