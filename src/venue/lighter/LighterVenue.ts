// Venue over Lighter's protocol (the live venue or the embedded exchange): markets from
// orderBookDetails, the book kept from the order_book channel (gaps detected by begin_nonce,
// healed by a fresh snapshot), transactions over the WebSocket with REST as fallback, lookups
// over REST.
import { Effect, Layer, Option, Result } from "effect"
import type { OrderBookTop, OrderUpdate } from "../../domain/events.ts"
import type { MarketSpec } from "../../domain/market.ts"
import { isSignatureRefusal, VenueError } from "../errors.ts"
import { TxBudget, type TxPriority, txPriorityOf } from "../TxBudget.ts"
import { Venue, type VenueShape } from "../Venue.ts"
import {
  decodeWire, type Markets, toBookOrders, toFreeCollateralMicro, toLevels, toMarketSpec, toOrderUpdate, toPositionUpdate, toTradeEvent,
  WireAccountBalanceReply, WireAccountReply, WireBookFrame, WireBookOrdersReply, WireNextNonce, WireOrderBookDetails, WireOrdersReply,
  WireTradesReply, wireText
} from "./codecs.ts"
import { DEFAULT_AUTH_TTL_SEC, makeAuthTokens } from "./auth-tokens.ts"
import { getJson, type HttpOptions, sendTxRest } from "./http.ts"
import { makeNonceManager } from "./nonces.ts"
import { type SignedTx, Signer, type SignerShape } from "./signer.ts"
import { LighterSocket, TxReplyError } from "./ws.ts"

export interface LighterVenueOptions {
  readonly baseUrl: string
  readonly wsUrl: string
  readonly accountIndex: number
  readonly apiKeyIndex: number
  readonly requestTimeoutMs?: number
  readonly sendVia?: "ws" | "rest"
  /** Lifetime of the auth tokens of private reads (default 1 h; the venue allows 8 h). */
  readonly authTtlSec?: number
}

interface BookState {
  bids: Map<number, number>
  asks: Map<number, number>
  nonce: number | undefined
  ready: boolean
  at: number
  /** The venue's timestamp (ms) of the last frame applied, and when it arrived (performance.now()). */
  venueAt: number | undefined
  receivedMono: number
}

const POST_ONLY_EXPIRY_MS = 28 * 24 * 3600_000

/**
 * A private read refused for its token. The venue's code for this is not confirmed (PROTOCOL.md
 * §3.6 says only that private reads need a token); the embedded exchange answers 20013 "invalid
 * auth: ...". Either is taken as "mint a new token and ask once more".
 */
export const isAuthRefusal = (e: VenueError): boolean => e.code === 20013 || /invalid auth|unauthori[sz]ed|auth token/i.test(e.message)

/** The markets of the venue by id, fetched once. */
export const fetchMarkets = (http: HttpOptions) =>
  getJson(http, "markets", "orderBookDetails", {}, WireOrderBookDetails).pipe(
    Effect.flatMap((r) =>
      Effect.try({
        try: () => new Map(r.order_book_details.map((d) => [d.market_id, toMarketSpec(d)] as const)) as Markets,
        catch: (e) => new VenueError({ op: "markets", kind: "rejected", message: `bad market details: ${String(e)}` })
      })
    )
  )

const fromTxError = (op: string, e: unknown): VenueError =>
  e instanceof TxReplyError
    ? new VenueError({ op, kind: e.kind, message: e.message, ...(e.code === undefined ? {} : { code: e.code }) })
    : new VenueError({ op, kind: "unknown-outcome", message: String(e) })

/** What a refusal of the key, signature or expiry means for this account, and what to do about it. */
export const refusalHint = (code: number, s: Pick<SignerShape, "accountIndex" | "apiKeyIndex" | "chainId">): string => {
  const slot = `account ${s.accountIndex}, API key ${s.apiKeyIndex}`
  switch (code) {
    case 21109:
      return `no API key is registered for ${slot}: register this key's public key with Lighter's tools, then run \`bin/hedge keys check\``
    case 21120:
      return `the venue does not accept this key's signatures: the private key does not belong to the public key registered for ${slot}, or chain id ${s.chainId} (lighter.chain_id) is not the venue's; run \`bin/hedge keys check\``
    default:
      return `the venue refused the transaction's expiry (ExpiredAt = now + 10 min): is this machine's clock right?`
  }
}

/** Adds what to do to a refusal of the key, signature or expiry; other errors pass unchanged. */
const explained = (e: VenueError, s: SignerShape): VenueError =>
  isSignatureRefusal(e) && e.code !== undefined
    ? new VenueError({ op: e.op, kind: "rejected", code: e.code, message: `${e.message} — ${refusalHint(e.code, s)}` })
    : e

export const makeLighterVenue = (o: LighterVenueOptions) =>
  Effect.gen(function*() {
    const signer = yield* Signer
    const budget = yield* Effect.serviceOption(TxBudget)
    const http: HttpOptions = { baseUrl: o.baseUrl, timeoutMs: o.requestTimeoutMs ?? 5000 }
    let markets: Markets | undefined
    const getMarkets = Effect.suspend(() =>
      markets !== undefined ? Effect.succeed(markets) : fetchMarkets(http).pipe(Effect.tap((m) => Effect.sync(() => void (markets = m))))
    )
    const marketById = (id: number) =>
      getMarkets.pipe(
        Effect.flatMap((ms) => {
          const m = ms.get(id)
          return m === undefined ? Effect.fail(new VenueError({ op: "market", kind: "rejected", code: 21602, message: `unknown market ${id}` })) : Effect.succeed(m)
        })
      )

    const books = new Map<number, BookState>()
    const context = yield* Effect.context<never>()
    const socket = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const s = new LighterSocket({
          url: o.wsUrl,
          name: `venue(${o.accountIndex})`,
          // Refused order-book subscriptions, drops and venue error frames are said, never swallowed.
          log: (line) => void Effect.runForkWith(context)(Effect.logWarning(line)),
          onState: (up) => {
            if (!up) for (const b of books.values()) b.ready = false
          },
          onFrame: (frame) => {
            const type = wireText(frame["type"])
            const channel = wireText(frame["channel"])
            if (!channel.startsWith("order_book:")) return
            const marketId = Number(channel.slice("order_book:".length))
            const m = markets?.get(marketId)
            const b = books.get(marketId)
            if (m === undefined || b === undefined) return
            const r = decodeWire(WireBookFrame, channel, frame)
            if (Result.isFailure(r)) return
            const ob = r.success.order_book
            if (type.startsWith("subscribed/")) {
              b.bids = new Map()
              b.asks = new Map()
            } else if (b.nonce !== undefined && ob.begin_nonce !== undefined && ob.begin_nonce !== b.nonce) {
              // A gap: the book may be wrong until a fresh snapshot arrives.
              b.ready = false
              s.resubscribe(`order_book/${marketId}`)
              return
            }
            try {
              for (const [side, levels] of [[b.bids, ob.bids], [b.asks, ob.asks]] as const) {
                for (const l of toLevels(levels, m)) {
                  if (l.size === 0) side.delete(l.price)
                  else side.set(l.price, l.size)
                }
              }
            } catch {
              b.ready = false
              s.resubscribe(`order_book/${marketId}`)
              return
            }
            b.nonce = ob.nonce
            b.ready = true
            b.at = Date.now()
            // Milliseconds on Lighter's WebSocket frames; a value in seconds is scaled.
            const ts = r.success.timestamp
            b.venueAt = ts === undefined || !Number.isFinite(ts) || ts <= 0 ? undefined : ts < 1e11 ? ts * 1000 : ts
            b.receivedMono = performance.now()
          }
        })
        s.start()
        return s
      }),
      (s) => Effect.sync(() => s.stop())
    )

    const fetchNonce = getJson(http, "nextNonce", "nextNonce", { account_index: o.accountIndex, api_key_index: o.apiKeyIndex }, WireNextNonce).pipe(
      Effect.map((r) => r.nonce)
    )
    const nonces = yield* makeNonceManager(fetchNonce)

    // Hedges and protective cancels come before quotes in the shared budget (I7); A's re-quote
    // cancels say "quote" (CancelRequest.priority).
    const send = (op: string, build: (nonce: number) => Effect.Effect<SignedTx, VenueError>, priority?: TxPriority) =>
      nonces.withNonce((nonce) =>
        Effect.gen(function*() {
          if (Option.isSome(budget)) yield* budget.value.acquire(priority ?? txPriorityOf(op))
          const tx = yield* build(nonce)
          const useWs = (o.sendVia ?? "ws") === "ws" && socket.isReady
          const hash = useWs
            ? yield* Effect.tryPromise({ try: () => socket.sendTx(tx.txType, tx.txInfo, http.timeoutMs), catch: (e) => fromTxError(op, e) })
            : (yield* sendTxRest(http, tx.txType, tx.txInfo)).txHash
          // The venue's hash is the signed message's; ours stands in when a reply carries none.
          return { txHash: hash === "" ? tx.txHash : hash, acceptedAtMs: Date.now() }
        }).pipe(Effect.mapError((e) => explained(e, signer)))
      )

    const tokens = makeAuthTokens(signer, o.authTtlSec ?? DEFAULT_AUTH_TTL_SEC)
    /** A private read with a token; refused for its token, it is asked once more with a new one. */
    const privateRead = <A>(read: (auth: string) => Effect.Effect<A, VenueError>): Effect.Effect<A, VenueError> =>
      tokens.current.pipe(
        Effect.flatMap(read),
        Effect.catchIf(isAuthRefusal, (e) =>
          Effect.logWarning(`${e.op}: the venue refused the auth token (${e.code ?? "no code"}: ${e.message}); asking again with a new one`).pipe(
            Effect.andThen(Effect.sync(() => tokens.invalidate())),
            Effect.andThen(tokens.current),
            Effect.flatMap(read)
          ))
      )

    const orderBook = (marketId: number, depth: number): Effect.Effect<OrderBookTop, VenueError> =>
      Effect.gen(function*() {
        const m = yield* marketById(marketId)
        let b = books.get(marketId)
        if (b === undefined) {
          b = { bids: new Map(), asks: new Map(), nonce: undefined, ready: false, at: 0, venueAt: undefined, receivedMono: 0 }
          books.set(marketId, b)
          socket.subscribe(`order_book/${marketId}`)
        }
        for (let i = 0; i < 100 && !b.ready; i++) yield* Effect.sleep("20 millis")
        if (!b.ready) return yield* new VenueError({ op: "orderBook", kind: "unavailable", message: `no order book for ${m.symbol} yet` })
        const bids = [...b.bids].sort((x, y) => y[0] - x[0]).slice(0, depth).map(([price, size]) => ({ price, size }))
        const asks = [...b.asks].sort((x, y) => x[0] - y[0]).slice(0, depth).map(([price, size]) => ({ price, size }))
        return {
          marketId,
          bids,
          asks,
          timestampMs: b.at,
          ...(b.venueAt !== undefined ? { venueTime: { venueMs: b.venueAt, receivedAgoMs: Math.max(0, performance.now() - b.receivedMono) } } : {})
        }
      })

    const ordersOf = (path: "accountActiveOrders" | "accountInactiveOrders", marketId: number, extra: Record<string, number> = {}) =>
      Effect.gen(function*() {
        const ms = yield* getMarkets
        const r = yield* privateRead((auth) => getJson(http, path, path, { account_index: o.accountIndex, market_id: marketId, auth, ...extra }, WireOrdersReply))
        return yield* Effect.try({
          try: () => r.orders.map((w) => toOrderUpdate(w, ms)),
          catch: (e) => new VenueError({ op: path, kind: "rejected", message: `bad order in reply: ${String(e)}` })
        })
      })

    const venue: VenueShape = {
      accountIndex: o.accountIndex,
      market: (symbol) =>
        getMarkets.pipe(
          Effect.flatMap((ms) => {
            const m = [...ms.values()].find((x) => x.symbol.toUpperCase() === symbol.toUpperCase())
            return m === undefined
              ? Effect.fail(new VenueError({ op: "market", kind: "rejected", code: 21602, message: `the venue lists no market "${symbol}" (it has ${[...ms.values()].map((x) => x.symbol).join(", ")})` }))
              : Effect.succeed(m as MarketSpec)
          })
        ),
      orderBook,
      // Public REST, one request: the caller paces it (the account's 60 requests a minute).
      orderBookOrders: (marketId, limit) =>
        Effect.gen(function*() {
          const m = yield* marketById(marketId)
          const r = yield* getJson(http, "orderBookOrders", "orderBookOrders", { market_id: marketId, limit }, WireBookOrdersReply)
          return yield* Effect.try({
            try: () => toBookOrders(r, m, limit),
            catch: (e) => new VenueError({ op: "orderBookOrders", kind: "rejected", message: `bad order in reply: ${String(e)}` })
          })
        }),
      placeLimit: (req) =>
        send("placeLimit", (nonce) =>
          signer.createOrder({
            marketIndex: req.marketId,
            clientOrderIndex: req.clientOrderIndex,
            baseAmount: req.base,
            price: req.price,
            isAsk: req.side === "sell",
            type: 0,
            timeInForce: req.postOnly ? 2 : 1,
            reduceOnly: req.reduceOnly,
            orderExpiry: Date.now() + POST_ONLY_EXPIRY_MS
          }, nonce)),
      placeMarket: (req) =>
        send("placeMarket", (nonce) =>
          signer.createOrder({
            marketIndex: req.marketId,
            clientOrderIndex: req.clientOrderIndex,
            baseAmount: req.base,
            price: req.priceCap,
            isAsk: req.side === "sell",
            type: 1,
            timeInForce: 0,
            reduceOnly: req.reduceOnly,
            orderExpiry: 0
          }, nonce)),
      cancel: (req) =>
        send("cancel", (nonce) =>
          /^\d{1,20}$/.test(req.index)
            // Order indexes reach 2^60: a bigint all the way into the signed tx, never a rounded number.
            ? signer.cancelOrder(req.marketId, BigInt(req.index), nonce)
            : Effect.fail(new VenueError({ op: "cancel", kind: "rejected", message: `not an order index: "${req.index.slice(0, 40)}"` })), req.priority),
      cancelAll: () => send("cancelAll", (nonce) => signer.cancelAll(nonce)),
      openOrders: (marketId) => ordersOf("accountActiveOrders", marketId),
      orderByClientIndex: (marketId, coi) =>
        Effect.gen(function*() {
          const active = yield* ordersOf("accountActiveOrders", marketId)
          const a = active.find((x) => x.clientOrderIndex === coi)
          if (a !== undefined) return Option.some<OrderUpdate>(a)
          const inactive = yield* ordersOf("accountInactiveOrders", marketId, { limit: 100 })
          return Option.fromNullishOr(inactive.find((x) => x.clientOrderIndex === coi))
        }),
      position: (marketId) =>
        Effect.gen(function*() {
          const ms = yield* getMarkets
          const r = yield* getJson(http, "position", "account", { by: "index", value: o.accountIndex }, WireAccountReply)
          const p = r.accounts[0]?.positions.find((x) => x.market_id === marketId)
          if (p === undefined) return { _tag: "PositionUpdate" as const, accountIndex: o.accountIndex, marketId, signedBase: 0, avgEntryPrice: 0 }
          return yield* Effect.try({
            try: () => toPositionUpdate(p, o.accountIndex, ms),
            catch: (e) => new VenueError({ op: "position", kind: "rejected", message: String(e) })
          })
        }),
      recentTrades: (marketId, limit) =>
        Effect.gen(function*() {
          const ms = yield* getMarkets
          const r = yield* privateRead((auth) =>
            getJson(http, "recentTrades", "trades", {
              account_index: o.accountIndex, market_id: marketId, sort_by: "timestamp", sort_dir: "desc", limit, auth
            }, WireTradesReply)
          )
          return yield* Effect.try({
            try: () => r.trades.map((t) => toTradeEvent(t, o.accountIndex, ms)),
            catch: (e) => new VenueError({ op: "recentTrades", kind: "rejected", message: String(e) })
          })
        }),
      freeCollateral: () =>
        Effect.gen(function*() {
          const r = yield* getJson(http, "freeCollateral", "account", { by: "index", value: o.accountIndex }, WireAccountBalanceReply)
          const acc = r.accounts.find((a) => a.index === o.accountIndex) ?? r.accounts[0]
          if (acc === undefined) return yield* new VenueError({ op: "freeCollateral", kind: "rejected", message: `account ${o.accountIndex} not in the reply` })
          const micro = yield* Effect.try({
            try: () => toFreeCollateralMicro(acc.available_balance),
            catch: (e) => new VenueError({ op: "freeCollateral", kind: "rejected", message: `bad available_balance: ${String(e)}` })
          })
          return Option.fromNullishOr(micro)
        })
    }
    return venue
  })

export const LighterVenue = {
  layer: (o: LighterVenueOptions): Layer.Layer<Venue, never, Signer> => Layer.effect(Venue, makeLighterVenue(o).pipe(Effect.map((v) => Venue.of(v))))
}
