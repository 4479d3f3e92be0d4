// The role lease on a real Redis, in process (short ttls): a live holder refuses a second one, a
// dead holder's lease is waited out, a lease taken by another holder stops the guarded program at
// once, and an expired or Redis-restored lease of a dead process is taken back.
import { Effect, Exit, Fiber, Layer } from "effect"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { type LeaseOptions, ProcessLease, readPresence } from "../../src/bus/redis/lease.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"

let redis: TestRedis
let client: Redis
beforeAll(async () => {
  redis = await startTestRedis()
  client = new Redis(redis.url)
})
afterAll(async () => {
  client?.disconnect()
  await redis?.close()
})

const fast = (prefix: string, o: Partial<LeaseOptions> = {}): LeaseOptions => ({
  prefix,
  role: "b",
  ttlMs: 1_000,
  renewEveryMs: 200,
  pollMs: 50,
  host: "test-host",
  ...o
})

const withLease = <A, E>(o: LeaseOptions, body: (lease: ProcessLease["Service"]) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    return yield* body(yield* ProcessLease)
  }).pipe(Effect.provide(ProcessLease.layer(o).pipe(Layer.provide(RedisConnection.layerFromUrl(redis.url)))))

const holderJson = (host: string, pid: number) => JSON.stringify({ role: "b", host, pid, instance: "x", startedAtMs: Date.now() - 10_000 })

describe("ProcessLease", () => {
  it("a live holder refuses a second one within a renewal, naming it; its release frees the lease", async () => {
    const prefix = redis.prefix("lease-live")
    await Effect.runPromise(
      withLease(fast(prefix, { pid: 111, instance: "first" }), () =>
        Effect.gen(function*() {
          const started = performance.now()
          const second = yield* Effect.exit(withLease(fast(prefix, { pid: 222 }), () => Effect.void))
          expect(Exit.isFailure(second)).toBe(true)
          expect(String(Exit.isFailure(second) ? second.cause : "")).toMatch(
            /another main-b is running for this pair: host test-host, pid 111 \(instance first\), since .* Refusing to start a second one/
          )
          expect(performance.now() - started).toBeLessThan(900)
        })).pipe(Effect.scoped)
    )
    expect(await client.get(`${prefix}:lease:b`)).toBeNull()
    const p = await Effect.runPromise(readPresence(prefix, "b").pipe(Effect.provide(RedisConnection.layerFromUrl(redis.url))))
    expect(p.seen?.stoppedAtMs).toBeDefined()
  })

  it("a dead holder's lease (not renewed) is waited out, then taken", async () => {
    const prefix = redis.prefix("lease-dead")
    await client.set(`${prefix}:lease:b`, holderJson("elsewhere", 4242), "PX", 600)
    const started = performance.now()
    const pid = await Effect.runPromise(withLease(fast(prefix, { pid: 333 }), (l) => Effect.succeed(l.holder.pid)))
    expect(pid).toBe(333)
    expect(performance.now() - started).toBeGreaterThan(400)
  })

  it("a lease taken by another holder stops the guarded program at once", async () => {
    const prefix = redis.prefix("lease-lost")
    const exit = await Effect.runPromise(
      withLease(fast(prefix, { pid: 444 }), (lease) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(Effect.exit(lease.guard(Effect.never)))
          yield* Effect.sleep("300 millis")
          yield* Effect.promise(() => client.set(`${prefix}:lease:b`, holderJson("other-host", 555), "PX", 5_000))
          const started = performance.now()
          const e = yield* Fiber.join(fiber)
          expect(performance.now() - started).toBeLessThan(600)
          return e
        }))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toMatch(/main-b lost its lease .*:lease:b to host other-host, pid 555 .*stops trading now/)
  })

  it("an expired lease nobody took, and an old lease restored for a dead process on this host, are taken back", async () => {
    const prefix = redis.prefix("lease-back")
    await Effect.runPromise(
      withLease(fast(prefix, { pid: 666 }), (lease) =>
        lease.guard(Effect.gen(function*() {
          yield* Effect.promise(() => client.del(`${prefix}:lease:b`))
          yield* Effect.sleep("500 millis")
          expect(JSON.parse((yield* Effect.promise(() => client.get(`${prefix}:lease:b`)))!).pid).toBe(666)
          // Redis "restored" a lease of a process that is gone (same host, pid not running).
          yield* Effect.promise(() => client.set(`${prefix}:lease:b`, holderJson("test-host", 2 ** 22 + 12345), "PX", 5_000))
          yield* Effect.sleep("500 millis")
          expect(JSON.parse((yield* Effect.promise(() => client.get(`${prefix}:lease:b`)))!).pid).toBe(666)
        })))
    )
  })
})
