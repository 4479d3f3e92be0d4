// A seeded synthetic market: an integer-tick price walk, a ladder of background liquidity around
// the mid (one level per tick, many levels per side, post-only), and random takers from a separate
// account. "Sweeps" clear everything within `fillDepthTicks` of the top on one side, so a quote
// resting that deep fills about `fillRatePerMin` times per minute per side; small "noise" takers
// hit the top of book. Every random draw comes from the seeded PRNG.
import type { Engine } from "./engine.ts"
import { Prng } from "../domain/prng.ts"
import { OrderTypeCode, TifCode } from "./types.ts"
import type { SimOrder } from "./types.ts"

export interface SyntheticMarketOptions {
  /** Markets to animate (default: all engine markets). */
  readonly markets?: readonly number[]
  /** Starting mid in ticks by market id (default ETH 3000.00, BTC 100000.0). */
  readonly initialPrices?: Readonly<Record<number, number>>
  /** Background levels per side (default 25). */
  readonly levels?: number
  /** Gap between best bid and best ask in ticks (default 2). */
  readonly spreadTicks?: number
  /** Expected sweeps per minute per side reaching `fillDepthTicks` (default 2). */
  readonly fillRatePerMin?: number
  /** How deep a sweep reaches, in ticks beyond the best opposite price (default 5). */
  readonly fillDepthTicks?: number
  /** Small takers hitting the top of book, per minute per market (default 20). */
  readonly noiseTakersPerMin?: number
  /** Price-walk standard deviation per minute, in basis points (default 0.5). */
  readonly volatilityBps?: number
  /** Step interval in ms (default 1000). */
  readonly stepMs?: number
  /** Background size per level, in multiples of the market's minimum size: [min, max] (default [2, 20]). */
  readonly levelSizeMultiples?: readonly [number, number]
  readonly liquidityAccount: number
  readonly takerAccount: number
}

export const DEFAULT_INITIAL_PRICES: Readonly<Record<number, number>> = { 0: 300_000, 1: 1_000_000 }

interface MarketAnim {
  readonly marketId: number
  mid: number
  /** Background orders by price, per side. */
  readonly asks: Map<number, SimOrder>
  readonly bids: Map<number, SimOrder>
}

export class SyntheticMarket {
  readonly options: Required<Omit<SyntheticMarketOptions, "markets" | "initialPrices">>
  private readonly engine: Engine
  private readonly rng: Prng
  private readonly anims: MarketAnim[] = []
  private timer: ReturnType<typeof setInterval> | undefined
  steps = 0
  sweeps = 0

  constructor(engine: Engine, seed: number, options: SyntheticMarketOptions) {
    this.engine = engine
    this.rng = new Prng(seed)
    this.options = {
      levels: options.levels ?? 25,
      spreadTicks: Math.max(1, options.spreadTicks ?? 2),
      fillRatePerMin: options.fillRatePerMin ?? 2,
      fillDepthTicks: options.fillDepthTicks ?? 5,
      noiseTakersPerMin: options.noiseTakersPerMin ?? 20,
      volatilityBps: options.volatilityBps ?? 0.5,
      stepMs: options.stepMs ?? 1000,
      levelSizeMultiples: options.levelSizeMultiples ?? [2, 20],
      liquidityAccount: options.liquidityAccount,
      takerAccount: options.takerAccount
    }
    for (const id of options.markets ?? [...engine.markets.keys()]) {
      const mid = options.initialPrices?.[id] ?? DEFAULT_INITIAL_PRICES[id] ?? engine.referencePrice(id) ?? 10_000
      this.anims.push({ marketId: id, mid, asks: new Map(), bids: new Map() })
    }
    for (const a of this.anims) this.refresh(a)
  }

  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => this.step(), this.options.stepMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  mid(marketId: number): number | undefined {
    return this.anims.find((a) => a.marketId === marketId)?.mid
  }

  /** One step of every market: walk, takers, then replenish the ladder. */
  step(): void {
    this.steps++
    const o = this.options
    const perStep = o.stepMs / 60_000
    for (const a of this.anims) {
      // price walk in integer ticks
      const sigma = (a.mid * o.volatilityBps) / 10_000 / Math.sqrt(1 / perStep)
      a.mid = Math.max(1, a.mid + Math.round(this.rng.gaussian() * sigma))
      for (const isAsk of [true, false]) {
        for (let i = this.poisson(o.fillRatePerMin * perStep); i > 0; i--) this.sweep(a, isAsk)
      }
      for (let i = this.poisson(o.noiseTakersPerMin * perStep); i > 0; i--) this.noise(a)
      this.refresh(a)
    }
  }

  private poisson(lambda: number): number {
    // Knuth; lambda is small here
    if (lambda <= 0) return 0
    const l = Math.exp(-lambda)
    let k = 0
    let p = 1
    do {
      k++
      p *= this.rng.next()
    } while (p > l && k < 100)
    return k - 1
  }

  /** Takes everything on the `hitAsks` side within fillDepthTicks of its best price. */
  sweep(a: MarketAnim | number, hitAsks: boolean): void {
    const anim = typeof a === "number" ? this.anims.find((x) => x.marketId === a) : a
    if (anim === undefined) return
    const book = this.engine.book(anim.marketId)
    const best = hitAsks ? book.bestAsk() : book.bestBid()
    if (best === undefined) return
    const worst = hitAsks ? best + this.options.fillDepthTicks : Math.max(1, best - this.options.fillDepthTicks)
    let size = 0
    for (const o of book.orders(hitAsks)) {
      if (hitAsks ? o.price > worst : o.price < worst) break
      if (o.accountIndex !== this.options.takerAccount) size += o.remainingBase
    }
    if (size <= 0) return
    this.sweeps++
    this.engine.placeDirect({
      account: this.options.takerAccount,
      marketId: anim.marketId,
      isAsk: !hitAsks,
      baseAmount: size,
      price: worst,
      orderType: OrderTypeCode.Market,
      timeInForce: TifCode.Ioc
    })
  }

  private noise(a: MarketAnim): void {
    const book = this.engine.book(a.marketId)
    const hitAsks = this.rng.bool()
    const best = hitAsks ? book.bestAsk() : book.bestBid()
    if (best === undefined) return
    const min = this.engine.market(a.marketId).spec.minBaseAmount
    this.engine.placeDirect({
      account: this.options.takerAccount,
      marketId: a.marketId,
      isAsk: !hitAsks,
      baseAmount: min * this.rng.int(1, 3),
      price: best,
      orderType: OrderTypeCode.Market,
      timeInForce: TifCode.Ioc
    })
  }

  /** Cancels background orders outside the ladder around the mid and fills the gaps. */
  private refresh(a: MarketAnim): void {
    const o = this.options
    const spec = this.engine.market(a.marketId).spec
    const half = Math.floor(o.spreadTicks / 2)
    const askStart = a.mid + Math.max(1, o.spreadTicks - half)
    const bidStart = a.mid - half
    for (const [isAsk, ladder] of [
      [true, a.asks],
      [false, a.bids]
    ] as const) {
      const lo = isAsk ? askStart : bidStart - o.levels + 1
      const hi = isAsk ? askStart + o.levels - 1 : bidStart
      for (const [price, order] of ladder) {
        if (order.status !== "open") ladder.delete(price)
        else if (price < lo || price > hi) {
          this.engine.cancelDirect(order)
          ladder.delete(price)
        }
      }
      for (let price = lo; price <= hi; price++) {
        if (price < 1 || ladder.has(price)) continue
        const [mn, mx] = o.levelSizeMultiples
        const { order } = this.engine.placeDirect({
          account: o.liquidityAccount,
          marketId: a.marketId,
          isAsk,
          baseAmount: spec.minBaseAmount * this.rng.int(mn, mx),
          price,
          timeInForce: TifCode.PostOnly
        })
        if (order !== undefined && order.status === "open") ladder.set(price, order)
      }
    }
  }
}
