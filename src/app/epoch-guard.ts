// Lost Redis state is detected, not trusted.
//
// Each pair keeps an epoch marker in Redis (`<prefix>:epoch`: a random id, a generation and when
// it was made, written once) and A and B mirror it, with the sequence numbers they saw, to a
// file beside their logs (epoch-mirror.ts). At start and every second while running (which
// covers every reconnect: a Redis that comes back is compared before anything else trusts it),
// each process compares the two. Redis without the epoch (it came back empty), with another
// epoch of the same or an older generation, or with counters below what the process already saw
// (an older snapshot) has lost state. Then the process:
//   1. stops its program (A's maker cancels its quote on the way out; B stops hedging);
//   2. makes a new epoch, not yet adopted (or finds the one the other process made);
//   3. says exactly what was lost (the epoch, the trading state it last saw, pending fills, open
//      hedge intents and the residual pool it last saw, which are now unknowable) — in its log,
//      as an alert and in the pair's audit log;
//   4. continues the fill (and A's quote) sequence above what it recorded, so no client id is
//      used twice; A fences the quotes it placed before the loss (their old fills are never
//      published again) and records its open orders' filled amounts from the venue, so only
//      fills newer than that are published — history is never replayed;
//   5. reconciles against the venue: its own position is written to `<prefix>:epoch-loss`, and
//      A's, B's and the net are logged once both are in (and shown by status and resume);
//   6. sets the pair HALTED with the reason, and waits until an operator adopts the new epoch
//      (`bin/hedge resume`, or `bin/hedge flatten`), then starts its program again.
import type { Role } from "../domain/role.ts"
import { randomBytes } from "node:crypto"
import { Effect, Option, Schedule } from "effect"
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { isOrderTerminal } from "../domain/events.ts"
import type { BusError } from "../bus/errors.ts"
import { type EpochMarker, type LossReport, PairState } from "../bus/PairState.ts"
import { SEQ_FLOOR_MARGIN } from "../bus/redis/RedisFillBus.ts"
import { raiseAlert } from "../ops/alerts.ts"
import type { MakerEpochHooks } from "../maker/maker.ts"
import { Venue } from "../venue/Venue.ts"
import type { EpochMirror } from "./epoch-mirror.ts"
import { pendingFills } from "../bus/pending-fills.ts"


export interface EpochGuardOptions {
  readonly role: Role
  readonly mirror: EpochMirror
  readonly market: MarketSpec
  /** How often Redis's epoch is compared while the program runs. Default 1 s. */
  readonly pollMs?: number
}

type Verdict =
  | {
    readonly _tag: "Trusted"
    readonly epoch: EpochMarker
    /** Set when Redis lost its state while this process was not watching and an operator already adopted the new epoch. */
    readonly caughtUp?: string
  }
  | {
    readonly _tag: "Lost"
    /** Redis came back empty, from an older snapshot, or another process already found the loss. */
    readonly kind: "empty" | "older-snapshot" | "waiting"
    /** Why this process does not trust Redis. */
    readonly why: string
    /** The epoch Redis holds now. */
    readonly found: EpochMarker | undefined
    /** True: the loss is new, a new epoch must be made; false: one already waits for an operator. */
    readonly replace: boolean
  }

const name = (role: Role) => (role === "a" ? "main-a" : "main-b")
const iso = (ms: number) => new Date(ms).toISOString()
const ago = (ms: number) => `${((Date.now() - ms) / 1000).toFixed(1)} s before`

export const newEpochId = (): string => randomBytes(8).toString("hex")

/** The hooks A's maker uses: its epoch for every quote, and the mirror file for quotes and fills. */
export const makerEpochHooks = (mirror: EpochMirror): MakerEpochHooks => ({
  epochId: () => mirror.epochId(),
  onQuoteSeq: (seq) =>
    Effect.try(() => mirror.noteQuoteSeq(seq)).pipe(
      Effect.catch((e) => Effect.logError(`cannot write ${mirror.path} (quote sequence ${seq}): ${String(e)}`)),
      Effect.asVoid
    ),
  onPublished: (fill, fillSeq) =>
    Effect.sync(() => {
      mirror.noteFillSeq(fillSeq)
      mirror.noteLevel(fill.orderIndex, fill.filledAfter)
    })
})

/**
 * Runs `program` only while Redis holds the epoch this process trusts; on a loss of Redis state,
 * stops it, reports, halts the pair and waits for an operator (see the top of this file).
 */
export const superviseEpoch = <A, E, R>(o: EpochGuardOptions, program: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const state = yield* PairState
    const venue = yield* Venue
    const { role, mirror, market } = o
    const pollMs = o.pollMs ?? 1000
    const me = name(role)

    if (mirror.readProblem !== undefined) yield* Effect.logWarning(`epoch mirror not usable, starting a new one: ${mirror.readProblem}`)

    const flush = Effect.try(() => mirror.flush()).pipe(
      Effect.catch((e) => Effect.logWarning(`cannot write the epoch mirror ${mirror.path}: ${String(e)}`))
    )

    const check: Effect.Effect<Verdict, BusError> = Effect.gen(function*() {
      const found = Option.getOrUndefined(yield* state.epoch())
      const counters = yield* state.sequenceCounters()
      const mine = mirror.data.epoch
      if (mine === undefined) {
        if (found === undefined) {
          const now = Date.now()
          const created = yield* state.replaceEpoch(
            { id: newEpochId(), gen: 1, createdAtMs: now, adoptedAtMs: now, adoptedBy: `first start (${me})`, note: "the pair's first epoch" },
            undefined
          )
          if (created.adoptedAtMs !== undefined) return { _tag: "Trusted", epoch: created }
          return { _tag: "Lost", kind: "waiting", why: `Redis state was lost: epoch ${created.id} waits for an operator`, found: created, replace: false }
        }
        if (found.adoptedAtMs !== undefined) return { _tag: "Trusted", epoch: found }
        return { _tag: "Lost", kind: "waiting", why: `Redis state was lost: epoch ${found.id} waits for an operator`, found, replace: false }
      }
      if (found === undefined) {
        return { _tag: "Lost", kind: "empty", why: `Redis came back empty: it holds no epoch (this process knew epoch ${mine.id})`, found, replace: true }
      }
      if (found.id === mine.id) {
        const fillSeq = counters.fillSeq ?? 0
        const quoteSeq = counters.quoteSeq ?? 0
        if (fillSeq < mirror.data.fillSeq) {
          return {
            _tag: "Lost",
            kind: "older-snapshot",
            why: `Redis came back from an older snapshot: its fill sequence is at ${fillSeq}, this process already saw ${mirror.data.fillSeq}`,
            found,
            replace: true
          }
        }
        if (role === "a" && quoteSeq < mirror.data.quoteSeq) {
          return {
            _tag: "Lost",
            kind: "older-snapshot",
            why: `Redis came back from an older snapshot: its quote sequence is at ${quoteSeq}, A already used ${mirror.data.quoteSeq}`,
            found,
            replace: true
          }
        }
        if (found.adoptedAtMs !== undefined) return { _tag: "Trusted", epoch: found }
        return { _tag: "Lost", kind: "waiting", why: `epoch ${found.id} waits for an operator`, found, replace: false }
      }
      if (found.gen > mine.gen) {
        if (found.adoptedAtMs !== undefined) {
          return {
            _tag: "Trusted",
            epoch: found,
            caughtUp: `Redis lost its state while ${me} was not watching (epoch ${mine.id} → ${found.id}, adopted ${iso(found.adoptedAtMs)} by ${found.adoptedBy ?? "?"})`
          }
        }
        return {
          _tag: "Lost",
          kind: "waiting",
          why: `Redis state was lost: epoch ${mine.id} is gone, and epoch ${found.id} (${found.note ?? "new"}) waits for an operator`,
          found,
          replace: false
        }
      }
      return {
        _tag: "Lost",
        kind: "older-snapshot",
        why: `Redis holds epoch ${found.id} (generation ${found.gen}, made ${iso(found.createdAtMs)}), not ${mine.id} (generation ${mine.gen}): it came back from an older snapshot`,
        found,
        replace: true
      }
    })

    /** What this process last saw, and what Redis holds now: the loss, item by item. */
    const describeLoss = (v: Extract<Verdict, { _tag: "Lost" }>) =>
      Effect.gen(function*() {
        const d = mirror.data
        const now = yield* state.tradingStatus()
        const pending = yield* pendingFills(mirror.prefix).pipe(Effect.orElseSucceed(() => 0))
        const lines: Array<string> = [`${me}: ${v.why}.`]
        if (d.epoch !== undefined) lines.push(`- epoch ${d.epoch.id} (generation ${d.epoch.gen}, made ${iso(d.epoch.createdAtMs)}) is gone`)
        const last = d.last
        if (last !== undefined) {
          const was = `${last.state}${last.reason !== undefined ? ` ("${last.reason}")` : ""}`
          const nowText = now.reason === undefined ? `Redis has no trading state (it would read ${now.state})` : `Redis says ${now.state} ("${now.reason}")`
          lines.push(`- the trading state ${was}, seen ${ago(last.atMs)}, is gone: ${nowText}`)
          const unknowable: Array<string> = []
          if (last.pendingFills !== undefined) unknowable.push(`${last.pendingFills} pending fill(s)`)
          if (last.openIntents !== undefined) unknowable.push(`${last.openIntents} open hedge intent(s)`)
          if (last.residualPool !== undefined) unknowable.push(`a residual pool of ${formatBase(market, last.residualPool)} ${market.symbol}`)
          if (unknowable.length > 0) {
            lines.push(`- ${unknowable.join(", ")} (seen ${ago(last.atMs)}) cannot be read back: whether B hedged them is unknowable; the positions below are the truth`)
          }
        } else {
          lines.push("- the trading state, pending fills, hedge intents and the residual pool before the loss are unknowable")
        }
        if (pending > 0) lines.push(`- Redis holds ${pending} pending fill(s) now`)
        if (d.fillSeq > 0) lines.push(`- fill sequence numbers continue above ${d.fillSeq + SEQ_FLOOR_MARGIN} (this process last saw ${d.fillSeq}): no client id is used twice`)
        return lines
      })

    /** A: fence the quotes placed before the loss; record its open orders' fills from the venue, then cancel them. */
    const recoverMaker = Effect.gen(function*() {
      if (role !== "a") return [] as Array<string>
      const lines: Array<string> = []
      const counters = yield* state.sequenceCounters()
      const fence = Math.max(mirror.data.quoteSeqCeiling, counters.quoteSeq ?? 0)
      const open = yield* venue.openOrders(market.marketId).pipe(Effect.orElseSucceed(() => []))
      const levels = new Map<string, number>()
      for (const o of open) {
        if (isOrderTerminal(o.status)) continue
        levels.set(o.orderIndex, o.filledBase)
        const recorded = mirror.data.levels[o.orderIndex]
        if (o.filledBase > (recorded ?? 0)) {
          lines.push(
            `- A's order ${o.orderIndex} (client index ${o.clientOrderIndex}) shows ${formatBase(market, o.filledBase)} ${market.symbol} filled at the venue, A's record ${formatBase(market, recorded ?? 0)}: ` +
              `${formatBase(market, o.filledBase - (recorded ?? 0))} may never have been published (not replayed; see the positions)`
          )
        }
      }
      yield* state.fenceLoss(fence, levels)
      yield* state.raiseSequences({ quoteSeq: fence })
      mirror.raiseQuoteSeqCeiling(fence)
      lines.push(`- A's quotes 1 … ${fence} were placed before the loss: their earlier fills are never published again; A publishes only fills newer than the levels it records now`)
      for (const o of open) {
        yield* venue.cancel({ marketId: market.marketId, index: o.orderIndex }).pipe(Effect.ignore)
      }
      if (open.length > 0) lines.push(`- A cancelled ${open.length} open order(s) of its own`)
      return lines
    })

    /** Logs A's, B's and the net position once both processes have reported for `epochId` (once). */
    let netLoggedFor: string | undefined
    const logNet = (epochId: string) =>
      Effect.gen(function*() {
        if (netLoggedFor === epochId) return
        const r = yield* state.lossReports()
        const a: LossReport | undefined = r.a?.epochId === epochId ? r.a : undefined
        const b: LossReport | undefined = r.b?.epochId === epochId ? r.b : undefined
        if (a === undefined || b === undefined) return
        netLoggedFor = epochId
        const net = a.positionBase + b.positionBase
        const text = `positions at the venue after the loss: A ${formatBase(market, a.positionBase)}, B ${formatBase(market, b.positionBase)}, ` +
          `net ${formatBase(market, net)} ${market.symbol}${net === 0 ? " (flat)" : " — NOT FLAT: check before resuming, or bin/hedge flatten"}`
        yield* Effect.logError(text)
        yield* state.audit("positions-after-loss", text)
      })

    const handleLoss = (v: Extract<Verdict, { _tag: "Lost" }>) =>
      Effect.gen(function*() {
        let epoch = v.found
        if (v.replace) {
          const d = mirror.data
          epoch = yield* state.replaceEpoch(
            {
              id: newEpochId(),
              gen: Math.max(d.epoch?.gen ?? 0, v.found?.gen ?? 0) + 1,
              createdAtMs: Date.now(),
              note: `made by ${me} after a loss of Redis state`
            },
            v.found?.id
          )
        }
        const lines = yield* describeLoss(v)
        // Client ids never repeat: the counters continue above what this process recorded.
        if (mirror.data.fillSeq > 0) yield* state.raiseSequences({ fillSeq: mirror.data.fillSeq + SEQ_FLOOR_MARGIN })
        lines.push(...(yield* recoverMaker))
        const epochId = epoch?.id ?? "?"
        const what = v.kind === "empty" ? "Redis came back empty" : v.kind === "older-snapshot" ? "Redis came back from an older snapshot" : "found by the other process"
        const reason = `Redis state lost (${what}); epoch ${epochId} waits for an operator: bin/hedge status, then bin/hedge resume (adopts it) or bin/hedge flatten`
        yield* state.setTradingState("HALTED", reason)
        const position = yield* venue.position(market.marketId).pipe(
          Effect.map((p) => p.signedBase),
          Effect.option
        )
        if (Option.isSome(position)) {
          lines.push(`- ${role.toUpperCase()}'s position at the venue: ${formatBase(market, position.value)} ${market.symbol}`)
          yield* state.reportLoss(role, { epochId, positionBase: position.value, atMs: Date.now(), text: lines.join("\n") })
        } else {
          lines.push(`- ${role.toUpperCase()}'s position could not be read from the venue`)
        }
        lines.push(`- the pair is HALTED: ${me} trades nothing until an operator runs bin/hedge resume (adopts epoch ${epochId}) or bin/hedge flatten`)
        for (const l of lines) yield* Effect.logError(l)
        yield* state.audit("redis-state-lost", lines.join("\n"))
        yield* raiseAlert("redis-state-lost", lines.join("\n"))
        yield* logNet(epochId)
      })

    const observe = (epoch: EpochMarker) =>
      Effect.gen(function*() {
        const counters = yield* state.sequenceCounters()
        if (counters.fillSeq !== undefined) mirror.noteFillSeq(counters.fillSeq)
        const st = yield* state.tradingStatus()
        const pool = yield* state.residualPool()
        const open = yield* state.openIntents()
        const pending = yield* pendingFills(mirror.prefix)
        mirror.setEpoch(epoch)
        mirror.noteLast({
          atMs: Date.now(),
          state: st.state,
          reason: st.reason,
          sinceMs: st.sinceMs,
          pendingFills: pending,
          openIntents: open.length,
          residualPool: pool
        })
        yield* flush
      })

    /** Called with a Trusted verdict: records it, and finishes a catch-up after a loss this process missed. */
    const trust = (v: Extract<Verdict, { _tag: "Trusted" }>) =>
      Effect.gen(function*() {
        if (v.caughtUp !== undefined) {
          yield* Effect.logWarning(`${v.caughtUp}; continuing above the sequence numbers this process recorded`)
          if (mirror.data.fillSeq > 0) yield* state.raiseSequences({ fillSeq: mirror.data.fillSeq + SEQ_FLOOR_MARGIN })
          const lines = yield* recoverMaker
          for (const l of lines) yield* Effect.logWarning(l)
        }
        mirror.setEpoch(v.epoch)
        yield* flush
      })

    /** Until Redis holds an adopted epoch this process can trust. */
    const untilTrusted = Effect.gen(function*() {
      let v = yield* check
      if (v._tag === "Trusted") return yield* trust(v)
      yield* handleLoss(v)
      let waitedMs = 0
      for (;;) {
        yield* state.heartbeat(role, { awaitingOperator: true }, pollMs * 3).pipe(Effect.ignore)
        yield* Effect.sleep(pollMs)
        waitedMs += pollMs
        v = yield* check
        if (v._tag === "Trusted") {
          yield* Effect.logWarning(`epoch ${v.epoch.id} adopted by ${v.epoch.adoptedBy ?? "an operator"}: ${me} starts again`)
          return yield* trust({ _tag: "Trusted", epoch: v.epoch })
        }
        if (v.replace) yield* handleLoss(v)
        else if (v.found !== undefined) yield* logNet(v.found.id)
        if (waitedMs % 30_000 < pollMs) yield* Effect.logWarning(`${me} waits for an operator: ${v.why}`)
      }
    })

    /** Returns (with the verdict) as soon as Redis no longer holds the trusted epoch. */
    const watch = Effect.gen(function*() {
      for (;;) {
        yield* Effect.sleep(pollMs)
        const v = yield* check.pipe(Effect.option)
        if (Option.isNone(v)) continue // Redis unreachable: nothing to compare yet; the program's own calls fail meanwhile
        if (v.value._tag === "Lost") return v.value
        yield* observe(v.value.epoch).pipe(Effect.ignore)
      }
    })

    for (;;) {
      yield* untilTrusted.pipe(
        Effect.tapError((e) => Effect.logWarning(`cannot compare the pair's epoch with Redis yet: ${e.message}`)),
        Effect.retry(Schedule.spaced(pollMs))
      )
      const first = yield* check.pipe(Effect.option)
      if (Option.isSome(first) && first.value._tag === "Trusted") yield* observe(first.value.epoch).pipe(Effect.ignore)
      const outcome = yield* Effect.raceFirst(
        program.pipe(Effect.map((value) => ({ _tag: "Done" as const, value }))),
        watch.pipe(Effect.map((lost) => ({ _tag: "Lost" as const, lost })))
      )
      if (outcome._tag === "Done") return outcome.value
      yield* Effect.logError(`${me}: ${outcome.lost.why} — stopping until an operator resumes`)
    }
  })
