// bin/hedge — the operator CLI: start, stop, demo, chaos, sim, status, inspect, drop-intent, halt, resume, flatten, keys, bench.
import { Cause, Effect, Schema } from "effect"
import { runMemoryDemo } from "../runtime/demo-memory.ts"
import type { DemoOptions } from "../runtime/demo-options.ts"
import { describeCause, runMainProgram, withProgramName, writeStderr } from "../runtime/exit.ts"
import { type FlagSpec, parseFlags } from "../runtime/flags.ts"
import { withMarketFlag } from "../runtime/market-flag.ts"

const USAGE = `usage: bin/hedge <command> [flags]

commands:
  start    start B, then A, in the background, as start_hedge.sh did: output to logs/main_B.log and
           logs/main_A.log (readable; JSON lines in main_B.jsonl / main_A.jsonl), pids in
           logs/main_B.pid and logs/main_A.pid; refuses while they run; a stale pid file is removed
             --market SYMBOL --quantity DECIMAL --depth N --config FILE   passed on (B: --market --config)
             --log-dir DIR        where logs and pid files go (logging.dir; default logs)
             --wait SECONDS       how long each may take to say it started (default 30)
  stop     stop A (it cancels its quote), wait until B has hedged what is pending, stop B: SIGTERM,
           then SIGKILL after --timeout SECONDS (default 30), saying so; reports each exit code and
           removes the pid files; exit code 1 unless both exited 0 (--config FILE, --log-dir DIR)
  demo     run the whole system: simulator + Redis + A + B with a live view (Ctrl-C stops)
             --venue sim|memory   sim (default): A and B as processes over real sockets;
                                  memory: A and B as fibers in one process over an in-memory venue
             --duration SECONDS   stop by itself after this long (no live view)
             --summary FILE       write the summary as JSON
             --quantity DECIMAL   quote size (default 0.0002; memory demo 0.0006)
             --depth N            quote at the N-th book level (default 5)
             --seed N             seed of the synthetic market
             --fill-rate N        fills of A's quote per minute the market aims at (default 60)
             --redis-url URL      use this Redis instead of starting a private redis-server
  chaos    A, B, the exchange and a private Redis (AOF) under seeded faults (kill -9, Redis restarts,
           dropped sockets, delayed/rejected/partial/429 txs, duplicate and reordered frames, Redis
           restarted empty, copied fill entries, flatten mid-run — acting as the operator with the
           real flatten/resume), then checks that nothing was lost or doubled; exit code 1 when an
           invariant fails
             --seed N             seed of the fault plan and of the market (default 1)
             --fills N            run until A has this many fills (default 500)
             --json FILE          write the report as JSON
             --fill-rate N        fills of A's quote per minute the market aims at (default 240)
  sim      run the embedded Lighter exchange alone (default port 8787); see src/sim/README.md
  (status, inspect, drop-intent, halt, resume, flatten, keys and stop also take --market SYMBOL,
   as main-a and main-b: the pair of that market, over market.symbol and HEDGEFLOW_MARKET)
  status   the pair's state now, from Redis (--config FILE, --json): trading state; A and B running,
           stale or down (since when) with their account streams; pending fills (the group's lag plus
           its unacknowledged entries, oldest age); unhedged exposure and how long; A's quote; stale keys
  inspect  list open hedge intents (with their orders), corrupt intents, dead letters with their
           reasons and the operator audit log (--config FILE, --json, --all)
  drop-intent ID --yes
           remove a stuck hedge intent: first asks the venue (as account B, so B's key is needed)
           what became of its orders; refuses when one executed or may still trade, when the venue
           cannot be asked, or when its fill is still pending (--force drops anyway); without --yes
           it only shows what it found; records the action in <prefix>:audit
  halt     stop quoting: A cancels and stays out until resume (--config FILE --reason TEXT)
  resume   allow quoting again; after Redis lost the pair's state, show A's and B's positions and
           adopt the new epoch first (--config FILE)
  flatten  halt, settle the fills in flight, clear the residual pool, close both accounts with
           reduce-only orders; nothing trades until resume (--config FILE; asks for confirmation
           unless --yes; --settle-timeout SECONDS, default 30)
  keys check      compare the public key of A's and B's private keys with what the venue has
                  registered for their API key (--config FILE); exit code 1 unless both match
  keys generate   print a new API key pair (--private-key-file FILE writes the private key there,
                  mode 600, instead of showing it); register its public key with Lighter's tools
  bench    run the benchmark (see npm run bench)

用法：bin/hedge start 后台启动 B 和 A（日志 logs/main_A.log、logs/main_B.log，PID 文件 logs/main_A.pid、logs/main_B.pid）；bin/hedge stop 优雅停止；
bin/hedge demo 运行演示；bin/hedge sim 单独运行模拟交易所；bin/hedge status 查看状态；
bin/hedge inspect 列出未完成的对冲意图和死信；bin/hedge drop-intent ID --yes 先向交易所核实后删除卡住的对冲意图（记入审计流）；
bin/hedge keys check 检查 API 密钥；bin/hedge keys generate 生成新密钥对。`

const demoFlags: ReadonlyArray<FlagSpec> = [
  { flag: "--venue", key: "venue", kind: "string" },
  { flag: "--duration", key: "duration", kind: "number" },
  { flag: "--summary", key: "summary", kind: "string" },
  { flag: "--quantity", key: "quantity", kind: "string" },
  { flag: "--depth", key: "depth", kind: "number" },
  { flag: "--seed", key: "seed", kind: "number" },
  { flag: "--fill-rate", key: "fillRate", kind: "number" },
  { flag: "--redis-url", key: "redisUrl", kind: "string" },
  { flag: "--quiet", key: "quiet", kind: "boolean" }
]

const DemoArgs = Schema.Struct({
  venue: Schema.optionalKey(Schema.Literals(["sim", "memory"])),
  duration: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  summary: Schema.optionalKey(Schema.NonEmptyString),
  quantity: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d+(\.\d+)?$/))),
  depth: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 200 }))),
  seed: Schema.optionalKey(Schema.Int),
  fillRate: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  redisUrl: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^rediss?:\/\//))),
  quiet: Schema.optionalKey(Schema.Boolean)
})

const chaosFlags: ReadonlyArray<FlagSpec> = [
  { flag: "--seed", key: "seed", kind: "number" },
  { flag: "--fills", key: "fills", kind: "number" },
  { flag: "--json", key: "json", kind: "string" },
  { flag: "--fill-rate", key: "fillRate", kind: "number" },
  { flag: "--quiet", key: "quiet", kind: "boolean" }
]

const ChaosArgs = Schema.Struct({
  seed: Schema.optionalKey(Schema.Int),
  fills: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
  json: Schema.optionalKey(Schema.NonEmptyString),
  fillRate: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  quiet: Schema.optionalKey(Schema.Boolean)
})

const chaos = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parseFlags("hedge chaos", argv, chaosFlags, ChaosArgs)
    const { runChaos } = yield* Effect.promise(() => import("../chaos/run.ts"))
    const report = yield* runChaos({
      seed: args.seed ?? 1,
      fills: args.fills ?? 500,
      ...(args.json !== undefined ? { jsonFile: args.json } : {}),
      ...(args.fillRate !== undefined ? { fillRatePerMin: args.fillRate } : {}),
      quiet: args.quiet ?? false
    }).pipe(Effect.scoped)
    if (!report.ok) process.exitCode = 1
  })

const demo = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parseFlags("hedge demo", argv, demoFlags, DemoArgs)
    const redisUrl = args.redisUrl ?? (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== "" ? process.env.REDIS_URL : undefined)
    const memory = args.venue === "memory"
    const options: DemoOptions = {
      ...(redisUrl !== undefined ? { redisUrl } : {}),
      ...(args.duration !== undefined ? { durationSec: args.duration } : {}),
      ...(args.summary !== undefined ? { summaryFile: args.summary } : {}),
      // The in-memory venue fills in parts, so its quotes are larger than the venue minimum.
      quantity: args.quantity ?? (memory ? "0.0006" : "0.0002"),
      depth: args.depth ?? 5,
      seed: args.seed ?? 1,
      fillsPerMin: args.fillRate ?? (memory ? 30 : 60),
      quiet: args.quiet ?? false
    }
    if (memory) return yield* runMemoryDemo(options).pipe(Effect.scoped)
    const { runSimDemo } = yield* Effect.promise(() => import("../runtime/demo-sim.ts"))
    return yield* runSimDemo(options).pipe(Effect.scoped)
  })

const commands: Record<string, (argv: ReadonlyArray<string>) => Effect.Effect<unknown, unknown>> = {
  demo,
  chaos,
  // The simulator stops itself on SIGINT/SIGTERM (closing its sockets) and then exits.
  sim: (argv) =>
    Effect.promise(async () => {
      const { runSimCli } = await import("../sim/main.ts")
      const code = await runSimCli(argv.includes("--port") ? argv : ["--port", "8787", ...argv])
      process.exit(code)
    }).pipe(Effect.uninterruptible),
  start: (argv) => Effect.promise(() => import("../runtime/start-stop.ts")).pipe(Effect.flatMap((m) => m.start(argv))),
  stop: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/start-stop.ts")).pipe(Effect.flatMap((m) => m.stop(argv)))),
  status: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/status-command.ts")).pipe(Effect.flatMap((m) => m.status(argv)))),
  inspect: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/repair-commands.ts")).pipe(Effect.flatMap((m) => m.inspect(argv)))),
  "drop-intent": (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/repair-commands.ts")).pipe(Effect.flatMap((m) => m.dropIntentCommand(argv)))),
  halt: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/ops-commands.ts")).pipe(Effect.flatMap((m) => m.setState("HALTED", argv)))),
  resume: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/ops-commands.ts")).pipe(Effect.flatMap((m) => m.setState("ACTIVE", argv)))),
  flatten: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/ops-commands.ts")).pipe(Effect.flatMap((m) => m.flatten(argv)))),
  keys: (argv) => withMarketFlag(argv, (argv) => Effect.promise(() => import("../runtime/keys.ts")).pipe(Effect.flatMap((m) => m.keysCommand(argv)))),
  bench: (argv) =>
    Effect.promise(async () => {
      const { runBench } = await import("../bench/main.ts")
      process.exit(await runBench(argv))
    })
}

const [command, ...rest] = process.argv.slice(2)
const known = command !== undefined && Object.hasOwn(commands, command)
// The name errors carry, once: "hedge keys: …", or the sub-command's own "hedge keys check: …".
const program = known ? `hedge ${command}` : "hedge"
const run = command === undefined || command === "help" || command === "--help" || command === "-h"
  ? Effect.sync(() => process.stdout.write(USAGE + "\n"))
  : !known
  ? Effect.sync(() => {
    process.stderr.write(`hedge: unknown command "${command}"\n\n${USAGE}\n`)
    process.exitCode = 2
  })
  : commands[command]!(rest)

// Exit codes (exit.ts): 0 when done or stopped by SIGINT/SIGTERM (a failed demo or chaos run sets
// 1), 1 with one line on stderr for a failure, 2 for bad usage. Output to a reader that went away
// (`| tee` stopped by Ctrl-C) never ends the program before it has stopped its children.
runMainProgram(
  program,
  run.pipe(
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const text = describeCause(cause)
      const debug = process.env["HEDGEFLOW_DEBUG"] !== undefined && process.env["HEDGEFLOW_DEBUG"] !== "" ? `\n${Cause.pretty(cause)}` : ""
      return Effect.sync(() => {
        writeStderr(`${withProgramName(program, text)}${debug}\n`)
        process.exitCode = 1
      })
    })
  ),
  { hangup: true }
)
