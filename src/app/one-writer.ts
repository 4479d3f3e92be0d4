// What main-a and main-b do on Redis before they trade, and around the trading program:
//   1. the configured Redis database exists on the server (redis.db);
//   2. the key prefix belongs to this pair (market + A's account + B's account), or is recorded for it;
//   3. the role's lease: a second A or B for the pair refuses to start, naming the holder; a dead
//      holder's lease is waited out (at most 5 s); losing the lease while running stops the program;
//   4. the process's own metrics port (metrics.port_a / port_b, or metrics.port), with a clear
//      line instead of EADDRINUSE when A and B of one pair were given the same port;
//   5. the program, guarded by the lease.
import type { Role } from "../domain/role.ts"
import { hostname } from "node:os"
import { Effect, type Scope } from "effect"
import type { MarketSpec } from "../domain/market.ts"
import type { PairState } from "../bus/PairState.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import type { BusError } from "../bus/errors.ts"
import { type LeaseHeldError, LeaseLostError, ProcessLease, readPresence } from "../bus/redis/lease.ts"
import { ensurePairIdentity, type PairIdentityError, type RedisDatabaseError, verifyRedisDatabase } from "../bus/redis/pair-identity.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { type HedgeflowConfig, metricsPortOf } from "../config/load.ts"
import { type Metrics, serveMetrics } from "../ops/metrics.ts"
import type { Presence } from "./presence.ts"


/** An error already explained in its message (one line for the user). */
export class OneWriterError extends Error {
  readonly _tag = "OneWriterError"
}

const programName = (role: Role) => (role === "a" ? "main-a" : "main-b")

/** Serves this process's metrics; a port shared with the pair's other process is refused with an explanation. */
const serveOwnMetrics = (role: Role, config: HedgeflowConfig) =>
  Effect.gen(function*() {
    const own = metricsPortOf(config, role)
    if (own === undefined) return
    const other: Role = role === "a" ? "b" : "a"
    const advice = "A and B of a pair each need their own port: set metrics.port_a and metrics.port_b (metrics.port serves one process only)"
    if (own.key === "metrics.port") {
      const p = yield* readPresence(config.redis.keyPrefix, other).pipe(Effect.orElseSucceed(() => undefined))
      const holder = p?.lease?.holder
      if (holder !== undefined && holder.host === hostname() && p?.seen?.status["metricsPort"] === own.port) {
        return yield* Effect.fail(
          new OneWriterError(
            `metrics.port ${own.port} is already served by ${programName(other)} of this pair on this host (pid ${holder.pid}); ${advice}`
          )
        )
      }
    }
    const served = yield* serveMetrics(own.port, config.settings.metrics.host).pipe(
      Effect.mapError((e) =>
        new OneWriterError(
          /EADDRINUSE/.test(e.message)
            ? `${own.key} ${own.port}: port ${own.port} on ${config.settings.metrics.host} is already in use (EADDRINUSE)` +
              (own.key === "metrics.port" ? ` — by ${programName(other)} of this pair? ${advice}` : "; choose a free port")
            : `${own.key} ${own.port}: ${e.message}`
        )
      )
    )
    yield* Effect.logInfo(`metrics on http://${config.settings.metrics.host}:${served.port}/metrics`)
  })

/**
 * Runs `run` (the maker or the hedger, scoped by the caller) as the pair's only `role` process.
 * Needs the bus's RedisConnection (and whatever `run` needs).
 */
export const runAsOnlyWriter = <A, E, R>(o: {
  readonly role: Role
  readonly config: HedgeflowConfig
  readonly market: MarketSpec
  readonly presence: Presence
  readonly run: Effect.Effect<A, E, R>
}): Effect.Effect<
  A,
  E | BusError | LeaseHeldError | LeaseLostError | PairIdentityError | RedisDatabaseError | OneWriterError,
  R | RedisConnection | PairState | Metrics | Scope.Scope
> =>
  Effect.gen(function*() {
    const { role, config, market } = o
    const conn = yield* RedisConnection
    const db = Number(new URL(config.redis.url).pathname.replace(/^\//, "") || "0")
    yield* verifyRedisDatabase(db, conn.target)
    yield* ensurePairIdentity(config.redis.keyPrefix, {
      market: market.symbol.toUpperCase(),
      marketId: market.marketId,
      accountA: config.accounts.a.accountIndex,
      accountB: config.accounts.b.accountIndex
    })
    const context = yield* Effect.context<PairState>()
    const lease = ProcessLease.layer({
      prefix: config.redis.keyPrefix,
      role,
      instance: role === "b" ? `${config.hedge.instance}/${Math.random().toString(36).slice(2, 8)}` : `a/${Math.random().toString(36).slice(2, 8)}`,
      status: () => o.presence.status().pipe(Effect.provide(context))
    })
    return yield* Effect.gen(function*() {
      const held = yield* ProcessLease
      yield* serveOwnMetrics(role, config)
      return yield* held.guard(o.run)
    }).pipe(
      Effect.tapError((e) =>
        e instanceof LeaseLostError ? raiseAlert("lease-lost", e.message).pipe(Effect.catchCause(() => Effect.void)) : Effect.void
      ),
      Effect.provide(lease)
    )
  })
