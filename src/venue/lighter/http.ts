// Lighter REST client: JSON GETs under /api/v1 and sendTx as an urlencoded form.
// HTTP and body `code` are mapped to VenueError kinds: 429/23000 → rate-limited, "invalid nonce"
// → invalid-nonce, other 4xx/21xxx → rejected, unreachable before sending → unavailable, no
// answer after a tx was sent → unknown-outcome.
import { Effect, Result, type Schema } from "effect"
import { VenueError } from "../errors.ts"
import { decodeWire, WireSendTxReply } from "./codecs.ts"

export interface HttpOptions {
  readonly baseUrl: string
  readonly timeoutMs: number
}

interface ErrorBody {
  readonly code?: unknown
  readonly message?: unknown
}

export const kindOf = (status: number, code: number | undefined, message: string): VenueError["kind"] => {
  if (status === 429 || code === 23000) return "rate-limited"
  if (code === 21104 || /invalid nonce/i.test(message)) return "invalid-nonce"
  if (status >= 500) return "unavailable"
  return "rejected"
}

const errorFrom = (op: string, status: number, body: unknown): VenueError => {
  const b = (typeof body === "object" && body !== null ? body : {}) as ErrorBody
  const code = typeof b.code === "number" ? b.code : undefined
  const message = typeof b.message === "string" ? b.message : `HTTP ${status}`
  return new VenueError({ op, kind: kindOf(status, code, message), message, ...(code === undefined ? {} : { code }) })
}

const request = (op: string, o: HttpOptions, path: string, init: RequestInit, sending: boolean) =>
  Effect.tryPromise({
    try: async (signal) => {
      const ctrl = AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs)])
      const res = await fetch(`${o.baseUrl.replace(/\/$/, "")}${path}`, { ...init, signal: ctrl })
      const text = await res.text()
      let body: unknown
      try {
        body = text === "" ? {} : JSON.parse(text)
      } catch {
        body = { message: text.slice(0, 200) }
      }
      return { status: res.status, body }
    },
    catch: (cause) => {
      const e = cause as Error
      const timedOut = e.name === "TimeoutError" || e.name === "AbortError"
      // A tx that may have left the client is not "failed": its outcome must be looked up.
      const kind = sending && (timedOut || !/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(String((e as { cause?: unknown }).cause ?? e.message)))
        ? "unknown-outcome" as const
        : "unavailable" as const
      return new VenueError({ op, kind, message: `${path}: ${timedOut ? "timed out" : String((e as { cause?: unknown }).cause ?? e.message)}` })
    }
  }).pipe(
    Effect.flatMap(({ status, body }) => {
      const code = typeof (body as ErrorBody).code === "number" ? (body as ErrorBody).code : undefined
      if (status >= 200 && status < 300 && (code === undefined || code === 200)) return Effect.succeed(body)
      return Effect.fail(errorFrom(op, status, body))
    })
  )

export const getJson = <S extends Schema.Codec<unknown, unknown, never, never>>(
  o: HttpOptions,
  op: string,
  path: string,
  query: Readonly<Record<string, string | number>>,
  schema: S
): Effect.Effect<S["Type"], VenueError> => {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()
  return request(op, o, `/api/v1/${path}${qs === "" ? "" : `?${qs}`}`, { method: "GET" }, false).pipe(
    Effect.flatMap((body) => {
      const r = decodeWire(schema, path, body)
      return Result.isSuccess(r)
        ? Effect.succeed(r.success)
        : Effect.fail(new VenueError({ op, kind: "rejected", message: `unexpected ${path} reply: ${r.failure.message}` }))
    })
  )
}

export const sendTxRest = (o: HttpOptions, txType: number, txInfo: string): Effect.Effect<{ readonly txHash: string }, VenueError> =>
  request(
    "sendTx",
    o,
    "/api/v1/sendTx",
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ tx_type: String(txType), tx_info: txInfo }).toString()
    },
    true
  ).pipe(
    Effect.map((body) => {
      const r = decodeWire(WireSendTxReply, "sendTx", body)
      return { txHash: Result.isSuccess(r) ? r.success.tx_hash ?? "" : "" }
    })
  )
