// One managed WebSocket to Lighter's /stream: waits for `connected`, (re)subscribes its channels
// after every (re)connect (private ones with a fresh auth token), answers and sends pings,
// reconnects with capped exponential backoff and jitter, and sends transactions
// (`jsonapi/sendtx`) with a request id and a timeout.
//
// Each subscription is tracked until its snapshot (`subscribed/<kind>`) arrives. The venue refuses
// a subscription with an error frame that has no `type` and no channel field, only a message
// (`{"error":{"code":30005,"message":"Invalid Channel: ..."}}`, PROTOCOL.md §4.1): a refusal is
// attributed to the channel its message names, else to the subscriptions still waiting for their
// snapshot, and a subscription without a snapshot after `subscribeTimeoutMs` counts as refused
// too. Refused channels are reported (onRefused) and retried with backoff; nothing is swallowed.
import { jitteredBackoffMs } from "../../domain/backoff.ts"
import { WebSocket } from "ws"
import { type ChannelRefusal, channelOfMessage, frameChannelToSubscribe, isBenignSubscribeError } from "./channels.ts"

export interface SocketOptions {
  readonly url: string
  readonly name: string
  /** A decoded JSON frame other than control frames and tx replies. */
  readonly onFrame: (frame: Record<string, unknown>) => void
  /** Called once subscribed after a (re)connect, and on every drop. */
  readonly onState: (up: boolean, info: { readonly reconnect: boolean; readonly reason: string }) => void
  readonly log?: (line: string) => void
  readonly reconnectBaseMs?: number
  readonly reconnectMaxMs?: number
  readonly pingIntervalMs?: number
  /** A subscription refused by the venue (error frame, or no snapshot in time); retried with backoff. */
  readonly onRefused?: (refusal: ChannelRefusal) => void
  /** A subscription's snapshot arrived (first time, after a refusal, or after a token rotation). */
  readonly onSubscribed?: (channel: string) => void
  /** How long a subscription may wait for its snapshot before it counts as refused (default 10 s). */
  readonly subscribeTimeoutMs?: number
  /** Retry backoff of a refused subscription (defaults 1 s doubling to 30 s). */
  readonly refusedRetryBaseMs?: number
  readonly refusedRetryMaxMs?: number
  /**
   * Private subscriptions are renewed with a fresh token this often (unsubscribe, subscribe; the
   * new snapshot reconciles anything that moved in between). Must be shorter than the tokens' life.
   */
  readonly authRenewEveryMs?: number
}

/** How to subscribe one channel; `auth` mints a fresh token for each (re)subscribe. */
export interface SubscribeOptions {
  readonly auth?: () => string
}

interface Subscription {
  readonly channel: string
  readonly auth: (() => string) | undefined
  state: "idle" | "pending" | "live" | "refused"
  sentAt: number
  authAt: number
  refusals: number
  retryTimer: NodeJS.Timeout | undefined
}

export class TxReplyError extends Error {
  readonly kind: "rejected" | "rate-limited" | "invalid-nonce" | "unavailable" | "unknown-outcome"
  readonly code: number | undefined
  constructor(kind: TxReplyError["kind"], message: string, code?: number) {
    super(message)
    this.kind = kind
    this.code = code
  }
}

interface PendingTx {
  readonly resolve: (hash: string) => void
  readonly reject: (e: TxReplyError) => void
  readonly timer: NodeJS.Timeout
}

export class LighterSocket {
  private readonly o: SocketOptions
  private ws: WebSocket | undefined
  private readonly subs = new Map<string, Subscription>()
  private watchTimer: NodeJS.Timeout | undefined
  private readonly pending = new Map<string, PendingTx>()
  private attempts = 0
  private everUp = false
  private ready = false
  private stopped = false
  private pingTimer: NodeJS.Timeout | undefined
  private reconnectTimer: NodeJS.Timeout | undefined
  private nextId = 1

  constructor(options: SocketOptions) {
    this.o = options
  }

  get isReady(): boolean {
    return this.ready
  }

  start(): void {
    this.stopped = false
    this.connect()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.reconnectTimer)
    clearInterval(this.pingTimer)
    clearInterval(this.watchTimer)
    for (const sub of this.subs.values()) clearTimeout(sub.retryTimer)
    this.failPending("socket closed")
    this.ws?.terminate()
    this.ws = undefined
  }

  subscribe(channel: string, options: SubscribeOptions = {}): void {
    if (this.subs.has(channel)) return
    const sub: Subscription = {
      channel, auth: options.auth, state: "idle", sentAt: 0, authAt: 0, refusals: 0, retryTimer: undefined
    }
    this.subs.set(channel, sub)
    if (this.ready) this.sendSubscribe(sub)
  }

  /** Fresh snapshot of a channel (after a gap in an order book). */
  resubscribe(channel: string): void {
    const sub = this.subs.get(channel)
    if (!this.ready || sub === undefined) return
    this.send({ type: "unsubscribe", channel })
    this.sendSubscribe(sub)
  }

  private sendSubscribe(sub: Subscription): void {
    clearTimeout(sub.retryTimer)
    sub.retryTimer = undefined
    let auth: string | undefined
    if (sub.auth !== undefined) {
      try {
        auth = sub.auth()
      } catch (e) {
        return this.refuse(sub, undefined, `cannot mint an auth token: ${e instanceof Error ? e.message : String(e)}`)
      }
      sub.authAt = performance.now()
    }
    sub.state = "pending"
    sub.sentAt = performance.now()
    this.send(auth === undefined ? { type: "subscribe", channel: sub.channel } : { type: "subscribe", channel: sub.channel, auth })
  }

  private refuse(sub: Subscription, code: number | undefined, message: string): void {
    sub.state = "refused"
    const delay = jitteredBackoffMs({ baseMs: this.o.refusedRetryBaseMs ?? 1000, maxMs: this.o.refusedRetryMaxMs ?? 30_000 }, sub.refusals++, Math.random())
    this.o.log?.(`${this.o.name}: the venue refused ${sub.channel}${code === undefined ? "" : ` (code ${code})`}: ${message}; retrying in ${Math.round(delay)} ms`)
    this.o.onRefused?.({ channel: sub.channel, ...(code === undefined ? {} : { code }), message, retryInMs: Math.round(delay) })
    clearTimeout(sub.retryTimer)
    sub.retryTimer = setTimeout(() => {
      sub.retryTimer = undefined
      if (this.ready && sub.state === "refused") this.sendSubscribe(sub)
    }, delay)
  }

  private onSnapshot(channel: string): void {
    const sub = this.subs.get(channel)
    if (sub === undefined) return
    const was = sub.state
    sub.state = "live"
    sub.refusals = 0
    if (was !== "live") this.o.onSubscribed?.(channel)
  }

  /** A venue error frame that answers no tx: attributed to a subscription, or logged. */
  private onErrorFrame(frame: Record<string, unknown>): void {
    const err = typeof frame["error"] === "object" && frame["error"] !== null ? frame["error"] as Record<string, unknown> : {}
    const code = typeof err["code"] === "number" ? err["code"] : undefined
    const message = typeof err["message"] === "string" ? err["message"] : typeof frame["error"] === "string" ? frame["error"] : JSON.stringify(frame).slice(0, 200)
    if (isBenignSubscribeError(code, message)) {
      this.o.log?.(`${this.o.name}: venue notice (not a refusal): ${code ?? ""} ${message}`)
      return
    }
    const named = channelOfMessage(message, [...this.subs.keys()])
    const targets = named !== undefined
      ? [this.subs.get(named)!]
      : [...this.subs.values()].filter((s) => s.state === "pending")
    if (targets.length === 0) {
      this.o.log?.(`${this.o.name}: venue error frame for no subscription of ours: ${code ?? "no code"} ${message}`)
      return
    }
    for (const sub of targets) this.refuse(sub, code, message)
  }

  /** Once a second: subscriptions without a snapshot in time are refused; tokens are renewed. */
  private watch(): void {
    if (!this.ready) return
    const now = performance.now()
    const timeout = this.o.subscribeTimeoutMs ?? 10_000
    for (const sub of this.subs.values()) {
      if (sub.state === "pending" && now - sub.sentAt >= timeout) {
        this.refuse(sub, undefined, `no snapshot within ${Math.round(timeout / 1000)} s of subscribing`)
      } else if (sub.state === "live" && sub.auth !== undefined && this.o.authRenewEveryMs !== undefined && now - sub.authAt >= this.o.authRenewEveryMs) {
        this.resubscribe(sub.channel)
      }
    }
  }

  /** Drops the connection as if the network failed (tests, and a stale stream). */
  drop(): void {
    this.ws?.terminate()
  }

  /**
   * Sends a signed tx as `jsonapi/sendtx` with tx_info as a JSON object (PROTOCOL.md A.3). The
   * signer's text is embedded as it is, never parsed and re-serialised: integers above 2^53
   * (order indexes) reach the venue exactly as they were signed.
   */
  sendTx(txType: number, txInfo: string, timeoutMs: number): Promise<string> {
    if (!this.ready || this.ws === undefined) {
      return Promise.reject(new TxReplyError("unavailable", `${this.o.name}: socket not connected`))
    }
    const id = `${Date.now()}${this.nextId++}`
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new TxReplyError("unknown-outcome", `${this.o.name}: no reply to tx within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      if (!/^\s*\{[\s\S]*\}\s*$/.test(txInfo)) {
        clearTimeout(timer)
        this.pending.delete(id)
        return reject(new TxReplyError("rejected", `${this.o.name}: tx_info is not a JSON object`))
      }
      this.sendRaw(`{"type":"jsonapi/sendtx","data":{"id":${JSON.stringify(id)},"tx_type":${Math.trunc(txType)},"tx_info":${txInfo.trim()}}}`)
    })
  }

  private send(frame: unknown): void {
    this.sendRaw(JSON.stringify(frame))
  }

  private sendRaw(text: string): void {
    try {
      this.ws?.send(text)
    } catch (e) {
      this.o.log?.(`${this.o.name}: send failed: ${String(e)}`)
    }
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      // The tx may have reached the venue before the socket died: its outcome is unknown.
      p.reject(new TxReplyError("unknown-outcome", `${this.o.name}: ${reason} before the tx was answered`))
      this.pending.delete(id)
    }
  }

  private connect(): void {
    if (this.stopped) return
    const ws = new WebSocket(this.o.url)
    this.ws = ws
    let closed = false
    const onDown = (reason: string) => {
      if (closed) return
      closed = true
      clearInterval(this.pingTimer)
      clearInterval(this.watchTimer)
      for (const sub of this.subs.values()) {
        clearTimeout(sub.retryTimer)
        sub.retryTimer = undefined
        sub.state = "idle"
      }
      const wasReady = this.ready
      this.ready = false
      this.failPending(reason)
      if (wasReady) this.o.onState(false, { reconnect: true, reason })
      if (this.stopped) return
      const delay = jitteredBackoffMs({ baseMs: this.o.reconnectBaseMs ?? 200, maxMs: this.o.reconnectMaxMs ?? 10_000 }, this.attempts++, Math.random())
      this.o.log?.(`${this.o.name}: disconnected (${reason}); reconnecting in ${Math.round(delay)} ms`)
      this.reconnectTimer = setTimeout(() => this.connect(), delay)
    }
    ws.on("message", (data) => {
      let frame: Record<string, unknown>
      try {
        frame = JSON.parse(data.toString()) as Record<string, unknown>
      } catch {
        this.o.log?.(`${this.o.name}: ignoring a frame that is not JSON: ${data.toString().slice(0, 120)}`)
        return
      }
      if (typeof frame !== "object" || frame === null || Array.isArray(frame)) return
      const type = frame["type"]
      if (type === "connected") {
        this.ready = true
        this.attempts = 0
        for (const sub of this.subs.values()) {
          sub.refusals = 0
          this.sendSubscribe(sub)
        }
        this.o.onState(true, { reconnect: this.everUp, reason: "connected" })
        this.everUp = true
        clearInterval(this.pingTimer)
        this.pingTimer = setInterval(() => this.send({ type: "ping" }), this.o.pingIntervalMs ?? 30_000)
        clearInterval(this.watchTimer)
        this.watchTimer = setInterval(() => this.watch(), 1000)
        return
      }
      if (type === "ping") return this.send({ type: "pong" })
      if (type === "pong") return
      // The answer to an unsubscribe (a token renewal, a book resync): nothing to route.
      if (typeof type === "string" && type.startsWith("unsubscribed")) return
      const id = typeof frame["id"] === "string" ? frame["id"] : undefined
      if (id !== undefined && this.pending.has(id)) {
        const p = this.pending.get(id)!
        this.pending.delete(id)
        clearTimeout(p.timer)
        const err = typeof frame["error"] === "object" && frame["error"] !== null ? frame["error"] as Record<string, unknown> : undefined
        const code = typeof frame["code"] === "number" ? frame["code"] : typeof err?.["code"] === "number" ? err["code"] : undefined
        if (frame["error"] !== undefined || (code !== undefined && code !== 200)) {
          const message = typeof err?.["message"] === "string"
            ? err["message"]
            : typeof frame["message"] === "string" ? frame["message"] : `code ${code ?? "missing"}`
          const kind = code === 23000 ? "rate-limited" : code === 21104 || /invalid nonce/i.test(message) ? "invalid-nonce" : "rejected"
          p.reject(new TxReplyError(kind, message, code))
        } else {
          p.resolve(typeof frame["tx_hash"] === "string" ? frame["tx_hash"] : "")
        }
        return
      }
      if (frame["error"] !== undefined) return this.onErrorFrame(frame)
      if (typeof type === "string" && type.startsWith("subscribed/") && typeof frame["channel"] === "string") {
        const channel = frameChannelToSubscribe(frame["channel"])
        if (channel !== undefined) this.onSnapshot(channel)
      }
      // A consumer bug on one frame must not take the socket (or the process) down with it.
      try {
        this.o.onFrame(frame)
      } catch (e) {
        this.o.log?.(`${this.o.name}: frame handler failed (${e instanceof Error ? e.message : "non-error thrown"}): ${JSON.stringify(frame).slice(0, 200)}`)
      }
    })
    ws.on("close", (code, reason) => onDown(`closed ${code}${reason.length > 0 ? ` ${reason.toString()}` : ""}`))
    ws.on("error", (e) => {
      onDown(e.message)
      ws.terminate()
    })
  }
}
