// bin/hedge halt | resume | flatten (and status, from status-command.ts): read and steer a running pair through Redis.
import { Effect, Option } from "effect"
import { formatBase, type MarketSpec } from "../domain/market.ts"
import { marketForMessages, marketFromVenue } from "../app/venue-market.ts"
import { FillBus } from "../bus/FillBus.ts"
import { PairState, type PairStateShape, type TradingState } from "../bus/PairState.ts"
import { loadConfig } from "../config/load.ts"
import { SecondsBetween } from "../config/fields.ts"
import { busLayers, redisOptionsOf } from "../app/bus-layers.ts"
import { type ArgsOf, defineCommand, numberFlag, switchFlag, textFlag } from "../config/argv.ts"
import { CONFIG_FLAG, MARKET_FLAG, parsePairArgv } from "./market-flag.ts"
import { venueLayers } from "../app/venue-layers.ts"
import { tagFromPrefix } from "../domain/client-index.ts"
import { runFlatten } from "./flatten.ts"

const pairStateFlags = {
  config: CONFIG_FLAG,
  market: MARKET_FLAG,
  reason: textFlag("--reason", "TEXT", "why (in the audit log, and shown by bin/hedge status)"),
  json: switchFlag("--json", "no effect (the output is text)")
}

const PAIR_STATE_COMMANDS = {
  halt: defineCommand({ name: "hedge halt", about: "Stop quoting: A cancels and stays out until resume.", flags: pairStateFlags }),
  resume: defineCommand({
    name: "hedge resume",
    about: "Allow quoting again; after Redis lost the pair's state, show A's and B's positions and adopt the new epoch first.",
    flags: pairStateFlags
  })
}

const withPair = <A, E>(
  name: "halt" | "resume",
  argv: ReadonlyArray<string>,
  body: (args: ArgsOf<typeof pairStateFlags>, market: MarketSpec) => Effect.Effect<A, E, FillBus | PairState>
) =>
  Effect.gen(function*() {
    const args = yield* parsePairArgv(PAIR_STATE_COMMANDS[name], argv)
    const config = yield* loadConfig({ path: args.config ?? "config.yaml", env: process.env })
    // The decimals of the mirror messages and of the printed positions: from the venue when it
    // answers (halt must work without it: then BTC's or ETH's, as status does).
    const market = yield* marketFromVenue(config).pipe(Effect.timeout("3 seconds"), Effect.orElseSucceed(() => marketForMessages(config)))
    return yield* body(args, market).pipe(
      Effect.provide(
        busLayers({ ...redisOptionsOf(config), prefix: config.redis.keyPrefix, market })
      ),
      Effect.annotateLogs({ pair: config.pair.name })
    )
  })

// `status` lives in status-command.ts (live process states, the group's lag, exposure, stale keys).
export { status } from "./status-command.ts"

export const setState = (target: TradingState, argv: ReadonlyArray<string>) =>
  withPair(target === "HALTED" ? "halt" : "resume", argv, (args, market) =>
    Effect.gen(function*() {
      const state = yield* PairState
      const reason = args.reason ?? (target === "HALTED" ? "halted by operator" : "resumed by operator")
      if (target === "ACTIVE") {
        yield* adoptWaitingEpoch(state, market)
        yield* clearForceClose(state)
      }
      yield* state.setTradingState(target, reason)
      yield* Effect.sync(() =>
        process.stdout.write(
          target === "HALTED"
            ? `pair HALTED (${reason}): A cancels its quote and stops quoting; B keeps hedging what is pending.\n`
            : `pair ACTIVE: A resumes quoting.\n`
        )
      )
    }))

/**
 * resume after Redis lost its state: shows what A and B reported (positions, net) and adopts the
 * epoch they wait for, so they start trading again (epoch-guard.ts).
 */
const adoptWaitingEpoch = (state: PairStateShape, market: MarketSpec) =>
  Effect.gen(function*() {
    const epoch = yield* state.epoch()
    if (Option.isNone(epoch) || epoch.value.adoptedAtMs !== undefined) return
    const print = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))
    const reports = yield* state.lossReports()
    yield* print(`Redis lost the pair's state: epoch ${epoch.value.id} (${epoch.value.note ?? "new"}) waits for an operator.`)
    const a = reports.a?.epochId === epoch.value.id ? reports.a : undefined
    const b = reports.b?.epochId === epoch.value.id ? reports.b : undefined
    for (const [name, r] of [["A", a], ["B", b]] as const) {
      yield* print(r === undefined ? `${name}: no report (not running?)` : `${name}: position ${formatBase(market, r.positionBase)} ${market.symbol} at the venue`)
    }
    if (a !== undefined && b !== undefined) {
      const net = a.positionBase + b.positionBase
      yield* print(`net ${formatBase(market, net)} ${market.symbol}${net === 0 ? " (flat)" : " — NOT FLAT: the pair resumes with this exposure (bin/hedge flatten closes both accounts instead)"}`)
    }
    yield* state.adoptEpoch("bin/hedge resume")
    yield* print(`epoch ${epoch.value.id} adopted: A and B start again.`)
  })

/** resume after a force close (strategy.force_close_timeout): shows what A and B did, then clears the request. */
const clearForceClose = (state: PairStateShape) =>
  Effect.gen(function*() {
    const cleared = yield* state.clearForceClose()
    if (Option.isNone(cleared)) return
    const { request, a, b } = cleared.value
    const print = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))
    yield* print(`force close ${request.id} (${request.reason}):`)
    for (const [name, r] of [["A", a], ["B", b]] as const) {
      yield* print(r === undefined ? `${name}: did not answer (not running?): its position was not closed` : `${name}: ${r.text}`)
    }
    const unsettled = ([["A", a], ["B", b]] as const).filter(([, r]) => r?.flat !== true).map(([n]) => n)
    if (unsettled.length > 0) {
      yield* print(`NOT FLAT: ${unsettled.join(" and ")} — the pair resumes with this exposure (bin/hedge flatten closes both accounts instead)`)
    }
    yield* state.audit("force-close-cleared", `force close ${request.id} cleared by bin/hedge resume (A ${a?.flat === true ? "flat" : "not flat"}, B ${b?.flat === true ? "flat" : "not flat"})`)
    yield* print(`force close ${request.id} cleared.`)
  })

const FLATTEN = defineCommand({
  name: "hedge flatten",
  about: "Halt, settle the fills in flight, clear the residual pool, close both accounts with reduce-only orders;\n" +
    "nothing trades until resume.",
  flags: {
    config: CONFIG_FLAG,
    market: MARKET_FLAG,
    yes: switchFlag("--yes", "do not ask for confirmation"),
    settleTimeout: numberFlag("--settle-timeout", "SECONDS", "how long to wait for the fills in flight (default 30)", SecondsBetween(0, 600))
  }
})

const confirm = (question: string) =>
  Effect.promise(async () => {
    if (process.stdin.isTTY !== true) return false
    const rl = (await import("node:readline/promises")).createInterface({ input: process.stdin, output: process.stdout })
    const answer = await rl.question(question)
    rl.close()
    return answer.trim().toLowerCase() === "yes"
  })

/** bin/hedge flatten: see flatten.ts. Prints progress and the report; exit code 1 unless both accounts end flat. */
export const flatten = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parsePairArgv(FLATTEN, argv)
    const config = yield* loadConfig({ path: args.config ?? "config.yaml", env: process.env })
    if (args.yes !== true) {
      const ok = yield* confirm(
        `This halts the pair and closes every position of accounts ${config.accounts.a.accountIndex} (A) and ${config.accounts.b.accountIndex} (B) on ${config.venue.baseUrl} with reduce-only market orders.\nType "yes" to go on / 输入 yes 确认: `
      )
      if (!ok) return yield* Effect.fail(new Error("not confirmed (pass --yes to skip the question); nothing was done"))
    }
    // The market's id and decimals from the venue: the closing orders go to that market only.
    const market = yield* marketFromVenue(config)
    const print = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))
    const report = yield* runFlatten({
      prefix: config.redis.keyPrefix,
      market,
      settleTimeoutMs: Math.round((args.settleTimeout ?? 30) * 1000),
      bClientIndexTag: config.settings.hedge.client_index_tag === "auto" ? tagFromPrefix(config.redis.keyPrefix) : config.settings.hedge.client_index_tag,
      venueA: venueLayers("a", config),
      venueB: venueLayers("b", config),
      accountIndexes: { a: config.accounts.a.accountIndex, b: config.accounts.b.accountIndex },
      print
    }).pipe(
      Effect.provide(busLayers({ ...redisOptionsOf(config), prefix: config.redis.keyPrefix, market, legacy: config.legacy })),
      Effect.annotateLogs({ pair: config.pair.name })
    )
    if (!report.flat) return yield* Effect.fail(new Error(`flatten ${report.id}: could not flatten both accounts (A ${formatBase(market, report.positionA)}, B ${formatBase(market, report.positionB)} ${market.symbol}); see above`))
    yield* print(
      `both accounts flat. Residual pool cleared: ${formatBase(market, report.poolCleared)} ${market.symbol}, recorded in the audit log ` +
        `(bin/hedge status). Nothing trades until \`bin/hedge resume\`; a restart of A or B does not publish or hedge anything from before flatten ${report.id}.`
    )
  })
