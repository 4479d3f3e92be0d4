// strategy.force_close_timeout with the previous system's meaning: A's and B's positions
// mismatched that long close both accounts at market (risk.force_close_action flatten), or only
// halt the pair (halt). No process holds both keys, so the close is cooperative:
//   1. B's risk monitor finds the mismatch has lasted the timeout (src/domain/risk.ts) and calls
//      `triggerForceClose`: the pair goes HALTED; a flatten's fence (A's quotes and the fills
//      published so far are settled: never published or hedged again; open hedge intents closed;
//      the residual pool cleared; audit entry); then the request, stored once in Redis.
//   2. A and B each run `forceCloseResponder`: seeing a request their side has not answered, they
//      cancel their orders and close their own position with reduce-only market orders under the
//      reserved closing client indexes (A's are never published as fills), check again a moment
//      later, and record the result (flat, or what is left) beside the request, with an alert.
//      A side that is down does it when it starts; a side left not flat tries again later.
//   3. The pair stays HALTED, the request stays (bin/hedge status shows it) until `bin/hedge resume`.
import { Effect, Option } from "effect"
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { PairState } from "../bus/PairState.ts"
import { announceCloseAll } from "../bus/redis/LegacyMirror.ts"
import { raiseAlert } from "../ops/alerts.ts"
import { monoMs, wallMs } from "../ops/time.ts"
import { closePosition, positionNow } from "./close-position.ts"
import { haltPair } from "./halt.ts"

export type ForceCloseAction = "flatten" | "halt"

/** How often A and B look for a force-close request (one Redis read). */
export const FORCE_CLOSE_POLL_MS = 1_000
/** A side whose close left it not flat tries again after this long. */
export const FORCE_CLOSE_RETRY_MS = 30_000
/** Closing orders per round (the closing client index space allows 63 per close). */
const ORDERS_PER_ROUND = 5

/**
 * B, when the mismatch has lasted strategy.force_close_timeout. Does nothing while a force close
 * is stored (one at a time, until bin/hedge resume clears it).
 */
export const triggerForceClose = (reason: string, action: ForceCloseAction, market: MarketSpec) =>
  Effect.gen(function*() {
    const state = yield* PairState
    if (Option.isSome(yield* state.forceClose())) return
    if (action === "halt") {
      // Once: the rule stays due while the mismatch lasts, and a stopped pair needs no second word.
      if ((yield* state.tradingState()) !== "ACTIVE") return
      yield* haltPair(
        `strategy.force_close_timeout: ${reason}`,
        "risk.force_close_action is halt: the positions are left as they are (bin/hedge flatten closes both accounts; bin/hedge resume after fixing the cause)"
      )
      return
    }
    const at = yield* wallMs
    const id = `FC${at.toString(36)}`
    yield* state.setTradingState("HALTED", `force close ${id}: ${reason}`)
    // The fence before the request: once A and B close, nothing from before may be hedged again.
    const fence = yield* state.fenceFlatten(id)
    yield* state.requestForceClose({ id, reason, requestedAtMs: at })
    yield* raiseAlert(
      "force-close",
      `${reason}: closing both accounts at market (force close ${id}, risk.force_close_action flatten). ` +
        `Fills up to sequence ${fence.fillSeqFence} and A's quotes up to ${fence.quoteSeqFence} are settled (never hedged or published again); ` +
        `residual pool of ${formatBase(market, Math.abs(fence.poolCleared))} ${market.symbol} cleared; ${fence.intentsClosed.length} open hedge intent(s) closed. ` +
        `The pair stays HALTED until bin/hedge resume.`
    )
    yield* announceCloseAll((line) => Effect.logInfo(line))
  })

export interface ForceCloseResponderSettings {
  readonly role: "a" | "b"
  readonly market: MarketSpec
  /** The n-th closing order's client index of a close started at `startedAtMs` (src/domain/closing.ts). */
  readonly closingIndex: (startedAtMs: number, n: number) => number
  readonly pollMs?: number
  readonly retryAfterMs?: number
}

/** A or B: closes this process's own account when a force close asks for it. Runs until interrupted. */
export const forceCloseResponder = (s: ForceCloseResponderSettings) =>
  Effect.gen(function*() {
    const state = yield* PairState
    const name = s.role.toUpperCase()
    const retryAfterMs = s.retryAfterMs ?? FORCE_CLOSE_RETRY_MS
    let tried: { readonly id: string; readonly atMonoMs: number } | undefined
    for (;;) {
      yield* Effect.sleep(s.pollMs ?? FORCE_CLOSE_POLL_MS)
      const stored = yield* state.forceClose().pipe(Effect.catch((e) => Effect.logWarning(`force close: cannot read the request: ${e.message}`).pipe(Effect.as(Option.none()))))
      if (Option.isNone(stored)) continue
      const { request } = stored.value
      const mine = stored.value[s.role]
      if (mine?.flat === true) continue
      // Not answered yet (or answered by an earlier run of this process): now. Not flat: after a pause.
      if (mine !== undefined && tried?.id === request.id && (yield* monoMs) - tried.atMonoMs < retryAfterMs) continue
      tried = { id: request.id, atMonoMs: yield* monoMs }
      yield* closeOwnAccount(s, name, request.id).pipe(
        Effect.catch((e) =>
          Effect.gen(function*() {
            const text = `${name}: force close ${request.id} failed: ${e.message}`
            yield* state.recordForceCloseResult(request.id, s.role, { flat: false, positionBase: mine?.positionBase ?? 0, atMs: yield* wallMs, text }).pipe(Effect.ignore)
            yield* raiseAlert("force-close", `${text}; trying again in ${retryAfterMs / 1000} s (bin/hedge flatten closes both at once)`)
          })
        )
      )
    }
  })

const closeOwnAccount = (s: ForceCloseResponderSettings, name: string, id: string) =>
  Effect.gen(function*() {
    const state = yield* PairState
    const startedAtMs = yield* wallMs
    const print = (line: string) => Effect.logWarning(`force close ${id}: ${line}`)
    yield* print(`closing ${name}'s position at market`)
    let round = 0
    const close = () => {
      const first = round * ORDERS_PER_ROUND
      round++
      return closePosition({ name, market: s.market, print, attempts: ORDERS_PER_ROUND, clientIndex: (n) => s.closingIndex(startedAtMs, first + n) })
    }
    let pos = yield* close()
    // A moment later (a quote or hedge sent just before the halt lands late): again, up to twice.
    for (let again = 0; again < 2; again++) {
      yield* Effect.sleep("1 second")
      pos = yield* positionNow(s.market.marketId)
      if (pos === 0) break
      yield* print(`${name}'s position moved after closing (${formatBase(s.market, pos)} ${s.market.symbol}): closing again`)
      pos = yield* close()
    }
    const flat = pos === 0
    const text = flat
      ? `${name} closed: flat`
      : `${name} NOT flat after closing: ${formatBase(s.market, pos)} ${s.market.symbol} left`
    yield* state.recordForceCloseResult(id, s.role, { flat, positionBase: pos, atMs: yield* wallMs, text })
    yield* state.audit(flat ? "force-close-done" : "force-close-incomplete", `force close ${id}: ${text}`)
    yield* raiseAlert(
      "force-close",
      `force close ${id}: ${text}.` + (flat ? " The pair stays HALTED until bin/hedge resume." : ` Trying again in ${(s.retryAfterMs ?? FORCE_CLOSE_RETRY_MS) / 1000} s; bin/hedge flatten closes both at once.`)
    )
  })
