// Accounts: collateral, positions, tiers, registered API keys and per-(account, key) nonces.
import { createHash } from "node:crypto"
import { notionalMicro } from "../domain/market.ts"
import { bytesToHex, parsePublicKey } from "../venue/lighter/signing/index.ts"
import type { MarketSpec } from "../domain/market.ts"
import type { SimOrder, SimPosition, Tier } from "./types.ts"

export interface AccountOptions {
  readonly index: number
  /** USDC with up to 6 decimals, e.g. "100000". */
  readonly collateralUsdc?: string
  readonly tier?: Tier
  readonly l1Address?: string
  /**
   * Registered public keys (40-byte hex, 0x optional) by API key index (0–254). A slot without a
   * key is "not registered": its txs are refused with 21109 and /api/v1/apikeys shows 80 zeros.
   */
  readonly apiKeys?: Readonly<Record<number, string>>
}

/** A public key registered on an API key slot (what the venue's ChangePubKey tx sets). */
export interface RegisteredKey {
  /** 80 lowercase hex chars, no 0x (as /api/v1/apikeys shows it). */
  readonly hex: string
  readonly bytes: Uint8Array
  readonly registeredAtMs: number
}

/** The `public_key` /api/v1/apikeys reports for an empty slot (PROTOCOL.md §1.4 ApiKey). */
export const NO_PUBLIC_KEY = "0".repeat(80)

/** API key slots are 0…254; 255 means "all" in queries (PROTOCOL.md Appendix A.1 ranges). */
export const MAX_API_KEY_INDEX = 254

/** Fee rates in millionths of notional (PROTOCOL.md §5.2). */
export const FEES: Record<Tier, { maker: number; taker: number }> = {
  standard: { maker: 0, taker: 0 },
  premium: { maker: 40, taker: 280 }
}

const hex = (s: string, n: number): string => createHash("sha256").update(s).digest("hex").slice(0, n)

export const defaultL1Address = (index: number): string => "0x" + hex(`sim-l1-${index}`, 40)

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
  /** Registered public keys by API key index. */
  readonly apiKeys = new Map<number, RegisteredKey>()
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
    for (const [k, v] of Object.entries(options.apiKeys ?? {})) {
      const key = Number(k)
      let bytes: Uint8Array
      try {
        bytes = parsePublicKey(v)
      } catch {
        throw new Error(`account ${this.index}: API key ${k} is not a valid public key (40 bytes of hex)`)
      }
      this.registerKey(key, bytes, nowMs)
    }
  }
  nonceFor(key: number): number {
    return this.nextNonce.get(key) ?? INITIAL_NONCE
  }
  /** Sets the public key of slot `key` (replacing any previous one). Nonces are left as they are. */
  registerKey(key: number, publicKey: Uint8Array, nowMs: number): RegisteredKey {
    if (!Number.isInteger(key) || key < 0 || key > MAX_API_KEY_INDEX) {
      throw new Error(`account ${this.index}: API key index ${key} is outside 0…${MAX_API_KEY_INDEX}`)
    }
    const k: RegisteredKey = { hex: bytesToHex(publicKey), bytes: publicKey, registeredAtMs: nowMs }
    this.apiKeys.set(key, k)
    return k
  }
  /** The registered public key hex of slot `key`, or 80 zeros when the slot is empty. */
  publicKeyHex(key: number): string {
    return this.apiKeys.get(key)?.hex ?? NO_PUBLIC_KEY
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

