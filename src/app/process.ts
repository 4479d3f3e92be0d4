// Shared start-up of bin/main-a and bin/main-b: flags → config → logging → venue → market →
// bus → program. Every failure before the program runs ends in one clear line and exit code 1;
// SIGINT/SIGTERM end the program with exit code 0 once its shutdown finished, else 1 (exit.ts).
import { Cause, Effect, Layer, Option } from "effect"
import { tagFromPrefix } from "../domain/client-index.ts"
import type { AccountEvent } from "../domain/events.ts"
import { bookReferencePrice, hedgeOrderFor } from "../domain/hedge-plan.ts"
import { DecimalFormatError, formatBase, formatPrice, type MarketSpec, parseScaled } from "../domain/market.ts"
import { MemoryFillBus } from "../bus/memory/MemoryFillBus.ts"
import { MemoryPairState } from "../bus/memory/MemoryPairState.ts"
import { runHedger } from "../hedger/hedger.ts"
import { HEARTBEAT_EVERY_MS } from "../domain/heartbeat.ts"
import { runMaker } from "../maker/maker.ts"
import { parseMainAArgs, parseMainBArgs } from "../config/flags.ts"
import { type HedgeflowConfig, loadConfig, metricsPortOf, setOutsideFile } from "../config/load.ts"
import { jsonLogFileFor, makeLoggerLayer } from "../ops/logging.ts"
import { Metrics } from "../ops/metrics.ts"
import { Alerts } from "../ops/alerts.ts"
import { Venue } from "../venue/Venue.ts"
import { busLayersOn, redisConnectionLayer, redisOptionsOf } from "./bus-layers.ts"
import type { RedisConnection } from "../bus/redis/connection.ts"
import type { BusError } from "../bus/errors.ts"
import { makeLegacyPositions } from "../bus/redis/LegacyMirror.ts"
import { ensureAccountExists } from "./account-check.ts"
import { ensureOwnKey } from "./own-key.ts"
import { runAsOnlyWriter } from "./one-writer.ts"
import { makerEpochHooks, superviseEpoch } from "./epoch-guard.ts"
import { EpochMirror } from "./epoch-mirror.ts"
import { makePresence } from "./presence.ts"
import { makeStreamRefusalGuard } from "./stream-refusal.ts"
import { checkForeignOrders, startupReport } from "./startup-report.ts"
import { venueLayers } from "./venue-layers.ts"
import type { Role } from "../domain/role.ts"
import { EXIT_CODE_FILE_ENV, runMainProgram, withProgramName, writeStderr } from "./exit.ts"
import { makeShutdownCollector } from "../ops/shutdown-report.ts"



/** An error that has already been explained to the user in `message`. */
export class StartupError extends Error {
  readonly _tag = "StartupError"
}

const describe = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

/** Converts the configured quantity with the market's decimals, checking the venue minimum. */
export const quantityUnits = (market: MarketSpec, quantity: string): number => {
  let units: number
  try {
    units = parseScaled(quantity, market.sizeDecimals)
  } catch (e) {
    const why = e instanceof DecimalFormatError ? e.reason : String(e)
    throw new StartupError(`market.quantity "${quantity}": ${why} (${market.symbol} has ${market.sizeDecimals} size decimals)`)
  }
  if (units < market.minBaseAmount) {
    throw new StartupError(
      `market.quantity "${quantity}" is below ${market.symbol}'s minimum order size ${formatBase(market, market.minBaseAmount)}`
    )
  }
  return units
}

const resolveMarket = (config: HedgeflowConfig) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    return yield* venue.market(config.market.symbol).pipe(
      Effect.mapError((e) =>
        e.kind === "unavailable" || e.kind === "unknown-outcome"
          ? new StartupError(`cannot reach the venue (${config.settings.venue.kind}) at ${config.venue.baseUrl}: ${e.message}`)
          : new StartupError(`market "${config.market.symbol}": ${e.message}`)
      )
    )
  })

/** How the program runs: for real, or as a dry run (reads the venue, sends nothing, no Redis). */
export interface RunMode {
  readonly dryRun: boolean
}

const program = (role: Role, config: HedgeflowConfig, mode: RunMode = { dryRun: false }, redis?: Layer.Layer<RedisConnection, BusError>) =>
  Effect.gen(function*() {
    const market = yield* resolveMarket(config)
    const quantity = yield* Effect.try({ try: () => quantityUnits(market, config.settings.market.quantity), catch: (e) => e as StartupError })
    const sizeOrDefault = (key: string, text: string | undefined) =>
      text === undefined
        ? Effect.succeed(5 * quantity)
        : Effect.try({
          try: () => parseScaled(text, market.sizeDecimals),
          catch: () => new StartupError(`${key} "${text}": more decimals than ${market.symbol} allows (${market.sizeDecimals})`)
        })
    const riskLimits = {
      maxPosition: yield* sizeOrDefault("risk.max_position", config.settings.risk.max_position),
      maxUnhedged: yield* sizeOrDefault("risk.max_unhedged", config.settings.risk.max_unhedged),
      maxUnhedgedAgeMs: config.settings.risk.max_unhedged_age_ms,
      maxConsecutiveFailures: config.settings.risk.max_consecutive_failures,
      maxHedgeSlippageBps: config.risk.maxHedgeSlippageBps,
      minFreeCollateralMicro: config.risk.minFreeCollateralMicro,
      forceCloseAfterMs: config.risk.forceCloseAfterMs
    }
    // Each process reads its own account's free collateral, and only when the limit is on (rate limits).
    const freeCollateralEveryMs = config.risk.minFreeCollateralMicro > 0 ? config.settings.risk.free_collateral_poll_ms : 0
    const prefix = config.redis.keyPrefix
    // The pair's epoch as this process knows it, beside its logs (epoch-guard.ts): a lost fill
    // sequence counter continues above what it recorded. A dry run keeps no epoch.
    const mirror = mode.dryRun ? undefined : EpochMirror.open(config.settings.logging.dir, prefix, role)
    // A dry run never touches Redis: it cannot take a running pair's lease, fills or state.
    // The bus over the program's one Redis connection (shared with the venue's tx budget).
    const redisBus = (m: EpochMirror) =>
      busLayersOn({ prefix, market, seqFloor: () => m.fillSeqSeen(), epochId: () => m.epochId(), legacy: config.legacy }).pipe(
        Layer.provideMerge(redis ?? redisConnectionLayer(redisOptionsOf(config)))
      )
    yield* Effect.logInfo(
      `${role === "a" ? "maker (A)" : "hedger (B)"} on ${market.symbol} (market ${market.marketId}), venue ${config.settings.venue.kind} ${config.venue.baseUrl}, ` +
        (mode.dryRun ? "DRY RUN: transactions are logged, never sent; no Redis" : `Redis prefix ${prefix}`)
    )
    // Account, tier, balances, position and open orders in market units, once (never fatal).
    yield* startupReport(role, config, market)
    if (mode.dryRun && role === "b") yield* logDryRunHedges(market, quantity, config.settings.hedge.slippage_bps)
    const metrics = yield* Metrics
    // Live stream state, position (and on B the exposure) for `bin/hedge status`, written with the lease.
    const venue = yield* Venue
    const refusals = makeStreamRefusalGuard({ role, haltAfterMs: config.risk.streamRefusedHaltAfterMs })
    const presence = makePresence({
      role,
      market,
      metricsPort: metricsPortOf(config, role)?.port,
      readPosition: venue.position(market.marketId).pipe(Effect.map((p) => p.signedBase)),
      streamRefused: refusals.status
    })
    // This account's field of the previous system's positions hash (legacy.previous_channels).
    const legacyPositions = makeLegacyPositions({
      role,
      accountIndex: config.accounts[role].accountIndex,
      marketId: market.marketId,
      readPosition: venue.position(market.marketId).pipe(Effect.map((p) => p.signedBase)),
      readAvailableBalance: venue.freeCollateral()
    })
    const alerts = yield* Alerts
    const observeAccount = (e: AccountEvent) =>
      presence.observe(e).pipe(
        Effect.andThen(legacyPositions.observe(e)),
        Effect.andThen(refusals.observe(e).pipe(Effect.provideService(Alerts, alerts))),
        Effect.andThen(e._tag === "StreamConnected" && e.reconnect ? metrics.wsReconnect(role) : Effect.void)
      )
    const run = role === "a"
      ? runMaker({
        pair: config.pair.name,
        market,
        cycle: {
          quantity,
          depth: config.settings.market.depth,
          maxQuoteAgeMs: config.maker.maxQuoteAgeMs,
          requoteDriftTicks: config.settings.maker.requote_drift_ticks,
          closeAtBestAfterMs: config.maker.closeAtBestAfterMs,
          minRequoteIntervalMs: config.settings.maker.min_requote_interval_ms
        },
        pollIntervalMs: config.maker.pollIntervalMs,
        depthUnit: config.settings.maker.depth_unit,
        bookOrdersRefreshMs: config.settings.maker.book_orders_refresh_ms,
        quoteTxPerMinute: config.settings.maker.quote_tx_per_minute,
        sharedTxBudget: config.budget,
        cancelOnExit: config.settings.maker.cancel_on_exit,
        cancelOrphansOnStart: config.settings.maker.cancel_orphans_on_start,
        // A dry run has no B to wait for.
        requireHedgerHeartbeatMs: mode.dryRun ? 0 : config.settings.maker.hedger_heartbeat_timeout_ms,
        heartbeatMs: HEARTBEAT_EVERY_MS,
        orderRetries: config.settings.strategy.retry_times,
        haltAfterSignatureRefusals: config.settings.risk.max_consecutive_failures,
        freeCollateralEveryMs,
        clockSkew: { maxSkewMs: config.settings.risk.max_clock_skew_ms },
        onFill: () => metrics.fillPublished(),
        ...(mirror === undefined ? {} : { epoch: makerEpochHooks(mirror) }),
        onAccountEvent: observeAccount
      })
      : runHedger({
        pair: config.pair.name,
        aAccountIndex: config.accounts.a.accountIndex,
        maxFillBase: config.settings.hedge.max_fill_multiple * quantity,
        market,
        consumer: config.hedge.instance,
        clientIndexTag: config.settings.hedge.client_index_tag === "auto" ? tagFromPrefix(prefix) : config.settings.hedge.client_index_tag,
        slippageBps: config.settings.hedge.slippage_bps,
        maxAttempts: config.settings.hedge.max_attempts,
        outcomeTimeoutMs: config.settings.hedge.result_timeout_ms,
        sendRetries: config.settings.strategy.retry_times,
        sendRetryBaseMs: config.settings.hedge.send_retry_base_ms,
        batch: config.settings.hedge.batch_size,
        blockMs: config.settings.hedge.read_block_ms,
        claimIdleMs: config.settings.hedge.claim_idle_ms,
        claimEveryMs: Math.max(1000, Math.floor(config.settings.hedge.claim_idle_ms / 2)),
        heartbeatMs: HEARTBEAT_EVERY_MS,
        clockSkew: { maxSkewMs: config.settings.risk.max_clock_skew_ms },
        onResult: (r) =>
          Effect.gen(function*() {
            const sent = r.attempts.filter((a) => a.error === undefined || a.filledBase !== undefined).length
            if (sent > 0) yield* metrics.hedgeSent(sent)
            if (r.status === "failed" || r.status === "partial") yield* metrics.hedgeFailed(r.status)
            if (r.status !== "deferred") yield* metrics.hedgeLatency(r.doneAtMs - r.fillDetectedAtMs)
          }),
        onPoison: () => metrics.busPoison(),
        onDuplicate: () => metrics.fillDuplicate(),
        risk: {
          limits: riskLimits,
          intervalMs: config.settings.risk.check_interval_ms,
          minBase: market.minBaseAmount,
          reconcileGraceMs: config.settings.risk.reconcile_grace_ms,
          maxCorrection: config.settings.risk.max_correction_multiple * quantity,
          freeCollateralEveryMs: config.settings.risk.free_collateral_poll_ms,
          forceCloseAction: config.settings.risk.force_close_action
        },
        onAccountEvent: observeAccount
      })
    // The loop's own scope closes first (A cancels its quote and publishes what it filled; B's
    // fibers stop), then the lease is released, and only then the bus: its finalizers still have
    // Redis. Before the loop: Redis database, pair identity, the role's lease, metrics (one-writer.ts).
    // A refused account stream halts the pair once it lasts (stream-refusal.ts); it runs beside the loop.
    const guarded = Effect.gen(function*() {
      // A never quotes beside orders it did not place (with the pair's quote counter from the bus).
      if (role === "a") {
        yield* checkForeignOrders(config, market).pipe(
          Effect.catchIf((e) => mode.dryRun && e._tag === "ForeignOrdersError", (e) => Effect.logWarning(`DRY RUN: a live A would refuse to start: ${e.message}`))
        )
      }
      yield* Effect.forkScoped(refusals.supervise)
      yield* Effect.forkScoped(legacyPositions.run)
      return yield* run
    }).pipe(Effect.scoped)
    if (mirror === undefined) return yield* guarded.pipe(Effect.provide(Layer.mergeAll(MemoryFillBus.layer(), MemoryPairState.layer())))
    return yield* runAsOnlyWriter({ role, config, market, presence, run: superviseEpoch({ role, mirror, market }, guarded) }).pipe(Effect.provide(redisBus(mirror)))
  }).pipe(
    Effect.provide(Metrics.layer({ labels: { pair: config.pair.name, process: role } })),
    Effect.provide(
      Alerts.layer({
        pair: config.pair.name,
        process: role === "a" ? "main-a" : "main-b",
        webhookUrl: config.alerts.webhookUrl,
        telegram: config.alerts.telegramBotToken !== undefined && config.settings.alerts.telegram_chat_id !== undefined
          ? { apiUrl: config.settings.alerts.telegram_api_url, botToken: config.alerts.telegramBotToken, chatId: config.settings.alerts.telegram_chat_id }
          : undefined
      })
    )
  )

/**
 * B's dry run has no fills to hedge (A sends nothing): it shows the hedges it would send for a
 * fill of the quote size in each direction, priced from the venue's book now.
 */
const logDryRunHedges = (market: MarketSpec, quantity: number, slippageBps: number) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const book = yield* venue.orderBook(market.marketId, 1).pipe(Effect.option)
    const ref = Option.isSome(book) ? bookReferencePrice(book.value) : undefined
    if (ref === undefined) return yield* Effect.logWarning(`DRY RUN: no order book for ${market.symbol} yet: no sample hedge to show`)
    for (const [aSide, target] of [["buys", -quantity], ["sells", quantity]] as const) {
      const o = hedgeOrderFor(target, ref, slippageBps)
      yield* Effect.logInfo(
        `DRY RUN: when A ${aSide} ${formatBase(market, quantity)} ${market.symbol}, B would send: market (IOC) ${o.side} ${formatBase(market, o.base)} ${market.symbol} ` +
          `with price cap ${formatPrice(market, o.priceCap)} (reference ${formatPrice(market, ref)}, slippage ${slippageBps} bps)`
      )
    }
  })

/** Runs process A or B as the process entry point. */
export const main = (role: Role, argv: ReadonlyArray<string>) => {
  const name = role === "a" ? "main-a" : "main-b"
  const startup = Effect.gen(function*() {
    const parsed = yield* (role === "a" ? parseMainAArgs(argv) : parseMainBArgs(argv))
    if (parsed._tag === "Help") {
      yield* Effect.sync(() => process.stdout.write(parsed.text + "\n"))
      return Option.none<{ readonly config: HedgeflowConfig; readonly mode: RunMode }>()
    }
    const loaded = yield* loadConfig({ path: parsed.config, env: process.env, overrides: parsed.overrides })
    return Option.some({ config: loaded, mode: { dryRun: parsed.dryRun } satisfies RunMode })
  })
  const whole = Effect.gen(function*() {
    const started = yield* startup
    if (Option.isNone(started)) return
    const c = started.value.config
    const mode = started.value.mode
    for (const w of c.warnings) yield* Effect.logWarning(w)
    const outside = setOutsideFile(c)
    if (outside.length > 0) yield* Effect.logInfo(`set outside ${c.source}: ${outside.join(", ")}`)
    const logger = makeLoggerLayer({
      file: jsonLogFileFor(c.settings.logging.dir, role === "a" ? "main_A" : "main_B"),
      level: c.logging.level,
      console: c.settings.logging.console
    })
    const unreachable = (e: { readonly message: string }) =>
      new StartupError(
        `cannot reach the venue (${c.settings.venue.kind}) at ${c.venue.baseUrl}: ${e.message}` +
          (c.settings.venue.kind === "simulator" ? " — is the simulator running? start it with `bin/hedge sim`, or run everything with `bin/hedge demo`" : "")
      )
    // The venue (simulator or Lighter) must have this process's key registered before anything is
    // signed (venue.kind memory is refused by venueLayers before that matters).
    // The account must exist there first: a key check of a missing account only confuses.
    const keyCheck = c.settings.venue.kind === "simulator" || c.settings.venue.kind === "lighter"
      ? ensureAccountExists(role, c).pipe(Effect.andThen(ensureOwnKey(role, c)))
      : Effect.void
    yield* keyCheck.pipe(
      // One Redis connection for the program, built once (after the key check) and shared by the
      // venue's tx budget and the bus; a dry run has none.
      Effect.andThen(Effect.scoped(Effect.gen(function*() {
        const redis = mode.dryRun ? undefined : Layer.succeedContext(yield* Layer.build(redisConnectionLayer(redisOptionsOf(c))))
        return yield* program(role, c, mode, redis).pipe(Effect.scoped, Effect.provide(venueLayers(role, c, { dryRun: mode.dryRun, ...(redis === undefined ? {} : { redis }) })))
      }))),
      Effect.mapError((e) => (e._tag === "VenueError" && (e.kind === "unavailable" || e.kind === "unknown-outcome") ? unreachable(e) : e)),
      Effect.provide(logger)
    )
  })
  // Exit codes (exit.ts): 0 after a clean stop by SIGINT/SIGTERM; 1 with one line on stderr for
  // a failure, or for a shutdown that could not finish (A's quote, its fills, B's hedge in flight).
  const runnable = whole.pipe(
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const failure = Cause.findErrorOption(cause)
      const defect = Cause.findDefect(cause)
      const text = Option.isSome(failure)
        ? describe(failure.value)
        : defect._tag === "Success" && defect.success instanceof StartupError
        ? defect.success.message
        : Cause.pretty(cause)
      return Effect.sync(() => {
        writeStderr(`${withProgramName(name, text)}\n`)
        process.exitCode = 1
      })
    })
  )
  // A closing terminal (SIGHUP) stops it as SIGTERM does: A cancels its quote (not under nohup).
  runMainProgram(name, runnable, { collector: makeShutdownCollector(), exitCodeFile: process.env[EXIT_CODE_FILE_ENV], hangup: true })
}
