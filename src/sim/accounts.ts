// Accounts: collateral, positions, tiers, API keys and per-(account, key) nonces.
import { createHash } from "node:crypto"
import { notionalMicro } from "../domain/market.ts"
import type { MarketSpec } from "../domain/market.ts"
import type { SimOrder, SimPosition, Tier } from "./types.ts"

export interface AccountOptions {
  readonly index: number
  /** USDC with up to 6 decimals, e.g. "100000". */
  readonly collateralUsdc?: string
  readonly tier?: Tier
  readonly l1Address?: string
  /** Registered public keys (hex, no 0x) by API key index; other indexes get a derived fake key. */
  readonly apiKeys?: Readonly<Record<number, string>>
}

/** Fee rates in millionths of notional (PROTOCOL.md §5.2). */
export const FEES: Record<Tier, { maker: number; taker: number }> = {
  standard: { maker: 0, taker: 0 },
  premium: { maker: 40, taker: 280 }
}

const hex = (s: string, n: number): string => createHash("sha256").update(s).digest("hex").slice(0, n)

export const defaultL1Address = (index: number): string => "0x" + hex(`sim-l1-${index}`, 40)
export const fakePublicKey = (account: number, key: number): string => hex(`sim-pk-${account}-${key}`, 64) + hex(`x${account}-${key}`, 16)

/** First nonce a fresh (account, key) accepts. */
export const INITIAL_NONCE = 1

export class Account {
  readonly index: number
  readonly l1Address: string
  tier: Tier
  collateralMicro: bigint
  readonly createdAtMs: number
  readonly positions = new Map<number, SimPosition>()
  /** Next accepted nonce per API key index. */
  readonly nextNonce = new Map<number, number>()
  readonly apiKeys = new Map<number, string>()
  readonly usedKeys = new Set<number>()
  /** Active (open) orders by order index. */
  readonly active = new Map<number, SimOrder>()
  /** Finished orders, oldest first. */
  readonly inactive: SimOrder[] = []
  cancelAllTimeMs = 0
  totalOrderCount = 0
  tradeCount = 0
  volumeMicro = 0n
  constructor(options: AccountOptions, nowMs: number) {
    this.index = options.index
    this.l1Address = options.l1Address ?? defaultL1Address(options.index)
    this.tier = options.tier ?? "standard"
    this.collateralMicro = parseUsdc(options.collateralUsdc ?? "100000")
    this.createdAtMs = nowMs
    for (const [k, v] of Object.entries(options.apiKeys ?? {})) this.apiKeys.set(Number(k), v.replace(/^0x/, ""))
  }
  nonceFor(key: number): number {
    return this.nextNonce.get(key) ?? INITIAL_NONCE
  }
  publicKey(key: number): string {
    return this.apiKeys.get(key) ?? fakePublicKey(this.index, key)
  }
  position(marketId: number): SimPosition {
    let p = this.positions.get(marketId)
    if (p === undefined) {
      p = { marketId, size: 0, entryQuoteMicro: 0n, realizedPnlMicro: 0n }
      this.positions.set(marketId, p)
    }
    return p
  }
  activeByClientIndex(clientOrderIndex: number, exceptOrderIndex = -1): SimOrder | undefined {
    if (clientOrderIndex === 0) return undefined
    for (const o of this.active.values()) {
      if (o.clientOrderIndex === clientOrderIndex && o.orderIndex !== exceptOrderIndex) return o
    }
    return undefined
  }
}

export const parseUsdc = (s: string): bigint => {
  const m = /^(-)?(\d+)(?:\.(\d{0,6}))?$/.exec(s.trim())
  if (m === null) throw new Error(`invalid USDC amount "${s}"`)
  const v = BigInt(m[2]! + (m[3] ?? "").padEnd(6, "0"))
  return m[1] !== undefined ? -v : v
}

/**
 * Applies a fill of `qty` base units (signed: + buy, − sell) at `price` ticks to a position.
 * Returns the realized PnL in micro-USDC. Entry quote is tracked exactly as Σ notional.
 */
export const applyFill = (spec: MarketSpec, pos: SimPosition, qty: number, price: number): bigint => {
  const abs = Math.abs(pos.size)
  const sameDirection = pos.size === 0 || Math.sign(pos.size) === Math.sign(qty)
  if (sameDirection) {
    pos.size += qty
    pos.entryQuoteMicro += notionalMicro(spec, Math.abs(qty), price)
    return 0n
  }
  const closing = Math.min(abs, Math.abs(qty))
  const entryPart = (pos.entryQuoteMicro * BigInt(closing)) / BigInt(abs)
  const exitNotional = notionalMicro(spec, closing, price)
  const realized = pos.size > 0 ? exitNotional - entryPart : entryPart - exitNotional
  pos.entryQuoteMicro -= entryPart
  pos.size += Math.sign(qty) * closing
  const opening = Math.abs(qty) - closing
  if (pos.size === 0) pos.entryQuoteMicro = 0n
  if (opening > 0) {
    pos.size = Math.sign(qty) * opening
    pos.entryQuoteMicro = notionalMicro(spec, opening, price)
  }
  pos.realizedPnlMicro += realized
  return realized
}

