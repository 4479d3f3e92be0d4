// Shared helpers for the simulator tests: signed tx builders, REST senders, a buffered WS client and
// a structural JSON comparison against the fixtures in test/fixtures/lighter/. The simulator
// verifies every tx: start() registers the test keys (test/support/sim-signing.ts) of its accounts
// on API key slot 4, and createTx/cancelTx sign with them. Private channels and reads need auth
// tokens: authToken(account) mints one with the same test key.
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { WebSocket } from "ws"
import { startSimulator } from "../../src/sim/server.ts"
import type { SimHandle, SimOptions } from "../../src/sim/server.ts"
import { createAuthToken } from "../../src/venue/lighter/signing/index.ts"
import { signedInfo, simKeyPair, TEST_API_KEY_INDEX, withSimKeys } from "../support/sim-signing.ts"

export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/lighter/${name}`, import.meta.url)), "utf8")) as Record<string, unknown>

export const sims: SimHandle[] = []
/** Starts a simulator (no synthetic market unless asked) with the test keys of `keyIndexes` registered. */
export const start = async (options: SimOptions = {}, keyIndexes: readonly number[] = [TEST_API_KEY_INDEX]): Promise<SimHandle> => {
  const sim = await startSimulator({ market: false, ...options, accounts: withSimKeys(options.accounts, keyIndexes) })
  sims.push(sim)
  return sim
}
export const closeAll = async (): Promise<void> => {
  await Promise.all(sims.splice(0).map((s) => s.close()))
}

export interface AuthTokenArgs {
  /** API key slot whose test key signs (default 4). */
  readonly key?: number
  /** Account written into the token (default: `account`, whose key signs). */
  readonly claimAccount?: number
  /** Deadline in unix seconds; default `nowMs`/1000 + `ttlSec`. */
  readonly deadlineSec?: number
  /** Default 600 (the official SDK's default lifetime, 10 min). */
  readonly ttlSec?: number
  /** Default Date.now(); pass the simulator's clock when a test moves it. */
  readonly nowMs?: number
}

/** An auth token "deadline:account:key:sig" signed with the test key of (account, key). */
export const authToken = (account: number, a: AuthTokenArgs = {}): string => {
  const key = a.key ?? TEST_API_KEY_INDEX
  const deadline = a.deadlineSec ?? Math.floor((a.nowMs ?? Date.now()) / 1000) + (a.ttlSec ?? 600)
  return createAuthToken(simKeyPair(account, key).privateKey, a.claimAccount ?? account, key, deadline)
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Nonce bookkeeping per (account, key) for tests. */
export class Nonces {
  private readonly next = new Map<string, number>()
  take(account: number, key = 4): number {
    const k = `${account}/${key}`
    const n = this.next.get(k) ?? 1
    this.next.set(k, n + 1)
    return n
  }
}

export interface OrderArgs {
  account: number
  nonce: number
  market?: number
  coi?: number
  base: number
  price: number
  isAsk: boolean
  type?: number
  tif?: number
  reduceOnly?: boolean
  key?: number
  expiredAt?: number
}

/** A create-order tx_info (as an object), signed with the test key of (account, key) for `a.chainId` (default 304). */
export const createTx = (a: OrderArgs & { chainId?: number; orderExpiry?: number }): Record<string, unknown> => {
  const tif = a.tif ?? (a.type === 1 ? 0 : 1)
  return signedInfo(
    {
      type: "createOrder",
      accountIndex: a.account,
      apiKeyIndex: a.key ?? TEST_API_KEY_INDEX,
      nonce: a.nonce,
      expiredAt: a.expiredAt ?? Date.now() + 599_000,
      marketIndex: a.market ?? 1,
      clientOrderIndex: a.coi ?? 0,
      baseAmount: a.base,
      price: a.price,
      isAsk: a.isAsk,
      orderType: a.type ?? 0,
      timeInForce: tif,
      reduceOnly: a.reduceOnly === true,
      triggerPrice: 0,
      orderExpiry: a.orderExpiry ?? (tif === 0 ? 0 : Date.now() + 28 * 86_400_000)
    },
    a.chainId
  )
}

/** A signed cancel-order tx_info (as an object). */
export const cancelTx = (account: number, nonce: number, index: number, market = 1, key = TEST_API_KEY_INDEX): Record<string, unknown> =>
  signedInfo({ type: "cancelOrder", accountIndex: account, apiKeyIndex: key, nonce, expiredAt: Date.now() + 599_000, marketIndex: market, index })

export interface HttpResult {
  status: number
  body: Record<string, unknown>
}

export const get = async (sim: SimHandle, path: string, headers?: Record<string, string>): Promise<HttpResult> => {
  const r = await fetch(sim.url + path, headers !== undefined ? { headers } : {})
  return { status: r.status, body: (await r.json()) as Record<string, unknown> }
}

export const postForm = async (
  sim: SimHandle,
  path: string,
  fields: Record<string, string>,
  encoding: "urlencoded" | "multipart" = "urlencoded"
): Promise<HttpResult> => {
  let body: URLSearchParams | FormData
  if (encoding === "urlencoded") body = new URLSearchParams(fields)
  else {
    body = new FormData()
    for (const [k, v] of Object.entries(fields)) body.append(k, v)
  }
  const r = await fetch(sim.url + path, { method: "POST", body })
  return { status: r.status, body: (await r.json()) as Record<string, unknown> }
}

export const sendTx = (
  sim: SimHandle,
  txType: number,
  info: Record<string, unknown>,
  encoding: "urlencoded" | "multipart" = "urlencoded"
): Promise<HttpResult> => postForm(sim, "/api/v1/sendTx", { tx_type: String(txType), tx_info: JSON.stringify(info) }, encoding)

/** Sends a create and waits for its execution (setImmediate-scheduled when no speed bump). */
export const place = async (sim: SimHandle, a: OrderArgs): Promise<HttpResult> => {
  const r = await sendTx(sim, 14, createTx(a))
  await sleep(5)
  return r
}

export type Frame = Record<string, unknown>

/** A WS client that buffers frames and lets tests await the next matching one. */
export class WsClient {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = []
  closed: { code: number; reason: string } | undefined
  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on("message", (d) => {
      const f = JSON.parse(d.toString()) as Frame
      this.frames.push(f)
      this.waiters = this.waiters.filter((w) => {
        if (w.pred(f)) {
          w.resolve(f)
          return false
        }
        return true
      })
    })
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() }
    })
  }
  static async connect(sim: SimHandle): Promise<WsClient> {
    const ws = new WebSocket(sim.wsUrl)
    const c = new WsClient(ws)
    await new Promise<void>((res, rej) => {
      ws.once("open", () => res())
      ws.once("error", rej)
    })
    await c.next((f) => f["type"] === "connected")
    return c
  }
  send(o: unknown): void {
    this.ws.send(JSON.stringify(o))
  }
  /** Resolves with the first buffered-or-future frame matching `pred` (consumed from the buffer). */
  next(pred: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const i = this.frames.findIndex(pred)
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout waiting for frame; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs)
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(t)
          const j = this.frames.indexOf(f)
          if (j >= 0) this.frames.splice(j, 1)
          resolve(f)
        }
      })
    })
  }
  byType(type: string, channel?: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f["type"] === type && (channel === undefined || f["channel"] === channel), timeoutMs)
  }
  /** Subscribes (with `auth` on the frame when given) and resolves with the snapshot. */
  async subscribe(channel: string, auth?: string): Promise<Frame> {
    this.send({ type: "subscribe", channel, ...(auth !== undefined ? { auth } : {}) })
    const kind = channel.split("/")[0]
    return this.byType(`subscribed/${kind}`)
  }
  close(): void {
    this.ws.close()
  }
}

// ───────────────────────────── structural comparison ─────────────────────────────

const DECIMAL = /^-?\d+\.(\d+)$/

const jsonType = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v)

/**
 * Checks that `actual` has the fixture's field names and JSON types; decimal strings must carry
 * exactly as many fractional digits as the fixture's. Objects whose keys are all numeric are maps
 * (market id → value): their values are compared to the fixture's first value. Keys in `optional`
 * may be missing from `actual`. Returns a list of problems (empty = same shape).
 */
export const shapeDiff = (actual: unknown, expected: unknown, optional: ReadonlySet<string> = new Set(), path = "$"): string[] => {
  const problems: string[] = []
  const ta = jsonType(actual)
  const te = jsonType(expected)
  if (ta !== te) return [`${path}: type ${ta}, fixture ${te}`]
  if (te === "string") {
    const m = DECIMAL.exec(expected as string)
    if (m !== null) {
      const a = DECIMAL.exec(actual as string)
      if (a === null || a[1]!.length !== m[1]!.length) problems.push(`${path}: "${String(actual)}" should have ${m[1]!.length} decimals`)
    }
    return problems
  }
  if (te === "array") {
    const ea = expected as unknown[]
    const aa = actual as unknown[]
    if (ea.length > 0) for (const [i, v] of aa.entries()) problems.push(...shapeDiff(v, ea[0], optional, `${path}[${i}]`))
    return problems
  }
  if (te === "object") {
    const eo = expected as Record<string, unknown>
    const ao = actual as Record<string, unknown>
    const ek = Object.keys(eo)
    const isMap = ek.length > 0 && ek.every((k) => /^\d+$/.test(k))
    if (isMap) {
      for (const [k, v] of Object.entries(ao)) {
        if (!/^\d+$/.test(k)) problems.push(`${path}: map key ${k} is not numeric`)
        problems.push(...shapeDiff(v, eo[ek[0]!], optional, `${path}.${k}`))
      }
      return problems
    }
    for (const k of ek) {
      if (!(k in ao)) {
        if (!optional.has(k)) problems.push(`${path}.${k}: missing`)
        continue
      }
      problems.push(...shapeDiff(ao[k], eo[k], optional, `${path}.${k}`))
    }
    for (const k of Object.keys(ao)) if (!(k in eo)) problems.push(`${path}.${k}: not in fixture`)
  }
  return problems
}

/** Trade fee fields are omitted when zero, as on the venue. */
export const TRADE_OPTIONAL = new Set(["taker_fee", "maker_fee"])
