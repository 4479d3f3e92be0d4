// The matching engine: books, accounts, orders, trades. Pure and synchronous; time from a Clock.
// accept() validates a decoded tx at receipt and consumes its nonce; execute() applies it (the
// caller may delay execution, e.g. for speed bumps). Every execution yields one ChangeSet.
import { createHash } from "node:crypto"
import {
  LIGHTER_BTC,
  LIGHTER_ETH,
  MAX_BASE_AMOUNT,
  MAX_PRICE,
  notionalMicro
} from "../domain/market.ts"
import type { MarketSpec } from "../domain/market.ts"
import { Account, applyFill, FEES } from "./accounts.ts"
import type { AccountOptions } from "./accounts.ts"
import { OrderBook } from "./book.ts"
import { systemClock } from "./clock.ts"
import type { Clock } from "./clock.ts"
import { ErrorCode, SimError } from "./errors.ts"
import type { CancelAllTx, CancelOrderTx, CreateOrderTx, DecodedTx, ModifyOrderTx } from "./tx-decode.ts"
import { OrderTypeCode, TifCode } from "./types.ts"
import type { MarketState, OrderStatus, SimOrder, SimTrade } from "./types.ts"

export const MAX_CLIENT_ORDER_INDEX = 2 ** 48 - 1
const ASK_INDEX_BASE = 2 ** 48
const BID_INDEX_BASE = 2 ** 49
const DAY_MS = 86_400_000
const MAX_BATCH = 50
const MAX_INACTIVE_KEPT = 20_000
const SKIP_NONCE_MAX = 2 ** 47 - 1

export interface EngineOptions {
  readonly markets?: readonly MarketSpec[]
  readonly accounts: readonly AccountOptions[]
  readonly clock?: Clock
  /** Reject prices further than this from the reference price (21733). Default 500 bps = 5 %. */
  readonly accidentalPriceBps?: number
  /** Initial reference prices in ticks by market id (used before any trade/quote exists). */
  readonly initialPrices?: Readonly<Record<number, number>>
}

export interface ChangeSet {
  readonly blockHeight: number
  /** Orders whose state changed, in the order they changed (each once, latest state). */
  readonly orders: SimOrder[]
  readonly trades: SimTrade[]
  /** Accounts whose positions or collateral changed. */
  readonly accounts: Set<number>
  /** The tx that caused it, when there is one. */
  readonly txHash: string | undefined
}

export interface Accepted {
  readonly tx: DecodedTx
  readonly txHash: string
  readonly receivedAtMs: number
}

export interface ExecuteHints {
  /** Fill at most this fraction (parts per million) of a market order (fault injection). */
  readonly partialFillPpm?: number
  /** The account's margin is used up (fault refuse_margin): an order that is not reduce-only is cancelled. */
  readonly marginRefused?: boolean
}

type CancelReason = "price" | "liquidity" | "reduce" | "partial" | null

export class Engine {
  readonly clock: Clock
  readonly markets = new Map<number, MarketState>()
  readonly books = new Map<number, OrderBook>()
  readonly accounts = new Map<number, Account>()
  /** Every trade ever, oldest first. */
  readonly trades: SimTrade[] = []
  readonly accidentalPriceBps: number
  blockHeight = 100_000
  private orderCounter = 0
  private tradeCounter = 0
  private orderSeq = 0
  private txCounter = 0
  /** Client order indexes reserved by accepted-but-not-executed creates, per account. */
  private readonly pendingClientIds = new Map<number, Map<number, number>>()
  private readonly pendingCount = new Map<number, number>()
  private readonly changeListeners: Array<(cs: ChangeSet) => void> = []
  private readonly levelListeners: Array<(marketId: number, isAsk: boolean, price: number) => void> = []
  private current: { orders: Map<number, SimOrder>; trades: SimTrade[]; accounts: Set<number> } | null = null

  constructor(options: EngineOptions) {
    this.clock = options.clock ?? systemClock
    this.accidentalPriceBps = options.accidentalPriceBps ?? 500
    for (const spec of options.markets ?? [LIGHTER_ETH, LIGHTER_BTC]) {
      const p = options.initialPrices?.[spec.marketId] ?? 0
      this.markets.set(spec.marketId, {
        spec,
        imf: 500,
        lastTradePrice: p,
        dailyTrades: 0,
        dailyBase: 0,
        dailyQuoteMicro: 0n,
        low: p,
        high: p,
        openPrice: p
      })
      this.books.set(
        spec.marketId,
        new OrderBook(spec.marketId, (isAsk, price) => {
          for (const l of this.levelListeners) l(spec.marketId, isAsk, price)
        })
      )
    }
    for (const a of options.accounts) this.addAccount(a)
  }

  addAccount(options: AccountOptions): Account {
    if (!Number.isSafeInteger(options.index) || options.index < 1) throw new Error(`account index must be ≥ 1`)
    const acc = new Account(options, this.clock.now())
    this.accounts.set(acc.index, acc)
    return acc
  }

  onChange(fn: (cs: ChangeSet) => void): void {
    this.changeListeners.push(fn)
  }
  onLevel(fn: (marketId: number, isAsk: boolean, price: number) => void): void {
    this.levelListeners.push(fn)
  }

  market(marketId: number): MarketState {
    const m = this.markets.get(marketId)
    if (m === undefined) throw new SimError(ErrorCode.InvalidMarketIndex)
    return m
  }
  book(marketId: number): OrderBook {
    const b = this.books.get(marketId)
    if (b === undefined) throw new SimError(ErrorCode.InvalidMarketIndex)
    return b
  }
  account(index: number): Account {
    const a = this.accounts.get(index)
    if (a === undefined) throw new SimError(ErrorCode.AccountNotFound)
    return a
  }
  accountByL1(address: string): Account[] {
    const l = address.toLowerCase()
    return [...this.accounts.values()].filter((a) => a.l1Address.toLowerCase() === l)
  }
  pendingOrderCount(account: number): number {
    return this.pendingCount.get(account) ?? 0
  }

  /** Mid, else last trade, else the one-sided best, else undefined (ticks). */
  referencePrice(marketId: number): number | undefined {
    const book = this.book(marketId)
    const mid = book.mid()
    if (mid !== undefined) return mid
    const last = this.market(marketId).lastTradePrice
    if (last > 0) return last
    return book.bestAsk() ?? book.bestBid()
  }

  // ───────────────────────────── receipt ─────────────────────────────

  /** Validates one tx and consumes its nonce. Throws SimError (nothing consumed) on rejection. */
  accept(tx: DecodedTx): Accepted {
    return this.acceptBatch([tx])[0]!
  }

  /**
   * The batch checks that come before anything else: not empty, ≤ 50 txs (21514), one account and
   * one API key (21121), an existing account (21100). Returns that account. Throws SimError.
   */
  checkBatch(txs: readonly DecodedTx[]): Account {
    if (txs.length === 0) throw new SimError(ErrorCode.InvalidTxInfo, "empty batch")
    if (txs.length > MAX_BATCH) throw new SimError(ErrorCode.BatchTooLarge)
    const first = txs[0]!
    for (const t of txs) {
      if (t.accountIndex !== first.accountIndex || t.apiKeyIndex !== first.apiKeyIndex) {
        throw new SimError(ErrorCode.BatchMixedKeys)
      }
    }
    return this.account(first.accountIndex)
  }

  /**
   * Validates a batch all-or-nothing (same account and key, consecutive nonces, order rules) and
   * consumes the nonces. API key, ExpiredAt and signature are checked before this, by the exchange
   * (SimExchange.submitBatch → TxVerifier); `txHashes` are the hashes that check computed (the
   * signer's), used as the txs' hashes. Without them (direct engine use in tests) unique stand-ins are made.
   */
  acceptBatch(txs: readonly DecodedTx[], txHashes?: readonly string[]): Accepted[] {
    const acc = this.checkBatch(txs)
    const first = txs[0]!
    if (!Number.isInteger(first.apiKeyIndex) || first.apiKeyIndex < 0 || first.apiKeyIndex > 254) {
      throw new SimError(ErrorCode.ApiKeyNotFound)
    }
    const next = acc.nonceFor(first.apiKeyIndex)
    const now = this.clock.now()
    const reserved = new Set<number>()
    let expected = next
    txs.forEach((t, i) => {
      // Attribute 4 (skip-nonce) = 1: any strictly increasing nonce below 2^47−1 is accepted.
      const ok = t.attributes[4] === 1 ? t.nonce >= expected && t.nonce < SKIP_NONCE_MAX : t.nonce === expected
      if (!ok) throw new SimError(i === 0 ? ErrorCode.InvalidNonce : ErrorCode.BatchNonceNotIncreasing)
      expected = t.nonce + 1
      this.validate(acc, t, now, reserved)
    })
    // all good: consume nonces, reserve client ids
    acc.nextNonce.set(first.apiKeyIndex, expected)
    return txs.map((t, i) => {
      if (t.kind === "create") {
        this.pendingCount.set(acc.index, this.pendingOrderCount(acc.index) + 1)
        if (t.clientOrderIndex !== 0) {
          let m = this.pendingClientIds.get(acc.index)
          if (m === undefined) this.pendingClientIds.set(acc.index, (m = new Map()))
          m.set(t.clientOrderIndex, (m.get(t.clientOrderIndex) ?? 0) + 1)
        }
      }
      return { tx: t, txHash: txHashes?.[i] ?? this.txHash(t), receivedAtMs: now }
    })
  }

  /** A unique stand-in hash (direct engine use, synthetic-market orders): 80 hex chars like the signer's. */
  private txHash(t: DecodedTx): string {
    const h = createHash("sha256").update(`${++this.txCounter}|${t.txType}|${t.raw}`).digest("hex")
    return h + createHash("sha256").update(h).digest("hex").slice(0, 16)
  }

  private validate(acc: Account, t: DecodedTx, now: number, reserved: Set<number>): void {
    switch (t.kind) {
      case "create":
        return this.validateCreate(acc, t, now, reserved)
      case "cancel":
        this.market(t.marketIndex)
        if (!Number.isSafeInteger(t.index) || t.index < 1) throw new SimError(ErrorCode.InvalidOrderIndex)
        return
      case "modify": {
        const m = this.market(t.marketIndex)
        if (!Number.isSafeInteger(t.index) || t.index < 1) throw new SimError(ErrorCode.InvalidOrderIndex)
        if (t.baseAmount < 1 || t.baseAmount > MAX_BASE_AMOUNT) throw new SimError(ErrorCode.InvalidBaseAmount)
        if (t.price < 1 || t.price > MAX_PRICE) throw new SimError(ErrorCode.InvalidPrice)
        this.checkAccidental(m.spec.marketId, t.price)
        return
      }
      case "cancelAll":
        if (t.timeInForce < 0 || t.timeInForce > 2) throw new SimError(ErrorCode.InvalidTimeInForce)
        if (t.timeInForce === 1 && t.time <= now) throw new SimError(ErrorCode.InvalidExpiry)
        return
    }
  }

  private validateCreate(acc: Account, t: CreateOrderTx, now: number, reserved: Set<number>): void {
    const m = this.market(t.marketIndex)
    if (t.clientOrderIndex < 0 || t.clientOrderIndex > MAX_CLIENT_ORDER_INDEX) {
      throw new SimError(ErrorCode.InvalidClientOrderIndex)
    }
    if (t.orderType !== OrderTypeCode.Limit && t.orderType !== OrderTypeCode.Market) {
      throw new SimError(ErrorCode.InvalidOrderType, "order type not supported by the simulator")
    }
    if (t.timeInForce < 0 || t.timeInForce > 2) throw new SimError(ErrorCode.InvalidTimeInForce)
    if (t.orderType === OrderTypeCode.Market && t.timeInForce !== TifCode.Ioc) throw new SimError(ErrorCode.InvalidTimeInForce)
    if (t.timeInForce === TifCode.Ioc) {
      if (t.orderExpiry !== 0) throw new SimError(ErrorCode.InvalidExpiry)
    } else if (t.orderExpiry === 0 || (t.orderExpiry > 0 && t.orderExpiry <= now) || t.orderExpiry < -1) {
      throw new SimError(ErrorCode.InvalidExpiry)
    }
    if (!Number.isSafeInteger(t.baseAmount) || t.baseAmount < 1 || t.baseAmount > MAX_BASE_AMOUNT) {
      throw new SimError(ErrorCode.InvalidBaseAmount)
    }
    if (!Number.isSafeInteger(t.price) || t.price < 1 || t.price > MAX_PRICE) throw new SimError(ErrorCode.InvalidPrice)
    if (!t.reduceOnly) {
      if (t.baseAmount < m.spec.minBaseAmount || notionalMicro(m.spec, t.baseAmount, t.price) < BigInt(m.spec.minQuoteAmount)) {
        throw new SimError(ErrorCode.BelowMinimum)
      }
    }
    this.checkAccidental(t.marketIndex, t.price)
    if (t.clientOrderIndex !== 0) {
      if (
        reserved.has(t.clientOrderIndex) ||
        acc.activeByClientIndex(t.clientOrderIndex) !== undefined ||
        (this.pendingClientIds.get(acc.index)?.get(t.clientOrderIndex) ?? 0) > 0
      ) {
        throw new SimError(ErrorCode.ClientOrderIndexExists)
      }
      reserved.add(t.clientOrderIndex)
    }
  }

  private checkAccidental(marketId: number, price: number): void {
    const ref = this.referencePrice(marketId)
    if (ref === undefined || ref <= 0) return
    if (Math.abs(price - ref) * 10_000 > this.accidentalPriceBps * ref) throw new SimError(ErrorCode.AccidentalPrice)
  }

  // ───────────────────────────── execution ─────────────────────────────

  /** Applies an accepted tx. Emits and returns the ChangeSet. */
  execute(accepted: Accepted, hints: ExecuteHints = {}): ChangeSet {
    const t = accepted.tx
    if (t.kind === "create") this.releaseReservation(t)
    return this.withChanges(accepted.txHash, () => {
      switch (t.kind) {
        case "create":
          return this.execCreate(t, accepted.txHash, hints)
        case "cancel":
          return this.execCancel(t)
        case "cancelAll":
          return this.execCancelAll(t)
        case "modify":
          return this.execModify(t, accepted.txHash)
      }
    })
  }

  /** Places an order without nonce/validation (synthetic market participants). */
  placeDirect(params: {
    account: number
    marketId: number
    isAsk: boolean
    baseAmount: number
    price: number
    orderType?: number
    timeInForce?: number
    clientOrderIndex?: number
    reduceOnly?: boolean
  }): { changes: ChangeSet; order: SimOrder | undefined } {
    const tx: CreateOrderTx = {
      kind: "create",
      txType: 14,
      accountIndex: params.account,
      apiKeyIndex: 0,
      expiredAt: 0,
      nonce: 0,
      attributes: {},
      raw: "{}",
      marketIndex: params.marketId,
      clientOrderIndex: params.clientOrderIndex ?? 0,
      baseAmount: params.baseAmount,
      price: params.price,
      isAsk: params.isAsk,
      orderType: params.orderType ?? OrderTypeCode.Limit,
      timeInForce: params.timeInForce ?? TifCode.Gtt,
      reduceOnly: params.reduceOnly ?? false,
      triggerPrice: 0,
      orderExpiry: params.timeInForce === TifCode.Ioc ? 0 : -1
    }
    let order: SimOrder | undefined
    const changes = this.withChanges(this.txHash(tx), () => {
      order = this.execCreate(tx, "", {})
    })
    return { changes, order }
  }

  /** Cancels one order directly (synthetic market). */
  cancelDirect(order: SimOrder): ChangeSet {
    return this.withChanges(undefined, () => {
      if (order.status === "open") this.finish(order, "canceled")
    })
  }

  /** Time-driven work: order expiries and scheduled cancel-alls. */
  tick(): ChangeSet | undefined {
    const now = this.clock.now()
    const expiring: SimOrder[] = []
    const scheduled: Account[] = []
    for (const acc of this.accounts.values()) {
      if (acc.cancelAllTimeMs > 0 && acc.cancelAllTimeMs <= now) scheduled.push(acc)
      for (const o of acc.active.values()) if (o.orderExpiry > 0 && o.orderExpiry <= now) expiring.push(o)
    }
    if (expiring.length === 0 && scheduled.length === 0) return undefined
    return this.withChanges(undefined, () => {
      for (const o of expiring) if (o.status === "open") this.finish(o, "canceled-expired")
      for (const acc of scheduled) {
        acc.cancelAllTimeMs = 0
        for (const o of [...acc.active.values()]) this.finish(o, "canceled")
      }
    })
  }

  private releaseReservation(t: CreateOrderTx): void {
    this.pendingCount.set(t.accountIndex, Math.max(0, this.pendingOrderCount(t.accountIndex) - 1))
    if (t.clientOrderIndex === 0) return
    const m = this.pendingClientIds.get(t.accountIndex)
    const n = m?.get(t.clientOrderIndex) ?? 0
    if (m !== undefined) {
      if (n <= 1) m.delete(t.clientOrderIndex)
      else m.set(t.clientOrderIndex, n - 1)
    }
  }

  private withChanges(txHash: string | undefined, fn: () => void): ChangeSet {
    if (this.current !== null) throw new Error("engine: nested execution")
    const c = (this.current = { orders: new Map<number, SimOrder>(), trades: [] as SimTrade[], accounts: new Set<number>() })
    this.blockHeight++
    try {
      fn()
    } finally {
      this.current = null
    }
    const cs: ChangeSet = { blockHeight: this.blockHeight, orders: [...c.orders.values()], trades: c.trades, accounts: c.accounts, txHash }
    if (cs.orders.length > 0 || cs.trades.length > 0 || cs.accounts.size > 0) {
      for (const l of this.changeListeners) l(cs)
    }
    return cs
  }

  private touch(o: SimOrder): void {
    o.updatedAtMs = this.clock.now()
    o.blockHeight = this.blockHeight
    const c = this.current!
    c.orders.delete(o.orderIndex) // re-insert to keep "latest change last" ordering
    c.orders.set(o.orderIndex, o)
  }

  private finish(o: SimOrder, status: OrderStatus): void {
    if (o.status === "open") {
      const book = this.book(o.marketId)
      if (o.remainingBase > 0) book.remove(o)
    }
    o.status = status
    if (status !== "filled") o.remainingBase = 0
    const acc = this.accounts.get(o.accountIndex)
    if (acc !== undefined) {
      acc.active.delete(o.orderIndex)
      acc.inactive.push(o)
      if (acc.inactive.length > MAX_INACTIVE_KEPT) acc.inactive.splice(0, acc.inactive.length - MAX_INACTIVE_KEPT)
    }
    this.touch(o)
  }

  private newOrder(t: CreateOrderTx): SimOrder {
    const now = this.clock.now()
    const n = ++this.orderCounter
    return {
      orderIndex: (t.isAsk ? ASK_INDEX_BASE : BID_INDEX_BASE) + n,
      clientOrderIndex: t.clientOrderIndex,
      marketId: t.marketIndex,
      accountIndex: t.accountIndex,
      isAsk: t.isAsk,
      type: t.orderType,
      tif: t.timeInForce,
      reduceOnly: t.reduceOnly,
      price: t.price,
      initialBase: t.baseAmount,
      remainingBase: t.baseAmount,
      filledBase: 0,
      filledQuoteMicro: 0n,
      triggerPrice: t.triggerPrice,
      orderExpiry: t.orderExpiry === -1 ? Math.floor(now) + 28 * DAY_MS : t.orderExpiry,
      nonce: t.nonce,
      status: "open",
      createdAtMs: now,
      updatedAtMs: now,
      blockHeight: this.blockHeight,
      seq: ++this.orderSeq
    }
  }

  private execCreate(t: CreateOrderTx, txHash: string, hints: ExecuteHints): SimOrder {
    const acc = this.account(t.accountIndex)
    const order = this.newOrder(t)
    acc.totalOrderCount++
    acc.active.set(order.orderIndex, order)
    // a duplicate that slipped in during a speed bump: the venue would reject it; we cancel it
    const dup = t.clientOrderIndex !== 0 ? acc.activeByClientIndex(t.clientOrderIndex, order.orderIndex) : undefined
    if (dup !== undefined) {
      this.finish(order, "canceled")
      return order
    }
    if (order.reduceOnly && this.reduceCapacity(acc, order) === 0) {
      this.finish(order, "canceled-reduce-only")
      return order
    }
    if (hints.marginRefused === true && !order.reduceOnly) {
      this.finish(order, "canceled-margin-not-allowed")
      return order
    }
    const book = this.book(order.marketId)
    if (order.tif === TifCode.PostOnly) {
      const best = order.isAsk ? book.bestBid() : book.bestAsk()
      if (best !== undefined && this.crosses(order, best)) {
        this.finish(order, "canceled-post-only")
        return order
      }
    }
    const partialCap =
      order.type === OrderTypeCode.Market && hints.partialFillPpm !== undefined
        ? Number((BigInt(order.initialBase) * BigInt(hints.partialFillPpm)) / 1_000_000n)
        : undefined
    const reason = this.match(order, txHash, partialCap)
    if (order.remainingBase === 0) {
      this.finish(order, "filled")
    } else if (order.tif === TifCode.Ioc) {
      // Market orders: Price is a cap on each fill's price (worst-fill cap). The docs say the cap
      // bounds the *average* execution price; we implement the stricter per-fill cap.
      let status: OrderStatus = "canceled"
      if (reason === "reduce") status = "canceled-reduce-only"
      else if (order.type === OrderTypeCode.Market) {
        status = reason === "price" ? "canceled-too-much-slippage" : "canceled-not-enough-liquidity"
      }
      this.finish(order, status)
    } else if (reason === "reduce") {
      this.finish(order, "canceled-reduce-only")
    } else {
      book.add(order)
      this.touch(order)
    }
    return order
  }

  private crosses(order: SimOrder, oppositePrice: number): boolean {
    return order.isAsk ? oppositePrice >= order.price : oppositePrice <= order.price
  }

  /** How much a reduce-only order of `acc` may still fill (0 = it would not reduce). */
  private reduceCapacity(acc: Account, order: SimOrder): number {
    const pos = acc.positions.get(order.marketId)?.size ?? 0
    if (order.isAsk) return pos > 0 ? pos : 0
    return pos < 0 ? -pos : 0
  }

  /** Takes liquidity for `taker`. Returns why it stopped with remaining size, if it did. */
  private match(taker: SimOrder, txHash: string, partialCap: number | undefined): CancelReason {
    const book = this.book(taker.marketId)
    const opposite = book.side(!taker.isAsk)
    const takerAcc = this.account(taker.accountIndex)
    for (const level of opposite.iterate()) {
      if (taker.remainingBase === 0) return null
      if (!this.crosses(taker, level.price)) return "price"
      for (const maker of [...level.orders]) {
        if (taker.remainingBase === 0) return null
        if (maker.accountIndex === taker.accountIndex) {
          // self-trade prevention: the resting order is cancelled (expire-maker)
          this.finish(maker, "canceled-self-trade")
          continue
        }
        const makerAcc = this.account(maker.accountIndex)
        let qty = Math.min(taker.remainingBase, maker.remainingBase)
        if (taker.reduceOnly) {
          const cap = this.reduceCapacity(takerAcc, taker)
          if (cap === 0) return "reduce"
          qty = Math.min(qty, cap)
        }
        if (partialCap !== undefined) {
          const left = partialCap - taker.filledBase
          if (left <= 0) return "partial"
          qty = Math.min(qty, left)
        }
        if (maker.reduceOnly) {
          const cap = this.reduceCapacity(makerAcc, maker)
          if (cap === 0) {
            this.finish(maker, "canceled-reduce-only")
            continue
          }
          qty = Math.min(qty, cap)
        }
        this.trade(taker, maker, qty, txHash)
        if (maker.remainingBase === 0) this.finish(maker, "filled")
        else if (maker.reduceOnly && this.reduceCapacity(makerAcc, maker) === 0) this.finish(maker, "canceled-reduce-only")
      }
    }
    if (taker.remainingBase === 0) return null
    if (taker.reduceOnly && this.reduceCapacity(takerAcc, taker) === 0) return "reduce"
    if (partialCap !== undefined && taker.filledBase >= partialCap) return "partial"
    return "liquidity"
  }

  private trade(taker: SimOrder, maker: SimOrder, qty: number, txHash: string): void {
    const m = this.market(taker.marketId)
    const spec = m.spec
    const price = maker.price
    const now = this.clock.now()
    const takerAcc = this.account(taker.accountIndex)
    const makerAcc = this.account(maker.accountIndex)
    const tPos = takerAcc.position(spec.marketId)
    const mPos = makerAcc.position(spec.marketId)
    const tBefore = tPos.size
    const mBefore = mPos.size
    const tEntryBefore = tPos.entryQuoteMicro
    const mEntryBefore = mPos.entryQuoteMicro
    const usd = notionalMicro(spec, qty, price)
    const takerFee = FEES[takerAcc.tier].taker
    const makerFee = FEES[makerAcc.tier].maker
    const tRealized = applyFill(spec, tPos, taker.isAsk ? -qty : qty, price)
    const mRealized = applyFill(spec, mPos, maker.isAsk ? -qty : qty, price)
    takerAcc.collateralMicro += tRealized - (usd * BigInt(takerFee)) / 1_000_000n
    makerAcc.collateralMicro += mRealized - (usd * BigInt(makerFee)) / 1_000_000n
    for (const [o, acc] of [
      [taker, takerAcc],
      [maker, makerAcc]
    ] as const) {
      o.filledBase += qty
      o.filledQuoteMicro += usd
      acc.tradeCount++
      acc.volumeMicro += usd
    }
    taker.remainingBase -= qty
    this.book(spec.marketId).reduce(maker, qty)
    this.touch(maker)
    this.touch(taker)
    const ask = taker.isAsk ? taker : maker
    const bid = taker.isAsk ? maker : taker
    const trade: SimTrade = {
      tradeId: ++this.tradeCounter,
      txHash,
      marketId: spec.marketId,
      size: qty,
      price,
      usdMicro: usd,
      askId: ask.orderIndex,
      bidId: bid.orderIndex,
      askClientId: ask.clientOrderIndex,
      bidClientId: bid.clientOrderIndex,
      askAccountId: ask.accountIndex,
      bidAccountId: bid.accountIndex,
      isMakerAsk: maker.isAsk,
      blockHeight: this.blockHeight,
      timestampMs: now,
      takerFee,
      makerFee,
      takerPositionSizeBefore: tBefore,
      takerEntryQuoteBeforeMicro: tEntryBefore,
      makerPositionSizeBefore: mBefore,
      makerEntryQuoteBeforeMicro: mEntryBefore,
      takerSignChanged: Math.sign(tBefore) !== Math.sign(tPos.size),
      makerSignChanged: Math.sign(mBefore) !== Math.sign(mPos.size),
      imfBefore: m.imf
    }
    this.trades.push(trade)
    m.lastTradePrice = price
    m.dailyTrades++
    m.dailyBase += qty
    m.dailyQuoteMicro += usd
    m.low = m.low === 0 ? price : Math.min(m.low, price)
    m.high = Math.max(m.high, price)
    if (m.openPrice === 0) m.openPrice = price
    const c = this.current!
    c.trades.push(trade)
    c.accounts.add(takerAcc.index)
    c.accounts.add(makerAcc.index)
  }

  /** Resolves a cancel/modify `Index`: ≤ 2^48−1 is a client order index, else an order index. */
  findActive(accountIndex: number, index: number): SimOrder | undefined {
    const acc = this.accounts.get(accountIndex)
    if (acc === undefined) return undefined
    return index <= MAX_CLIENT_ORDER_INDEX ? acc.activeByClientIndex(index) : acc.active.get(index)
  }

  private execCancel(t: CancelOrderTx): void {
    const o = this.findActive(t.accountIndex, t.index)
    if (o === undefined || o.marketId !== t.marketIndex) return // no effect (venue accepts, sequencer drops)
    this.finish(o, "canceled")
  }

  private execCancelAll(t: CancelAllTx): void {
    const acc = this.account(t.accountIndex)
    if (t.timeInForce === 1) {
      acc.cancelAllTimeMs = t.time
      return
    }
    if (t.timeInForce === 2) {
      acc.cancelAllTimeMs = 0
      return
    }
    const onlyMarket = t.attributes[5]
    for (const o of [...acc.active.values()]) {
      if (onlyMarket !== undefined && onlyMarket !== 255 && o.marketId !== onlyMarket) continue
      this.finish(o, "canceled")
    }
  }

  private execModify(t: ModifyOrderTx, txHash: string): void {
    const o = this.findActive(t.accountIndex, t.index)
    if (o === undefined || o.marketId !== t.marketIndex) return
    const book = this.book(o.marketId)
    // BaseAmount is taken as the order's new remaining size.
    if (t.price === o.price && t.baseAmount <= o.remainingBase) {
      // keeps time priority
      if (t.baseAmount < o.remainingBase) {
        o.initialBase -= o.remainingBase - t.baseAmount
        book.reduce(o, o.remainingBase - t.baseAmount)
      }
      o.triggerPrice = t.triggerPrice
      this.touch(o)
      return
    }
    book.remove(o)
    o.price = t.price
    o.initialBase = o.filledBase + t.baseAmount
    o.remainingBase = t.baseAmount
    o.triggerPrice = t.triggerPrice
    o.seq = ++this.orderSeq
    if (o.tif === TifCode.PostOnly) {
      const best = o.isAsk ? book.bestBid() : book.bestAsk()
      if (best !== undefined && this.crosses(o, best)) {
        this.finish(o, "canceled-post-only")
        return
      }
    }
    const reason = this.match(o, txHash, undefined)
    if (o.remainingBase === 0) this.finish(o, "filled")
    else if (reason === "reduce") this.finish(o, "canceled-reduce-only")
    else {
      book.add(o)
      this.touch(o)
    }
  }
}
