// Watches this machine's wall clock against the venue's (risk.max_clock_skew_ms), from the venue's
// own timestamps on the order-book frames this process receives anyway (no extra request on
// Lighter: the book is a WebSocket subscription). Beyond the bound it alerts once, and once more
// when the clock is back within it. Only an alert: the hedge path measures its durations on the
// monotonic clock, but every transaction's ExpiredAt is this clock + 10 min, and the venue refuses
// one it judges expired (21711 invalid expiry).
import { Effect } from "effect"
import { initialSkewState, judgeSkew } from "../domain/clock-skew.ts"
import { Venue } from "../venue/Venue.ts"
import { raiseAlert } from "./alerts.ts"
import { clocks } from "./time.ts"

export interface ClockSkewSettings {
  /** Largest |this clock − the venue's| before the alert, ms; 0 = not checked. */
  readonly maxSkewMs: number
  readonly marketId: number
  /** Who this is, for the message ("A" / "B"). */
  readonly who: string
  /** How often to take a sample. Default 1 s. */
  readonly everyMs?: number
  /** The estimate is the smallest difference seen in this window. Default 10 s. */
  readonly windowMs?: number
}

const signed = (ms: number) => `${Math.abs(Math.round(ms))} ms ${ms >= 0 ? "ahead of" : "behind"}`

/** Runs until interrupted (fork it scoped). */
export const watchClockSkew = (s: ClockSkewSettings) =>
  Effect.gen(function*() {
    if (s.maxSkewMs <= 0) return
    const venue = yield* Venue
    const clock = yield* clocks
    let state = initialSkewState
    let lastVenueMs: number | undefined
    for (;;) {
      const book = yield* venue.orderBook(s.marketId, 1).pipe(Effect.option)
      const t = book._tag === "Some" ? book.value.venueTime : undefined
      // One sample per frame: the same frame read again says nothing new.
      if (t !== undefined && t.venueMs !== lastVenueMs) {
        lastVenueMs = t.venueMs
        const arrivedAtWallMs = clock.wallMs() - t.receivedAgoMs
        const v = judgeSkew(state, { atMs: clock.monoMs(), diffMs: arrivedAtWallMs - t.venueMs }, {
          windowMs: s.windowMs ?? 10_000,
          boundMs: s.maxSkewMs
        })
        state = v.state
        if (v.change === "skewed") {
          yield* raiseAlert(
            "clock-skew",
            `${s.who}'s clock is ${signed(v.estimateMs)} the venue's (risk.max_clock_skew_ms ${s.maxSkewMs}). ` +
              `Timeouts and ages do not depend on it, but each transaction's ExpiredAt (now + 10 min) does: the venue refuses ` +
              `a transaction it judges expired with 21711 (invalid expiry). Fix this machine's clock (NTP).`
          )
        } else if (v.change === "recovered") {
          yield* raiseAlert("clock-skew", `${s.who}'s clock is back within risk.max_clock_skew_ms ${s.maxSkewMs} of the venue's (${signed(v.estimateMs)} it)`)
        }
      }
      yield* Effect.sleep(s.everyMs ?? 1_000)
    }
  })
