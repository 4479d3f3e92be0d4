// The floor: the least a fill→hedge pipeline can do over the same hops — one WebSocket frame to
// A, XADD, XREADGROUP, one WebSocket send from B — with no safety (no intent, no dedupe, no
// budget). The engine's latency reads as a ratio to it. Plain Node, ioredis and ws on purpose.
// B signs its hedges like the engine does (the exchange verifies every signature), so signing is
// part of the floor too; A's private channels need an auth token, minted once with A's key (not
// measured: it happens before the floor starts).
import { Redis } from "ioredis"
import { WebSocket } from "ws"
import { HARNESS_API_KEY_INDEX } from "../testkit/harness-keys.ts"
import type { SimHandle } from "../sim/server.ts"
import type { HedgeRec } from "./latency.ts"
import { createAuthToken, parsePrivateKey, signTx } from "../venue/lighter/signing/index.ts"

const A = 1
const B = 2
const BTC = 1
/** The API key slot the harness keys are registered on. */
const API_KEY_INDEX = HARNESS_API_KEY_INDEX
/** The floor's token lives well beyond any bench run, and within the venue's 8 h. */
const AUTH_TTL_SEC = 3600

const connectWs = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once("error", reject)
    ws.on("message", (d) => {
      if (JSON.parse(d.toString()).type === "connected") resolve(ws)
    })
  })

/**
 * Subscribes `channel` ("kind/account") with `auth` and waits for the exchange's answer: resolves on
 * the "subscribed/…" frame, rejects with the exchange's message on an error frame naming the channel
 * (an auth refusal), or after 10 s without either.
 */
const subscribe = (ws: WebSocket, channel: string, auth: string) =>
  new Promise<void>((resolve, reject) => {
    const frameName = channel.replace("/", ":")
    const done = (f: () => void) => {
      clearTimeout(timer)
      ws.off("message", onMessage)
      f()
    }
    const onMessage = (d: unknown) => {
      const f = JSON.parse(String(d)) as { type?: string; channel?: string; error?: { code?: number; message?: string } }
      if (typeof f.type === "string" && f.type.startsWith("subscribed/") && f.channel === frameName) done(resolve)
      else if (f.error !== undefined && (f.error.message ?? "").includes(channel)) {
        done(() => reject(new Error(`bench floor: subscribe ${channel} refused: ${f.error?.code} ${f.error?.message}`)))
      }
    }
    const timer = setTimeout(() => done(() => reject(new Error(`bench floor: no answer to subscribe ${channel} in 10 s`))), 10_000)
    ws.on("message", onMessage)
    ws.send(JSON.stringify({ type: "subscribe", channel, auth }))
  })

export interface FloorResult {
  readonly hedges: ReadonlyArray<HedgeRec>
}

/**
 * Runs the floor pipeline for `durationMs` on a running simulator and Redis: A subscribes its
 * private channels with a token signed by `aPrivateKeyHex`, B signs its hedges with `bPrivateKeyHex`
 * (both on API key 4). Throws when the exchange refuses a subscription.
 */
export const runFloor = async (
  sim: SimHandle,
  redisUrl: string,
  durationMs: number,
  keys: { readonly aPrivateKeyHex: string; readonly bPrivateKeyHex: string }
): Promise<FloorResult> => {
  const bKey = parsePrivateKey(keys.bPrivateKeyHex)
  const authA = createAuthToken(parsePrivateKey(keys.aPrivateKeyHex), A, API_KEY_INDEX, Math.floor(Date.now() / 1000) + AUTH_TTL_SEC)
  const stream = `hedgeflow:bench-floor:${Date.now().toString(36)}`
  const cmd = new Redis(redisUrl)
  const blocking = new Redis(redisUrl)
  await cmd.xgroup("CREATE", stream, "g", "$", "MKSTREAM")
  const engine = sim.exchange.engine
  const hedges: Array<HedgeRec> = []
  let running = true

  // A: one frame in → one XADD out.
  const wsA = await connectWs(sim.wsUrl)
  const seen = new Map<string, number>()
  wsA.on("message", (d) => {
    const f = JSON.parse(d.toString()) as { channel?: string; orders?: Record<string, Array<{ order_id: string; filled_base_amount: string; is_ask: boolean; price: string }>> }
    if (f.channel !== `account_all_orders:${A}` || f.orders === undefined) return
    for (const o of f.orders[String(BTC)] ?? []) {
      const filled = Number(o.filled_base_amount.replace(".", ""))
      const before = seen.get(o.order_id) ?? 0
      if (filled <= before) continue
      seen.set(o.order_id, filled)
      void cmd.xadd(stream, "*", "order", o.order_id, "size", String(filled - before), "ask", o.is_ask ? "1" : "0", "price", o.price.replace(".", ""))
    }
  })
  try {
    await subscribe(wsA, `account_all_orders/${A}`, authA)
    // Subscribed like the engine's A, so the exchange stamps the same trade frames for both.
    await subscribe(wsA, `account_all_trades/${A}`, authA)
  } catch (e) {
    wsA.terminate()
    await cmd.del(stream)
    cmd.disconnect()
    blocking.disconnect()
    throw e
  }

  // B: XREADGROUP → one WebSocket send.
  const wsB = await connectWs(sim.wsUrl)
  const nonceRes = await fetch(`${sim.url}/api/v1/nextNonce?account_index=${B}&api_key_index=${API_KEY_INDEX}`)
  let nonce = ((await nonceRes.json()) as { nonce: number }).nonce
  let coi = 1_000_000
  const consume = async () => {
    while (running) {
      const r = (await blocking.xreadgroup("GROUP", "g", "b", "COUNT", 16, "BLOCK", 200, "STREAMS", stream, ">")) as
        | Array<[string, Array<[string, Array<string>]>]>
        | null
      for (const [, entries] of r ?? []) {
        for (const [, kv] of entries) {
          const m = new Map<string, string>()
          for (let i = 0; i < kv.length; i += 2) m.set(kv[i]!, kv[i + 1]!)
          const aSold = m.get("ask") === "1"
          const price = Number(m.get("price"))
          const id = ++coi
          hedges.push({ aOrder: m.get("order")!, clientOrderIndex: id })
          const tx = signTx(bKey, sim.exchange.chainId, {
            type: "createOrder", accountIndex: B, apiKeyIndex: API_KEY_INDEX, nonce: nonce++, expiredAt: Date.now() + 599_000,
            marketIndex: BTC, clientOrderIndex: id, baseAmount: Number(m.get("size")),
            price: aSold ? Math.floor(price * 1.01) : Math.ceil(price * 0.99), isAsk: !aSold, orderType: 1, timeInForce: 0,
            reduceOnly: false, triggerPrice: 0, orderExpiry: 0
          })
          wsB.send(`{"type":"jsonapi/sendtx","data":{"id":"${id}","tx_type":${tx.txType},"tx_info":${tx.txInfo}}}`)
        }
      }
    }
  }
  const consumer = consume()

  // Fills for A: a post-only quote 5 levels deep whenever A has none, alternating sides.
  for (const o of [...engine.account(A).active.values()]) engine.cancelDirect(o)
  let buy = true
  const quoter = setInterval(() => {
    if (engine.account(A).active.size > 0) return
    const ref = engine.referencePrice(BTC)
    if (ref === undefined) return
    engine.placeDirect({ account: A, marketId: BTC, isAsk: !buy, baseAmount: 20, price: buy ? ref - 5 : ref + 5, timeInForce: 2, clientOrderIndex: 1 })
    buy = !buy
  }, 20)

  await new Promise((r) => setTimeout(r, durationMs))
  running = false
  clearInterval(quoter)
  await consumer
  wsA.terminate()
  wsB.terminate()
  await cmd.del(stream)
  cmd.disconnect()
  blocking.disconnect()
  return { hedges }
}
