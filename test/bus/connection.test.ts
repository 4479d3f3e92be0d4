// The Redis connection layer (src/bus/redis/connection.ts): error texts and typed errors without
// secrets, which failures a single operation retries and how often, the options its command and
// blocking connections are made with (names, offline queue, retries per request, timeouts,
// reconnect delays, db, credentials), redis:// URLs, and a reply too long for an error message.
import { Effect, Exit, ManagedRuntime, Redacted, Schema } from "effect"
import { Redis } from "ioredis"
import { describe, expect, it } from "vitest"
import { BusError } from "../../src/bus/errors.ts"
import { busError, errorText, isTransient, RedisConnection, type RedisConnectionShape, transientRetry } from "../../src/bus/redis/connection.ts"
import { redisScript, ZeroOrOne } from "../../src/bus/redis/script.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const withCode = (message: string, code: unknown) => Object.assign(new Error(message), { code })
const replyError = (message: string) => Object.assign(new Error(message), { name: "ReplyError" })

describe("errorText", () => {
  it("an error's message, led by its code when the message does not name it", () => {
    expect(errorText(withCode("connect refused by peer", "ECONNREFUSED"))).toBe("ECONNREFUSED: connect refused by peer")
    expect(errorText(withCode("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"))).toBe("connect ECONNREFUSED 127.0.0.1:1")
    expect(errorText(withCode("odd", 42))).toBe("odd")
    expect(errorText(new Error("plain"))).toBe("plain")
  })
  it("anything else as text", () => {
    expect(errorText("a string")).toBe("a string")
    expect(errorText(42)).toBe("42")
    expect(errorText(undefined)).toBe("undefined")
  })
})

describe("busError", () => {
  it("names the operation and the target; an error reply's code goes on the error", () => {
    const e = busError("xpending", "h:1/2", replyError("NOGROUP No such key 'k'"))
    expect(e).toBeInstanceOf(BusError)
    expect(e.op).toBe("xpending")
    expect(e.message).toBe("xpending on Redis h:1/2: NOGROUP No such key 'k'")
    expect(e.code).toBe("NOGROUP")
  })
  it("a failure that is not an error reply has no code at all", () => {
    const e = busError("get", "h:1", withCode("read ECONNRESET", "ECONNRESET"))
    expect(e.message).toBe("get on Redis h:1: read ECONNRESET")
    expect(e.code).toBeUndefined()
    expect(Object.keys(e)).not.toContain("code")
    expect(Object.keys(busError("get", "h:1", "boom"))).not.toContain("code")
    expect(busError("get", "h:1", "boom").message).toBe("get on Redis h:1: boom")
  })
})

describe("isTransient: every failure to reach Redis, by the client's words", () => {
  const words = [
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "Connection is closed",
    "MaxRetriesPerRequest",
    "Reached the max retries per request",
    "Stream isn't writeable",
    "Command timed out"
  ]
  it("each is transient without a reply code, none with one", () => {
    for (const w of words) {
      expect(isTransient(new BusError({ op: "x", message: `x on Redis h:1: ${w} (detail)` })), w).toBe(true)
      expect(isTransient(new BusError({ op: "x", message: `x on Redis h:1: ${w}`, code: "ERR" })), w).toBe(false)
    }
  })
  it("other failures are not", () => {
    expect(isTransient(new BusError({ op: "x", message: "x on Redis h:1: unexpected reply" }))).toBe(false)
    expect(isTransient(new BusError({ op: "x", message: "", code: "READONLY" }))).toBe(false)
    expect(isTransient(new BusError({ op: "x", message: "LOADING", code: "OOM" }))).toBe(false)
    expect(isTransient(new BusError({ op: "x", message: "x", code: "LOADING" }))).toBe(true)
  })
})

describe("transientRetry", () => {
  const attempts = (errors: ReadonlyArray<BusError>) =>
    Effect.gen(function*() {
      let n = 0
      const op = Effect.suspend(() => {
        const e = errors[n++]
        return e === undefined ? Effect.succeed("done") : Effect.fail(e)
      })
      const exit = yield* Effect.exit(op.pipe(Effect.retry(transientRetry)))
      return { n, exit }
    })
  const transient = new BusError({ op: "x", message: "x: Connection is closed." })
  const permanent = new BusError({ op: "x", message: "x: NOGROUP", code: "NOGROUP" })

  it("retries a transient failure three times, then fails with it", async () => {
    const { n, exit } = await Effect.runPromise(attempts([transient, transient, transient, transient, transient]))
    expect(n).toBe(4)
    expect(exit).toEqual(Exit.fail(transient))
  })
  it("succeeds once a retry does", async () => {
    const { n, exit } = await Effect.runPromise(attempts([transient, transient]))
    expect(n).toBe(3)
    expect(exit).toEqual(Exit.succeed("done"))
  })
  it("never retries another failure, also after a transient one", async () => {
    expect((await Effect.runPromise(attempts([permanent]))).n).toBe(1)
    const mixed = await Effect.runPromise(attempts([transient, permanent, transient]))
    expect(mixed.n).toBe(2)
    expect(mixed.exit).toEqual(Exit.fail(permanent))
  })
})

describe("RedisConnection.optionsFromUrl", () => {
  it("host, port, db, decoded credentials (the password redacted), the connect timeout", () => {
    const o = RedisConnection.optionsFromUrl("redis://us%40er:p%3Ass%2Fw@redis.example:6380/4", 750)
    expect(o.host).toBe("redis.example")
    expect(o.port).toBe(6380)
    expect(o.db).toBe(4)
    expect(o.username).toBe("us@er")
    expect(Redacted.isRedacted(o.password)).toBe(true)
    expect(Redacted.value(o.password!)).toBe("p:ss/w")
    expect(o.connectTimeoutMs).toBe(750)
    expect(String(o.password)).not.toContain("p:ss")
  })
  it("an IPv6 address without the URL's brackets (ioredis would look \"[::1]\" up as a name and never connect)", () => {
    expect(RedisConnection.optionsFromUrl("redis://[::1]:6380/2")).toStrictEqual({ host: "::1", port: 6380, db: 2, connectTimeoutMs: 2000 })
    expect(RedisConnection.optionsFromUrl("redis://u:p@[fd00::5]").host).toBe("fd00::5")
    expect(RedisConnection.optionsFromUrl("redis://127.0.0.1:6379").host).toBe("127.0.0.1")
  })
  it("defaults: port 6379, db 0, no credentials, 2 s to connect", () => {
    expect(RedisConnection.optionsFromUrl("redis://localhost")).toStrictEqual({ host: "localhost", port: 6379, db: 0, connectTimeoutMs: 2000 })
    expect(RedisConnection.optionsFromUrl("redis://localhost:7000/")).toStrictEqual({ host: "localhost", port: 7000, db: 0, connectTimeoutMs: 2000 })
    expect(RedisConnection.optionsFromUrl("redis://localhost/abc").db).toBe(0)
    expect(RedisConnection.optionsFromUrl("redis://localhost/1.5").db).toBe(0)
    const passwordOnly = RedisConnection.optionsFromUrl("redis://:secret@localhost")
    expect(Object.keys(passwordOnly)).not.toContain("username")
    expect(Redacted.value(passwordOnly.password!)).toBe("secret")
  })
})

const redis = redisFixture("connection")

const withConnection = async <A>(
  options: Partial<Parameters<typeof RedisConnection.layer>[0]>,
  f: (conn: RedisConnectionShape) => Effect.Effect<A, unknown> | Promise<A>
): Promise<{ readonly value: A; readonly conn: RedisConnectionShape }> => {
  const rt = ManagedRuntime.make(RedisConnection.layer({ host: redis.server.host, port: redis.server.port, db: 0, connectTimeoutMs: 1000, ...options }))
  try {
    const conn = await rt.runPromise(Effect.gen(function*() {
      return yield* RedisConnection
    }))
    const r = f(conn)
    const value = Effect.isEffect(r) ? await rt.runPromise(r) : await r
    return { value, conn }
  } finally {
    await rt.dispose()
  }
}

describe("the command connection", () => {
  it("is named hedgeflow-cmd, queues while reconnecting, one retry per request, 10 s per command, RESP2; closed with the layer", async () => {
    const { value: name, conn } = await withConnection({}, (conn) => conn.run("name", (c) => c.client("GETNAME")))
    expect(name).toBe("hedgeflow-cmd")
    expect(conn.target).toBe(`${redis.server.host}:${redis.server.port}`)
    const o = conn.client.options
    expect(o.host).toBe(redis.server.host)
    expect(o.port).toBe(redis.server.port)
    expect(o.db).toBe(0)
    expect(o.connectionName).toBe("hedgeflow-cmd")
    expect(o.lazyConnect).toBe(true)
    expect(o.maxRetriesPerRequest).toBe(1)
    expect(o.enableOfflineQueue).toBe(true)
    expect(o.autoResendUnfulfilledCommands).toBe(true)
    expect(o.commandTimeout).toBe(10_000)
    expect(o.connectTimeout).toBe(1000)
    expect(o.protocol).toBe(2)
    expect(o.username ?? undefined).toBeUndefined()
    expect(o.password ?? undefined).toBeUndefined()
    for (let i = 0; i < 100 && conn.client.status !== "end"; i++) await new Promise((r) => setTimeout(r, 10))
    expect(conn.client.status).toBe("end")
  })

  it("reconnects after 50 ms doubling to at most 1 s, ±20 %", async () => {
    const { conn } = await withConnection({}, () => Promise.resolve())
    const delay = conn.client.options.retryStrategy!
    for (let i = 0; i < 20; i++) {
      const d0 = delay(0) as number
      expect(Number.isInteger(d0)).toBe(true)
      expect(d0).toBeGreaterThanOrEqual(40)
      expect(d0).toBeLessThanOrEqual(60)
      expect(delay(2)).toBeGreaterThanOrEqual(160)
      expect(delay(2)).toBeLessThanOrEqual(240)
      expect(delay(12)).toBeGreaterThanOrEqual(800)
      expect(delay(12)).toBeLessThanOrEqual(1200)
    }
  })

  it("a command timeout and a db of the options; the db in the target", async () => {
    const prefix = redis.server.prefix("conn-db")
    const { conn } = await withConnection({ db: 3, commandTimeoutMs: 1234 }, (conn) => conn.run("set", (c) => c.set(`${prefix}:k`, "in db 3")))
    expect(conn.target).toBe(`${redis.server.host}:${redis.server.port}/3`)
    expect(conn.client.options.commandTimeout).toBe(1234)
    expect(await redis.raw.get(`${prefix}:k`)).toBeNull()
    const db3 = new Redis({ host: redis.server.host, port: redis.server.port, db: 3 })
    try {
      expect(await db3.get(`${prefix}:k`)).toBe("in db 3")
      await db3.del(`${prefix}:k`)
    } finally {
      db3.disconnect()
    }
  })

  it("credentials go to the client (the default user accepts any password when it has none)", async () => {
    const { value, conn } = await withConnection(
      { username: "default", password: Redacted.make("pw-123") },
      (conn) => conn.run("whoami", (c) => c.call("ACL", "WHOAMI"))
    )
    expect(value).toBe("default")
    expect(conn.client.options.username).toBe("default")
    expect(conn.client.options.password).toBe("pw-123")
  })

  it("run: a failure is a BusError naming the operation and target, with the reply's code; only transient ones are retried", async () => {
    let calls = 0
    const { value } = await withConnection({}, (conn) =>
      Effect.gen(function*() {
        const unknown = yield* Effect.flip(conn.run("bogus", (c) => c.call("NO-SUCH-COMMAND")))
        const permanent = yield* Effect.flip(conn.run("counted", () => {
          calls++
          return Promise.reject(replyError("WRONGTYPE Operation against a key holding the wrong kind of value"))
        }))
        const permanentCalls = calls
        calls = 0
        const transient = yield* Effect.flip(conn.run("counted", () => {
          calls++
          return Promise.reject(new Error("Connection is closed."))
        }))
        return { unknown, permanent, permanentCalls, transient }
      }))
    expect(value.unknown.op).toBe("bogus")
    expect(value.unknown.code).toBe("ERR")
    expect(value.unknown.message).toMatch(new RegExp(`^bogus on Redis ${redis.server.host}:${redis.server.port}: ERR unknown command 'NO-SUCH-COMMAND'`))
    expect(value.permanent.code).toBe("WRONGTYPE")
    expect(value.permanentCalls).toBe(1)
    expect(value.transient.message).toBe(`counted on Redis ${redis.server.host}:${redis.server.port}: Connection is closed.`)
    expect(calls).toBe(4)
  })

  it("runScript: an unexpected reply is shown cut to 200 characters", async () => {
    const long = redisScript({ name: "longReplyTest", keys: [], args: [], reply: ZeroOrOne, source: "return string.rep('x', 300)" })
    const { value: e } = await withConnection({}, (conn) => Effect.flip(conn.runScript(long, {}, {})))
    expect(e.op).toBe("longReplyTest")
    expect(e.message).toContain(`unexpected reply "${"x".repeat(199)}…: `)
    expect(e.message).not.toContain("x".repeat(200))
    // Exactly 200 characters (198 and the quotes): shown whole.
    const edge = redisScript({ name: "edgeReplyTest", keys: [], args: [], reply: ZeroOrOne, source: "return string.rep('y', 198)" })
    const { value: e3 } = await withConnection({}, (conn) => Effect.flip(conn.runScript(edge, {}, {})))
    expect(e3.message).toContain(`unexpected reply "${"y".repeat(198)}": `)
    const short = redisScript({ name: "shortReplyTest", keys: [], args: [], reply: Schema.String, source: "return {1}" })
    const { value: e2 } = await withConnection({}, (conn) => Effect.flip(conn.runScript(short, {}, {})))
    expect(e2.message).toContain("unexpected reply [1]: ")
  })
})

describe("blocking connections", () => {
  it("are named by the caller, never queue nor retry a request, have no command timeout; openBlocking's is closed with its scope", async () => {
    const { value } = await withConnection({ commandTimeoutMs: 500 }, (conn) =>
      Effect.gen(function*() {
        const c = yield* conn.connectBlocking("reader-7")
        const name = yield* Effect.promise(() => c.client("GETNAME"))
        const o = c.options
        const seen = {
          name,
          connectionName: o.connectionName,
          maxRetriesPerRequest: o.maxRetriesPerRequest,
          enableOfflineQueue: o.enableOfflineQueue,
          autoResendUnfulfilledCommands: o.autoResendUnfulfilledCommands,
          commandTimeout: o.commandTimeout,
          listeners: c.listenerCount("error")
        }
        c.disconnect()
        const scoped = yield* Effect.scoped(Effect.gen(function*() {
          const s = yield* conn.openBlocking("reader-8")
          const n = yield* Effect.promise(() => s.client("GETNAME"))
          return { s, n }
        }))
        // disconnect() ends the connection on the next turn of the event loop.
        for (let i = 0; i < 100 && scoped.s.status !== "end"; i++) yield* Effect.sleep("10 millis")
        return { seen, scopedName: scoped.n, scopedStatus: scoped.s.status }
      }))
    expect(value.seen).toStrictEqual({
      name: "reader-7",
      connectionName: "reader-7",
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      commandTimeout: undefined,
      listeners: 1
    })
    expect(value.scopedName).toBe("reader-8")
    expect(value.scopedStatus).toBe("end")
  })

})
