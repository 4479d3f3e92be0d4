// REST: Lighter's /api/v1 endpoints, GET / and /info, and the simulator's /sim observation and
// fault endpoints. Every JSON body carries `code`; errors are HTTP 400 (429 for 23000).
// Private reads (accountActiveOrders, accountInactiveOrders, trades by account) need an auth token
// (auth.ts): query `auth` / `authorization` or the Authorization header.
import type { IncomingMessage, ServerResponse } from "node:http"
import { formatScaled } from "../domain/market.ts"
import { MAX_API_KEY_INDEX } from "./accounts.ts"
import { authError, restToken } from "./auth.ts"
import type { Account } from "./accounts.ts"
import { parseFields, readBody } from "./body.ts"
import type { Engine } from "./engine.ts"
import { ErrorCode, SimError } from "./errors.ts"
import type { SimExchange } from "./exchange.ts"
import type { FaultSpec } from "./faults.ts"
import {
  detailedAccountJson,
  orderBookDetailJson,
  orderBookJson,
  orderJson,
  positionMetrics,
  markPrice,
  simpleOrderJson,
  tradeJson,
  usdc
} from "./format.ts"
import type { Json } from "./format.ts"
import type { SimOrder, SimTrade } from "./types.ts"

const VOLUME_QUOTA_MESSAGE = JSON.stringify({ ratelimit: "didn't use volume quota" }).replace(":", ": ")
const VOLUME_QUOTA_REMAINING = 1000

type Query = URLSearchParams

const invalid = (name: string): SimError => new SimError(ErrorCode.InvalidParam, `invalid param: ${name}`)

const intParam = (q: Query, name: string, fallback?: number): number => {
  const v = q.get(name)
  if (v === null || v === "") {
    if (fallback !== undefined) return fallback
    throw invalid(name)
  }
  if (!/^-?\d{1,16}$/.test(v)) throw invalid(name)
  return Number(v)
}

export class RestApi {
  private readonly exchange: SimExchange
  private readonly engine: Engine

  constructor(exchange: SimExchange) {
    this.exchange = exchange
    this.engine = exchange.engine
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim")
    try {
      const result = await this.route(req, url)
      send(res, 200, result)
    } catch (e) {
      if (e instanceof SimError) send(res, e.httpStatus, { code: e.code, message: e.message })
      else send(res, 500, { code: ErrorCode.Internal, message: e instanceof Error ? e.message : String(e) })
    }
  }

  private async route(req: IncomingMessage, url: URL): Promise<Json> {
    const q = url.searchParams
    const path = url.pathname.replace(/\/+$/, "") || "/"
    const method = req.method ?? "GET"
    if (method === "POST") {
      const fields = await parseFields(req.headers["content-type"], await readBody(req))
      switch (path) {
        case "/api/v1/sendTx":
          return this.sendTx(fields)
        case "/api/v1/sendTxBatch":
          return this.sendTxBatch(fields)
        case "/sim/fault":
          return this.fault(fields)
        case "/sim/apikeys":
          return this.registerApiKey(fields)
        case "/sim/reset-timeline":
          this.exchange.timeline.reset()
          return { code: 200 }
      }
      throw new SimError(404, "not found", 404)
    }
    switch (path) {
      case "/":
        return { code: 200, status: 200, network_id: 1, timestamp: Math.floor(this.engine.clock.now() / 1000) }
      case "/info":
        return { code: 200, contract_address: "0x0000000000000000000000000000000000005111" }
      case "/api/v1/nextNonce":
        return this.nextNonce(q)
      case "/api/v1/apikeys":
        return this.apikeys(q)
      case "/api/v1/account":
        return this.account(q)
      case "/api/v1/accountsByL1Address":
        return this.accountsByL1(q)
      case "/api/v1/accountActiveOrders":
        return this.activeOrders(q, req)
      case "/api/v1/accountInactiveOrders":
        return this.inactiveOrders(q, req)
      case "/api/v1/orderBooks":
        return { code: 200, order_books: this.marketsFor(q).map((m) => orderBookJson(m)) }
      case "/api/v1/orderBookDetails":
        return {
          code: 200,
          order_book_details: this.marketsFor(q).map((m) => orderBookDetailJson(this.engine, m)),
          spot_order_book_details: []
        }
      case "/api/v1/assetDetails":
        // USDC only (collateral of every perp market); shape as in ccxt's lighter class, which reads
        // it in loadMarkets (fetchCurrencies), from a live reply.
        return {
          code: 200,
          asset_details: [{
            asset_id: 3,
            symbol: "USDC",
            l1_decimals: 6,
            decimals: 6,
            min_transfer_amount: "1.000000",
            min_withdrawal_amount: "1.000000",
            margin_mode: "enabled",
            index_price: "1.000000",
            l1_address: "0x0000000000000000000000000000000000005111"
          }]
        }
      case "/api/v1/orderBookOrders":
        return this.orderBookOrders(q)
      case "/api/v1/recentTrades":
        return this.recentTrades(q)
      case "/api/v1/trades":
        return this.trades(q, req)
      case "/sim/trades":
        return this.simTrades(q)
      case "/sim/positions":
        return this.simPositions()
      case "/sim/timeline":
        return this.exchange.timeline.toJson()
      case "/sim/stats":
        return this.simStats()
    }
    throw new SimError(404, "not found", 404)
  }

  // ───────────────────────────── transactions ─────────────────────────────

  private async sendTx(f: Map<string, string>): Promise<Json> {
    const type = f.get("tx_type")
    const info = f.get("tx_info")
    if (type === undefined || !/^\d+$/.test(type.trim())) throw invalid("tx_type")
    if (info === undefined) throw new SimError(ErrorCode.InvalidTxInfo)
    const r = await this.exchange.submit(Number(type), info, "rest")
    return {
      code: 200,
      message: VOLUME_QUOTA_MESSAGE,
      tx_hash: r.txHash,
      predicted_execution_time_ms: r.predictedExecutionTimeMs,
      volume_quota_remaining: VOLUME_QUOTA_REMAINING
    }
  }

  private async sendTxBatch(f: Map<string, string>): Promise<Json> {
    let types: unknown
    let infos: unknown
    try {
      types = JSON.parse(f.get("tx_types") ?? "")
      infos = JSON.parse(f.get("tx_infos") ?? "")
    } catch {
      throw new SimError(ErrorCode.InvalidTxInfo, "invalid tx info: tx_types/tx_infos must be JSON lists")
    }
    if (!Array.isArray(types) || !Array.isArray(infos)) throw new SimError(ErrorCode.InvalidTxInfo)
    const r = await this.exchange.submitBatch(types.map(Number), infos, "rest")
    return {
      code: 200,
      message: VOLUME_QUOTA_MESSAGE,
      tx_hash: r.txHashes,
      predicted_execution_time_ms: r.predictedExecutionTimeMs,
      volume_quota_remaining: VOLUME_QUOTA_REMAINING
    }
  }

  // ───────────────────────────── accounts ─────────────────────────────

  private nextNonce(q: Query): Json {
    const acc = this.engine.account(intParam(q, "account_index"))
    const key = intParam(q, "api_key_index")
    if (key < 0 || key > 254) throw invalid("api_key_index")
    return { code: 200, nonce: acc.nonceFor(key) }
  }

  /**
   * GET /api/v1/apikeys?account_index=N[&api_key_index=K] (PROTOCOL.md §1.4 ApiKey, §3.3).
   * One slot (K in 0…254): that slot, registered or not. An empty slot reports `public_key` as 80
   * zeros (the venue's "no key" value, PROTOCOL.md §1.4), `transaction_time` 0. All slots (K absent
   * or 255): the registered slots only, ascending — an account without keys answers `api_keys: []`.
   * Whether the venue also lists empty slots there is not documented; for a client it makes no
   * difference: lighter-go's CheckClient compares its key with the slot's entry, and a missing
   * entry and an 80-zero one both fail with "private key does not match".
   */
  private apikeys(q: Query): Json {
    const acc = this.engine.account(intParam(q, "account_index"))
    const key = intParam(q, "api_key_index", 255)
    const keyJson = (k: number): Json => {
      const reg = acc.apiKeys.get(k)
      return {
        account_index: acc.index,
        api_key_index: k,
        nonce: acc.nonceFor(k),
        public_key: acc.publicKeyHex(k),
        transaction_time: reg === undefined ? 0 : Math.floor(reg.registeredAtMs * 1000)
      }
    }
    if (key !== 255) {
      if (key < 0 || key > MAX_API_KEY_INDEX) throw invalid("api_key_index")
      return { code: 200, api_keys: [keyJson(key)] }
    }
    return { code: 200, api_keys: [...acc.apiKeys.keys()].sort((a, b) => a - b).map(keyJson) }
  }

  private account(q: Query): Json {
    const by = q.get("by")
    const value = q.get("value") ?? ""
    let accounts: Account[]
    if (by === "index") {
      if (!/^\d+$/.test(value)) throw invalid("value")
      accounts = [this.engine.account(Number(value))]
    } else if (by === "l1_address") {
      accounts = this.engine.accountByL1(value)
      if (accounts.length === 0) throw new SimError(ErrorCode.AccountNotFound)
    } else throw invalid("by")
    return { code: 200, total: accounts.length, accounts: accounts.map((a) => detailedAccountJson(this.engine, a)) }
  }

  private accountsByL1(q: Query): Json {
    const l1 = q.get("l1_address") ?? ""
    const accounts = this.engine.accountByL1(l1)
    if (accounts.length === 0) throw new SimError(ErrorCode.AccountNotFound)
    return {
      code: 200,
      l1_address: l1,
      sub_accounts: accounts.map((a) => {
        const d = detailedAccountJson(this.engine, a)
        const keep = ["code", "account_type", "index", "l1_address", "cancel_all_time", "total_order_count",
          "total_isolated_order_count", "pending_order_count", "available_balance", "status", "collateral",
          "transaction_time", "account_trading_mode"]
        return Object.fromEntries(keep.map((k) => [k, d[k]]))
      })
    }
  }

  /** A private read of `account`: throws 400 {code: 20013, message: "invalid auth: <reason>"} unless the token is good. */
  private requireAuth(q: Query, req: IncomingMessage, account: number): void {
    const auth = this.exchange.auth
    if (!auth.required) return
    const r = auth.check(restToken(q, req.headers["authorization"]), account)
    if (!r.ok) throw authError(r.reason)
  }

  private orderJson(o: SimOrder): Json {
    return orderJson(this.engine.market(o.marketId).spec, o)
  }

  private activeOrders(q: Query, req: IncomingMessage): Json {
    const index = intParam(q, "account_index")
    this.requireAuth(q, req, index)
    const acc = this.engine.account(index)
    const market = intParam(q, "market_id")
    if (market !== 255) this.engine.market(market)
    const orders = [...acc.active.values()]
      .filter((o) => market === 255 || o.marketId === market)
      .sort((a, b) => a.seq - b.seq)
    return { code: 200, orders: orders.map((o) => this.orderJson(o)) }
  }

  private inactiveOrders(q: Query, req: IncomingMessage): Json {
    const index = intParam(q, "account_index")
    this.requireAuth(q, req, index)
    const acc = this.engine.account(index)
    const limit = intParam(q, "limit")
    if (limit < 1 || limit > 100) throw invalid("limit")
    const market = intParam(q, "market_id", 255)
    const askFilter = intParam(q, "ask_filter", -1)
    const offset = cursorOffset(q.get("cursor"))
    const all = acc.inactive
      .filter((o) => (market === 255 || o.marketId === market) && (askFilter === -1 || o.isAsk === (askFilter === 1)))
      .reverse()
    const page = all.slice(offset, offset + limit)
    const out: Json = { code: 200, orders: page.map((o) => this.orderJson(o)) }
    if (offset + limit < all.length) out["next_cursor"] = String(offset + limit)
    return out
  }

  // ───────────────────────────── market data ─────────────────────────────

  private marketsFor(q: Query) {
    const id = intParam(q, "market_id", 255)
    const filter = q.get("filter") ?? "all"
    if (filter === "spot") return []
    if (id === 255) return [...this.engine.markets.values()]
    return [this.engine.market(id)]
  }

  private orderBookOrders(q: Query): Json {
    const m = this.engine.market(intParam(q, "market_id"))
    const limit = intParam(q, "limit")
    if (limit < 1 || limit > 250) throw invalid("limit")
    const book = this.engine.book(m.spec.marketId)
    const asks = book.orders(true, limit)
    const bids = book.orders(false, limit)
    return {
      code: 200,
      total_asks: asks.length,
      asks: asks.map((o) => simpleOrderJson(m.spec, o)),
      total_bids: bids.length,
      bids: bids.map((o) => simpleOrderJson(m.spec, o))
    }
  }

  private tradeJson(t: SimTrade): Json {
    return tradeJson(this.engine.market(t.marketId).spec, t)
  }

  private recentTrades(q: Query): Json {
    const m = this.engine.market(intParam(q, "market_id"))
    const limit = intParam(q, "limit")
    if (limit < 1 || limit > 100) throw invalid("limit")
    const trades = this.engine.trades.filter((t) => t.marketId === m.spec.marketId).slice(-limit).reverse()
    return { code: 200, trades: trades.map((t) => this.tradeJson(t)) }
  }

  private trades(q: Query, req: IncomingMessage): Json {
    const account = intParam(q, "account_index", -1)
    // By account: a private read (the venue lists auth for /trades); without an account it is public.
    if (account !== -1) this.requireAuth(q, req, account)
    const sortBy = q.get("sort_by")
    if (sortBy !== "block_height" && sortBy !== "timestamp" && sortBy !== "trade_id") throw invalid("sort_by")
    const limit = intParam(q, "limit")
    if (limit < 1 || limit > 100) throw invalid("limit")
    const market = intParam(q, "market_id", 255)
    const orderIndex = intParam(q, "order_index", 0)
    const from = intParam(q, "from", 0)
    const askFilter = intParam(q, "ask_filter", -1)
    const role = q.get("role") ?? "all"
    const dir = q.get("sort_dir") ?? "desc"
    if (dir !== "asc" && dir !== "desc") throw invalid("sort_dir")
    const offset = cursorOffset(q.get("cursor"))
    let list = this.engine.trades.filter((t) => {
      if (market !== 255 && t.marketId !== market) return false
      if (orderIndex !== 0 && t.askId !== orderIndex && t.bidId !== orderIndex) return false
      if (from > 0 && t.timestampMs < from) return false
      if (account !== -1) {
        const isAsk = t.askAccountId === account
        const isBid = t.bidAccountId === account
        if (!isAsk && !isBid) return false
        if (askFilter === 1 && !isAsk) return false
        if (askFilter === 0 && !isBid) return false
        const maker = (isAsk && t.isMakerAsk) || (isBid && !t.isMakerAsk)
        if (role === "maker" && !maker) return false
        if (role === "taker" && maker) return false
      }
      return true
    })
    if (dir === "desc") list = list.slice().reverse()
    const page = list.slice(offset, offset + limit)
    const out: Json = { code: 200, trades: page.map((t) => this.tradeJson(t)) }
    if (offset + limit < list.length) out["next_cursor"] = String(offset + limit)
    return out
  }

  // ───────────────────────────── /sim ─────────────────────────────

  private simTrades(q: Query): Json {
    const since = intParam(q, "since_trade_id", 0)
    const account = intParam(q, "account_index", -1)
    const trades = this.engine.trades.filter(
      (t) => t.tradeId > since && (account === -1 || t.askAccountId === account || t.bidAccountId === account)
    )
    return {
      code: 200,
      trades: trades.map((t) => {
        const spec = this.engine.market(t.marketId).spec
        const makerAccount = t.isMakerAsk ? t.askAccountId : t.bidAccountId
        const takerAccount = t.isMakerAsk ? t.bidAccountId : t.askAccountId
        return {
          trade_id: t.tradeId,
          market_id: t.marketId,
          symbol: spec.symbol,
          price: formatScaled(t.price, spec.priceDecimals),
          size: formatScaled(t.size, spec.sizeDecimals),
          price_ticks: t.price,
          size_units: t.size,
          usd_amount: usdc(t.usdMicro),
          ask_account_id: t.askAccountId,
          bid_account_id: t.bidAccountId,
          ask_id: t.askId,
          bid_id: t.bidId,
          ask_client_id: t.askClientId,
          bid_client_id: t.bidClientId,
          is_maker_ask: t.isMakerAsk,
          taker_side: t.isMakerAsk ? "buy" : "sell",
          maker_account_id: makerAccount,
          taker_account_id: takerAccount,
          timestamp_ms: t.timestampMs,
          block_height: t.blockHeight,
          tx_hash: t.txHash
        }
      })
    }
  }

  private simPositions(): Json {
    return {
      code: 200,
      accounts: [...this.engine.accounts.values()].map((acc) => ({
        account_index: acc.index,
        l1_address: acc.l1Address,
        tier: acc.tier,
        collateral: usdc(acc.collateralMicro),
        active_orders: acc.active.size,
        positions: [...acc.positions.values()].map((p) => {
          const m = this.engine.market(p.marketId)
          const metrics = positionMetrics(m, p, markPrice(this.engine, p.marketId))
          return {
            market_id: p.marketId,
            symbol: m.spec.symbol,
            size: formatScaled(p.size, m.spec.sizeDecimals),
            size_units: p.size,
            entry_quote: usdc(p.entryQuoteMicro),
            realized_pnl: usdc(p.realizedPnlMicro),
            unrealized_pnl: usdc(metrics.upnlMicro)
          }
        })
      }))
    }
  }

  /**
   * POST /sim/apikeys {account_index, api_key_index, public_key} (JSON, urlencoded or multipart):
   * registers a public key on a slot, standing in for the venue's ChangePubKey tx. Nothing else is
   * reset (the slot's nonce continues). Answers {code: 200, account_index, api_key_index, public_key}.
   */
  private registerApiKey(f: Map<string, string>): Json {
    const field = (name: string): number => {
      const v = (f.get(name) ?? "").trim()
      if (!/^\d{1,16}$/.test(v)) throw invalid(name)
      return Number(v)
    }
    const account = field("account_index")
    const key = field("api_key_index")
    const pub = f.get("public_key")
    if (pub === undefined || pub.trim() === "") throw invalid("public_key")
    this.exchange.registerApiKey(account, key, pub.trim())
    return { code: 200, account_index: account, api_key_index: key, public_key: this.engine.account(account).publicKeyHex(key) }
  }

  /**
   * GET /sim/stats: {code, chain_id, signatures: {verified, rejected, by_code: {"21120": n, …}},
   * auth_required, auth: {accepted, rejected}}.
   */
  private simStats(): Json {
    const s = this.exchange.signatureStats()
    const a = this.exchange.authStats()
    return {
      code: 200,
      chain_id: this.exchange.chainId,
      signatures: { verified: s.verified, rejected: s.rejected, by_code: { ...s.byCode } },
      auth_required: this.exchange.auth.required,
      auth: { accepted: a.accepted, rejected: a.rejected }
    }
  }

  private fault(f: Map<string, string>): Json {
    const spec: Record<string, unknown> = {}
    for (const [k, v] of f) {
      spec[k] = k === "type" || k === "mode" || k === "message" ? v : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v
    }
    let result: unknown
    try {
      result = this.exchange.faults.apply(spec as unknown as FaultSpec)
    } catch (e) {
      if (e instanceof SimError) throw e
      throw new SimError(ErrorCode.InvalidParam, e instanceof Error ? e.message : String(e))
    }
    return { code: 200, result: result ?? null }
  }
}

const cursorOffset = (c: string | null): number => {
  if (c === null || c === "") return 0
  if (!/^\d+$/.test(c)) throw invalid("cursor")
  return Number(c)
}

const send = (res: ServerResponse, status: number, body: Json): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}
