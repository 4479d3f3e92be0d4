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

// ---------------------------------------------------------------------------------------------
// What the holder writes, refuses and keeps (src/bus/redis/lease.ts makeProcessLease).

const NOT_RUNNING_PID = 2 ** 22 + 7 // above Linux's largest pid: never a running process
const seenOf = async (prefix: string, role: "a" | "b" = "b") => client.hgetall(`${prefix}:seen:${role}`)
const causeOf = (exit: Exit.Exit<unknown, unknown>): string => (Exit.isFailure(exit) ? String(exit.cause) : "")

describe("ProcessLease: what it writes", () => {
  it("takes a free lease: the holder record in the key with the ttl, the seen record with the status, an old stop cleared", async () => {
    const prefix = redis.prefix("lease-write")
    await client.hset(`${prefix}:seen:a`, "stoppedAtMs", "1", "atMs", "1")
    let calls = 0
    const t0 = Date.now()
    const got = await Effect.runPromise(
      withLease(fast(prefix, { role: "a", pid: 4321, instance: "inst-1", ttlMs: 3_000, renewEveryMs: 60_000, status: () => Effect.sync(() => ({ calls: ++calls })) }), (lease) =>
        Effect.gen(function*() {
          const value = yield* Effect.promise(() => client.get(`${prefix}:lease:a`))
          const pttl = yield* Effect.promise(() => client.pttl(`${prefix}:lease:a`))
          const seen = yield* Effect.promise(() => seenOf(prefix, "a"))
          const guarded = yield* lease.guard(Effect.succeed("result"))
          return { lease, value, pttl, seen, guarded }
        }))
    )
    const t1 = Date.now()
    expect(got.lease.key).toBe(`${prefix}:lease:a`)
    expect(got.lease.holder).toMatchObject({ role: "a", host: "test-host", pid: 4321, instance: "inst-1" })
    expect(got.lease.holder.startedAtMs).toBeGreaterThanOrEqual(t0)
    expect(got.lease.holder.startedAtMs).toBeLessThanOrEqual(t1)
    expect(got.value).not.toBeNull()
    expect(JSON.parse(got.value!)).toEqual(got.lease.holder)
    expect(got.pttl).toBeGreaterThan(2_000)
    expect(got.pttl).toBeLessThanOrEqual(3_000)
    expect(got.seen["holder"]).toBe(got.value)
    expect(got.seen["status"]).toBe(JSON.stringify({ calls: 1 }))
    expect(got.seen["stoppedAtMs"]).toBeUndefined()
    expect(Number(got.seen["atMs"])).toBeGreaterThan(1)
    expect(got.guarded).toBe("result")
    // Released on close: the key gone, the stop recorded at the time of the last word.
    expect(await client.get(`${prefix}:lease:a`)).toBeNull()
    const after = await seenOf(prefix, "a")
    expect(after["stoppedAtMs"]).toBeDefined()
    expect(after["atMs"]).toBe(after["stoppedAtMs"])
    expect(Number(after["stoppedAtMs"])).toBeGreaterThanOrEqual(Number(got.seen["atMs"]))
    expect(after["holder"]).toBe(got.value)
  })

  it("defaults: a 5 s lease, a random 8-character instance, this process's pid", async () => {
    const prefix = redis.prefix("lease-defaults")
    const got = await Effect.runPromise(
      withLease({ prefix, role: "b", renewEveryMs: 60_000 }, (lease) =>
        Effect.promise(() => client.pttl(`${prefix}:lease:b`)).pipe(Effect.map((pttl) => ({ pttl, holder: lease.holder }))))
    )
    expect(got.pttl).toBeGreaterThan(4_000)
    expect(got.pttl).toBeLessThanOrEqual(5_000)
    expect(got.holder.instance).toMatch(/^[0-9a-f]{8}$/)
    expect(got.holder.pid).toBe(process.pid)
  })

  it("a status that fails is written as {}", async () => {
    const prefix = redis.prefix("lease-status-fails")
    const seen = await Effect.runPromise(
      withLease(fast(prefix, { renewEveryMs: 60_000, status: () => Effect.die("status broke") }), () => Effect.promise(() => seenOf(prefix)))
    )
    expect(seen["status"]).toBe("{}")
    const noStatus = redis.prefix("lease-no-status")
    const seen2 = await Effect.runPromise(withLease(fast(noStatus, { renewEveryMs: 60_000 }), () => Effect.promise(() => seenOf(noStatus))))
    expect(seen2["status"]).toBe("{}")
  })

  it("each renewal pushes the expiry back and writes the time and the status again", async () => {
    const prefix = redis.prefix("lease-renew")
    let calls = 0
    await Effect.runPromise(
      withLease(fast(prefix, { ttlMs: 1_000, renewEveryMs: 100, status: () => Effect.sync(() => ({ calls: ++calls })) }), () =>
        Effect.gen(function*() {
          const first = yield* Effect.promise(() => seenOf(prefix))
          yield* Effect.sleep("450 millis")
          const pttl = yield* Effect.promise(() => client.pttl(`${prefix}:lease:b`))
          const later = yield* Effect.promise(() => seenOf(prefix))
          expect(pttl).toBeGreaterThan(750) // not renewed, it would be below 550
          expect(Number(later["atMs"])).toBeGreaterThan(Number(first["atMs"]))
          expect(JSON.parse(later["status"]!).calls).toBeGreaterThanOrEqual(3)
          expect(later["holder"]).toBe(first["holder"])
        }))
    )
  })

  it("a lease no longer ours at close is left alone, and no stop is recorded", async () => {
    const prefix = redis.prefix("lease-release-other")
    const other = holderJson("other-host", 999)
    await Effect.runPromise(
      withLease(fast(prefix, { renewEveryMs: 60_000 }), () => Effect.promise(() => client.set(`${prefix}:lease:b`, other, "PX", 5_000)))
    )
    expect(await client.get(`${prefix}:lease:b`)).toBe(other)
    expect((await seenOf(prefix))["stoppedAtMs"]).toBeUndefined()
  })
})

describe("ProcessLease: refusals", () => {
  it("a lease without expiry (written by hand) is refused at once, naming the holder and the program", async () => {
    const prefix = redis.prefix("lease-noexpiry")
    await client.set(`${prefix}:lease:a`, JSON.stringify({ role: "a", host: "h9", pid: 9, instance: "x9", startedAtMs: 0 }))
    const exit = await Effect.runPromise(Effect.exit(withLease(fast(prefix, { role: "a" }), () => Effect.void)))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(causeOf(exit)).toContain("LeaseHeldError")
    expect(causeOf(exit)).toContain(
      `${prefix}:lease:a is held by host h9, pid 9 (instance x9), since 1970-01-01T00:00:00.000Z (`
    )
    expect(causeOf(exit)).toContain(
      "s ago) and has no expiry (written by hand?); refusing to start a second main-a — check that no other main-a runs for this pair, then delete the key"
    )
    expect(await client.get(`${prefix}:lease:a`)).not.toBeNull()
  })

  it("a holder that neither renews nor lets go is given up on after 3 ttls + 2 s", async () => {
    const prefix = redis.prefix("lease-giveup")
    await client.set(`${prefix}:lease:b`, holderJson("far-host", 77), "PX", 60_000)
    const exit = await Effect.runPromise(Effect.exit(withLease(fast(prefix, { ttlMs: 100, pollMs: 100 }), () => Effect.void)))
    expect(causeOf(exit)).toContain("LeaseHeldError")
    expect(causeOf(exit)).toMatch(
      new RegExp(`${prefix}:lease:b is still held by host far-host, pid 77 \\(instance x\\), since .* after 2\\.3 s; refusing to start a second main-b`)
    )
  })

  it("a holder replaced by another while waiting is watched afresh (its longer expiry is not a renewal)", async () => {
    const prefix = redis.prefix("lease-replaced")
    await client.set(`${prefix}:lease:b`, holderJson("first", 1), "PX", 400)
    const pid = await Effect.runPromise(
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(withLease(fast(prefix, { pid: 808 }), (l) => Effect.succeed(l.holder.pid)))
        yield* Effect.sleep("250 millis")
        yield* Effect.promise(() => client.set(`${prefix}:lease:b`, holderJson("second", 2), "PX", 400))
        return yield* Fiber.join(fiber)
      })
    )
    expect(pid).toBe(808)
  })
})

describe("ProcessLease: renewal finds another holder", () => {
  const lostTo = (prefix: string, o: Partial<LeaseOptions>, intruder: string) =>
    Effect.runPromise(
      withLease(fast(prefix, o), (lease) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(Effect.exit(lease.guard(Effect.never)))
          yield* Effect.sleep("100 millis")
          yield* Effect.promise(() => client.set(`${prefix}:lease:b`, intruder, "PX", 5_000))
          return yield* Fiber.join(fiber)
        }))
    )

  it("a live process on this host is a twin: lost, not taken back", async () => {
    const prefix = redis.prefix("lease-twin")
    const exit = await lostTo(prefix, { pid: NOT_RUNNING_PID }, holderJson("test-host", process.pid))
    expect(causeOf(exit)).toContain("LeaseLostError")
    expect(causeOf(exit)).toContain(`main-b lost its lease ${prefix}:lease:b to host test-host, pid ${process.pid} (instance x)`)
    expect(JSON.parse((await client.get(`${prefix}:lease:b`))!).pid).toBe(process.pid)
  })

  it("the same pid on this host under another instance is not taken back either", async () => {
    const prefix = redis.prefix("lease-samepid")
    const exit = await lostTo(prefix, { pid: NOT_RUNNING_PID }, holderJson("test-host", NOT_RUNNING_PID))
    expect(causeOf(exit)).toContain("LeaseLostError")
    expect(JSON.parse((await client.get(`${prefix}:lease:b`))!).instance).toBe("x")
  })

  it("an unreadable holder: lost, naming it", async () => {
    const prefix = redis.prefix("lease-unreadable")
    const exit = await lostTo(prefix, { pid: 4040 }, "scribble")
    expect(causeOf(exit)).toContain(
      `main-b lost its lease ${prefix}:lease:b to an unreadable holder "scribble": another main-b runs for this pair; this one stops trading now`
    )
  })

  it("a renewal that fails (a Redis error) is retried, not taken for a loss", async () => {
    const prefix = redis.prefix("lease-renew-error")
    const key = `${prefix}:lease:b`
    await Effect.runPromise(
      withLease(fast(prefix, { pid: 5050, renewEveryMs: 50 }), (lease) =>
        lease.guard(Effect.gen(function*() {
          // The key holds a hash for a while: every renewal fails with WRONGTYPE.
          yield* Effect.promise(async () => {
            await client.del(key)
            await client.hset(key, "not", "a lease")
          })
          yield* Effect.sleep("300 millis")
          yield* Effect.promise(() => client.del(key))
          yield* Effect.sleep("300 millis")
          expect(JSON.parse((yield* Effect.promise(() => client.get(key)))!).pid).toBe(5050)
          return "still running"
        })))
    )
  })
})
