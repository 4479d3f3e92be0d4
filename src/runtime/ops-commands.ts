// bin/hedge status | halt | resume: read and steer a running pair through Redis.
import { Effect, Schema } from "effect"
import { LIGHTER_BTC, LIGHTER_ETH, formatBase, type MarketSpec } from "../domain/market.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState, type TradingState } from "../bus/PairState.ts"
import { loadConfig } from "../ops/config.ts"
import { busLayers } from "./bus-layers.ts"
import { parseFlags } from "./flags.ts"
import { venueLayers } from "./venue-layers.ts"
import { Venue } from "../venue/Venue.ts"
import { priceCap } from "../domain/hedge-plan.ts"
import { quoteClientIndex } from "../domain/client-index.ts"

const Args = Schema.Struct({
  config: Schema.optionalKey(Schema.NonEmptyString),
  reason: Schema.optionalKey(Schema.NonEmptyString),
  json: Schema.optionalKey(Schema.Boolean)
})
const specs = [
  { flag: "--config", key: "config", kind: "string" },
  { flag: "--reason", key: "reason", kind: "string" },
  { flag: "--json", key: "json", kind: "boolean" }
] as const

const withPair = <A, E>(
  command: string,
  argv: ReadonlyArray<string>,
  body: (args: typeof Args.Type, market: MarketSpec) => Effect.Effect<A, E, FillBus | PairState>
) =>
  Effect.gen(function*() {
    const args = yield* parseFlags(`hedge ${command}`, argv, specs, Args)
    const config = yield* loadConfig({ path: args.config ?? "config.yaml", env: process.env })
    // Only the decimals of the mirror messages depend on the market; status needs none of them.
    const market = config.market.symbol === "ETH" ? LIGHTER_ETH : LIGHTER_BTC
    return yield* body(args, market).pipe(
      Effect.provide(
        busLayers({ redisUrl: config.redis.url, prefix: config.redis.keyPrefix, market, username: config.redis.username, password: config.redis.password })
      ),
      Effect.annotateLogs({ pair: config.pair.name })
    )
  })

const age = (atMs: number) => `${((Date.now() - atMs) / 1000).toFixed(1)} s ago`

export const status = (argv: ReadonlyArray<string>) =>
  withPair("status", argv, (args, market) =>
    Effect.gen(function*() {
      const state = yield* PairState
      const bus = yield* FillBus
      const status = yield* state.tradingStatus()
      const trading = status.state
      const hbA = yield* state.lastHeartbeat("a")
      const hbB = yield* state.lastHeartbeat("b")
      const pending = yield* bus.pendingCount()
      const pool = yield* state.residualPool()
      const open = yield* state.openIntents()
      const results = yield* bus.hedgeResults()
      const failed = results.filter((r) => r.status === "failed" || r.status === "partial").length
      const report = {
        tradingState: trading,
        tradingStateReason: status.reason ?? null,
        tradingStateSinceMs: status.sinceMs ?? null,
        a: hbA._tag === "Some" ? { lastSeenMsAgo: Date.now() - hbA.value.atMs, ...hbA.value.status } : null,
        b: hbB._tag === "Some" ? { lastSeenMsAgo: Date.now() - hbB.value.atMs, ...hbB.value.status } : null,
        pendingFills: pending,
        openHedges: open.length,
        residualPoolBase: pool,
        hedgeResults: results.length,
        hedgeFailures: failed
      }
      if (args.json === true) {
        yield* Effect.sync(() => process.stdout.write(JSON.stringify(report, null, 2) + "\n"))
        return
      }
      const lines = [
        `trading state    ${trading}${status.reason === undefined ? "" : ` — ${status.reason}`}${status.sinceMs === undefined ? "" : ` (since ${new Date(status.sinceMs).toISOString()}, ${age(status.sinceMs)})`}`,
        `A (maker)        ${hbA._tag === "Some" ? `alive, ${age(hbA.value.atMs)} ${JSON.stringify(hbA.value.status)}` : "no heartbeat"}`,
        `B (hedger)       ${hbB._tag === "Some" ? `alive, ${age(hbB.value.atMs)} ${JSON.stringify(hbB.value.status)}` : "no heartbeat"}`,
        `pending fills    ${pending}   open hedges ${open.length}   residual pool ${formatBase(market, pool)} ${market.symbol} (${pool} base units)`,
        `hedge results    ${results.length}   failures ${failed}`
      ]
      yield* Effect.sync(() => process.stdout.write(lines.join("\n") + "\n"))
    }))

export const setState = (target: TradingState, argv: ReadonlyArray<string>) =>
  withPair(target === "HALTED" ? "halt" : "resume", argv, (args) =>
    Effect.gen(function*() {
      const state = yield* PairState
      const reason = args.reason ?? (target === "HALTED" ? "halted by operator" : "resumed by operator")
      yield* state.setTradingState(target, reason)
      yield* Effect.sync(() =>
        process.stdout.write(
          target === "HALTED"
            ? `pair HALTED (${reason}): A cancels its quote and stops quoting; B keeps hedging what is pending.\n`
            : `pair ACTIVE: A resumes quoting.\n`
        )
      )
    }))

const FlattenArgs = Schema.Struct({ config: Schema.optionalKey(Schema.NonEmptyString), yes: Schema.optionalKey(Schema.Boolean) })

const confirm = (question: string) =>
  Effect.promise(async () => {
    if (process.stdin.isTTY !== true) return false
    const rl = (await import("node:readline/promises")).createInterface({ input: process.stdin, output: process.stdout })
    const answer = await rl.question(question)
    rl.close()
    return answer.trim().toLowerCase() === "yes"
  })

/** Brings one account to flat: cancel its orders, then reduce-only IOCs until the position is 0. */
const flattenAccount = (name: string, marketSymbol: string) =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const market = yield* venue.market(marketSymbol)
    yield* venue.cancelAll()
    for (let attempt = 1; attempt <= 5; attempt++) {
      const pos = (yield* venue.position(market.marketId)).signedBase
      if (pos === 0) {
        yield* Effect.sync(() => process.stdout.write(`${name}: flat\n`))
        return true
      }
      const side = pos > 0 ? "sell" as const : "buy" as const
      const book = yield* venue.orderBook(market.marketId, 1)
      const ref = side === "sell" ? book.bids[0]?.price : book.asks[0]?.price
      if (ref === undefined) return yield* Effect.fail(new Error(`${name}: the book has no ${side === "sell" ? "bids" : "asks"} to close into`))
      const base = Math.abs(pos)
      yield* Effect.sync(() => process.stdout.write(`${name}: position ${formatBase(market, pos)} → reduce-only ${side} ${formatBase(market, base)} (attempt ${attempt})\n`))
      yield* venue.placeMarket({
        marketId: market.marketId,
        side,
        base,
        priceCap: priceCap(side, ref, 100),
        clientOrderIndex: quoteClientIndex(Date.now() % 2 ** 40 + attempt),
        reduceOnly: true
      })
      yield* Effect.sleep("500 millis")
    }
    return (yield* venue.position(market.marketId)).signedBase === 0
  })

export const flatten = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parseFlags("hedge flatten", argv, [
      { flag: "--config", key: "config", kind: "string" },
      { flag: "--yes", key: "yes", kind: "boolean" }
    ], FlattenArgs)
    const config = yield* loadConfig({ path: args.config ?? "config.yaml", env: process.env })
    if (args.yes !== true) {
      const ok = yield* confirm(
        `This halts the pair and closes every position of accounts ${config.accounts.a.accountIndex} (A) and ${config.accounts.b.accountIndex} (B) on ${config.venue.baseUrl} with reduce-only market orders.\nType "yes" to go on / 输入 yes 确认: `
      )
      if (!ok) return yield* Effect.fail(new Error("not confirmed (pass --yes to skip the question); nothing was done"))
    }
    const market = config.market.symbol === "ETH" ? LIGHTER_ETH : LIGHTER_BTC
    yield* Effect.gen(function*() {
      yield* (yield* PairState).setTradingState("HALTED", "flatten by operator")
    }).pipe(Effect.provide(busLayers({ redisUrl: config.redis.url, prefix: config.redis.keyPrefix, market, username: config.redis.username, password: config.redis.password })))
    yield* Effect.sync(() => process.stdout.write("pair HALTED: A stops quoting.\n"))
    const flatA = yield* flattenAccount("A", config.market.symbol).pipe(Effect.provide(venueLayers("a", config)))
    const flatB = yield* flattenAccount("B", config.market.symbol).pipe(Effect.provide(venueLayers("b", config)))
    if (!flatA || !flatB) return yield* Effect.fail(new Error("could not flatten both accounts; see above"))
    yield* Effect.sync(() => process.stdout.write("both accounts flat. The pair stays HALTED until `bin/hedge resume`.\n"))
  })
