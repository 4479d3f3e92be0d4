// AccountStream over Lighter's WebSocket: account_all_orders (order state), account_all_trades
// (fills) and account_all_positions (positions) of one account, each subscribed with an auth
// token that is renewed before it expires. After every (re)connect it emits StreamConnected, then
// the channels' snapshots; drops show as StreamDisconnected. A channel the venue refuses shows as
// StreamDisconnected with the refusal (channel, code, message) until its retry succeeds, which
// shows as StreamConnected (reconnect: consumers reconcile from the new snapshot). Frames that do
// not decode are logged with context and skipped: the stream never fails.
import { Effect, Layer, Predicate, Queue, Result, Stream } from "effect"
import type { AccountEvent } from "../../domain/events.ts"
import { AccountStream } from "../AccountStream.ts"
import type { VenueError } from "../errors.ts"
import { type AuthTokens, DEFAULT_AUTH_TTL_SEC, makeAuthTokens } from "./auth-tokens.ts"
import { decodeWire, type Markets, wireText, toOrderUpdate, toPositionUpdate, toTradeEvent, WireOrdersFrame, WirePositionsFrame, WireTradesFrame } from "./codecs.ts"
import { fetchMarkets } from "./LighterVenue.ts"
import { Signer } from "./signer.ts"
import { LighterSocket } from "./ws.ts"

export interface LighterAccountStreamOptions {
  readonly baseUrl: string
  readonly wsUrl: string
  readonly accountIndex: number
  readonly reconnectBaseMs?: number
  readonly reconnectMaxMs?: number
  /** Lifetime of the auth tokens on the private channels (default 1 h; the venue allows 8 h). */
  readonly authTtlSec?: number
  /** How long a subscription may wait for its snapshot before it counts as refused (default 10 s). */
  readonly subscribeTimeoutMs?: number
  /** Retry backoff of a refused channel (default 1 s doubling to 30 s). */
  readonly refusedRetryBaseMs?: number
  readonly refusedRetryMaxMs?: number
}

/** The private channels the stream subscribes for one account, in subscribe form. */
export const accountChannels = (accountIndex: number): ReadonlyArray<string> =>
  ["account_all_orders", "account_all_trades", "account_all_positions"].map((c) => `${c}/${accountIndex}`)

/**
 * Account channels we may receive but do not use, and why; anything else unknown is logged once.
 * (account_orders carries the same orders as account_all_orders and is routed like it.)
 */
export const IGNORED_ACCOUNT_CHANNELS: Readonly<Record<string, string>> = {
  account_all: "positions and trades come from account_all_positions and account_all_trades",
  user_stats: "balances are read over REST when a risk limit needs them",
  account_tx: "transaction outcomes are read from order and trade updates",
  account_all_assets: "spot assets are not traded",
  account_spot_avg_entry_prices: "spot assets are not traded",
  account_market: "account_all_orders and account_all_positions cover every market",
  notification: "notifications carry nothing the engine acts on",
  pool_data: "public pools are not used",
  pool_info: "public pools are not used"
}

/** Decodes one account frame into events (pure: the caller logs the error side). */
export const accountFrameEvents = (
  frame: unknown,
  accountIndex: number,
  markets: Markets
): { readonly events: ReadonlyArray<AccountEvent>; readonly error?: string; readonly ignored?: string } => {
  if (!Predicate.isObject(frame) || Array.isArray(frame)) return { events: [], error: `not a JSON object: ${typeof frame}` }
  const channel = wireText((frame as Record<string, unknown>)["channel"])
  try {
    if (channel.startsWith("account_all_orders:") || channel.startsWith("account_orders:")) {
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
      const listed = Object.values(r.success.positions).map((p) => toPositionUpdate(p, accountIndex, markets))
      // The subscription's snapshot lists every position the account holds: a market it leaves out
      // is flat (NautilusTrader reads every frame so; we only the snapshot, which is surely whole).
      // Without this an account that never traded a market has no known position there, and the
      // rules that compare A's and B's positions would wait for ever.
      if (!wireText((frame as Record<string, unknown>)["type"]).startsWith("subscribed/")) return { events: listed }
      const present = new Set(listed.map((p) => p.marketId))
      const flat = [...markets.keys()].filter((m) => !present.has(m)).map((marketId): AccountEvent => ({
        _tag: "PositionUpdate",
        accountIndex,
        marketId,
        signedBase: 0,
        avgEntryPrice: 0
      }))
      return { events: [...listed, ...flat] }
    }
    const kind = channel.split(":")[0] ?? ""
    if (kind in IGNORED_ACCOUNT_CHANNELS) return { events: [], ignored: IGNORED_ACCOUNT_CHANNELS[kind]! }
    return { events: [], ignored: channel === "" ? "a frame without a channel" : `channel ${kind.slice(0, 40)} is not one the engine uses` }
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

export const lighterAccountEvents = (o: LighterAccountStreamOptions, markets: Markets, tokens: AuthTokens): Stream.Stream<AccountEvent> =>
  Stream.callback<AccountEvent>((queue) =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const logError = (line: string) => Effect.runForkWith(context)(Effect.logError(line))
      const logInfo = (line: string) => Effect.runForkWith(context)(Effect.logInfo(line))
      const ignoredSeen = new Set<string>()
      // Channels refused now: the stream counts as down until every one has its snapshot again.
      const refused = new Map<string, string>()
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const s = new LighterSocket({
            url: o.wsUrl,
            name: `account(${o.accountIndex})`,
            reconnectBaseMs: o.reconnectBaseMs ?? 200,
            reconnectMaxMs: o.reconnectMaxMs ?? 10_000,
            ...(o.subscribeTimeoutMs !== undefined ? { subscribeTimeoutMs: o.subscribeTimeoutMs } : {}),
            ...(o.refusedRetryBaseMs !== undefined ? { refusedRetryBaseMs: o.refusedRetryBaseMs } : {}),
            ...(o.refusedRetryMaxMs !== undefined ? { refusedRetryMaxMs: o.refusedRetryMaxMs } : {}),
            authRenewEveryMs: tokens.renewEveryMs,
            log: (line) => logError(line),
            onState: (up, info) => {
              refused.clear()
              Queue.offerUnsafe(queue, up ? { _tag: "StreamConnected", reconnect: info.reconnect } : { _tag: "StreamDisconnected", reason: info.reason })
            },
            onRefused: (r) => {
              const first = refused.size === 0
              refused.set(r.channel, r.message)
              // Every refusal is reported (the retry may be refused for another reason).
              Queue.offerUnsafe(queue, {
                _tag: "StreamDisconnected",
                reason: `the venue refused ${r.channel}${r.code === undefined ? "" : ` (code ${r.code})`}: ${r.message}`,
                refusal: { channel: r.channel, ...(r.code === undefined ? {} : { code: r.code }), message: r.message, retryInMs: r.retryInMs, first }
              })
            },
            onSubscribed: (channel) => {
              if (!refused.delete(channel)) return
              logInfo(`account(${o.accountIndex}): ${channel} accepted again`)
              // The channel missed frames while refused: the snapshot that follows reconciles them.
              if (refused.size === 0) Queue.offerUnsafe(queue, { _tag: "StreamConnected", reconnect: true })
            },
            onFrame: (frame) => {
              const { events, error, ignored } = accountFrameEvents(frame, o.accountIndex, markets)
              if (error !== undefined) logError(`skipping an account frame that does not decode: ${error}`)
              if (ignored !== undefined) {
                const key = wireText(frame["channel"]).split(":")[0] ?? ""
                if (!ignoredSeen.has(key) && ignoredSeen.size < 100) {
                  ignoredSeen.add(key)
                  logInfo(`account(${o.accountIndex}): ignoring frames of ${key === "" ? "no channel" : key}: ${ignored}`)
                }
              }
              for (const e of events) Queue.offerUnsafe(queue, e)
            }
          })
          for (const c of accountChannels(o.accountIndex)) s.subscribe(c, { auth: tokens.freshSync })
          s.start()
          return s
        }),
        (s) => Effect.sync(() => s.stop())
      )
    })
  )

export const LighterAccountStream = {
  layer: (o: LighterAccountStreamOptions): Layer.Layer<AccountStream, VenueError, Signer> =>
    Layer.effect(
      AccountStream,
      Effect.gen(function*() {
        const signer = yield* Signer
        const markets = yield* fetchMarkets({ baseUrl: o.baseUrl, timeoutMs: 5000 })
        const tokens = makeAuthTokens(signer, o.authTtlSec ?? DEFAULT_AUTH_TTL_SEC)
        return AccountStream.of({ accountIndex: o.accountIndex, events: lighterAccountEvents(o, markets, tokens) })
      })
    )
}
