// Redis connections for the bus: one shared command connection, plus dedicated connections
// for blocking reads (XREADGROUP BLOCK ties up its connection; those are closed with
// disconnect(), because quit() waits for the block to end).
//
// ioredis reconnects by itself after a Redis restart (capped exponential backoff with jitter);
// `run` maps every failure to a typed BusError and retries transient connection errors a few
// times with the same kind of backoff. All bus operations are idempotent, so a retry after a
// lost reply is safe.
import { createHash } from "node:crypto"
import { Context, Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { Redis } from "ioredis"
import { BusError } from "../errors.ts"

export interface RedisConnectionOptions {
  readonly host: string
  readonly port: number
  readonly db: number
  readonly password?: Redacted.Redacted<string>
  readonly username?: string
  readonly connectTimeoutMs: number
  /** Per-command timeout of the command connection (not blocking reads). Default 10 s. */
  readonly commandTimeoutMs?: number
}

/** A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it (after a restart). */
export interface LuaScript {
  readonly name: string
  readonly source: string
  readonly sha: string
}

export const luaScript = (name: string, source: string): LuaScript => ({
  name,
  source,
  sha: createHash("sha1").update(source).digest("hex")
})

export interface RedisConnectionShape {
  /** "host:port/db", for messages (never includes credentials). */
  readonly target: string
  /** The shared command connection. Do not issue blocking commands on it. */
  readonly client: Redis
  /** Runs one command (or pipeline) on the command connection, typed errors, transient retries. */
  readonly run: <A>(op: string, f: (client: Redis) => Promise<A>) => Effect.Effect<A, BusError>
  /** Runs a Lua script on the command connection. */
  readonly evalScript: (
    script: LuaScript,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number>
  ) => Effect.Effect<unknown, BusError>
  /**
   * Opens a dedicated connection for blocking commands, closed (disconnect()) when the scope
   * closes. Its commands fail rather than queue while Redis is unreachable.
   */
  readonly openBlocking: (name: string) => Effect.Effect<Redis, BusError, Scope.Scope>
  /** Like `openBlocking`, unscoped: the caller must `disconnect()` it (for connection pools). */
  readonly connectBlocking: (name: string) => Effect.Effect<Redis, BusError>
}

/** Error text of an ioredis / socket failure, without anything that could hold a secret. */
export const errorText = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && !cause.message.includes(code)) return `${code}: ${cause.message}`
    return cause.message
  }
  return String(cause)
}

const TRANSIENT = [
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "Connection is closed",
  "MaxRetriesPerRequest",
  "Reached the max retries per request",
  "Stream isn't writeable",
  "LOADING",
  "Command timed out",
  "TRYAGAIN"
]

export const isTransient = (e: BusError): boolean => TRANSIENT.some((t) => e.message.includes(t))

/** Capped exponential backoff with jitter, for transient errors of single operations. */
export const transientRetry = Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("500 millis")]).pipe(
  Schedule.jittered,
  Schedule.upTo({ times: 3 }),
  Schedule.setInputType<BusError>(),
  Schedule.while(({ input }) => isTransient(input))
)

/** ioredis's reconnect delay: exponential from 100 ms, capped at 1 s, ±20 % jitter. */
const reconnectDelay = (times: number): number => Math.round(Math.min(1000, 50 * 2 ** Math.min(times, 10)) * (0.8 + Math.random() * 0.4))

const makeClientOptions = (o: RedisConnectionOptions, name: string, blocking: boolean) => ({
  host: o.host,
  port: o.port,
  db: o.db,
  ...(o.username !== undefined ? { username: o.username } : {}),
  ...(o.password !== undefined ? { password: Redacted.value(o.password) } : {}),
  connectionName: name,
  lazyConnect: true,
  protocol: 2 as const,
  connectTimeout: o.connectTimeoutMs,
  // Commands wait for a reconnect a little (a Redis restart), then fail with a typed error
  // (bounded: about 2 reconnect attempts) that `run` and the callers' supervisors retry.
  maxRetriesPerRequest: blocking ? 0 : 1,
  enableOfflineQueue: !blocking,
  autoResendUnfulfilledCommands: !blocking,
  ...(blocking ? {} : { commandTimeout: o.commandTimeoutMs ?? 10_000 }),
  retryStrategy: reconnectDelay
})

/**
 * Connects one client, failing with the real cause (ECONNREFUSED, WRONGPASS …) rather than
 * ioredis's generic "Connection is closed.". A failed client is disconnected.
 */
const connectClient = (o: RedisConnectionOptions, target: string, name: string, blocking: boolean) =>
  Effect.tryPromise({
    try: async () => {
      const client = new Redis(makeClientOptions(o, name, blocking))
      let lastError: unknown
      client.on("error", (e: unknown) => {
        lastError = e
      })
      try {
        await client.connect()
        await client.ping()
        return client
      } catch (e) {
        client.disconnect()
        throw lastError ?? e
      }
    },
    catch: (cause) => new BusError({ op: "connect", message: `cannot reach Redis at ${target}: ${errorText(cause)}` })
  })

const startupRetry = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("1 second")]).pipe(
  Schedule.jittered,
  Schedule.upTo({ times: 3 }),
  Schedule.setInputType<BusError>(),
  Schedule.while(({ input }) => isTransient(input))
)

const closeClient = (client: Redis) =>
  Effect.tryPromise(() => client.quit()).pipe(
    Effect.timeout("1 second"),
    Effect.catchCause(() => Effect.sync(() => client.disconnect()))
  )

export class RedisConnection extends Context.Service<RedisConnection, RedisConnectionShape>()("hedgeflow/bus/RedisConnection") {
  /** Connects (retrying transient failures a few times) and closes the connections with the layer's scope. */
  static readonly layer = (options: RedisConnectionOptions): Layer.Layer<RedisConnection, BusError> =>
    Layer.effect(RedisConnection, make(options))

  /** Options from a `redis://[user:pass@]host:port[/db]` URL (the password is redacted). */
  static readonly optionsFromUrl = (url: string, connectTimeoutMs = 2000): RedisConnectionOptions => {
    const u = new URL(url)
    const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
    return {
      host: u.hostname,
      port: u.port === "" ? 6379 : Number(u.port),
      db: Number.isInteger(db) ? db : 0,
      ...(u.password !== "" ? { password: Redacted.make(decodeURIComponent(u.password)) } : {}),
      ...(u.username !== "" ? { username: decodeURIComponent(u.username) } : {}),
      connectTimeoutMs
    }
  }

  static readonly layerFromUrl = (url: string, connectTimeoutMs?: number): Layer.Layer<RedisConnection, BusError> =>
    RedisConnection.layer(RedisConnection.optionsFromUrl(url, connectTimeoutMs))
}

const make = (options: RedisConnectionOptions) =>
  Effect.gen(function*() {
    const target = `${options.host}:${options.port}${options.db !== 0 ? `/${options.db}` : ""}`
    const client = yield* Effect.acquireRelease(
      connectClient(options, target, "hedgeflow-cmd", false).pipe(Effect.retry(startupRetry)),
      closeClient
    )
    // After the first connect, errors are reported through the commands that fail; the
    // listener only keeps ioredis from printing "Unhandled error event" while it reconnects.
    client.removeAllListeners("error")
    let lastLogged = -Infinity
    client.on("error", (e: unknown) => {
      const now = performance.now() // at most one line per 5 s, whatever the wall clock does
      if (now - lastLogged < 5000) return
      lastLogged = now
      Effect.runFork(Effect.logWarning(`Redis ${target}: ${errorText(e)} (reconnecting)`))
    })

    const run = <A>(op: string, f: (c: Redis) => Promise<A>): Effect.Effect<A, BusError> =>
      Effect.tryPromise({
        try: () => f(client),
        catch: (cause) => new BusError({ op, message: `${op} on Redis ${target}: ${errorText(cause)}` })
      }).pipe(Effect.retry(transientRetry))

    const evalScript = (script: LuaScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) =>
      run(script.name, async (c) => {
        try {
          return await c.evalsha(script.sha, keys.length, ...keys, ...args)
        } catch (e) {
          if (e instanceof Error && e.message.startsWith("NOSCRIPT")) return await c.eval(script.source, keys.length, ...keys, ...args)
          throw e
        }
      })

    // No retry here: the blocking reads retry as a whole (transientRetry), and nested retries multiply.
    const connectBlocking = (name: string) =>
      connectClient(options, target, name, true).pipe(
        Effect.tap((c) =>
          Effect.sync(() => {
            c.removeAllListeners("error")
            c.on("error", () => {})
          })
        )
      )
    const openBlocking = (name: string) => Effect.acquireRelease(connectBlocking(name), (c) => Effect.sync(() => c.disconnect()))

    return RedisConnection.of({ target, client, run, evalScript, openBlocking, connectBlocking })
  })
