// `hedge sim`: runs the simulator until SIGINT/SIGTERM. Returns the exit code (130) after closing;
// the caller should `process.exit(await runSimCli(argv))`.
import { startSimulator } from "./server.ts"
import type { SimOptions } from "./server.ts"

const USAGE = `usage: hedge sim [--port N] [--host H] [--seed N] [--speed-bumps] [--rate-limit N] [--no-market] [--fill-rate N] [--volatility-bps N]`

export const parseSimArgs = (argv: readonly string[]): SimOptions => {
  let port = 0
  let host = "127.0.0.1"
  let seed = 1
  let speedBumps = false
  let rateLimit: SimOptions["rateLimit"] = false
  let market = true
  let fillRatePerMin: number | undefined
  let volatilityBps: number | undefined
  const num = (i: number, flag: string): number => {
    const v = argv[i]
    if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new Error(`${flag} needs a number\n${USAGE}`)
    return Number(v)
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case "--port":
        port = num(++i, a)
        break
      case "--host":
        host = argv[++i] ?? host
        break
      case "--seed":
        seed = num(++i, a)
        break
      case "--speed-bumps":
        speedBumps = true
        break
      case "--rate-limit":
        rateLimit = { txPerMinute: num(++i, a) }
        break
      case "--no-market":
        market = false
        break
      case "--fill-rate":
        fillRatePerMin = num(++i, a)
        break
      case "--volatility-bps":
        volatilityBps = num(++i, a)
        break
      case "-h":
      case "--help":
        throw new Error(USAGE)
      default:
        throw new Error(`unknown flag ${a}\n${USAGE}`)
    }
  }
  return {
    port,
    host,
    seed,
    speedBumps,
    rateLimit,
    market: market
      ? {
          ...(fillRatePerMin !== undefined ? { fillRatePerMin } : {}),
          ...(volatilityBps !== undefined ? { volatilityBps } : {})
        }
      : false
  }
}

export const runSimCli = async (argv: readonly string[]): Promise<number> => {
  let options: SimOptions
  try {
    options = parseSimArgs(argv)
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
    return 2
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`)
  const sim = await startSimulator({ ...options, log: out })
  out(`rest ${sim.url}/api/v1  ws ${sim.wsUrl}  observe ${sim.url}/sim/{trades,positions,timeline}`)
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
  })
  await sim.close()
  out("simulator stopped")
  process.exitCode = 130
  return 130
}
