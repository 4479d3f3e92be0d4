// The floor: the least a fill→hedge pipeline can do over the same hops — one WebSocket frame to
// A, XADD, XREADGROUP, one WebSocket send from B — with no safety (no intent, no dedupe, no
// budget). The engine's latency reads as a ratio to it. Plain Node, ioredis and ws on purpose.
// B signs its hedges like the engine does (the exchange verifies every signature), so signing is
// part of the floor too.
import { Redis } from "ioredis"
import { WebSocket } from "ws"
import type { SimHandle } from "../sim/server.ts"
import type { HedgeRec } from "./latency.ts"
import { parsePrivateKey, signTx } from "../venue/lighter/signing/index.ts"

const A = 1
const B = 2
const BTC = 1

const connectWs = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once("error", reject)
    ws.on("message", (d) => {
      if (JSON.parse(d.toString()).type === "connected") resolve(ws)
    })
  })

export interface FloorResult {
  readonly hedges: ReadonlyArray<HedgeRec>
}

/** Runs the floor pipeline for `durationMs` on a running simulator and Redis. */
export const runFloor = async (sim: SimHandle, redisUrl: string, durationMs: number, bPrivateKeyHex: string): Promise<FloorResult> => {
  const bKey = parsePrivateKey(bPrivateKeyHex)
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
  wsA.send(JSON.stringify({ type: "subscribe", channel: `account_all_orders/${A}` }))
  // Subscribed like the engine's A, so the exchange stamps the same trade frames for both.
  wsA.send(JSON.stringify({ type: "subscribe", channel: `account_all_trades/${A}` }))

  // B: XREADGROUP → one WebSocket send.
  const wsB = await connectWs(sim.wsUrl)
  const nonceRes = await fetch(`${sim.url}/api/v1/nextNonce?account_index=${B}&api_key_index=4`)
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
            type: "createOrder", accountIndex: B, apiKeyIndex: 4, nonce: nonce++, expiredAt: Date.now() + 599_000,
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
