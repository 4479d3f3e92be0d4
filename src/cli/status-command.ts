// bin/hedge status: the pair's state now, from Redis, flagging what is stale.
//   - trading state (why, since when);
//   - A and B: running (lease held and renewed in the last 3 s), stale (lease kept but not renewed:
//     stalled, or just killed), or down (since when: a clean stop is recorded, a crash is not),
//     with their own live status (account stream connected, position) and heartbeats;
//   - pending fills = the consumer group's lag (not yet delivered) + its pending entries
//     (delivered, not acknowledged), with the age of the oldest;
//   - unhedged exposure (A + B) from the venue's positions now (public account reads, no key), and
//     how long it has lasted (B's live view while B runs; else the oldest fill not yet hedged);
//     without the venue, from B's live view or the last positions A and B reported;
//   - A's published quote (`<prefix>:a-quote`), flagged stale when A is not running;
//   - open hedge intents, residual pool, results, dead letters.
// Ages come from Redis's clock (TIME, stream ids, the lease's seen records), not this machine's.
import { hedgerBeatOf, makerBeatOf } from "../domain/heartbeat.ts"
import { Effect, Option } from "effect"
import { formatBase, formatPrice, formatScaled, type MarketSpec, QUOTE_DECIMALS } from "../domain/market.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState } from "../bus/PairState.ts"
import { RedisConnection } from "../bus/redis/connection.ts"
import { readBacklog, readDeadLetters, inspectKeys } from "../bus/redis/inspect.ts"
import { LEASE_STALE_AFTER_MS, type LeaseRole, readPresence, redisNowMs } from "../bus/redis/lease.ts"
import { describeIdentity, readPairIdentity } from "../bus/redis/pair-identity.ts"
import { type HedgeflowConfig, loadConfig } from "../config/load.ts"
import { parseScaled } from "../domain/market.ts"
import { getJson } from "../venue/lighter/http.ts"
import { WireAccountReply, WireOrderBookDetails } from "../venue/lighter/codecs.ts"
import { busLayers, redisOptionsOf } from "../app/bus-layers.ts"
import { defineCommand, switchFlag } from "../config/argv.ts"
import { CONFIG_FLAG, MARKET_FLAG, parsePairArgv } from "./market-flag.ts"
import { pairControlStatus } from "./pair-control-status.ts"
import { marketForMessages, marketFromVenue } from "../app/venue-market.ts"

/** A heartbeat (written every second, kept 3 s) older than this is stale. */
export const HEARTBEAT_STALE_MS = 2_500

const STATUS = defineCommand({
  name: "hedge status",
  about: "The pair's state now, from Redis: trading state; A and B running, stale or down with their account streams;\n" +
    "pending fills; unhedged exposure and how long; A's quote; stale keys.",
  flags: { config: CONFIG_FLAG, market: MARKET_FLAG, json: switchFlag("--json", "print it as JSON") }
})


/**
 * Loads the config, connects to the pair's Redis (checking its database) and runs `body` with the
 * bus services. For the operator commands (status, inspect, drop-intent).
 */
export const withPairRedis = <A, E, R>(
  command: string,
  configPath: string | undefined,
  body: (config: HedgeflowConfig, market: MarketSpec) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const config = yield* loadConfig({ path: configPath ?? "config.yaml", env: process.env })
    // Decimals from the venue when it answers (status must work without it: then BTC's or ETH's).
    const market = yield* marketFromVenue(config).pipe(Effect.timeout("3 seconds"), Effect.orElseSucceed(() => marketForMessages(config)))
    // busLayers checks the database before anything else runs on it.
    return yield* body(config, market).pipe(
      Effect.provide(
        busLayers({ ...redisOptionsOf(config), prefix: config.redis.keyPrefix, market })
      ),
      Effect.annotateLogs({ pair: config.pair.name, command })
    )
  })

const secs = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`

/**
 * A's and B's positions in the pair's market as the venue reports them now (public reads: market
 * details and `account?by=index`, no key). Fails with a message when the venue cannot tell.
 */
export const venuePositions = (config: HedgeflowConfig) =>
  Effect.gen(function*() {
    if (config.settings.venue.kind === "memory") return yield* Effect.fail("venue.kind memory has no venue to ask")
    const http = { baseUrl: config.venue.baseUrl, timeoutMs: 2_000 }
    const details = yield* getJson(http, "market", "orderBookDetails", {}, WireOrderBookDetails)
    const m = details.order_book_details.find((d) => d.symbol.toUpperCase() === config.market.symbol.toUpperCase())
    if (m === undefined) return yield* Effect.fail(`the venue lists no market ${config.market.symbol}`)
    const positionOf = (index: number) =>
      getJson(http, "position", "account", { by: "index", value: index }, WireAccountReply).pipe(
        Effect.map((r) => {
          const p = (r.accounts.find((a) => a.index === index) ?? r.accounts[0])?.positions.find((x) => x.market_id === m.market_id)
          if (p === undefined) return 0
          const size = parseScaled(p.position, m.size_decimals)
          return p.sign < 0 ? -size : size
        })
      )
    const [a, b] = yield* Effect.all([positionOf(config.accounts.a.accountIndex), positionOf(config.accounts.b.accountIndex)], { concurrency: 2 })
    return { a, b }
  }).pipe(
    Effect.timeout("5 seconds"),
    Effect.mapError((e) => (typeof e === "string" ? e : "message" in e ? String(e.message) : String(e))),
    Effect.catchDefect((d) => Effect.fail(String(d)))
  )

interface StreamRefusedView {
  readonly channel: string
  readonly code: number | null
  readonly message: string
  readonly forMs: number
  readonly refusals: number
}

const refusedView = (v: unknown): StreamRefusedView | null => {
  if (typeof v !== "object" || v === null) return null
  const r = v as Record<string, unknown>
  if (typeof r["channel"] !== "string" || typeof r["message"] !== "string") return null
  return {
    channel: r["channel"].slice(0, 80),
    code: typeof r["code"] === "number" ? r["code"] : null,
    message: r["message"].slice(0, 200),
    forMs: typeof r["forMs"] === "number" ? r["forMs"] : 0,
    refusals: typeof r["refusals"] === "number" ? r["refusals"] : 0
  }
}

interface ProcessView {
  /** "running": lease held and renewed lately; "stale": lease held, not renewed for > 3 s; "down"; "never-seen". */
  readonly state: "running" | "stale" | "down" | "never-seen"
  readonly lastSeenMsAgo: number | null
  readonly stoppedCleanly: boolean
  readonly host: string | null
  readonly pid: number | null
  readonly sinceMs: number | null
  readonly streamConnected: boolean | null
  /** A channel of the account stream the venue refuses now (stream-refusal.ts), or null. */
  readonly streamRefused: StreamRefusedView | null
  readonly position: number | null
  readonly status: Readonly<Record<string, unknown>>
}

const processView = (prefix: string, role: LeaseRole, nowMs: number) =>
  Effect.gen(function*() {
    const p = yield* readPresence(prefix, role)
    const seen = p.seen
    const ago = seen === undefined ? null : nowMs - seen.atMs
    const state: ProcessView["state"] = seen === undefined && p.lease === undefined
      ? "never-seen"
      : p.lease !== undefined && ago !== null && ago <= LEASE_STALE_AFTER_MS
      ? "running"
      : p.lease !== undefined
      ? "stale"
      : "down"
    const holder = p.lease?.holder ?? seen?.holder
    const status = seen?.status ?? {}
    return {
      state,
      lastSeenMsAgo: ago,
      stoppedCleanly: seen?.stoppedAtMs !== undefined,
      host: holder?.host ?? null,
      pid: holder?.pid ?? null,
      sinceMs: holder?.startedAtMs ?? null,
      streamConnected: typeof status["streamConnected"] === "boolean" ? status["streamConnected"] : null,
      streamRefused: refusedView(status["streamRefused"]),
      position: typeof status["position"] === "number" ? status["position"] : null,
      status
    } satisfies ProcessView
  })

export const status = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parsePairArgv(STATUS, argv)
    yield* withPairRedis("status", args.config, (config, market) =>
      Effect.gen(function*() {
        const prefix = config.redis.keyPrefix
        const state = yield* PairState
        const bus = yield* FillBus
        const conn = yield* RedisConnection
        const now = yield* redisNowMs
        const trading = yield* state.tradingStatus()
        const hbA = yield* state.lastHeartbeat("a")
        const hbB = yield* state.lastHeartbeat("b")
        const procA = yield* processView(prefix, "a", now)
        const procB = yield* processView(prefix, "b", now)
        const backlog = yield* readBacklog(prefix)
        const pool = yield* state.residualPool()
        const open = yield* state.openIntents()
        const results = yield* bus.hedgeResults()
        const failed = results.filter((r) => r.status === "failed" || r.status === "partial").length
        const dead = yield* readDeadLetters(prefix, 0)
        const identity = yield* readPairIdentity(prefix)
        const quoteRaw = yield* conn.run("aQuote", (c) => c.get(inspectKeys(prefix).quote))
        const control = yield* pairControlStatus(market)
        const atVenue = yield* Effect.result(venuePositions(config))

        const hb = (h: typeof hbA) =>
          Option.isSome(h) ? { ageMs: now - h.value.atMs, stale: now - h.value.atMs > HEARTBEAT_STALE_MS, status: h.value.status } : undefined
        const heartbeatA = hb(hbA)
        const heartbeatB = hb(hbB)
        const aAlive = procA.state === "running" || (procA.state === "never-seen" && heartbeatA !== undefined && !heartbeatA.stale)
        const bAlive = procB.state === "running" || (procB.state === "never-seen" && heartbeatB !== undefined && !heartbeatB.stale)

        // B's stream state now: B's own live status (renewed each second) when B runs.
        const bStream = bAlive
          ? (procB.streamConnected ?? (heartbeatB === undefined ? null : hedgerBeatOf(heartbeatB.status)?.streamConnected ?? null))
          : null

        // Unhedged exposure: B's live view, else the last known positions.
        const exp = procB.status["exposure"]
        const liveExposure = bAlive && typeof exp === "object" && exp !== null ? exp as Record<string, unknown> : undefined
        const beatOfA = heartbeatA === undefined ? undefined : makerBeatOf(heartbeatA.status)
        const aPos = beatOfA?.position ?? procA.position
        const bPos = procB.position
        const oldestAge = backlog.oldestAtMs === undefined ? undefined : now - backlog.oldestAtMs
        let exposure: { readonly net: number; readonly aPosition: number; readonly bPosition: number; readonly unhedgedForMs: number | null; readonly source: string } | null = null
        const liveFor = liveExposure !== undefined && typeof liveExposure["net"] === "number"
          ? Number(liveExposure["unhedgedForMs"] ?? 0) + (procB.lastSeenMsAgo ?? 0)
          : undefined
        if (atVenue._tag === "Success") {
          const net = atVenue.success.a + atVenue.success.b
          exposure = {
            net,
            aPosition: atVenue.success.a,
            bPosition: atVenue.success.b,
            // How long: B's own measure while it runs, else the oldest fill B has not finished.
            unhedgedForMs: Math.abs(net) < market.minBaseAmount ? 0 : liveFor !== undefined && liveFor > 0 ? liveFor : oldestAge ?? null,
            source: "the venue's positions now"
          }
        } else if (liveExposure !== undefined && typeof liveExposure["net"] === "number") {
          const net = liveExposure["net"] as number
          const forMs = Number(liveExposure["unhedgedForMs"] ?? 0) + (procB.lastSeenMsAgo ?? 0)
          exposure = {
            net,
            aPosition: liveExposure["aPosition"] as number,
            bPosition: liveExposure["bPosition"] as number,
            unhedgedForMs: Math.abs(net) >= market.minBaseAmount ? forMs : 0,
            source: `B's live view (the venue could not be asked: ${atVenue.failure})`
          }
        } else if (aPos !== null && bPos !== null) {
          const net = aPos + bPos
          exposure = {
            net,
            aPosition: aPos,
            bPosition: bPos,
            // B is not running: the oldest fill it has not finished says how long at least.
            unhedgedForMs: Math.abs(net) < market.minBaseAmount ? 0 : oldestAge ?? null,
            source: `A's ${heartbeatA !== undefined ? "heartbeat" : "last report"}, B's last report${procB.lastSeenMsAgo === null ? "" : ` ${secs(procB.lastSeenMsAgo)} ago`} ` +
              `(the venue could not be asked: ${atVenue.failure}; a hedge in flight when B stopped is not in them)`
          }
        }

        // A's published quote: B holds hedges back for it; stale when A is not running.
        // "side price clientIndex [base]" in integers (PairState.publishQuote): shown in market units.
        const parsedQuote = quoteRaw === null ? null : /^(buy|sell) (\d+) (\d+)(?: (\d+))?$/.exec(quoteRaw)
        const quote = quoteRaw === null ? null : {
          raw: quoteRaw,
          text: parsedQuote === null || parsedQuote === undefined
            ? `unreadable: ${JSON.stringify(quoteRaw.slice(0, 60))}`
            : `${parsedQuote[1]}${parsedQuote[4] === undefined ? "" : ` ${formatBase(market, Number(parsedQuote[4]))} ${market.symbol}`} @ ${formatPrice(market, Number(parsedQuote[2]))} (client index ${parsedQuote[3]})`,
          stale: !aAlive,
          why: aAlive ? null : `A is not running${procA.lastSeenMsAgo === null ? "" : ` (last seen ${secs(procA.lastSeenMsAgo)} ago)`}: the quote it names may no longer rest`
        }

        const staleKeys: Array<{ readonly key: string; readonly ageMs: number | null; readonly why: string }> = []
        const keys = inspectKeys(prefix)
        if (heartbeatA?.stale === true) staleKeys.push({ key: keys.hb("a"), ageMs: heartbeatA.ageMs, why: "A's heartbeat is not being renewed" })
        if (heartbeatB?.stale === true) staleKeys.push({ key: keys.hb("b"), ageMs: heartbeatB.ageMs, why: "B's heartbeat is not being renewed" })
        if (procA.state === "stale") staleKeys.push({ key: `${prefix}:lease:a`, ageMs: procA.lastSeenMsAgo, why: "A's lease is not being renewed (stalled or just killed; it expires within 5 s)" })
        if (procB.state === "stale") staleKeys.push({ key: `${prefix}:lease:b`, ageMs: procB.lastSeenMsAgo, why: "B's lease is not being renewed (stalled or just killed; it expires within 5 s)" })
        if (quote?.stale === true) staleKeys.push({ key: keys.quote, ageMs: procA.lastSeenMsAgo, why: quote.why ?? "A is not running" })

        const identityNow = {
          market: config.market.symbol,
          accountA: config.accounts.a.accountIndex,
          accountB: config.accounts.b.accountIndex
        }
        const identityMatches = Option.isNone(identity) ||
          (identity.value.market.toUpperCase() === identityNow.market.toUpperCase() && identity.value.accountA === identityNow.accountA &&
            identity.value.accountB === identityNow.accountB)

        const heartbeatJson = (h: typeof heartbeatA) => (h === undefined ? null : { lastSeenMsAgo: h.ageMs, stale: h.stale, ...h.status })
        // Completed open/close cycles as A counts them since its start (the previous system's 循环次数).
        const cyclesOfA = beatOfA?.cycles ?? null
        const report = {
          tradingState: trading.state,
          cycles: cyclesOfA,
          tradingStateReason: trading.reason ?? null,
          tradingStateSinceMs: trading.sinceMs ?? null,
          a: heartbeatJson(heartbeatA),
          b: heartbeatJson(heartbeatB),
          processes: {
            a: { ...procA, status: undefined },
            b: { ...procB, status: undefined, streamConnectedNow: bStream }
          },
          pendingFills: backlog.total,
          pending: {
            undelivered: backlog.undelivered,
            undeliveredAtLeast: backlog.undeliveredAtLeast,
            delivered: backlog.delivered,
            total: backlog.total,
            oldestMsAgo: oldestAge ?? null,
            groupExists: backlog.groupExists,
            consumers: backlog.consumers
          },
          exposure,
          quote,
          staleKeys,
          openHedges: open.length,
          residualPoolBase: pool,
          hedgeResults: results.length,
          hedgeFailures: failed,
          deadLetters: dead.total,
          pair: Option.isSome(identity) ? identity.value : null,
          pairMatchesConfig: identityMatches,
          redisTimeMs: now,
          // epoch, last flatten, audit log (pair-control-status.ts)
          ...control.json
        }
        if (args.json === true) {
          return yield* Effect.sync(() => process.stdout.write(JSON.stringify(report, null, 2) + "\n"))
        }

        const base = (n: number) => `${formatBase(market, n)} ${market.symbol}`
        // A heartbeat's figures in market units (the raw integers are in --json).
        const beatSummary = (st: Readonly<Record<string, unknown>>) => {
          const parts: Array<string> = []
          if (typeof st["position"] === "number") parts.push(`position ${base(st["position"])}`)
          if (typeof st["fills"] === "number") parts.push(`${st["fills"]} fill(s) published`)
          if (typeof st["quote"] === "string") parts.push(`quote ${st["quote"]}`)
          if (typeof st["freeCollateralMicro"] === "number") parts.push(`free collateral ${formatScaled(st["freeCollateralMicro"], QUOTE_DECIMALS)} USDC`)
          if (typeof st["consumer"] === "string") parts.push(`consumer ${st["consumer"]}`)
          if (st["awaitingOperator"] === true) parts.push("waiting for an operator (Redis lost the pair's state)")
          return parts.length === 0 ? "" : ` (${parts.join(", ")})`
        }
        const procLine = (name: string, p: ProcessView, h: typeof heartbeatA) => {
          const who = p.host === null ? "" : ` (host ${p.host}, pid ${p.pid}${p.sinceMs === null ? "" : `, since ${new Date(p.sinceMs).toISOString()}`})`
          const hbText = h === undefined ? "no heartbeat" : `heartbeat ${secs(h.ageMs)} ago${h.stale ? " STALE" : ""}${beatSummary(h.status)}`
          switch (p.state) {
            case "running":
              return `${name}running${who}; stream ${
                p.streamRefused !== null
                  ? `REFUSED by the venue for ${secs(p.streamRefused.forMs)} (${p.streamRefused.refusals}×): ${p.streamRefused.channel}` +
                    `${p.streamRefused.code === null ? "" : ` code ${p.streamRefused.code}`} — ${p.streamRefused.message}`
                  : p.streamConnected === null ? "unknown" : p.streamConnected ? "connected" : "DISCONNECTED"
              }; ${hbText}`
            case "stale":
              return `${name}STALE — lease held but not renewed for ${secs(p.lastSeenMsAgo ?? 0)}${who}: stalled, or killed (its lease expires within 5 s); ${hbText}`
            case "down":
              return `${name}DOWN — ${p.stoppedCleanly ? "stopped" : "last seen"} ${secs(p.lastSeenMsAgo ?? 0)} ago${who}${p.stoppedCleanly ? "" : " (no clean stop recorded: crashed or killed?)"}; ${hbText}`
            case "never-seen":
              return `${name}${h === undefined ? "never seen on this prefix" : `no lease recorded; ${hbText}`}`
          }
        }
        const lines = [
          `pair             ${config.pair.name} · prefix ${prefix}` +
          (Option.isSome(identity) ? ` · ${describeIdentity(identity.value)}` : "") +
          (identityMatches ? "" : ` — DOES NOT MATCH this config (market ${identityNow.market}, A ${identityNow.accountA} / B ${identityNow.accountB})`),
          `trading state    ${trading.state}${trading.reason === undefined ? "" : ` — ${trading.reason}`}${trading.sinceMs === undefined ? "" : ` (since ${new Date(trading.sinceMs).toISOString()}, ${secs(now - trading.sinceMs)} ago)`}`,
          procLine("A (maker)        ", procA, heartbeatA),
          procLine("B (hedger)       ", procB, heartbeatB),
          `B's stream       ${bStream === null ? `unknown: B is not running${procB.streamConnected === null ? "" : ` (last reported ${procB.streamConnected ? "connected" : "disconnected"})`}` : bStream ? "connected" : "DISCONNECTED"}`,
          `pending fills    ${backlog.total} = ${backlog.undelivered}${backlog.undeliveredAtLeast ? "+" : ""} not yet delivered (group lag) + ${backlog.delivered} delivered, not acknowledged` +
          (oldestAge === undefined ? "" : `; oldest ${secs(oldestAge)} ago`) + (backlog.groupExists ? "" : " (no consumer group yet: B never started)"),
          `unhedged         ${exposure === null
            ? "unknown (no live position of A and B)"
            : `net ${base(exposure.net)} (A ${base(exposure.aPosition)}, B ${base(exposure.bPosition)})` +
              (Math.abs(exposure.net) < market.minBaseAmount ? " — hedged" : exposure.unhedgedForMs === null ? " for an unknown time" : ` for ${secs(exposure.unhedgedForMs)}`) +
              ` · ${exposure.source}`}`,
          `cycles           ${cyclesOfA === null ? "unknown (no heartbeat of A)" : `${cyclesOfA} completed since A started (循环次数)`}`,
          `A's quote        ${quote === null ? "none published" : `${quote.text} (${keys.quote})${quote.stale ? ` — STALE: ${quote.why}` : ""}`}`,
          `open hedges      ${open.length}   residual pool ${base(pool)}   (bin/hedge inspect lists them)`,
          `hedge results    ${results.length}   failures ${failed}   dead letters ${dead.total}`,
          ...(staleKeys.length === 0 ? [] : [`stale keys       ${staleKeys.map((k) => `${k.key}${k.ageMs === null ? "" : ` (${secs(k.ageMs)})`}`).join(", ")}`]),
          ...control.lines
        ]
        yield* Effect.sync(() => process.stdout.write(lines.join("\n") + "\n"))
      }))
  })
