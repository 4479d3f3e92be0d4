// `--market SYMBOL` on every bin/hedge sub-command that touches a pair (status, halt, resume,
// flatten, inspect, drop-intent, keys, stop), as on main-a and main-b: the pair's Redis prefix
// and market follow it. It is taken out of the sub-command's arguments and handed to the config as
// HEDGEFLOW_MARKET, so a flag wins over the environment and the file, as everywhere.
import { Effect, Schema } from "effect"
import { MarketSymbol } from "../config/fields.ts"

export class MarketFlagError extends Schema.TaggedError<MarketFlagError>()("MarketFlagError", { message: Schema.String }) {}

/** The arguments without `--market X` / `--market=X`, and the symbol (upper case) when given. */
export const takeMarketFlag = (argv: ReadonlyArray<string>): Effect.Effect<{ readonly rest: ReadonlyArray<string>; readonly market?: string }, MarketFlagError> =>
  Effect.gen(function*() {
    const rest: Array<string> = []
    let market: string | undefined
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      if (arg !== "--market" && !arg.startsWith("--market=")) {
        rest.push(arg)
        continue
      }
      const value = arg === "--market" ? argv[++i] : arg.slice("--market=".length)
      if (value === undefined || value.trim() === "" || (arg === "--market" && value.startsWith("--"))) {
        return yield* new MarketFlagError({ message: "--market needs a value (--market SYMBOL, e.g. --market BTC)" })
      }
      if (!Schema.is(MarketSymbol)(value.trim())) {
        return yield* new MarketFlagError({ message: `--market: expected a market symbol such as BTC, got ${JSON.stringify(value.slice(0, 40))}` })
      }
      market = value.trim().toUpperCase()
    }
    return market === undefined ? { rest } : { rest, market }
  })

/** Runs `command` with `--market` applied to the config it loads (HEDGEFLOW_MARKET). */
export const withMarketFlag = <A, E>(argv: ReadonlyArray<string>, command: (rest: ReadonlyArray<string>) => Effect.Effect<A, E>) =>
  takeMarketFlag(argv).pipe(
    Effect.tap(({ market }) => Effect.sync(() => {
      if (market !== undefined) process.env["HEDGEFLOW_MARKET"] = market
    })),
    Effect.flatMap(({ rest }) => command(rest))
  )
