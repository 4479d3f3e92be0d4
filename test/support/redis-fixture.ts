// One Redis for a whole test file: registers beforeAll/afterAll hooks that start the test Redis
// (startTestRedis), connect a raw ioredis client and make a ManagedRuntime of RedisConnection,
// and at the end delete the keys of every prefix handed out by fresh(), then dispose, disconnect
// and close. Call it at the top level of the file; read its members inside tests and hooks.
import { ManagedRuntime, Redacted } from "effect"
import { Redis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import type { BusError } from "../../src/bus/errors.ts"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { startTestRedis, type TestRedis } from "./redis.ts"

export interface RedisFixture {
  /** The test Redis itself (host, port, prefix, …). */
  readonly server: TestRedis
  /** A plain ioredis client, to write and read keys directly. */
  readonly raw: Redis
  /** Runs effects on one RedisConnection to the test Redis. */
  readonly rt: ManagedRuntime.ManagedRuntime<RedisConnection, BusError>
  /** A key prefix of its own for one test, `<tag>-<name>` made unique; its keys are deleted when the file ends. */
  readonly fresh: (name: string) => string
  /**
   * Runs `f` on a connection as a Redis user allowed every command but `denied` (ACL rules such
   * as "xrange", "xinfo|consumers"); the user is deleted afterwards.
   */
  readonly asUserWithout: <A>(denied: ReadonlyArray<string>, f: (rt: ManagedRuntime.ManagedRuntime<RedisConnection, BusError>) => Promise<A>) => Promise<A>
}

export const redisFixture = (tag: string): RedisFixture => {
  let server: TestRedis | undefined
  let raw: Redis | undefined
  let rt: ManagedRuntime.ManagedRuntime<RedisConnection, BusError> | undefined
  const used: Array<string> = []
  let users = 0

  beforeAll(async () => {
    server = await startTestRedis()
    raw = new Redis({ host: server.host, port: server.port, lazyConnect: true })
    raw.on("error", () => {})
    await raw.connect()
    rt = ManagedRuntime.make(RedisConnection.layer({ host: server.host, port: server.port, db: 0, connectTimeoutMs: 1000 }))
  })
  afterAll(async () => {
    for (const p of used) {
      const keys = await raw!.keys(`${p}:*`)
      if (keys.length > 0) await raw!.del(...keys)
    }
    await rt?.dispose()
    raw?.disconnect()
    await server?.close()
  })

  const ready = <A>(value: A | undefined, name: string): A => {
    if (value === undefined) throw new Error(`redisFixture(${tag}): ${name} is set in beforeAll; read it inside tests and hooks`)
    return value
  }
  return {
    get server() {
      return ready(server, "server")
    },
    get raw() {
      return ready(raw, "raw")
    },
    get rt() {
      return ready(rt, "rt")
    },
    fresh: (name) => {
      const p = ready(server, "server").prefix(`${tag}-${name}`)
      used.push(p)
      return p
    },
    asUserWithout: async (denied, f) => {
      const name = `${tag}-user-${++users}`
      const s = ready(server, "server")
      await ready(raw, "raw").call("ACL", "SETUSER", name, "reset", "on", ">pw", "~*", "&*", "+@all", ...denied.map((c) => `-${c}`))
      const limited = ManagedRuntime.make(
        RedisConnection.layer({ host: s.host, port: s.port, db: 0, username: name, password: Redacted.make("pw"), connectTimeoutMs: 1000 })
      )
      try {
        return await f(limited)
      } finally {
        await limited.dispose()
        await ready(raw, "raw").call("ACL", "DELUSER", name)
      }
    }
  }
}
