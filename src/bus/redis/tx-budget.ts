// The shared transaction budget (src/venue/TxBudget.ts) on Redis: a sliding one-minute window
// per Lighter address, counted on Redis's clock so that A and B on different machines agree.
import { Effect, Layer, Schema } from "effect"
import { TxBudget, type TxPriority } from "../../venue/TxBudget.ts"
import { RedisConnection } from "./connection.ts"
import { redisScript } from "./script.ts"

// Counts one transaction of `priority` ('hedge'|'quote'; quotes leave `reserve` for hedges) in the
// window as `member`. Returns 0 when counted, else the ms to wait before trying again. Uses
// Redis's clock, so processes on different machines agree.
export const TX_BUDGET_ACQUIRE = redisScript({
  name: "txBudgetAcquire",
  keys: ["window"],
  args: ["windowMs", "limit", "reserve", "priority", "member"],
  reply: Schema.Number,
  source: `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local cap = tonumber(ARGV[2])
if ARGV[4] == 'quote' then cap = cap - tonumber(ARGV[3]) end
if cap <= 0 then return window end
if n < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local e = redis.call('ZRANGE', KEYS[1], n - cap, n - cap, 'WITHSCORES')
return math.max(1, tonumber(e[2]) + window - now)
`
})

let member = 0
// Stryker disable next-line UpdateOperator: counting down gives distinct members too
const unique = () => `${process.pid}-${Date.now()}-${++member}`

export const RedisTxBudget = {
  layer: (o: { readonly key: string; readonly txPerMinute: number; readonly hedgeReserve: number; readonly windowMs?: number }) =>
    o.txPerMinute <= 0
      ? TxBudget.unlimited
      : Layer.effect(
        TxBudget,
        Effect.gen(function*() {
          const conn = yield* RedisConnection
          const windowMs = o.windowMs ?? 60_000
          const acquire = (priority: TxPriority): Effect.Effect<void> =>
            Effect.gen(function*() {
              for (let waited = 0;;) {
                const wait = yield* conn.runScript(
                  TX_BUDGET_ACQUIRE,
                  { window: o.key },
                  { windowMs, limit: o.txPerMinute, reserve: o.hedgeReserve, priority, member: unique() }
                ).pipe(
                  // Redis unreachable: do not block trading on the budget; the venue's own 429 still protects.
                  Effect.catch((e) => Effect.logWarning(`tx budget unavailable (${e.message}); sending without it`).pipe(Effect.as(0)))
                )
                if (wait <= 0) return
                if (waited === 0) yield* Effect.logInfo(`tx budget: ${priority} waits ${wait} ms (${o.txPerMinute}/min shared by A and B)`)
                // Stryker disable next-line AssignmentOperator: `waited` decides only whether the first wait is logged (non-zero either way after a wait)
                waited += wait
                yield* Effect.sleep(Math.min(wait, 1000))
              }
            })
          return TxBudget.of({ acquire })
        })
      )
}
