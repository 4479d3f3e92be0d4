// Edges of the role lease (src/bus/redis/lease.ts) on a real Redis, short ttls: what the
// newcomer's wait says about the holder (is its pid running on this host?), how often it polls,
// when it gives up, an empty lease value, a release that fails, a taken-back lease that keeps being
// renewed, a take-back that finds the lease changed meanwhile, a lost lease that is never taken
// again, a holder pid of another user (EPERM), and the operation named by a failing read.
import { Effect, Exit, Fiber, Layer, Logger, Redacted } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { LEASE_ACQUIRE, LEASE_RELEASE, LEASE_TAKE_BACK, type LeaseOptions, ProcessLease, readPresence, redisNowMs } from "../../src/bus/redis/lease.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("lease-edges")

const NOT_RUNNING_PID = 2 ** 22 + 7 // above Linux's largest pid: never a running process

const fast = (prefix: string, o: Partial<LeaseOptions> = {}): LeaseOptions => ({
  prefix,
  role: "b",
  ttlMs: 1_000,
  renewEveryMs: 200,
  pollMs: 50,
  host: "test-host",
  ...o
})

const connection = () => RedisConnection.layerFromUrl(redis.server.url)

const withLease = <A, E>(
  o: LeaseOptions,
  body: (lease: ProcessLease["Service"]) => Effect.Effect<A, E>,
  conn: Layer.Layer<RedisConnection, unknown> = connection()
) =>
  Effect.gen(function*() {
    return yield* body(yield* ProcessLease)
  }).pipe(Effect.provide(ProcessLease.layer(o).pipe(Layer.provide(conn))))

/** Runs `effect`, capturing its log lines. */
const logged = async <A, E>(effect: Effect.Effect<A, E>) => {
  const lines: Array<string> = []
  const logger = Logger.make((o) => void lines.push([o.message].flat().map(String).join(" ")))
  const exit = await Effect.runPromiseExit(effect.pipe(Effect.provide(Logger.layer([logger]))))
  return { exit, lines }
}

const holderJson = (host: string, pid: number) => JSON.stringify({ role: "b", host, pid, instance: "x", startedAtMs: Date.now() - 10_000 })
const causeOf = (exit: Exit.Exit<unknown, unknown>): string => (Exit.isFailure(exit) ? String(exit.cause) : "")
const valueOf = <A>(exit: Exit.Exit<A, unknown>): A | undefined => (Exit.isSuccess(exit) ? exit.value : undefined)
const leasePid = async (key: string): Promise<number | undefined> => {
  const v = await redis.raw.get(key)
  return v === null ? undefined : (JSON.parse(v) as { pid: number }).pid
}

describe("the newcomer's wait, as logged", () => {
  const waitFor = async (name: string, holder: string) => {
    const prefix = redis.fresh(name)
    await redis.raw.set(`${prefix}:lease:b`, holder, "PX", 250)
    const r = await logged(withLease(fast(prefix, { pid: 7001 }), (l) => Effect.succeed(l.holder.pid)))
    return { prefix, pid: valueOf(r.exit), waiting: r.lines.filter((l) => l.startsWith("another main-b holds")), lines: r.lines }
  }

  it("a holder on this host whose pid is not running is said to be gone; the takeover says after how long", async () => {
    const { prefix, pid, waiting, lines } = await waitFor("gone", holderJson("test-host", NOT_RUNNING_PID))
    expect(pid).toBe(7001)
    expect(waiting).toHaveLength(1)
    expect(waiting[0]).toMatch(
      new RegExp(
        `^another main-b holds ${prefix}:lease:b: host test-host, pid ${NOT_RUNNING_PID} \\(instance x\\), since \\S+ \\(\\d+\\.\\d s ago\\) ` +
          `\\(pid ${NOT_RUNNING_PID} is not running on this host\\)\\. Its lease expires in \\d\\.\\d s unless renewed`
      )
    )
    const took = lines.filter((l) => l.startsWith(`took over ${prefix}:lease:b`))
    expect(took).toHaveLength(1)
    expect(took[0]).toMatch(/after the previous main-b's lease expired unrenewed \(host test-host, pid \d+ .*\), 0\.\d s after start$/)
  })

  it("a holder on this host whose pid runs, or one on another host, is not", async () => {
    for (const [name, holder] of [["alive", holderJson("test-host", process.pid)], ["elsewhere", holderJson("far-host", NOT_RUNNING_PID)]] as const) {
      const { pid, waiting } = await waitFor(name, holder)
      expect(pid).toBe(7001)
      expect(waiting).toHaveLength(1)
      expect(waiting[0]).toMatch(/\(instance x\), since \S+ \(\d+\.\d s ago\)\. Its lease expires in \d\.\d s unless renewed/)
      expect(waiting[0]).not.toContain("is not running")
    }
  })

  it("an unreadable holder is waited out like any other", async () => {
    const { pid, waiting } = await waitFor("unreadable", "scribble")
    expect(pid).toBe(7001)
    expect(waiting).toHaveLength(1)
    expect(waiting[0]).toMatch(/: an unreadable holder "scribble"\. Its lease expires in \d\.\d s unless renewed/)
  })
})

describe("the newcomer's polls", () => {
  it("looks again after pollMs, or at the lease's expiry when that comes sooner", async () => {
    const prefix = redis.fresh("poll-rate")
    await redis.raw.set(`${prefix}:lease:b`, holderJson("far-host", 1), "PX", 400)
    let polls = 0
    const started = performance.now()
    const pid = await Effect.runPromise(
      withLease(fast(prefix, { pid: 7002, pollMs: 1_000, renewEveryMs: 60_000, status: () => Effect.sync(() => ({ polls: ++polls })) }), (l) =>
        Effect.succeed(l.holder.pid))
    )
    expect(pid).toBe(7002)
    expect(performance.now() - started).toBeLessThan(900) // not a whole pollMs
    expect(polls).toBeLessThanOrEqual(4) // one look, one sleep until the expiry, the take (and a spare)
  })

  it("a dead holder's lease counting down under fast polls is not taken for a renewal", async () => {
    const prefix = redis.fresh("fast-polls")
    await redis.raw.set(`${prefix}:lease:b`, holderJson("far-host", 2), "PX", 400)
    const pid = await Effect.runPromise(withLease(fast(prefix, { pid: 7003, pollMs: 15 }), (l) => Effect.succeed(l.holder.pid)))
    expect(pid).toBe(7003)
  })

  it("gives up on a holder that neither renews nor lets go no sooner than 3 ttls + 2 s", async () => {
    const prefix = redis.fresh("give-up")
    await redis.raw.set(`${prefix}:lease:b`, holderJson("far-host", 3), "PX", 60_000)
    const started = performance.now()
    const exit = await Effect.runPromiseExit(withLease(fast(prefix, { ttlMs: 100, pollMs: 200 }), () => Effect.void))
    const elapsed = performance.now() - started
    expect(causeOf(exit)).toContain(`${prefix}:lease:b is still held by host far-host, pid 3 (instance x)`)
    expect(elapsed).toBeGreaterThanOrEqual(2_300)
    expect(elapsed).toBeLessThan(4_000)
  }, 10_000)
})

describe("the newcomer's renewal test, on scripted replies", () => {
  // LEASE_ACQUIRE answers from the list; release and renewals succeed.
  const scripted = (replies: Array<readonly [0 | 1, string, number]>) =>
    Layer.succeed(
      RedisConnection,
      RedisConnection.of({
        target: "scripted",
        client: undefined as never,
        run: () => Effect.die("not used"),
        openBlocking: () => Effect.die("not used"),
        connectBlocking: () => Effect.die("not used"),
        runScript: ((script: unknown) =>
          Effect.succeed(script === LEASE_ACQUIRE ? replies.shift() : script === LEASE_RELEASE ? 1 : [1, ""])) as never
      })
    )
  const holder = holderJson("far-host", 5)

  it("a pttl up to 50 ms above the last one is not a renewal (the reads' own jitter); more is", async () => {
    const o = fast("scripted", { pid: 7010, pollMs: 10, renewEveryMs: 60_000 })
    const taken = await Effect.runPromiseExit(
      withLease(o, (l) => Effect.succeed(l.holder.pid), scripted([[0, holder, 1_000], [0, holder, 1_050], [0, holder, 1_030], [1, "", 0]]))
    )
    expect(taken).toStrictEqual(Exit.succeed(7010))
    const refused = await Effect.runPromiseExit(
      withLease(o, () => Effect.void, scripted([[0, holder, 1_000], [0, holder, 1_051], [1, "", 0]]))
    )
    expect(causeOf(refused)).toContain("another main-b is running for this pair: host far-host, pid 5 (instance x)")
  })

  it("gives up only once more than 3 ttls + 2 s have passed (a stopped monotonic clock at exactly that moment still waits)", async () => {
    let now = 10_000
    vi.spyOn(performance, "now").mockImplementation(() => now)
    try {
      const replies: Array<readonly [0 | 1, string, number]> = [[0, holder, 1_000], [0, holder, 990], [1, "", 0]]
      const atGiveUp = scripted(replies)
      const exit = await Effect.runPromiseExit(
        withLease(fast("scripted", { pid: 7011, ttlMs: 100, pollMs: 10, renewEveryMs: 60_000 }), (l) => Effect.succeed(l.holder.pid),
          Layer.effect(
            RedisConnection,
            Effect.gen(function*() {
              const real = yield* RedisConnection
              // From the first reply on, the clock stands exactly at the give-up time (start + 3 × 100 ms + 2 s).
              const runScript = ((...args: Parameters<typeof real.runScript>) =>
                real.runScript(...args).pipe(Effect.tap(() => Effect.sync(() => void (now = 10_000 + 2_300))))) as typeof real.runScript
              return RedisConnection.of({ ...real, runScript })
            })
          ).pipe(Layer.provide(atGiveUp)))
      )
      expect(exit).toStrictEqual(Exit.succeed(7011))
      expect(replies).toHaveLength(0)
    } finally {
      vi.restoreAllMocks()
    }
  })
})

describe("an empty lease value", () => {
  it("without expiry: refused at once, like any hand-written lease (not retried forever)", async () => {
    const prefix = redis.fresh("empty-noexpiry")
    await redis.raw.set(`${prefix}:lease:b`, "")
    let polls = 0
    const exit = await Effect.runPromiseExit(
      withLease(fast(prefix, { status: () => Effect.sync(() => ({ polls: ++polls })) }), () => Effect.void).pipe(Effect.timeout("2 seconds"))
    )
    expect(causeOf(exit)).toContain("LeaseHeldError")
    expect(causeOf(exit)).toContain(`${prefix}:lease:b is held by an unreadable holder "" and has no expiry (written by hand?)`)
    expect(polls).toBe(1)
    expect(await redis.raw.get(`${prefix}:lease:b`)).toBe("")
  })

  it("with an expiry: waited out at the poll rate, then taken", async () => {
    const prefix = redis.fresh("empty-expiring")
    await redis.raw.set(`${prefix}:lease:b`, "", "PX", 300)
    let polls = 0
    const r = await logged(
      withLease(fast(prefix, { pid: 7004, pollMs: 100, renewEveryMs: 60_000, status: () => Effect.sync(() => ({ polls: ++polls })) }), (l) =>
        Effect.succeed(l.holder.pid))
    )
    expect(valueOf(r.exit)).toBe(7004)
    expect(polls).toBeLessThanOrEqual(6)
    expect(r.lines.some((l) => l.startsWith(`another main-b holds ${prefix}:lease:b: an unreadable holder ""`))).toBe(true)
  })
})

describe("release", () => {
  it("a lease that cannot be released at close is left to expire; the program still ends as it would", async () => {
    const prefix = redis.fresh("release-fails")
    const key = `${prefix}:lease:b`
    const r = await logged(
      withLease(fast(prefix, { renewEveryMs: 60_000 }), () =>
        Effect.promise(async () => {
          await redis.raw.del(key)
          await redis.raw.hset(key, "not", "a lease") // LEASE_RELEASE's GET fails: WRONGTYPE
          return "done"
        }))
    )
    expect(r.exit).toStrictEqual(Exit.succeed("done"))
    expect(await redis.raw.hget(key, "not")).toBe("a lease")
    expect(r.lines.some((l) => l.startsWith(`could not release ${key}; it expires by itself within 1.0 s`))).toBe(true)
  })
})

describe("renewal finds another holder", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  const waitUntil = async (cond: () => Promise<boolean>, ms = 2_000) => {
    const until = performance.now() + ms
    while (!(await cond())) {
      if (performance.now() > until) throw new Error("condition not met in time")
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  it("a lease taken back from a process gone from this host is renewed on, past its ttl", async () => {
    const prefix = redis.fresh("taken-back-renewed")
    const key = `${prefix}:lease:b`
    await Effect.runPromise(
      withLease(fast(prefix, { pid: 7005, ttlMs: 400, renewEveryMs: 100 }), (lease) =>
        lease.guard(Effect.promise(async () => {
          await redis.raw.set(key, holderJson("test-host", NOT_RUNNING_PID), "PX", 5_000)
          await waitUntil(async () => (await leasePid(key)) === 7005)
          await new Promise((r) => setTimeout(r, 800)) // twice the ttl
          expect(await leasePid(key)).toBe(7005)
          expect(await redis.raw.pttl(key)).toBeGreaterThan(150)
        })))
    )
  })

  it("a take-back that finds the lease changed since the renewal is a loss, naming the holder the renewal found", async () => {
    const prefix = redis.fresh("take-back-race")
    const key = `${prefix}:lease:b`
    const gone = holderJson("test-host", NOT_RUNNING_PID)
    const newer = holderJson("other-host", 8080)
    // The lease changes between the renewal and the take-back: written just before the take-back runs.
    let interfered = false
    const racing = Layer.effect(
      RedisConnection,
      Effect.gen(function*() {
        const real = yield* RedisConnection
        const runScript = ((script, keys, args, ...rest) =>
          script === LEASE_TAKE_BACK && !interfered
            ? Effect.promise(() => redis.raw.set(key, newer, "PX", 5_000)).pipe(
              Effect.tap(() => Effect.sync(() => void (interfered = true))),
              Effect.andThen(real.runScript(script, keys, args, ...rest))
            )
            : real.runScript(script, keys, args, ...rest)) as typeof real.runScript
        return RedisConnection.of({ ...real, runScript })
      })
    ).pipe(Layer.provide(connection()))
    const exit = await Effect.runPromiseExit(
      withLease(fast(prefix, { pid: 7006, renewEveryMs: 100 }), (lease) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(Effect.exit(lease.guard(Effect.never)))
          yield* Effect.promise(() => redis.raw.set(key, gone, "PX", 5_000))
          return yield* Fiber.join(fiber)
        }).pipe(Effect.timeout("3 seconds")), racing)
    )
    expect(interfered).toBe(true)
    const inner = valueOf(exit)
    expect(inner).toBeDefined()
    expect(causeOf(inner!)).toContain(`main-b lost its lease ${key} to host test-host, pid ${NOT_RUNNING_PID} (instance x)`)
    expect(await redis.raw.get(key)).toBe(newer)
  })

  it("a lost lease is never renewed again, also when the other holder's goes away", async () => {
    const prefix = redis.fresh("lost-stays-lost")
    const key = `${prefix}:lease:b`
    await Effect.runPromise(
      withLease(fast(prefix, { pid: 7007, renewEveryMs: 50 }), (lease) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(Effect.exit(lease.guard(Effect.never)))
          yield* Effect.promise(() => redis.raw.set(key, holderJson("other-host", 9090), "PX", 5_000))
          const lost = yield* Fiber.join(fiber)
          expect(causeOf(lost)).toContain("LeaseLostError")
          const seenAt = yield* Effect.promise(() => redis.raw.hget(`${prefix}:seen:b`, "atMs"))
          yield* Effect.promise(() => redis.raw.del(key))
          yield* Effect.sleep("300 millis") // six renewal periods
          expect(yield* Effect.promise(() => redis.raw.get(key))).toBeNull()
          expect(yield* Effect.promise(() => redis.raw.hget(`${prefix}:seen:b`, "atMs"))).toBe(seenAt)
        }))
    )
  })

  it("a holder on this host whose pid belongs to another user (kill answers EPERM) is running: a loss, not taken back", async () => {
    const prefix = redis.fresh("eperm")
    const key = `${prefix}:lease:b`
    const otherUsersPid = NOT_RUNNING_PID + 1
    const kill = process.kill.bind(process)
    vi.spyOn(process, "kill").mockImplementation((pid: number, signal?: string | number) => {
      if (pid === otherUsersPid) throw Object.assign(new Error(`kill EPERM`), { code: "EPERM", syscall: "kill" })
      return kill(pid, signal)
    })
    const exit = await Effect.runPromise(
      withLease(fast(prefix, { pid: 7008, renewEveryMs: 50 }), (lease) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(Effect.exit(lease.guard(Effect.never)))
          yield* Effect.promise(() => redis.raw.set(key, holderJson("test-host", otherUsersPid), "PX", 5_000))
          return yield* Fiber.join(fiber)
        }).pipe(Effect.timeout("3 seconds")))
    )
    expect(causeOf(exit)).toContain(`main-b lost its lease ${key} to host test-host, pid ${otherUsersPid} (instance x)`)
    expect(await leasePid(key)).toBe(otherUsersPid)
  })
})

describe("reads that fail name their operation", () => {
  it("readPresence and redisNowMs", async () => {
    await redis.raw.call("ACL", "SETUSER", "lease-edges-reader", "on", ">pw", "~*", "+@all", "-hgetall", "-time")
    try {
      const conn = RedisConnection.layer({
        host: redis.server.host,
        port: redis.server.port,
        db: 0,
        connectTimeoutMs: 1000,
        username: "lease-edges-reader",
        password: Redacted.make("pw")
      })
      const [presence, time] = await Effect.runPromise(
        Effect.all([Effect.flip(readPresence(redis.fresh("read-fails"), "a")), Effect.flip(redisNowMs)]).pipe(Effect.provide(conn))
      )
      expect(presence.op).toBe("readPresence")
      expect(presence.code).toBe("NOPERM")
      expect(presence.message).toMatch(/^readPresence on Redis [^:]+:\d+: NOPERM/)
      expect(time.op).toBe("time")
      expect(time.code).toBe("NOPERM")
      expect(time.message).toMatch(/^time on Redis [^:]+:\d+: NOPERM/)
    } finally {
      await redis.raw.call("ACL", "DELUSER", "lease-edges-reader")
    }
  })
})

describe("a stop while waiting for the lease", () => {
  it("interrupts the wait at once: the dead holder's lease is left alone, never taken and released on the way out", async () => {
    const prefix = redis.fresh("interrupted-wait")
    const key = `${prefix}:lease:b`
    // A dead holder's lease with 3 s left: the newcomer waits it out (polling) unless stopped.
    await redis.raw.set(key, holderJson("elsewhere", 4242), "PX", 3_000)
    const exit = await Effect.runPromiseExit(
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(withLease(fast(prefix, { pid: 777 }), () => Effect.never))
        yield* Effect.sleep("300 millis")
        yield* Fiber.interrupt(fiber)
        return yield* Fiber.await(fiber)
      })
    )
    expect(Exit.isSuccess(exit) && Exit.hasInterrupts(exit.value)).toBe(true)
    // Stopped while waiting: the old holder's value is still there (an uninterruptible wait would
    // have taken the lease once it expired, then released it: the key would be gone).
    expect(await redis.raw.get(key)).toContain("\"pid\":4242")
  })
})
