// bin/hedge — the operator CLI: start, stop, demo, chaos, sim, status, inspect, drop-intent, halt, resume, flatten, keys, bench.
import { Cause, Effect, Schema } from "effect"
import { ArgvHelp, defineCommand, flagRows, intFlag, numberFlag, parseArgv, switchFlag, textFlag } from "../config/argv.ts"
import { FilePath, IntBetween, PositiveSeconds, Quantity, RedisUrl } from "../config/fields.ts"
import { runMemoryDemo } from "./demo-memory.ts"
import type { DemoOptions } from "./demo-options.ts"
import { describeCause, runMainProgram, withProgramName, writeStderr } from "../app/exit.ts"

const FillsPerMinute = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThan(0)).annotate({ expected: "a positive number of fills per minute" })

const DEMO = defineCommand({
  name: "hedge demo",
  about: "Run the whole system: simulator + Redis + A + B with a live view (Ctrl-C stops).",
  flags: {
    venue: textFlag(
      "--venue",
      "sim|memory",
      "sim (default): A and B as processes over real sockets;\nmemory: A and B as fibers in one process over an in-memory venue",
      Schema.Literals(["sim", "memory"]).annotate({ expected: "sim or memory" })
    ),
    duration: numberFlag("--duration", "SECONDS", "stop by itself after this long (no live view)", PositiveSeconds),
    summary: textFlag("--summary", "FILE", "write the summary as JSON", FilePath),
    quantity: textFlag("--quantity", "DECIMAL", "quote size (default 0.0002; memory demo 0.0006)", Quantity),
    depth: intFlag("--depth", "N", "quote at the N-th book level (default 5)", IntBetween(1, 200, "a depth")),
    seed: intFlag("--seed", "N", "seed of the synthetic market"),
    fillRate: numberFlag("--fill-rate", "N", "fills of A's quote per minute the market aims at (default 60)", FillsPerMinute),
    redisUrl: textFlag("--redis-url", "URL", "use this Redis instead of starting a private redis-server", RedisUrl, { secret: true }),
    quiet: switchFlag("--quiet", "no live view and no progress lines")
  }
})

const CHAOS = defineCommand({
  name: "hedge chaos",
  about: "A, B, the exchange and a private Redis under seeded faults, then checks that nothing was lost or doubled;\n" +
    "exit code 1 when an invariant fails.",
  flags: {
    seed: intFlag("--seed", "N", "seed of the fault plan and of the market (default 1)"),
    fills: intFlag("--fills", "N", "run until A has this many fills (default 500)", IntBetween(1, 1_000_000, "a number of fills")),
    json: textFlag("--json", "FILE", "write the report as JSON", FilePath),
    fillRate: numberFlag("--fill-rate", "N", "fills of A's quote per minute the market aims at (default 240)", FillsPerMinute),
    quiet: switchFlag("--quiet", "no progress lines and no report on stdout (the exit code and --json still tell)")
  }
})

/** A command's flags in bin/hedge's overview: under the command, 13 columns in. */
const overviewRows = (flags: Parameters<typeof flagRows>[0], omit: ReadonlyArray<string> = []) =>
  flagRows(flags.filter((f) => !omit.includes(f.flag)), 13, 20).join("\n")

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
${overviewRows(Object.values(DEMO.flags), ["--quiet"])}
  chaos    A, B, the exchange and a private Redis (AOF) under seeded faults (kill -9, Redis restarts,
           dropped sockets, delayed/rejected/partial/429 txs, duplicate and reordered frames, Redis
           restarted empty, copied fill entries, flatten mid-run — acting as the operator with the
           real flatten/resume), then checks that nothing was lost or doubled; exit code 1 when an
           invariant fails
${overviewRows(Object.values(CHAOS.flags), ["--quiet"])}
  sim      run the embedded Lighter exchange alone (default port 8787); see src/sim/README.md
  (status, inspect, drop-intent, halt, resume, flatten, keys check and stop also take --market SYMBOL,
   as main-a and main-b: the pair of that market, over market.symbol and HEDGEFLOW_MARKET;
   every command takes -h / --help: its flags)
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

const chaos = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const args = yield* parseArgv(CHAOS, argv)
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
    const args = yield* parseArgv(DEMO, argv)
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
    const { runSimDemo } = yield* Effect.promise(() => import("./demo-sim.ts"))
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
  start: (argv) => Effect.promise(() => import("./start-stop.ts")).pipe(Effect.flatMap((m) => m.start(argv))),
  stop: (argv) => Effect.promise(() => import("./start-stop.ts")).pipe(Effect.flatMap((m) => m.stop(argv))),
  status: (argv) => Effect.promise(() => import("./status-command.ts")).pipe(Effect.flatMap((m) => m.status(argv))),
  inspect: (argv) => Effect.promise(() => import("./repair-commands.ts")).pipe(Effect.flatMap((m) => m.inspect(argv))),
  "drop-intent": (argv) => Effect.promise(() => import("./repair-commands.ts")).pipe(Effect.flatMap((m) => m.dropIntentCommand(argv))),
  halt: (argv) => Effect.promise(() => import("./ops-commands.ts")).pipe(Effect.flatMap((m) => m.setState("HALTED", argv))),
  resume: (argv) => Effect.promise(() => import("./ops-commands.ts")).pipe(Effect.flatMap((m) => m.setState("ACTIVE", argv))),
  flatten: (argv) => Effect.promise(() => import("./ops-commands.ts")).pipe(Effect.flatMap((m) => m.flatten(argv))),
  keys: (argv) => Effect.promise(() => import("./keys-command.ts")).pipe(Effect.flatMap((m) => m.keysCommand(argv))),
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
      // -h / --help of a sub-command: its help on stdout, exit code 0
      const failure = Cause.findErrorOption(cause)
      if (failure._tag === "Some" && failure.value instanceof ArgvHelp) {
        const text = failure.value.text
        return Effect.sync(() => void process.stdout.write(text + "\n"))
      }
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
