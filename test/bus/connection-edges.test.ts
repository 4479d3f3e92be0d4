// Edges of the Redis connection layer (src/bus/redis/connection.ts): credentials in the client's
// options only when given, a db the server does not have refused at connect (not db 0 instead), a
// client whose first connect fails is not left behind reconnecting, closing the layer lets a
// command in flight finish (QUIT) but cuts a connection that does not close within a second, and a
// script that fails while it runs is not run a second time (only NOSCRIPT makes runScript send
// the source).
import { Effect, Exit, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { makeClientOptions, RedisConnection, type RedisConnectionShape } from "../../src/bus/redis/connection.ts"
import { redisScript } from "../../src/bus/redis/script.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("conn-edges")

const options = () => ({ host: redis.server.host, port: redis.server.port, db: 0, connectTimeoutMs: 1000 })

/** How many times `user` was refused its password (Redis's ACL LOG, entries grouped with a count). */
const refusedLogins = async (user: string): Promise<number> => {
  const entries = (await redis.raw.call("ACL", "LOG")) as Array<Array<unknown>>
  let n = 0
  for (const e of entries) {
    const field = (name: string) => e[e.indexOf(name) + 1]
    if (field("reason") === "auth" && field("username") === user) n += Number(field("count"))
  }
  return n
}

const openRuntime = async () => {
  const rt = ManagedRuntime.make(RedisConnection.layer(options()))
  const conn: RedisConnectionShape = await rt.runPromise(Effect.gen(function*() {
    return yield* RedisConnection
  }))
  return { rt, conn }
}

describe("client options", () => {
  it("credentials only when given: no username or password key otherwise", () => {
    const none = makeClientOptions(options(), "hedgeflow-cmd", false)
    expect("username" in none).toBe(false)
    expect("password" in none).toBe(false)
    const both = makeClientOptions({ ...options(), username: "u", password: Redacted.make("p") }, "hedgeflow-cmd", false)
    expect(both).toMatchObject({ username: "u", password: "p" })
  })
})

describe("connecting", () => {
  it("a client whose first connect fails (wrong password) is disconnected, not left reconnecting", async () => {
    await redis.raw.call("ACL", "SETUSER", "edges-user", "on", ">right-pw", "~*", "+@all")
    try {
      const exit = await Effect.runPromiseExit(
        Effect.scoped(Layer.build(RedisConnection.layer({ ...options(), username: "edges-user", password: Redacted.make("wrong-pw") })))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain(`cannot reach Redis at ${redis.server.host}:${redis.server.port}: WRONGPASS`)
      // ioredis would reconnect (and log in again) after at most ~1.2 s, the reconnect delay's cap
      // and jitter: no login comes.
      const before = await refusedLogins("edges-user")
      expect(before).toBeGreaterThanOrEqual(1)
      await new Promise((r) => setTimeout(r, 1_400))
      expect(await refusedLogins("edges-user")).toBe(before)
    } finally {
      await redis.raw.call("ACL", "DELUSER", "edges-user")
    }
  })
})

describe("the db", () => {
  it("the command and blocking connections work on the db asked for", async () => {
    const rt = ManagedRuntime.make(RedisConnection.layer({ ...options(), db: 5 }))
    try {
      const dbs = await rt.runPromise(Effect.gen(function*() {
        const conn = yield* RedisConnection
        const cmd = yield* conn.run("info", (c) => c.call("CLIENT", "INFO"))
        const blocking = yield* Effect.scoped(Effect.flatMap(conn.openBlocking("edges-reader"), (c) => Effect.promise(() => c.call("CLIENT", "INFO"))))
        return [cmd, blocking].map((info) => /\bdb=(\d+)/.exec(String(info))?.[1])
      }))
      expect(dbs).toStrictEqual(["5", "5"])
    } finally {
      await rt.dispose()
    }
  })
})

describe("closing", () => {
  it("closing the layer lets a command in flight finish (QUIT), then ends the connection", async () => {
    const { rt, conn } = await openRuntime()
    const key = `${redis.fresh("quit")}:list`
    const pending = conn.client.blpop(key, 0.3).then((v) => ({ ok: v }), (e: unknown) => ({ failed: String(e) }))
    await new Promise((r) => setTimeout(r, 50)) // the BLPOP is on the wire
    await rt.dispose()
    expect(await pending).toStrictEqual({ ok: null })
    for (let i = 0; i < 100 && conn.client.status !== "end"; i++) await new Promise((r) => setTimeout(r, 10))
    expect(conn.client.status).toBe("end")
  })

  it("a connection that does not close within a second is cut: the command in flight fails, the close does not wait for it", async () => {
    const { rt, conn } = await openRuntime()
    const key = `${redis.fresh("cut")}:list`
    const pending = conn.client.blpop(key, 5).then((v) => ({ ok: v }), (e: unknown) => ({ failed: String(e) }))
    await new Promise((r) => setTimeout(r, 50))
    const started = performance.now()
    await rt.dispose()
    const settled = await Promise.race([pending, new Promise((r) => setTimeout(() => r("still pending"), 1_000))])
    expect(settled).toStrictEqual({ failed: expect.stringContaining("Connection is closed") })
    expect(performance.now() - started).toBeLessThan(2_500)
    for (let i = 0; i < 100 && conn.client.status !== "end"; i++) await new Promise((r) => setTimeout(r, 10))
    expect(conn.client.status).toBe("end")
  })
})

describe("runScript", () => {
  it("a script that fails while it runs is not run again from its source (its writes happen once)", async () => {
    const prefix = redis.fresh("script-fails")
    const failing = redisScript({
      name: "edgesFailAfterWrite",
      keys: ["counter"],
      args: [],
      reply: Schema.Number,
      source: "redis.call('INCR', KEYS[1])\nreturn redis.error_reply('ERR edges: failed after its write')"
    })
    const counter = `${prefix}:counter`
    const errors = await redis.rt.runPromise(Effect.gen(function*() {
      const conn = yield* RedisConnection
      const first = yield* Effect.flip(conn.runScript(failing, { counter }, {})) // EVALSHA: NOSCRIPT, then EVAL
      const second = yield* Effect.flip(conn.runScript(failing, { counter }, {})) // EVALSHA, known now
      return [first, second]
    }))
    for (const e of errors) {
      expect(e.op).toBe("edgesFailAfterWrite")
      expect(e.message).toContain("ERR edges: failed after its write")
    }
    expect(await redis.raw.get(counter)).toBe("2")
  })
})
