// Lost Redis state is detected, not trusted (issue 8). main-a and main-b as real processes over
// the embedded exchange and a private redis-server without persistence, which the test kills
// and starts again EMPTY while the pair is HALTED with a fill pending (B was down). Then:
//   - both processes find the pair's epoch gone, stay HALTED (A places nothing), and say what was
//     lost: the epoch, the HALTED state and its reason, the pending fill, with their positions;
//   - A (running, then restarted) publishes none of its old fills, and B hedges nothing;
//   - resume shows A's and B's positions and adopts the new epoch; A's old fills, all in its venue
//     snapshot, stay unpublished; flatten closes the fill nobody hedged, and after the next resume
//     the pair trades again, its new fills hedged as usual, with sequence numbers above the old ones.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { A, B, type PairUnderTest, startPair, waitRunning, waitUntil } from "../support/pair.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
let pair: PairUnderTest
beforeAll(async () => {
  redis = await startTestRedis({ private: true })
  pair = await startPair(redis, "redis-loss", 31)
  pair.start("b")
  pair.start("a")
}, 60_000)
afterAll(async () => {
  await pair?.close()
  await redis?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("Redis restarted empty with a fill pending and the pair halted", () => {
  it("A and B detect it, stay HALTED, say what was lost, replay nothing; resume and flatten recover", async () => {
    const fills = `${pair.prefix}:fills`
    // History: one open/close cycle of A, hedged.
    for (let i = 0; i < 2; i++) {
      await waitUntil(`A's quote ${i + 1}`, () => pair.quoteOfA() !== undefined, 30_000)
      pair.fillQuoteOfA()
      await waitUntil(
        `fill ${i + 1} hedged and recorded`,
        async () => pair.position(A) + pair.position(B) === 0 && (await pair.redis.xlen(`${pair.prefix}:hedges`)) === i + 1,
        20_000
      )
    }
    const seqBefore = Number(await pair.redis.get(`${pair.prefix}:fill-seq`))
    // B goes down; A's next fill stays pending.
    await pair.kill("b")
    await waitUntil("A's quote 3", () => pair.quoteOfA() !== undefined, 30_000)
    pair.fillQuoteOfA()
    await waitUntil("the fill pending", async () => (await pair.redis.xlen(fills)) === 3, 10_000)
    expect(pair.position(A)).toBe(20)
    const halt = await pair.hedge("halt", "--reason", "operator check")
    expect(halt.status, halt.stderr).toBe(0)
    await sleep(2_500) // A saw the halt and the pending fill (and wrote them beside its log)

    // Redis dies and comes back with nothing.
    await redis.stop(true)
    await redis.restart()
    const lostAt = pair.tradeCount()
    pair.start("b")

    // Both detect it: HALTED again, a new epoch waiting for an operator, both positions reported.
    await waitUntil("A's and B's loss reports", async () => (await pair.redis.hlen(`${pair.prefix}:epoch-loss`).catch(() => 0)) === 2, 30_000)
    expect(await pair.redis.hget(`${pair.prefix}:state`, "state")).toBe("HALTED")
    expect(await pair.redis.hget(`${pair.prefix}:state`, "reason")).toMatch(/Redis state lost .*waits for an operator/)
    expect(await pair.redis.hget(`${pair.prefix}:epoch`, "adoptedAtMs")).toBeNull()
    const reports = await pair.redis.hgetall(`${pair.prefix}:epoch-loss`)
    expect(JSON.parse(reports["a"]!).positionBase).toBe(20)
    expect(JSON.parse(reports["b"]!).positionBase).toBe(0)
    // What was lost, said by A (which saw the halt and the pending fill) and by B. Which of the two
    // looks at the new Redis first is a race (A reconnecting, B starting): both wordings are right.
    await waitUntil("A's report in its log", () => /A's position at the venue: 0\.00020 BTC/.test(pair.log("a")), 10_000)
    const logA = pair.log("a")
    // Whichever looked first: an empty Redis, or the epoch B made on finding it empty, waiting.
    expect(logA).toMatch(/Redis (came back empty: it holds no epoch|state was lost: epoch \w+ is gone, and epoch \w+ \(made by main-b after a loss of Redis state\) waits for an operator)/)
    expect(logA).toMatch(/epoch \w+ \(generation 1, made [^)]+\) is gone/)
    expect(logA).toMatch(/the trading state HALTED \(\\?"operator check\\?"\), seen [\d.]+ s before, is gone/)
    expect(logA).toMatch(/1 pending fill\(s\).*cannot be read back: whether B hedged them is unknowable/)
    expect(logA).toMatch(/ALERT redis-state-lost/)
    // B finds the epoch it knew gone (and, when A was first, A's new one waiting), and its position.
    await waitUntil("B's report in its log", () => /B's position at the venue: 0\.00000 BTC/.test(pair.log("b")), 10_000)
    expect(pair.log("b")).toMatch(/Redis (came back empty: it holds no epoch|state was lost: epoch \w+ is gone)/)
    await waitUntil("the net logged", () => /positions at the venue after the loss: A 0\.00020, B 0\.00000, net 0\.00020 BTC — NOT FLAT/.test(pair.log("a") + pair.log("b")), 10_000)
    const status = await pair.hedge("status")
    expect(status.stdout).toMatch(/epoch +\w+ \(generation 2\) — WAITS FOR AN OPERATOR/)
    expect(status.stdout).toMatch(/after the loss +A 0\.00020 BTC, B 0\.00000 BTC, net 0\.00020 BTC — NOT FLAT/)

    // A restarted on the empty Redis: it waits for an operator too, and says so again.
    await pair.kill("a")
    pair.start("a")
    await waitUntil("the restarted A reports", () => (pair.log("a").match(/"message":"- A's position at the venue: 0\.00020 BTC/g) ?? []).length >= 2, 30_000)
    await sleep(2_000)
    expect(await pair.redis.xlen(fills)).toBe(0)
    expect(pair.tradesOfPair(lostAt)).toEqual([])
    expect(pair.quoteOfA()).toBeUndefined()
    expect(await pair.redis.hget(`${pair.prefix}:state`, "state")).toBe("HALTED")

    // resume shows the positions and adopts the epoch: A and B start again. A's snapshot holds all
    // its old orders and fills: none is published (A quoted before the loss, so they are fenced).
    const startedAgain = Date.now()
    const resumed = await pair.hedge("resume")
    expect(resumed.status, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/A: position 0\.00020 BTC at the venue\nB: position 0\.00000 BTC at the venue\nnet 0\.00020 BTC — NOT FLAT/)
    expect(resumed.stdout).toMatch(/epoch \w+ adopted: A and B start again/)
    await waitRunning(pair, "a", startedAgain)
    await waitRunning(pair, "b", startedAgain)
    await waitUntil("A's closing quote (it is long)", () => pair.quoteOfA()?.isAsk === true, 30_000)
    expect(pair.quoteOfA()!.clientOrderIndex).toBeGreaterThan(100)
    expect(await pair.redis.xlen(fills)).toBe(0)
    expect(pair.log("a")).toMatch(/not published: placed before Redis lost its state/)
    expect(pair.tradesOfPair(lostAt)).toEqual([])

    // flatten closes the fill nobody hedged; after the next resume the pair trades as usual, with
    // sequence numbers above the old ones.
    const flat = await pair.hedge("flatten", "--yes", "--settle-timeout", "5")
    expect(flat.status, `${flat.stdout}\n${flat.stderr}`).toBe(0)
    expect(pair.position(A)).toBe(0)
    expect(pair.position(B)).toBe(0)
    expect((await pair.hedge("resume")).status).toBe(0)
    await waitUntil("A quotes after resume", () => pair.quoteOfA()?.isAsk === false, 30_000)
    pair.fillQuoteOfA()
    await waitUntil("the new fill hedged", () => pair.position(A) === 20 && pair.position(B) === -20, 20_000)
    const [entry] = await pair.redis.xrange(fills, "-", "+")
    const seq = Number(entry![1][entry![1].indexOf("fillSeq") + 1])
    expect(seq).toBeGreaterThan(seqBefore + 2)
    expect(await pair.redis.xlen(fills)).toBe(1)
  }, 240_000)
})
