// `bin/hedge flatten` is final (issue 8), with main-a, main-b and bin/hedge as real processes
// against the embedded exchange and a real Redis. Every fill of A is made by the test. What must
// hold, from the exchange's own trade log and from Redis:
//   - flatten settles the fill in flight first (B finishes its hedge), clears the residual pool
//     and records it (audit log, status), then closes both accounts;
//   - after "both accounts flat" neither A nor B trades, and A publishes nothing — not its own
//     closing trade, not after A and B are killed and started again;
//   - A, down while its quote filled and during the flatten, catches up from the venue snapshot
//     when it starts again and publishes nothing from before the flatten.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { A, B, type PairUnderTest, startPair, waitRunning, waitUntil } from "../support/pair.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
}, 30_000)
afterAll(async () => {
  await redis?.close()
})

const fillsLen = (pair: PairUnderTest) => pair.redis.xlen(`${pair.prefix}:fills`)
const pool = async (pair: PairUnderTest) => Number((await pair.redis.get(`${pair.prefix}:residual`)) ?? "0")

describe("flatten with a fill in flight and a residual in the pool, then A and B restarted", () => {
  let pair: PairUnderTest
  beforeAll(async () => {
    pair = await startPair(redis, "flatten-live", 21)
    pair.start("b")
    pair.start("a")
  }, 60_000)
  afterAll(async () => {
    await pair?.close()
  })

  it("settles the hedge in flight, clears and records the pool, and nothing trades or is published afterwards", async () => {
    const faults = pair.sim.exchange.faults
    await waitUntil("A's first quote", () => pair.quoteOfA() !== undefined, 30_000)
    expect(pair.quoteOfA()!.isAsk).toBe(false)
    // B's hedge of the next fill: held 6 s by the exchange (in flight when flatten starts), and
    // then filled only half way: 10 of 20 base units go to the residual pool (below the minimum).
    faults.delayTxs(B, 1, 6_000, "both")
    faults.partialFillMarketOrders(B, 1, 0.5)
    pair.fillQuoteOfA()
    await waitUntil("B's hedge sent", async () => (await pair.redis.hlen(`${pair.prefix}:intents`)) + (await pair.redis.xlen(`${pair.prefix}:hedges`)) > 0, 10_000)

    const flattening = pair.hedge("flatten", "--yes", "--settle-timeout", "20")
    const out = await flattening
    const flatAt = pair.tradeCount()
    const published = await fillsLen(pair)
    expect(out.status, `${out.stdout}\n${out.stderr}`).toBe(0)
    // It waited for the hedge in flight, then cleared the pool it left and said so.
    expect(out.stdout).toMatch(/settling: waiting on .*open hedge/)
    expect(out.stdout).toMatch(/residual pool -?0\.00010 BTC cleared/)
    expect(out.stdout).toMatch(/both accounts flat/)
    expect(pair.position(A)).toBe(0)
    expect(pair.position(B)).toBe(0)
    expect(await pool(pair)).toBe(0)
    // Recorded in Redis, shown by status.
    const audit = await pair.redis.xrange(`${pair.prefix}:audit`, "-", "+")
    const kinds = audit.map(([, kv]) => kv[kv.indexOf("kind") + 1])
    expect(kinds).toContain("flatten-fence")
    expect(kinds).toContain("flatten-done")
    const status = await pair.hedge("status")
    expect(status.stdout).toMatch(/trading state +HALTED — flatten F\w+ by operator/)
    expect(status.stdout).toMatch(/last flatten +F\w+/)
    expect(status.stdout).toMatch(/flatten-fence: flatten F\w+: .*residual pool -0\.00010 BTC cleared/)

    // A and B keep running: A's own closing trade is not a fill to hedge, nothing trades.
    await new Promise((r) => setTimeout(r, 4_000))
    expect(pair.tradesOfPair(flatAt)).toEqual([])
    expect(await fillsLen(pair)).toBe(published)

    // Both killed and started again: nothing re-published, nothing re-hedged, still HALTED.
    await pair.kill("a")
    await pair.kill("b")
    const restartedAt = Date.now()
    pair.start("b")
    pair.start("a")
    await waitRunning(pair, "b", restartedAt)
    await waitRunning(pair, "a", restartedAt)
    await new Promise((r) => setTimeout(r, 4_000))
    expect(pair.tradesOfPair(flatAt)).toEqual([])
    expect(await fillsLen(pair)).toBe(published)
    expect(await pool(pair)).toBe(0)
    expect(await pair.redis.hget(`${pair.prefix}:state`, "state")).toBe("HALTED")
    expect(pair.position(A)).toBe(0)
    expect(pair.position(B)).toBe(0)
    expect(pair.quoteOfA()).toBeUndefined()
  }, 180_000)
})

describe("flatten while A is down with a fill it never published", () => {
  let pair: PairUnderTest
  beforeAll(async () => {
    pair = await startPair(redis, "flatten-a-down", 22)
    pair.start("b")
    pair.start("a")
  }, 60_000)
  afterAll(async () => {
    await pair?.close()
  })

  it("A catches up from the venue snapshot on its restart and publishes nothing from before the flatten", async () => {
    await waitUntil("A's first quote", () => pair.quoteOfA() !== undefined, 30_000)
    // A hears nothing for 1.5 s; its quote fills meanwhile, and A is killed before it hears of it.
    pair.sim.exchange.faults.pauseStream(A, 1_500)
    pair.fillQuoteOfA()
    await pair.kill("a")
    expect(pair.position(A)).toBe(20)
    expect(await fillsLen(pair)).toBe(0)
    await new Promise((r) => setTimeout(r, 1_600))

    const out = await pair.hedge("flatten", "--yes", "--settle-timeout", "10")
    expect(out.status, `${out.stdout}\n${out.stderr}`).toBe(0)
    expect(out.stdout).toMatch(/A: position 0\.00020 → reduce-only sell/)
    expect(out.stdout).toMatch(/both accounts flat/)
    const flatAt = pair.tradeCount()
    expect(pair.position(A)).toBe(0)
    expect(pair.position(B)).toBe(0)

    // A starts again: its snapshot shows the quote's fill and its closing trade; neither is published.
    const restartedAt = Date.now()
    pair.start("a")
    await waitRunning(pair, "a", restartedAt)
    await new Promise((r) => setTimeout(r, 4_000))
    expect(await fillsLen(pair)).toBe(0)
    expect(pair.tradesOfPair(flatAt)).toEqual([])
    expect(pair.position(B)).toBe(0)
    expect(pair.log("a")).toMatch(/not published: (closed by flatten|a closing order)/)
  }, 180_000)
})
