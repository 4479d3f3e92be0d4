// Fills not yet hedged: the consumer group's lag (never delivered, e.g. while B is down) plus its
// delivered, unacknowledged entries — from Redis when the bus is Redis, else the bus's own count.
import { Effect, Option } from "effect"
import { FillBus } from "./FillBus.ts"
import { RedisConnection } from "./redis/connection.ts"
import { readBacklog } from "./redis/inspect.ts"

export const pendingFills = (prefix: string) =>
  Effect.gen(function*() {
    const conn = yield* Effect.serviceOption(RedisConnection)
    if (Option.isSome(conn)) return (yield* readBacklog(prefix).pipe(Effect.provideService(RedisConnection, conn.value))).total
    return yield* (yield* FillBus).pendingCount()
  })
