// The previous system's Redis contract, live: main-a, main-b and `bin/hedge flatten` as real
// processes against the embedded exchange and a private redis-server, everything on hedge:*
// captured by a real PSUBSCRIBE. Every message on the three channels, every field of the positions
// hash and close_all are decoded with the contract written from the previous system's sources
// (test/support/legacy-contract.ts), and their values checked against the exchange's trade log.
// With both switches off, the same run publishes nothing on hedge:* and writes no hash.
import { appendFileSync } from "node:fs"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  decodeContract,
  DOCUMENTED_FILL_KEYS,
  DOCUMENTED_HEDGE_KEYS,
  DocumentedFillContract,
  DocumentedHedgeContract,
  PREVIOUS_CLOSE_ALL_KEYS,
  PREVIOUS_FILL_KEYS,
  PREVIOUS_POSITION_KEYS,
  PreviousCloseAllContract,
  PreviousFillContract,
  PreviousPositionContract
} from "../support/legacy-contract.ts"
import { A, B, BTC, type PairUnderTest, startPair, waitUntil } from "../support/pair.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
beforeAll(async () => {
  // hedge:* channels carry no key prefix: a server of our own.
  redis = await startTestRedis({ private: true })
}, 30_000)
afterAll(async () => {
  await redis?.close()
})

// demoConfig's account names (test/support/pair.ts → src/cli/demo-sim.ts).
const PREVIOUS_CHANNEL = "hedge:A_to_B"
const POSITIONS_KEY = "hedge:positions:A_B:BTC"

interface Captured {
  readonly channel: string
  readonly message: string
}

const capture = async (r: TestRedis) => {
  const sub = new Redis(r.url)
  sub.on("error", () => {})
  const got: Array<Captured> = []
  sub.on("pmessage", (_p: string, channel: string, message: string) => void got.push({ channel, message }))
  await sub.psubscribe("hedge:*")
  return { got, on: (channel: string) => got.filter((m) => m.channel === channel).map((m) => m.message), close: () => sub.disconnect() }
}

/** Fills `base` of A's resting quote once it rests on `side`; returns A's order index. */
const fillQuote = async (pair: PairUnderTest, side: "buy" | "sell", base?: number) => {
  await waitUntil(`A's ${side} quote`, () => pair.quoteOfA()?.isAsk === (side === "sell"), 30_000)
  const orderIndex = pair.quoteOfA()!.orderIndex
  pair.fillQuoteOfA(base)
  return orderIndex
}

const hedgesLen = (pair: PairUnderTest) => pair.redis.xlen(`${pair.prefix}:hedges`)

describe("the previous system's Redis contract from main-a, main-b and bin/hedge flatten", () => {
  let pair: PairUnderTest
  let ch: Awaited<ReturnType<typeof capture>>
  beforeAll(async () => {
    pair = await startPair(redis, "legacy-live", 31)
    ch = await capture(redis)
    pair.start("b")
    pair.start("a")
  }, 60_000)
  afterAll(async () => {
    ch?.close()
    await pair?.close()
  })

  it("A's fills on both channels, B's result, the positions hash kept current, close_all and flat positions after a flatten", async () => {
    const engine = pair.sim.exchange.engine
    // 1. A's buy quote fills (0.0002 BTC): B sells 0.0002.
    const open = await fillQuote(pair, "buy")
    await waitUntil("B's hedge of the open", async () => (await hedgesLen(pair)) === 1, 20_000)
    await waitUntil("B's result on hedge:account_b_filled", () => ch.on("hedge:account_b_filled").length === 1, 5_000)
    // The positions hash follows both accounts (each process writes its own field).
    const field = async (name: string) => {
      const t = await pair.redis.hget(POSITIONS_KEY, name)
      return t === null ? undefined : decodeContract(PreviousPositionContract, PREVIOUS_POSITION_KEYS, t)
    }
    await waitUntil("the positions hash shows A long and B short", async () => {
      const [a, b] = [await field("A"), await field("B")]
      return a?.sign === 1n && a.size === 0.0002 && b?.sign === -1n && b.size === 0.0002
    }, 15_000)
    const a1 = (await field("A"))!
    expect({ ...a1, timestamp: 0n, available_balance: "" }).toEqual({
      account_name: "A",
      account_index: BigInt(A),
      size: 0.0002,
      sign: 1n,
      direction: "long",
      timestamp: 0n,
      market: "BTC",
      available_balance: ""
    })
    expect(Math.abs(Number(a1.timestamp) - Date.now() / 1000)).toBeLessThan(60)
    expect(a1.available_balance).toMatch(/^\d+\.\d{6}$/)
    expect((await field("B"))!.account_index).toBe(BigInt(B))

    // 2. Half of A's closing sell fills (0.0001, below the venue minimum): B pools it, publishes nothing.
    const close = await fillQuote(pair, "sell", 10)
    await waitUntil("B's (deferred) result of the close", async () => (await hedgesLen(pair)) === 2, 20_000)
    await waitUntil("the positions hash shows A at 0.0001", async () => (await field("A"))?.size === 0.0001, 15_000)

    // 3. bin/hedge flatten: close_all as the closing starts, both fields flat at its end.
    const out = await pair.hedge("flatten", "--yes", "--settle-timeout", "10")
    expect(out.status, `${out.stdout}\n${out.stderr}`).toBe(0)
    expect(out.stdout).toMatch(/legacy: close_all published/)
    await new Promise((r) => setTimeout(r, 500))
    const [fa, fb] = [(await field("A"))!, (await field("B"))!]
    expect([fa.size, fa.sign, fa.direction, fb.size, fb.sign, fb.direction]).toEqual([0, 0n, "none", 0, 0n, "none"])
    expect(await pair.redis.hkeys(POSITIONS_KEY)).toEqual(expect.arrayContaining(["A", "B"]))
    expect((await pair.redis.hkeys(POSITIONS_KEY)).length).toBe(2)

    // Every message on every channel decodes with the previous system's shapes.
    const tradesOf = (orderIndex: number) => engine.trades.filter((t) => t.marketId === BTC && (t.askId === orderIndex || t.bidId === orderIndex))
    const docA = ch.on("hedge:account_a_filled").map((t) => decodeContract(DocumentedFillContract, DOCUMENTED_FILL_KEYS, t))
    expect(docA.map((m) => [m.order_index, m.side, m.filled_base_amount, m.client_order_index, m.market_index])).toEqual([
      [String(open), "buy", "0.0002", docA[0]!.client_order_index, 1n],
      [String(close), "sell", "0.0001", docA[1]!.client_order_index, 1n]
    ])
    for (const [m, order] of [[docA[0]!, open], [docA[1]!, close]] as const) {
      const [t] = tradesOf(order)
      // The fill's own execution price; when A saw it (seconds, with milliseconds), just after the trade.
      expect(m.avg_execution_price).toBe((t!.price / 10).toString())
      expect(m.timestamp).toBeGreaterThanOrEqual(Math.floor(t!.timestampMs / 1000))
      expect(m.timestamp - t!.timestampMs / 1000).toBeLessThan(10)
    }
    const prevA = ch.on(PREVIOUS_CHANNEL).filter((t) => !t.includes("close_all")).map((t) => decodeContract(PreviousFillContract, PREVIOUS_FILL_KEYS, t))
    expect(prevA.map((m) => [m.account_index, m.market_index, m.order_index, m.side, m.filled_base_amount])).toEqual([
      [BigInt(A), 1n, BigInt(open), "buy", "0.00020"],
      [BigInt(A), 1n, BigInt(close), "sell", "0.00010"]
    ])
    for (const [m, order] of [[prevA[0]!, open], [prevA[1]!, close]] as const) {
      const [t] = tradesOf(order)
      expect(m.avg_price).toBe((t!.price / 10).toFixed(1))
      expect(m.filled_quote_amount).toBe((Number(t!.usdMicro) / 1e6).toFixed(6))
    }
    // B: one result (the deferred one is not published), with the real price of its own trade.
    const docB = ch.on("hedge:account_b_filled").map((t) => decodeContract(DocumentedHedgeContract, DOCUMENTED_HEDGE_KEYS, t))
    expect(docB.length).toBe(1)
    const hedge = docB[0]!
    expect([hedge.status, hedge.side, hedge.filled_base_amount, hedge.market_index]).toEqual(["success", "sell", "0.0002", 1n])
    const bTrades = tradesOf(Number(hedge.order_index))
    expect(bTrades.length).toBeGreaterThan(0)
    expect(bTrades.every((t) => t.askAccountId === B)).toBe(true)
    const notional = bTrades.reduce((s, t) => s + t.size * t.price, 0)
    const size = bTrades.reduce((s, t) => s + t.size, 0)
    expect(Number(hedge.avg_execution_price)).toBeCloseTo(notional / size / 10, 6)
    expect(Number(hedge.client_order_index)).toBe(bTrades[0]!.askClientId)
    // close_all, once.
    const closeAll = ch.on(PREVIOUS_CHANNEL).filter((t) => t.includes("close_all")).map((t) => decodeContract(PreviousCloseAllContract, PREVIOUS_CLOSE_ALL_KEYS, t))
    expect(closeAll.map((m) => [m.action, m.market, m.market_index])).toEqual([["close_all", "BTC", 1n]])
    // Nothing else on hedge:*.
    expect(new Set(ch.got.map((m) => m.channel))).toEqual(new Set(["hedge:account_a_filled", "hedge:account_b_filled", PREVIOUS_CHANNEL]))
  }, 180_000)
})

describe("legacy.documented_channels and legacy.previous_channels off", () => {
  let pair: PairUnderTest
  let ch: Awaited<ReturnType<typeof capture>>
  beforeAll(async () => {
    pair = await startPair(redis, "legacy-off", 32)
    // The same account names as the run above: start from no hedge:* key.
    const left = await pair.redis.keys("hedge:*")
    if (left.length > 0) await pair.redis.del(...left)
    appendFileSync(pair.config, "legacy: { documented_channels: false, previous_channels: false }\n")
    ch = await capture(redis)
    pair.start("b")
    pair.start("a")
  }, 60_000)
  afterAll(async () => {
    ch?.close()
    await pair?.close()
  })

  it("a fill, its hedge and a flatten publish nothing on hedge:* and write no positions hash", async () => {
    await fillQuote(pair, "buy")
    await waitUntil("B's hedge", async () => (await hedgesLen(pair)) === 1, 20_000)
    // Longer than a positions write interval (5 s) of either process.
    await new Promise((r) => setTimeout(r, 6_000))
    const out = await pair.hedge("flatten", "--yes", "--settle-timeout", "10")
    expect(out.status, `${out.stdout}\n${out.stderr}`).toBe(0)
    expect(out.stdout).not.toMatch(/close_all/)
    await new Promise((r) => setTimeout(r, 500))
    expect(ch.got).toEqual([])
    expect(await pair.redis.keys("hedge:*")).toEqual([])
  }, 120_000)
})
