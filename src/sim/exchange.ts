// The tx pipeline shared by REST and WebSocket: decode → faults → batch shape and account →
// rate limit → verification (API key registered, ExpiredAt, signature; verify.ts) → accept (nonce,
// order rules) → schedule execution after the speed bump. Owns the engine's timers and the auth
// token checker (auth.ts) that the WebSocket hub and the REST API share.
import { parsePublicKey } from "../venue/lighter/signing/index.ts"
import { MAX_API_KEY_INDEX } from "./accounts.ts"
import { AuthChecker } from "./auth.ts"
import type { AuthStats } from "./auth.ts"
import type { Engine, Accepted } from "./engine.ts"
import { ErrorCode, SimError } from "./errors.ts"
import type { Faults } from "./faults.ts"
import { RateLimiter } from "./ratelimit.ts"
import type { Timeline, TxRecord } from "./timeline.ts"
import { decodeTx } from "./tx-decode.ts"
import type { DecodedTx } from "./tx-decode.ts"
import { OrderTypeCode, TifCode } from "./types.ts"
import type { Tier } from "./types.ts"
import { TxVerifier } from "./verify.ts"
import type { SignatureStats } from "./verify.ts"

export interface TxOk {
  readonly txHash: string
  readonly predictedExecutionTimeMs: number
  readonly accountIndex: number
}
export interface TxBatchOk {
  readonly txHashes: string[]
  readonly predictedExecutionTimeMs: number
  readonly accountIndex: number
}

export interface ExchangeOptions {
  readonly speedBumps: boolean
  readonly rateLimit: { readonly txPerMinute: number; readonly premiumTxPerMinute?: number } | false
  /** Chain id the signatures are checked with (default 304, mainnet). */
  readonly chainId?: number
  /** Require and check auth tokens on private channels and private REST reads (default true). */
  readonly requireAuth?: boolean
  readonly log: (line: string) => void
}

/** Speed bumps by tier (PROTOCOL.md §5.2): [maker/cancel, taker] in ms. */
const BUMPS: Record<Tier, readonly [number, number]> = { standard: [200, 300], premium: [0, 200] }

const isTaker = (tx: DecodedTx): boolean =>
  tx.kind === "create" && (tx.orderType === OrderTypeCode.Market || tx.timeInForce === TifCode.Ioc)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class SimExchange {
  readonly engine: Engine
  readonly faults: Faults
  readonly timeline: Timeline
  readonly options: ExchangeOptions
  readonly rateLimiter = new RateLimiter()
  readonly verifier: TxVerifier
  readonly auth: AuthChecker
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly tickTimer: ReturnType<typeof setInterval>
  private closed = false

  constructor(engine: Engine, faults: Faults, timeline: Timeline, options: ExchangeOptions) {
    this.engine = engine
    this.faults = faults
    this.timeline = timeline
    this.options = options
    this.verifier = new TxVerifier(options.chainId)
    this.auth = new AuthChecker(engine, faults, options.requireAuth ?? true)
    this.tickTimer = setInterval(() => this.engine.tick(), 250)
    this.tickTimer.unref()
  }

  close(): void {
    this.closed = true
    clearInterval(this.tickTimer)
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /** The chain id signatures are verified with. */
  get chainId(): number {
    return this.verifier.chainId
  }

  /**
   * Registers `publicKeyHex` (40 bytes of hex, 0x optional) on API key slot `keyIndex` (0–254) of
   * `account`, replacing any key there. Stands in for the venue's ChangePubKey tx; nothing else
   * (nonces, orders) is reset. Throws SimError: 21100 unknown account, 20001 bad index, 21136 bad key.
   */
  registerApiKey(account: number, keyIndex: number, publicKeyHex: string): void {
    const acc = this.engine.account(account)
    if (!Number.isInteger(keyIndex) || keyIndex < 0 || keyIndex > MAX_API_KEY_INDEX) {
      throw new SimError(ErrorCode.InvalidParam, "invalid param: api_key_index")
    }
    let key: Uint8Array
    try {
      key = parsePublicKey(publicKeyHex)
    } catch {
      throw new SimError(ErrorCode.InvalidPublicKey)
    }
    acc.registerKey(keyIndex, key, this.engine.clock.now())
  }

  /** Signatures verified and txs refused by the verification step (by error code). */
  signatureStats(): SignatureStats {
    return this.verifier.stats()
  }

  /** Auth checks passed and refused (private subscribes and private REST reads; also GET /sim/stats). */
  authStats(): AuthStats {
    return this.auth.stats()
  }

  /** One tx (REST sendTx or WS jsonapi/sendtx). Rejects with SimError. */
  async submit(txType: number, txInfo: unknown, transport: "rest" | "ws"): Promise<TxOk> {
    const r = await this.submitBatch([txType], [txInfo], transport)
    return { txHash: r.txHashes[0]!, predictedExecutionTimeMs: r.predictedExecutionTimeMs, accountIndex: r.accountIndex }
  }

  async submitBatch(txTypes: readonly number[], txInfos: readonly unknown[], transport: "rest" | "ws"): Promise<TxBatchOk> {
    const t0 = this.engine.clock.now()
    if (txTypes.length !== txInfos.length) throw new SimError(ErrorCode.InvalidTxInfo, "tx_types and tx_infos differ in length")
    if (txTypes.length === 0) throw new SimError(ErrorCode.InvalidTxInfo, "invalid tx info: empty batch")
    let txs: DecodedTx[]
    try {
      txs = txTypes.map((ty, i) => decodeTx(ty, txInfos[i]))
    } catch (e) {
      this.timeline.recordTx({
        t: t0,
        transport,
        tx_type: txTypes[0] ?? -1,
        account_index: null,
        api_key_index: null,
        nonce: null,
        code: e instanceof SimError ? e.code : ErrorCode.Internal
      })
      throw e
    }
    const records = txs.map((tx) => this.timeline.recordTx(txRecord(t0, transport, tx)))
    const account = txs[0]!.accountIndex
    const fail = (e: unknown): never => {
      const code = e instanceof SimError ? e.code : ErrorCode.Internal
      for (const r of records) r.code = code
      throw e
    }

    const delay = this.faults.takeDelay(account)
    if (delay !== undefined && delay.mode === "both") await sleep(delay.ms)
    if (this.closed) fail(new SimError(ErrorCode.Internal, "simulator closed"))
    if (this.faults.takeTooMany(account)) fail(new SimError(ErrorCode.TooManyRequests))
    const injected = this.faults.takeReject(account)
    if (injected !== undefined) fail(injected)

    let accepted: Accepted[] = []
    try {
      const acc = this.engine.checkBatch(txs)
      if (this.options.rateLimit !== false) {
        const limit =
          acc.tier === "premium" ? (this.options.rateLimit.premiumTxPerMinute ?? 4000) : this.options.rateLimit.txPerMinute
        if (!this.rateLimiter.take(acc.l1Address, txs.length, limit, this.engine.clock.now())) {
          throw new SimError(ErrorCode.TooManyRequests)
        }
      }
      // Before the nonce and before the book: key registered → ExpiredAt → signature.
      const hashes = this.verifier.verify(acc, txs, this.engine.clock.now())
      accepted = this.engine.acceptBatch(txs, hashes)
    } catch (e) {
      fail(e)
    }
    const tier = this.engine.account(account).tier
    let predicted = 0
    accepted.forEach((a, i) => {
      records[i]!.code = 200
      records[i]!.tx_hash = a.txHash
      const bump = this.options.speedBumps ? BUMPS[tier][isTaker(a.tx) ? 1 : 0] : 0
      const extra = delay !== undefined && delay.mode === "execution" ? delay.ms : 0
      const partial =
        a.tx.kind === "create" && a.tx.orderType === OrderTypeCode.Market ? this.faults.takePartialFill(account) : undefined
      const wait = bump + extra
      predicted = Math.max(predicted, Math.floor(this.engine.clock.now() + wait))
      this.schedule(wait, () => {
        records[i]!.executed_at = this.engine.clock.now()
        const marginRefused = a.tx.kind === "create" && this.faults.marginRefused(account, this.engine.clock.now())
        this.engine.execute(a, { ...(partial !== undefined ? { partialFillPpm: partial } : {}), ...(marginRefused ? { marginRefused } : {}) })
      })
    })
    if (delay !== undefined && delay.mode === "reply") await sleep(delay.ms)
    return { txHashes: accepted.map((a) => a.txHash), predictedExecutionTimeMs: predicted, accountIndex: account }
  }

  /** Runs `fn` after `ms` (0 = right after the current I/O callback, so replies go out first). */
  private schedule(ms: number, fn: () => void): void {
    const run = (): void => {
      if (this.closed) return
      try {
        fn()
      } catch (e) {
        this.options.log(`sim: execution failed: ${e instanceof Error ? e.stack : String(e)}`)
      }
    }
    if (ms <= 0) {
      setImmediate(run)
      return
    }
    const t = setTimeout(() => {
      this.timers.delete(t)
      run()
    }, ms)
    this.timers.add(t)
  }
}

const txRecord = (t: number, transport: "rest" | "ws", tx: DecodedTx): TxRecord => {
  const base = {
    t,
    transport,
    tx_type: tx.txType,
    account_index: tx.accountIndex,
    api_key_index: tx.apiKeyIndex,
    nonce: tx.nonce,
    code: 0
  }
  switch (tx.kind) {
    case "create":
      return {
        ...base,
        market_index: tx.marketIndex,
        client_order_index: tx.clientOrderIndex,
        is_ask: tx.isAsk,
        base_amount: tx.baseAmount,
        price: tx.price,
        order_type: tx.orderType
      }
    case "cancel":
      return { ...base, market_index: tx.marketIndex, index: tx.index }
    case "modify":
      return { ...base, market_index: tx.marketIndex, index: tx.index, base_amount: tx.baseAmount, price: tx.price }
    case "cancelAll":
      return base
  }
}
