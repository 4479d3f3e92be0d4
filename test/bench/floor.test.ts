// The bench's floor on the embedded exchange, which requires auth tokens on private channels: A's
// subscriptions carry a token signed with A's key and are accepted; a token under another key is
// refused, and the floor says so instead of measuring a silent stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runFloor } from "../../src/bench/floor.ts"
import { generateHarnessKeys, simAccountsWith } from "../../src/testkit/harness-keys.ts"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

const keys = generateHarnessKeys(1, 2)
let redis: TestRedis
let sim: SimHandle

beforeAll(async () => {
  redis = await startTestRedis()
  sim = await startSimulator({ port: 0, seed: 5, accounts: simAccountsWith(keys), market: { fillRatePerMin: 600, stepMs: 100 } })
})
afterAll(async () => {
  await sim?.close()
  await redis?.close()
})

describe("bench floor", () => {
  it("subscribes A's private channels with a token the exchange accepts, and hedges with B's signed txs", async () => {
    const before = sim.exchange.authStats()
    const r = await runFloor(sim, redis.url, 3000, { aPrivateKeyHex: keys.a.privateKeyHex, bPrivateKeyHex: keys.b.privateKeyHex })
    const after = sim.exchange.authStats()
    expect({ accepted: after.accepted - before.accepted, rejected: after.rejected - before.rejected }).toEqual({ accepted: 2, rejected: 0 })
    expect(r.hedges.length).toBeGreaterThan(0)
    expect(sim.exchange.signatureStats().rejected).toBe(0)
  }, 30_000)

  it("fails with the exchange's reason when A's token is refused", async () => {
    const other = generateHarnessKeys(1, 2)
    const before = sim.exchange.authStats()
    await expect(runFloor(sim, redis.url, 1000, { aPrivateKeyHex: other.a.privateKeyHex, bPrivateKeyHex: keys.b.privateKeyHex })).rejects.toThrow(
      /subscribe account_all_orders\/1 refused: 20013 invalid auth: bad signature/
    )
    expect(sim.exchange.authStats().rejected - before.rejected).toBe(1)
  }, 30_000)
})
