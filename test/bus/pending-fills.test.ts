// Fills not yet hedged (src/bus/pending-fills.ts): on Redis, the consumer group's lag plus its
// delivered, unacknowledged entries (so fills published while B is down count too); on the memory
// bus, the bus's own count. Also a script's call with a declared argument missing.
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { FillBus } from "../../src/bus/FillBus.ts"
import { MemoryFillBus } from "../../src/bus/memory/MemoryFillBus.ts"
import { pendingFills } from "../../src/bus/pending-fills.ts"
import { RedisFillBus } from "../../src/bus/redis/RedisFillBus.ts"
import { redisScript, scriptCall, ZeroOrOne } from "../../src/bus/redis/script.ts"
import { LIGHTER_BTC } from "../../src/domain/market.ts"
import { redisFixture } from "../support/redis-fixture.ts"
import { fillEvent, newOrderIndex } from "./contract.ts"

const redis = redisFixture("pending")

const publishThreeReadOne = Effect.gen(function*() {
  const bus = yield* FillBus
  const order = newOrderIndex()
  for (const [before, after] of [[0, 10], [10, 20], [20, 30]] as const) yield* bus.publishFill(fillEvent({ orderIndex: order, filledBefore: before, filledAfter: after }))
  yield* bus.readNew({ consumer: "b-1", count: 1, blockMs: 0 })
  return yield* bus.pendingCount()
})

describe("pendingFills", () => {
  it("on Redis: undelivered and delivered-unacknowledged fills together", async () => {
    const prefix = redis.fresh("fills")
    const [delivered, pending] = await redis.rt.runPromise(
      Effect.gen(function*() {
        const delivered = yield* publishThreeReadOne
        return [delivered, yield* pendingFills(prefix)] as const
      }).pipe(Effect.provide(RedisFillBus.layer({ prefix, market: LIGHTER_BTC }).pipe(Layer.orDie)))
    )
    expect(delivered).toBe(1)
    expect(pending).toBe(3)
  })

  it("without Redis: the bus's own count", async () => {
    const pending = await Effect.runPromise(
      Effect.gen(function*() {
        const delivered = yield* publishThreeReadOne
        expect(delivered).toBe(1)
        return yield* pendingFills("unused")
      }).pipe(Effect.provide(MemoryFillBus.layer()))
    )
    expect(pending).toBe(1)
  })
})

describe("scriptCall", () => {
  it("names the script and the argument a call lacks", () => {
    const s = redisScript({ name: "argTest", keys: ["k"], args: ["a", "b"], reply: ZeroOrOne, source: "return ARGV[1] .. ARGV[2] .. KEYS[1]" })
    expect(() => scriptCall(s, { k: "x" }, { a: 1 })).toThrow(new Error("script argTest: no value for argument b"))
    expect(scriptCall(s, { k: "x" }, { a: 1, b: "2" }, [3])).toStrictEqual({ keys: ["x"], args: [1, "2", 3] })
  })
})
