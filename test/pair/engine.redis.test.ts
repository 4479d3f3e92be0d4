// The engine scenarios over the real Redis Streams bus (REDIS_URL, else a private redis-server).
import { Effect } from "effect"
import { Redis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import { fillBusKeys } from "../../src/bus/redis/RedisFillBus.ts"
import { busLayers } from "../../src/app/bus-layers.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { market } from "./harness.ts"
import { clockScenarios } from "./clock-scenarios.ts"
import { forceCloseScenarios } from "./force-close-scenarios.ts"
import { type BusUnderTest, engineScenarios } from "./scenarios.ts"

let redis: TestRedis
let raw: Redis
let lastPrefix = ""

beforeAll(async () => {
  redis = await startTestRedis()
  raw = new Redis(redis.url)
})
afterAll(async () => {
  raw?.disconnect()
  await redis?.close()
})

const busUnderTest: BusUnderTest = {
  name: "Redis Streams",
  make: () => {
    lastPrefix = redis.prefix("engine")
    return busLayers({ redisUrl: redis.url, prefix: lastPrefix, market })
  },
  injectPoison: (fields) =>
    Effect.promise(() => raw.xadd(fillBusKeys(lastPrefix).fills, "*", ...Object.entries(fields).flat())).pipe(Effect.asVoid),
  deadLetters: () => Effect.promise(() => raw.xlen(fillBusKeys(lastPrefix).deadLetter)),
  deadLetterReasons: () =>
    Effect.promise(() => raw.xrange(fillBusKeys(lastPrefix).deadLetter, "-", "+")).pipe(
      Effect.map((entries) => entries.map(([, kv]) => kv[kv.indexOf("reason") + 1] ?? ""))
    )
}

engineScenarios(busUnderTest)
clockScenarios(busUnderTest)
forceCloseScenarios(busUnderTest)
