// Redis for tests: REDIS_URL when set (and `private` is not asked for), else a private
// redis-server on a free loopback port, stopped when the test file ends.
// Tests that kill or restart Redis must ask for a private server.
import { Effect, Exit, Scope } from "effect"
import { Redis } from "ioredis"
import { freePort as freePortEffect, startLocalRedis } from "../../src/testkit/local-redis.ts"

/** A free loopback port (for tests that need one that nothing listens on). */
export const freePort = (): Promise<number> => Effect.runPromise(freePortEffect)

export interface TestRedis {
  readonly url: string
  readonly host: string
  readonly port: number
  /** A key prefix unique to this test run, so tests never see each other's keys. */
  readonly prefix: (name: string) => string
  /** Private servers only: stop the server (SIGKILL when `hard`). */
  readonly stop: (hard?: boolean) => Promise<void>
  /** Private servers only: start it again on the same port and data dir. */
  readonly restart: () => Promise<void>
  readonly close: () => Promise<void>
}

const waitReady = async (url: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    c.on("error", () => {})
    try {
      await c.connect()
      await c.ping()
      c.disconnect()
      return
    } catch (e) {
      c.disconnect()
      if (Date.now() > deadline) throw new Error(`redis at ${url} not ready: ${String(e)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

let counter = 0
const runId = `${process.pid}-${Date.now().toString(36)}`

export const startTestRedis = async (
  options: { readonly private?: boolean; readonly appendOnly?: boolean } = {}
): Promise<TestRedis> => {
  const prefix = (name: string) => `test:${runId}:${++counter}:${name}`
  const shared = process.env.REDIS_URL
  if (shared !== undefined && shared !== "" && options.private !== true) {
    const u = new URL(shared)
    await waitReady(shared)
    const noop = async () => {}
    return { url: shared, host: u.hostname, port: Number(u.port || 6379), prefix, stop: noop, restart: noop, close: noop }
  }
  // A private server from the project's one launcher (src/testkit/local-redis.ts), in a scope of
  // its own that close() ends.
  const scope = await Effect.runPromise(Scope.make())
  const server = await Effect.runPromise(startLocalRedis({ appendOnly: options.appendOnly === true }).pipe(Scope.provide(scope)))
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    prefix,
    stop: (hard = false) => Effect.runPromise(server.stop(hard ? "kill" : "term")),
    restart: () => Effect.runPromise(server.start),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
