// strategy.force_close_timeout as the previous system meant it, with main-a and main-b as real
// processes over real sockets and Redis: B's margin is used up (the simulator's refuse_margin:
// its opening orders are cancelled canceled-margin-not-allowed, as the venue does), so A's fill
// cannot be hedged. A and B stay mismatched; after force_close_timeout B halts the pair and asks
// both to close; main-a closes A's long with a reduce-only market order (never published as a
// fill), main-b finds B flat; bin/hedge status shows it, and bin/hedge resume clears it.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CLOSING_CLIENT_INDEX_MIN } from "../../src/domain/closing.ts"
import { A, B, type PairUnderTest, startPair, waitRunning } from "../support/pair.ts"
import { waitUntil } from "../support/process.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

describe("A and B mismatched for strategy.force_close_timeout (real processes)", () => {
  let redis: TestRedis
  let pair: PairUnderTest

  beforeAll(async () => {
    redis = await startTestRedis()
    pair = await startPair(redis, "force-close", 17, (yaml) =>
      yaml.replace("force_close_timeout: 0", "force_close_timeout: 4") +
        // One attempt of 1 s per hedge (the timeout must outlast it); the failed hedge halts the
        // pair at once, so A quotes nothing more while the mismatch lasts.
        "hedge: { max_attempts: 1, result_timeout_ms: 1000 }\nrisk: { max_consecutive_failures: 1 }\n")
    // B's margin is used up from the start: every hedge B sends is cancelled by the venue.
    pair.sim.exchange.faults.refuseMargin(B, 600_000)
    const t0 = Date.now()
    pair.start("b")
    pair.start("a")
    await Promise.all([waitRunning(pair, "b", t0), waitRunning(pair, "a", t0)])
  }, 60_000)

  afterAll(async () => {
    await pair?.close()
    await redis?.close()
  })

  const forceClose = async () => {
    const f = await pair.redis.hgetall(`${pair.prefix}:force-close`)
    return f["request"] === undefined ? undefined : { id: f["id"], a: f["a"] === undefined ? undefined : JSON.parse(f["a"]), b: f["b"] === undefined ? undefined : JSON.parse(f["b"]) }
  }

  it("closes A's long in main-a, leaves both flat, halts until resume, and publishes nothing for the closing trade", async () => {
    await waitUntil("A's quote", () => pair.quoteOfA() !== undefined, 30_000)
    pair.fillQuoteOfA()
    await waitUntil("A's fill", () => pair.position(A) > 0, 10_000)
    const filled = pair.position(A)
    // B's hedge was cancelled by the venue: the pair is unhedged, and halts on the failure.
    await waitUntil("B's hedge cancelled for margin", () => pair.sim.exchange.engine.account(B).inactive.some((o) => o.status === "canceled-margin-not-allowed"), 15_000)
    expect(pair.position(B)).toBe(0)

    await waitUntil("both sides answered the force close", async () => {
      const fc = await forceClose()
      return fc?.a !== undefined && fc.b !== undefined
    }, 30_000)
    const fc = (await forceClose())!
    expect(fc.a).toMatchObject({ flat: true, positionBase: 0 })
    expect(fc.b).toMatchObject({ flat: true, positionBase: 0 })
    expect(pair.position(A)).toBe(0)
    expect(pair.position(B)).toBe(0)
    // A's closing order: reduce-only, under a reserved closing index, of what A held.
    const closing = pair.sim.exchange.engine.account(A).inactive.filter((o) => o.clientOrderIndex >= CLOSING_CLIENT_INDEX_MIN)
    expect(closing.length).toBeGreaterThanOrEqual(1)
    expect(closing.every((o) => o.reduceOnly)).toBe(true)
    expect(closing.reduce((s, o) => s + o.filledBase, 0)).toBe(filled)
    // Nothing published for it: every fill entry on the stream is one of A's quotes.
    const entries = await pair.redis.xrange(`${pair.prefix}:fills`, "-", "+")
    const cois = entries.map(([, kv]) => JSON.parse(kv[kv.indexOf("clientOrderIndex") + 1] ?? "0") as number)
    expect(cois.length).toBeGreaterThanOrEqual(1)
    expect(cois.every((c) => c < CLOSING_CLIENT_INDEX_MIN)).toBe(true)

    const status = (await pair.hedge("status")).stdout
    expect(status).toMatch(/force close +FC\w+ at .*: A's position 0\.\d+ BTC and B's 0\.00000 BTC mismatched \(net 0\.\d+ BTC\) for \d+ ms \(strategy\.force_close_timeout 4 s\)/)
    expect(status).toContain("A flat; B flat. The pair stays HALTED until bin/hedge resume")
    expect(status).toMatch(/trading state +HALTED/)
    expect(pair.log("b")).toContain("ALERT force-close")
    expect(pair.log("a")).toContain("A closed: flat")

    // bin/hedge resume shows what A and B did and clears the request.
    pair.sim.exchange.faults.clear()
    const resumed = (await pair.hedge("resume")).stdout
    expect(resumed).toContain(`force close ${fc.id}`)
    expect(resumed).toContain("A: A closed: flat")
    expect(resumed).toContain("B: B closed: flat")
    expect(resumed).toContain(`force close ${fc.id} cleared.`)
    expect(await forceClose()).toBeUndefined()
    const after = (await pair.hedge("status")).stdout
    expect(after).not.toMatch(/^force close +FC/m) // the request is gone; the audit log keeps what happened
    expect(after).toMatch(/force-close-cleared: force close FC\w+ cleared by bin\/hedge resume \(A flat, B flat\)/)

    expect(await Promise.all([pair.kill("a", "SIGTERM"), pair.kill("b", "SIGTERM")])).toEqual([0, 0])
  }, 240_000)
})
