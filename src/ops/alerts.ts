// Alerts: always to the log; also to a webhook (JSON POST) and to Telegram when configured.
// Delivery is best effort with a timeout and never blocks or fails the caller; known secrets are
// scrubbed from every message.
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { scrub } from "../config/secrets.ts"

export type AlertKind =
  | "halted"
  | "reconciliation-mismatch"
  | "hedge-retries-exhausted"
  | "poison-message"
  | "process-restart"
  /** Another process of the same role took this one's lease (src/bus/redis/lease.ts): it stops. */
  | "lease-lost"
  /** Redis came back empty or from an older snapshot: the pair halts until an operator adopts the new epoch (src/app/epoch-guard.ts). */
  | "redis-state-lost"
  /** This machine's clock is off the venue's beyond risk.max_clock_skew_ms, or came back within it (src/ops/clock-skew.ts). */
  | "clock-skew"
  /** The venue refused a channel of this process's account stream (src/app/stream-refusal.ts). */
  | "stream-refused"
  /** A and B mismatched for strategy.force_close_timeout: both accounts closed at market, or not flat after trying (src/safety/force-close.ts). */
  | "force-close"

export interface AlertsShape {
  readonly alert: (kind: AlertKind, message: string) => Effect.Effect<void>
}

export class Alerts extends Context.Service<Alerts, AlertsShape>()("hedgeflow/ops/Alerts") {
  static readonly logOnly = Layer.succeed(
    Alerts,
    Alerts.of({ alert: (kind, message) => Effect.logError(`ALERT ${kind}: ${message}`) })
  )

  static readonly layer = (o: {
    readonly pair: string
    readonly process: string
    readonly webhookUrl?: Redacted.Redacted<string> | undefined
    readonly telegram?: { readonly apiUrl: string; readonly botToken: Redacted.Redacted<string>; readonly chatId: string } | undefined
    readonly timeoutMs?: number
  }) =>
    Layer.succeed(
      Alerts,
      Alerts.of({
        alert: (kind, message) =>
          Effect.gen(function*() {
            const secrets = [o.webhookUrl, o.telegram?.botToken].filter((s) => s !== undefined).map((s) => Redacted.value(s))
            const text = scrub(message, secrets)
            yield* Effect.logError(`ALERT ${kind}: ${text}`).pipe(Effect.annotateLogs({ alert: kind }))
            const post = (what: string, url: string, body: unknown) =>
              Effect.tryPromise({
                try: (signal) =>
                  fetch(url, {
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify(body),
                    signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? 3000)])
                  }).then((r) => {
                    if (!r.ok) throw new Error(`HTTP ${r.status}`)
                  }),
                // The URL may hold a token: say only which channel failed.
                catch: (e) => new Error(`${what}: ${scrub(e instanceof Error ? e.message : String(e), secrets)}`)
              }).pipe(Effect.catch((e) => Effect.logWarning(`alert not delivered to ${e.message}`)))
            const at = new Date().toISOString()
            const sends: Array<Effect.Effect<void>> = []
            if (o.webhookUrl !== undefined) {
              sends.push(post("webhook", Redacted.value(o.webhookUrl), { kind, message: text, pair: o.pair, process: o.process, at }))
            }
            if (o.telegram !== undefined) {
              const t = o.telegram
              sends.push(
                post("telegram", `${t.apiUrl.replace(/\/$/, "")}/bot${Redacted.value(t.botToken)}/sendMessage`, {
                  chat_id: t.chatId,
                  text: `hedgeflow ${o.pair} (${o.process}) ${kind}: ${text}`
                })
              )
            }
            yield* Effect.all(sends, { concurrency: "unbounded", discard: true })
          })
      })
    )
}

/** Alerts when the program has an Alerts service; the log otherwise. */
export const raiseAlert = (kind: AlertKind, message: string): Effect.Effect<void> =>
  Effect.serviceOption(Alerts).pipe(
    Effect.flatMap((a) => (Option.isSome(a) ? a.value.alert(kind, message) : Effect.logError(`ALERT ${kind}: ${message}`)))
  )
