// Timestamps of every frame sent (per channel) and every tx received (per account), for
// measuring the engine's latency from outside (fill frame → hedge tx). Bounded ring lists.

export interface FrameRecord {
  /** Epoch ms with sub-ms precision. */
  readonly t: number
  readonly type: string
  readonly conn: number
  /** Trade ids carried by the frame, if any. */
  readonly trade_ids?: number[]
  /** Order indexes carried by the frame, if any. */
  readonly order_ids?: number[]
}

export interface TxRecord {
  readonly t: number
  readonly transport: "rest" | "ws"
  readonly tx_type: number
  readonly account_index: number | null
  readonly api_key_index: number | null
  readonly nonce: number | null
  readonly market_index?: number
  readonly client_order_index?: number
  readonly is_ask?: boolean
  readonly base_amount?: number
  readonly price?: number
  readonly order_type?: number
  readonly index?: number
  /** 200 when accepted, else the error code returned. */
  code: number
  tx_hash?: string
  /** When the tx was applied by the matching engine (after any speed bump). */
  executed_at?: number
}

const CAP = 50_000

export class Timeline {
  readonly frames = new Map<string, FrameRecord[]>()
  readonly txs = new Map<string, TxRecord[]>()
  recordFrame(channel: string, rec: FrameRecord): void {
    push(this.frames, channel, rec)
  }
  recordTx(rec: TxRecord): TxRecord {
    push(this.txs, rec.account_index === null ? "unknown" : String(rec.account_index), rec)
    return rec
  }
  reset(): void {
    this.frames.clear()
    this.txs.clear()
  }
  toJson(): { code: number; frames: Record<string, FrameRecord[]>; txs: Record<string, TxRecord[]> } {
    return { code: 200, frames: Object.fromEntries(this.frames), txs: Object.fromEntries(this.txs) }
  }
}

const push = <T>(m: Map<string, T[]>, key: string, v: T): void => {
  let l = m.get(key)
  if (l === undefined) m.set(key, (l = []))
  l.push(v)
  if (l.length > CAP) l.splice(0, l.length - CAP)
}
