// startSimulator: the embedded Lighter-compatible exchange on loopback (REST /api/v1, WS /stream,
// observation and faults under /sim). Every tx is verified like the venue does (registered API key,
// ExpiredAt, Schnorr signature with the chain id), and private channels and private REST reads need
// a valid auth token (signature under the registered key, this account, not expired, ≤ 8 h ahead;
// auth.ts) unless `requireAuth: false`.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { LIGHTER_BTC, LIGHTER_ETH } from "../domain/market.ts"
import type { MarketSpec } from "../domain/market.ts"
import type { AccountOptions } from "./accounts.ts"
import type { AuthStats } from "./auth.ts"
import type { Clock } from "./clock.ts"
import { Engine } from "./engine.ts"
import { SimExchange } from "./exchange.ts"
import { Faults } from "./faults.ts"
import { RestApi } from "./rest.ts"
import { DEFAULT_INITIAL_PRICES, SyntheticMarket } from "./synthetic-market.ts"
import type { SyntheticMarketOptions } from "./synthetic-market.ts"
import { Timeline } from "./timeline.ts"
import type { Tier } from "./types.ts"
import { DEFAULT_CHAIN_ID } from "./verify.ts"
import type { SignatureStats } from "./verify.ts"
import { WsHub } from "./ws.ts"

/** The start-up line saying what is and is not checked. */
export const verificationNotice = (chainId: number, requireAuth = true): string =>
  `lighter simulator: every tx is verified (registered API key, ExpiredAt, signature with chain id ${chainId}); ` +
  (requireAuth
    ? "auth tokens are checked (private channels and private REST reads: signature under the registered key, account, expiry, at most 8 h)"
    : "auth tokens are NOT checked (requireAuth off: any token or none is accepted)")

export const DEFAULT_LIQUIDITY_ACCOUNT = 100
export const DEFAULT_TAKER_ACCOUNT = 101

export interface SimAccountOption {
  readonly index: number
  readonly collateralUsdc?: string
  readonly tier?: Tier
  readonly l1Address?: string
  /** Registered public keys (40-byte hex, 0x optional) by API key index; other slots are not registered (21109). */
  readonly apiKeys?: Readonly<Record<number, string>>
}

export interface SimOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number
  readonly host?: string
  /** Default: accounts 1 and 2 (100 000 USDC, standard). Background accounts are added when the market is on. */
  readonly accounts?: readonly SimAccountOption[]
  readonly seed?: number
  /** Standard tier: 200 ms maker/cancel, 300 ms taker; premium: 0 / 200 ms. Default false. */
  readonly speedBumps?: boolean
  /** Per L1 address; default false (off). Lighter Standard is 60. */
  readonly rateLimit?: { readonly txPerMinute: number; readonly premiumTxPerMinute?: number } | false
  /** Synthetic market (price walk, background liquidity, random takers). Default on; false = empty books. */
  readonly market?: (Partial<Omit<SyntheticMarketOptions, "liquidityAccount" | "takerAccount">> & {
    readonly liquidityAccount?: number
    readonly takerAccount?: number
    /** Start the step timer (default true). Tests can drive `exchange.market.step()` by hand. */
    readonly autoStart?: boolean
  }) | false
  readonly markets?: readonly MarketSpec[]
  /** Price band for 21733 "accidental price", bps from the reference price (default 500). */
  readonly accidentalPriceBps?: number
  /** Chain id tx signatures are verified with (default 304, mainnet; testnet is 300). */
  readonly chainId?: number
  readonly ws?: {
    readonly pingIntervalMs?: number
    readonly idleTimeoutMs?: number
    readonly bookFlushMs?: number
    /** How often subscriptions' token deadlines are checked (default 250 ms). */
    readonly authCheckMs?: number
  }
  readonly log?: (line: string) => void
  /** The exchange's clock (its timestamps, tx expiry checks); default the system clock. Tests offset it. */
  readonly clock?: Clock
  /**
   * Require and check auth tokens (default true): account_all_orders, account_orders,
   * account_all_trades and account_all_positions need one on subscribe; account_all and user_stats
   * check one if given; accountActiveOrders, accountInactiveOrders and trades by account_index need
   * one. false: tokens are ignored (as before).
   */
  readonly requireAuth?: boolean
}

export interface SimExchangeHandle {
  readonly engine: Engine
  readonly exchange: SimExchange
  readonly faults: Faults
  readonly market: SyntheticMarket | undefined
  readonly ws: WsHub
  readonly rest: RestApi
  /** Accounts the caller trades with (excludes the synthetic market's accounts). */
  readonly accounts: readonly number[]
  /** The chain id signatures are verified with. */
  readonly chainId: number
  /**
   * Registers a public key (40-byte hex, 0x optional) on an API key slot (0–254) at run time, as the
   * venue's ChangePubKey tx would; nothing else is reset. Throws SimError (21100, 20001, 21136).
   */
  registerApiKey(account: number, keyIndex: number, publicKeyHex: string): void
  /** Signatures verified and txs refused by verification, by code (also GET /sim/stats). */
  signatureStats(): SignatureStats
  /** Auth-token checks passed and refused (private subscribes, private REST reads; also GET /sim/stats). */
  authStats(): AuthStats
  /** Whether auth tokens are required and checked (SimOptions.requireAuth). */
  readonly requireAuth: boolean
}

export interface SimHandle {
  /** http://host:port */
  readonly url: string
  /** ws://host:port/stream */
  readonly wsUrl: string
  readonly port: number
  close(): Promise<void>
  readonly exchange: SimExchangeHandle
}

export const startSimulator = async (options: SimOptions = {}): Promise<SimHandle> => {
  const log = options.log ?? (() => {})
  const host = options.host ?? "127.0.0.1"
  const seed = options.seed ?? 1
  const userAccounts: AccountOptions[] = (options.accounts ?? [{ index: 1 }, { index: 2 }]).map((a) => ({
    index: a.index,
    collateralUsdc: a.collateralUsdc ?? "100000",
    tier: a.tier ?? "standard",
    ...(a.l1Address !== undefined ? { l1Address: a.l1Address } : {}),
    ...(a.apiKeys !== undefined ? { apiKeys: a.apiKeys } : {})
  }))
  const marketOpt = options.market === false ? undefined : (options.market ?? {})
  const accounts = [...userAccounts]
  const liquidityAccount = marketOpt?.liquidityAccount ?? DEFAULT_LIQUIDITY_ACCOUNT
  const takerAccount = marketOpt?.takerAccount ?? DEFAULT_TAKER_ACCOUNT
  if (marketOpt !== undefined) {
    for (const idx of [liquidityAccount, takerAccount]) {
      if (!accounts.some((a) => a.index === idx)) accounts.push({ index: idx, collateralUsdc: "1000000000" })
    }
  }
  const initialPrices = marketOpt !== undefined ? { ...DEFAULT_INITIAL_PRICES, ...(marketOpt.initialPrices ?? {}) } : undefined
  const engine = new Engine({
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    markets: options.markets ?? [LIGHTER_ETH, LIGHTER_BTC],
    accounts,
    ...(options.accidentalPriceBps !== undefined ? { accidentalPriceBps: options.accidentalPriceBps } : {}),
    ...(initialPrices !== undefined ? { initialPrices } : {})
  })
  const faults = new Faults(engine.clock)
  const timeline = new Timeline()
  const exchange = new SimExchange(engine, faults, timeline, {
    speedBumps: options.speedBumps ?? false,
    rateLimit: options.rateLimit ?? false,
    chainId: options.chainId ?? DEFAULT_CHAIN_ID,
    requireAuth: options.requireAuth ?? true,
    log
  })
  const hub = new WsHub(exchange, {
    pingIntervalMs: options.ws?.pingIntervalMs ?? 30_000,
    idleTimeoutMs: options.ws?.idleTimeoutMs ?? 120_000,
    bookFlushMs: options.ws?.bookFlushMs ?? 50,
    authCheckMs: options.ws?.authCheckMs ?? 250
  })
  const rest = new RestApi(exchange)
  let market: SyntheticMarket | undefined
  if (marketOpt !== undefined) {
    const { autoStart, ...rest_ } = marketOpt
    market = new SyntheticMarket(engine, seed, { ...rest_, initialPrices: initialPrices!, liquidityAccount, takerAccount })
    if (autoStart !== false) market.start()
  }

  const server = createServer((req, res) => void rest.handle(req, res))
  server.keepAliveTimeout = 65_000
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://sim").pathname
    if (path === "/stream" || path === "/stream/") hub.handleUpgrade(req, socket, head)
    else socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host}:${port}`
  log(verificationNotice(exchange.chainId, exchange.auth.required))
  log(`lighter simulator listening on ${url} (ws ${url.replace("http", "ws")}/stream), seed ${seed}`)
  let closing: Promise<void> | undefined
  return {
    url,
    wsUrl: `ws://${host}:${port}/stream`,
    port,
    exchange: {
      engine,
      exchange,
      faults,
      market,
      ws: hub,
      rest,
      accounts: userAccounts.map((a) => a.index),
      chainId: exchange.chainId,
      registerApiKey: (account, keyIndex, publicKeyHex) => exchange.registerApiKey(account, keyIndex, publicKeyHex),
      signatureStats: () => exchange.signatureStats(),
      authStats: () => exchange.authStats(),
      requireAuth: exchange.auth.required
    },
    close: () =>
      (closing ??= (async () => {
        market?.stop()
        exchange.close()
        await hub.close()
        server.closeAllConnections()
        await new Promise<void>((r) => server.close(() => r()))
      })())
  }
}
