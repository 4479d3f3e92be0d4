// Watches this process's account stream for channels the venue refuses (an auth token it does
// not accept, an unknown account, too many subscriptions, ...). A refusal is logged with the
// channel and the venue's code, raised as an alert once per episode, and shown by `bin/hedge
// status`; the socket retries with backoff. A refusal that outlives `haltAfterMs` halts the pair
// (A then pulls its quote): trading on with a stream we do not receive would be trading blind.
import { Effect } from "effect"
import type { AccountEvent, StreamRefusal } from "../domain/events.ts"
import { PairState } from "../bus/PairState.ts"
import { Alerts } from "../ops/alerts.ts"

export interface RefusalEpisode {
  readonly channel: string
  readonly code?: number
  readonly message: string
  readonly sinceMono: number
  readonly refusals: number
}

export interface StreamRefusalGuard {
  readonly observe: (e: AccountEvent) => Effect.Effect<void, never, Alerts>
  /** For the status key: what is refused now and for how long, or undefined. */
  readonly status: () => { readonly channel: string; readonly code?: number; readonly message: string; readonly forMs: number; readonly refusals: number } | undefined
  /** Halts the pair once a refusal has lasted `haltAfterMs`; runs until interrupted. */
  readonly supervise: Effect.Effect<never, never, PairState | Alerts>
}

export const makeStreamRefusalGuard = (o: {
  readonly role: "a" | "b"
  readonly haltAfterMs: number
  readonly checkEveryMs?: number
  readonly now?: () => number
}): StreamRefusalGuard => {
  const now = o.now ?? (() => performance.now())
  const who = o.role === "a" ? "A (maker)" : "B (hedger)"
  let episode: RefusalEpisode | undefined
  let halted = false

  const describe = (r: StreamRefusal | RefusalEpisode) => `${r.channel}${r.code === undefined ? "" : ` (venue code ${r.code})`}: ${r.message}`

  const observe = (e: AccountEvent) =>
    Effect.gen(function*() {
      if (e._tag === "StreamDisconnected" && e.refusal !== undefined) {
        const r = e.refusal
        if (episode === undefined) {
          episode = { channel: r.channel, ...(r.code === undefined ? {} : { code: r.code }), message: r.message, sinceMono: now(), refusals: 1 }
          halted = false
          yield* Effect.logError(`account stream of ${who}: the venue refused ${describe(r)}; retrying in ${r.retryInMs} ms, halting the pair if it lasts ${Math.round(o.haltAfterMs / 1000)} s`)
          const alerts = yield* Alerts
          yield* alerts.alert("stream-refused", `account stream of ${who}: the venue refused ${describe(r)}`)
        } else {
          episode = { ...episode, channel: r.channel, ...(r.code === undefined ? {} : { code: r.code }), message: r.message, refusals: episode.refusals + 1 }
          yield* Effect.logWarning(`account stream of ${who}: still refused (${episode.refusals}×, ${Math.round((now() - episode.sinceMono) / 1000)} s): ${describe(r)}; next try in ${r.retryInMs} ms`)
        }
      } else if (e._tag === "StreamConnected" && episode !== undefined) {
        yield* Effect.logInfo(`account stream of ${who}: accepted again after ${Math.round((now() - episode.sinceMono) / 1000)} s (${episode.refusals} refusals); reconciling from the snapshot`)
        episode = undefined
      }
    })

  const status = () =>
    episode === undefined
      ? undefined
      : { channel: episode.channel, ...(episode.code === undefined ? {} : { code: episode.code }), message: episode.message, forMs: Math.round(now() - episode.sinceMono), refusals: episode.refusals }

  const check = Effect.gen(function*() {
    const ep = episode
    if (ep === undefined || halted || now() - ep.sinceMono < o.haltAfterMs) return
    const state = yield* PairState
    halted = true
    const trading = yield* state.tradingState().pipe(Effect.orElseSucceed(() => "UNKNOWN" as const))
    if (trading === "HALTED") return
    const reason = `account stream of ${who} refused by the venue for ${Math.round((now() - ep.sinceMono) / 1000)} s: ${describe(ep)}`
    const done = yield* state.setTradingState("HALTED", reason).pipe(Effect.as(true), Effect.catch((e) => Effect.logError(`cannot halt the pair: ${e.message}`).pipe(Effect.as(false))))
    if (!done) {
      halted = false
      return
    }
    const alerts = yield* Alerts
    yield* alerts.alert("halted", `pair HALTED: ${reason}. Fix the cause (keys: bin/hedge keys check; account index; network), then bin/hedge resume`)
  })

  const supervise = check.pipe(Effect.andThen(Effect.sleep(o.checkEveryMs ?? 1000)), Effect.forever)

  return { observe, status, supervise }
}
