// Redis connections for the bus: one shared command connection, plus dedicated connections
// for blocking reads (XREADGROUP BLOCK ties up its connection; those are closed with
// disconnect(), because quit() waits for the block to end).
//
// ioredis reconnects by itself after a Redis restart (capped exponential backoff with jitter);
// `run` maps every failure to a typed BusError and retries transient connection errors a few
// times with the same kind of backoff. All bus operations are idempotent, so a retry after a
// lost reply is safe.
import { jitteredBackoffMs } from "../../domain/backoff.ts"
import { Context, Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { Redis } from "ioredis"
import { BusError } from "../errors.ts"
import { redisErrorCode } from "./error-code.ts"
import { type AnyRedisScript, scriptCall, type ScriptArgs, type ScriptKeys, type ScriptReply, type ScriptRest } from "./script.ts"

export interface RedisConnectionOptions {
  readonly host: string
  readonly port: number
  readonly db: number
  readonly password?: Redacted.Redacted<string>
  readonly username?: string
  readonly connectTimeoutMs: number
  /** Per-command timeout of the command connection (not blocking reads). Default 10 s. */
  readonly commandTimeoutMs?: number
  /**
   * TLS (a `rediss://` URL): the server's certificate is checked against Node's trusted CAs
   * (add a private CA with NODE_EXTRA_CA_CERTS) and the host name.
   */
  readonly tls?: boolean
}

export interface RedisConnectionShape {
  /** "host:port/db", for messages (never includes credentials). */
  readonly target: string
  /** The shared command connection. Do not issue blocking commands on it. */
  readonly client: Redis
  /**
   * Runs one command (or pipeline) on the command connection, typed errors (with the reply's
   * error code, see `busError`), transient retries.
   */
  readonly run: <A>(op: string, f: (client: Redis) => Promise<A>) => Effect.Effect<A, BusError>
  /**
   * Runs a declared Lua script (src/bus/redis/script.ts) on the command connection: keys and
   * arguments by name, the variadic tail when the script declares one; EVALSHA, EVAL when Redis
   * does not know the script (after a restart); the reply decoded with the script's Schema (a
   * reply that does not decode is a BusError naming the script).
   */
  readonly runScript: <S extends AnyRedisScript>(
    script: S,
    keys: ScriptKeys<S>,
    args: ScriptArgs<S>,
    ...rest: ScriptRest<S>
  ) => Effect.Effect<ScriptReply<S>, BusError>
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

/**
 * The BusError of a failed Redis operation: `op` and the error's text, with the error reply's
 * code (NOGROUP, BUSYGROUP, …) when Redis answered with one.
 */
export const busError = (op: string, target: string, cause: unknown): BusError => {
  const code = redisErrorCode(cause)
  return new BusError({ op, message: `${op} on Redis ${target}: ${errorText(cause)}`, ...(code !== undefined ? { code } : {}) })
}

/** Redis replies that mean "not now" (a snapshot loading, a slot moving, no primary): by their code. */
const TRANSIENT_CODES = new Set(["LOADING", "TRYAGAIN", "MASTERDOWN"])

/** The client's own failures to reach Redis: socket errors and ioredis's messages for them (no reply code). */
const CONNECTION_FAILURES = [
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

export const isTransient = (e: BusError): boolean =>
  (
    // Stryker disable next-line ConditionalExpression: equivalent: TRANSIENT_CODES.has(undefined) is false as well
    e.code !== undefined && TRANSIENT_CODES.has(e.code)
  ) || (e.code === undefined && CONNECTION_FAILURES.some((t) => e.message.includes(t)))

/** Capped exponential backoff with jitter, for transient errors of single operations. */
export const transientRetry = Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("500 millis")]).pipe(
  Schedule.jittered,
  Schedule.upTo({ times: 3 }),
  Schedule.setInputType<BusError>(),
  Schedule.while(({ input }) => isTransient(input))
)

/** ioredis's reconnect delay (its `times` counts from 1): 100 ms doubling, capped at 1 s, ±20 % jitter. */
const reconnectDelay = (times: number): number => Math.round(jitteredBackoffMs({ baseMs: 50, maxMs: 1000 }, times, Math.random()))

export const makeClientOptions = (o: RedisConnectionOptions, name: string, blocking: boolean) => ({
  host: o.host,
  port: o.port,
  db: o.db,
  ...(o.username !== undefined ? { username: o.username } : {}),
  ...(o.password !== undefined ? { password: Redacted.value(o.password) } : {}),
  connectionName: name,
  lazyConnect: true,
  protocol: 2 as const,
  connectTimeout: o.connectTimeoutMs,
  ...(o.tls === true ? { tls: { servername: o.host } } : {}),
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

/** A reply as text for messages, cut short. */
const replyPreview = (reply: unknown): string => {
  let text: string
  try {
    text = JSON.stringify(reply) ?? String(reply)
  } // Stryker disable next-line BlockStatement: unreachable: Redis replies (strings, numbers, arrays, null, errors) never make JSON.stringify throw
  catch {
    text = String(reply)
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** Capped exponential backoff for connecting at start-up (exported for its test). */
export const startupRetry = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("1 second")]).pipe(
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

// Stryker disable next-line StringLiteral: equivalent: a service's key only has to differ from every other service's
export class RedisConnection extends Context.Service<RedisConnection, RedisConnectionShape>()("hedgeflow/bus/RedisConnection") {
  /** Connects (retrying transient failures a few times) and closes the connections with the layer's scope. */
  static readonly layer = (options: RedisConnectionOptions): Layer.Layer<RedisConnection, BusError> =>
    Layer.effect(RedisConnection, make(options))

  /** Options from a `redis://[user:pass@]host:port[/db]` URL (the password is redacted). */
  static readonly optionsFromUrl = (url: string, connectTimeoutMs = 2000): RedisConnectionOptions => {
    const u = new URL(url)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: for "" and "/" the slice is "", and Number("") is 0, the default
    const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
    // An IPv6 address keeps the URL's brackets in `hostname` ("[::1]"); ioredis wants it bare.
    // Stryker disable next-line LogicalOperator,StringLiteral: equivalent: the URL parser refuses a host with one bracket, so a hostname has both or neither
    const host = u.hostname.startsWith("[") && u.hostname.endsWith("]") ? u.hostname.slice(1, -1) : u.hostname
    return {
      host,
      port: u.port === "" ? 6379 : Number(u.port),
      db: Number.isInteger(db) ? db : 0,
      ...(u.password !== "" ? { password: Redacted.make(decodeURIComponent(u.password)) } : {}),
      ...(u.username !== "" ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.protocol === "rediss:" ? { tls: true } : {}),
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
    // Stryker disable next-line StringLiteral,CallExpression: equivalent: the connect-time listener left in place only records the last error (memory only)
    client.removeAllListeners("error")
    // Stryker disable next-line UnaryOperator: decides only whether/what is logged
    let lastLogged = -Infinity
    // Stryker disable next-line CallExpression,BlockStatement,StringLiteral: decides only whether/what is logged (with no listener, ioredis prints the error itself: silentEmit)
    client.on("error", (e: unknown) => {
      const now = performance.now() // at most one line per 5 s, whatever the wall clock does
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: decides only whether/what is logged
      if (now - lastLogged < 5000) return
      lastLogged = now
      // Stryker disable next-line CallExpression: decides only whether/what is logged
      Effect.runFork(Effect.logWarning(`Redis ${target}: ${errorText(e)} (reconnecting)`))
    })

    const run = <A>(op: string, f: (c: Redis) => Promise<A>): Effect.Effect<A, BusError> =>
      Effect.tryPromise({
        try: () => f(client),
        catch: (cause) => busError(op, target, cause)
      }).pipe(Effect.retry(transientRetry))

    const runScript = <S extends AnyRedisScript>(
      script: S,
      keys: ScriptKeys<S>,
      args: ScriptArgs<S>,
      ...rest: ScriptRest<S>
    ): Effect.Effect<ScriptReply<S>, BusError> =>
      run(script.name, async (c): Promise<unknown> => {
        const call = scriptCall(script, keys, args, rest[0])
        try {
          return await c.evalsha(script.sha, call.keys.length, ...call.keys, ...call.args)
        } catch (e) {
          if (redisErrorCode(e) === "NOSCRIPT") return await c.eval(script.source, call.keys.length, ...call.keys, ...call.args)
          throw e
        }
      }).pipe(
        Effect.flatMap((reply) => {
          const decoded = script.decodeReply(reply)
          return decoded._tag === "Success"
            ? Effect.succeed(decoded.success)
            : Effect.fail(
              new BusError({
                op: script.name,
                message: `script ${script.name} on Redis ${target}: unexpected reply ${replyPreview(reply)}: ${decoded.failure.message}`
              })
            )
        })
      )

    // No retry here: the blocking reads retry as a whole (transientRetry), and nested retries multiply.
    const connectBlocking = (name: string) =>
      connectClient(options, target, name, true).pipe(
        Effect.tap((c) =>
          // Stryker disable next-line BlockStatement: equivalent: the connect-time listener left in place swallows the errors as well (it only records the last one: memory only)
          Effect.sync(() => {
            c.removeAllListeners("error")
            c.on("error", () => {})
          })
        )
      )
    const openBlocking = (name: string) => Effect.acquireRelease(connectBlocking(name), (c) => Effect.sync(() => c.disconnect()))

    return RedisConnection.of({ target, client, run, runScript, openBlocking, connectBlocking })
  })
