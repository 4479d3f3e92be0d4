// The flags the bin/hedge sub-commands share (declared once here, parsed by config/argv.ts):
// `--config FILE`, and `--market SYMBOL` on every one that touches a pair (status, halt, resume,
// flatten, inspect, drop-intent, keys check, stop), as on main-a and main-b: the pair's Redis
// prefix and market follow it. Each of those commands declares MARKET_FLAG among its flags and
// parses with parsePairArgv, which hands the symbol to the config as HEDGEFLOW_MARKET, so a flag
// wins over the environment and the file, as everywhere.
import { Effect } from "effect"
import { type ArgsOf, type Command, type Flag, type Flags, parseArgv, textFlag } from "../config/argv.ts"
import { FilePath, MarketSymbol } from "../config/fields.ts"

export const CONFIG_FLAG = textFlag("--config", "FILE", "config file (default config.yaml)", FilePath)

export const MARKET_FLAG = textFlag(
  "--market",
  "SYMBOL",
  "the pair of this market (market.symbol, over HEDGEFLOW_MARKET and the file)",
  MarketSymbol,
  { normalize: (s) => s.toUpperCase() }
)

/** The command's flags; its `--market`, when given, applies to the config it loads (HEDGEFLOW_MARKET). */
export const parsePairArgv = <F extends Flags & { readonly market: Flag<string> }>(c: Command<F>, argv: ReadonlyArray<string>) =>
  parseArgv(c, argv).pipe(
    Effect.tap((args: ArgsOf<F>) =>
      Effect.sync(() => {
        const market = (args as { readonly market?: string }).market
        if (market !== undefined) process.env["HEDGEFLOW_MARKET"] = market
      })
    )
  )
