// One managed WebSocket to Lighter's /stream: waits for `connected`, (re)subscribes its channels
// after every (re)connect, answers and sends pings, reconnects with capped exponential backoff
// and jitter, and sends transactions (`jsonapi/sendtx`) with a request id and a timeout.
import { WebSocket } from "ws"

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
  private readonly channels = new Set<string>()
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
    this.failPending("socket closed")
    this.ws?.terminate()
    this.ws = undefined
  }

  subscribe(channel: string): void {
    this.channels.add(channel)
    if (this.ready) this.send({ type: "subscribe", channel })
  }

  /** Fresh snapshot of a channel (after a gap in an order book). */
  resubscribe(channel: string): void {
    if (!this.ready) return
    this.send({ type: "unsubscribe", channel })
    this.send({ type: "subscribe", channel })
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
      const wasReady = this.ready
      this.ready = false
      this.failPending(reason)
      if (wasReady) this.o.onState(false, { reconnect: true, reason })
      if (this.stopped) return
      const base = this.o.reconnectBaseMs ?? 200
      const max = this.o.reconnectMaxMs ?? 10_000
      const delay = Math.min(max, base * 2 ** Math.min(this.attempts++, 16)) * (0.8 + Math.random() * 0.4)
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
        for (const c of this.channels) this.send({ type: "subscribe", channel: c })
        this.o.onState(true, { reconnect: this.everUp, reason: "connected" })
        this.everUp = true
        clearInterval(this.pingTimer)
        this.pingTimer = setInterval(() => this.send({ type: "ping" }), this.o.pingIntervalMs ?? 30_000)
        return
      }
      if (type === "ping") return this.send({ type: "pong" })
      if (type === "pong") return
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
      if (frame["error"] !== undefined) {
        this.o.log?.(`${this.o.name}: venue error frame: ${JSON.stringify(frame).slice(0, 200)}`)
        return
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
