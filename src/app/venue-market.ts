// The pair's market as the venue lists it (id, decimals, minimums), for the operator commands
// that trade (flatten): a market id guessed from the symbol would close another market's positions.
import { Effect } from "effect"
import { LIGHTER_BTC, LIGHTER_ETH, type MarketSpec } from "../domain/market.ts"
import type { HedgeflowConfig } from "../config/load.ts"
import { fetchMarkets } from "../venue/lighter/LighterVenue.ts"

export class MarketLookupError extends Error {
  readonly _tag = "MarketLookupError"
}

/** market.symbol resolved at the configured venue (venue.kind memory has none: BTC/ETH as built in). */
export const marketFromVenue = (config: HedgeflowConfig): Effect.Effect<MarketSpec, MarketLookupError> =>
  config.settings.venue.kind === "memory"
    ? Effect.succeed(config.market.symbol === "ETH" ? LIGHTER_ETH : LIGHTER_BTC)
    : fetchMarkets({ baseUrl: config.venue.baseUrl, timeoutMs: 5000 }).pipe(
      Effect.mapError((e) => new MarketLookupError(`cannot ask the venue at ${config.venue.baseUrl} for market ${config.market.symbol}: ${e.message}`)),
      Effect.flatMap((markets) => {
        const all = [...markets.values()]
        const m = all.find((x) => x.symbol.toUpperCase() === config.market.symbol.toUpperCase())
        return m === undefined
          ? Effect.fail(new MarketLookupError(`the venue at ${config.venue.baseUrl} lists no market "${config.market.symbol}" (it has ${all.map((x) => x.symbol).join(", ")})`))
          : Effect.succeed(m)
      })
    )

/** Market decimals for messages and printed figures when the venue cannot be asked (BTC's or ETH's). */
export const marketForMessages = (config: HedgeflowConfig): MarketSpec => (config.market.symbol === "ETH" ? LIGHTER_ETH : LIGHTER_BTC)
