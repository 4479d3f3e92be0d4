// Reading an exchange's trade log for the pair's two accounts, once for everyone who does: the
// demo's summary and the chaos audit. A trade has a buyer and a seller account; A's and B's
// signed legs, their fills and volume, A↔B self-trades (I5) and the pair's net after each trade.

/** What a trade log entry must say (the simulator's trades and the chaos audit's carry more). */
export interface LoggedTrade {
  readonly size: number
  readonly askAccountId: number
  readonly bidAccountId: number
}

/** `account`'s signed size in the trade: + bought, − sold, 0 when it is not a side of it. */
export const signedFor = (t: LoggedTrade, account: number): number =>
  (t.bidAccountId === account ? t.size : 0) - (t.askAccountId === account ? t.size : 0)

/** Whether the trade is between A and B (I5: never). */
export const isSelfTrade = (t: LoggedTrade, a: number, b: number): boolean =>
  (t.askAccountId === a && t.bidAccountId === b) || (t.askAccountId === b && t.bidAccountId === a)

export interface PairTally {
  /** Trades with A (or B) on a side. */
  readonly fillsA: number
  readonly fillsB: number
  /** Base units A (or B) traded, both directions. */
  readonly volumeA: number
  readonly volumeB: number
  /** Signed base units: A's and B's positions change. */
  readonly netA: number
  readonly netB: number
  readonly selfTrades: number
  /** A's signed legs in order (for cycles: A back to flat after reaching the quote size). */
  readonly legsA: ReadonlyArray<number>
}

/** The pair's figures from a trade log, in the log's order. */
export const tallyPair = (trades: Iterable<LoggedTrade>, a: number, b: number): PairTally => {
  let fillsA = 0
  let fillsB = 0
  let volumeA = 0
  let volumeB = 0
  let netA = 0
  let netB = 0
  let selfTrades = 0
  const legsA: Array<number> = []
  for (const t of trades) {
    const sa = signedFor(t, a)
    const sb = signedFor(t, b)
    const withA = t.askAccountId === a || t.bidAccountId === a
    const withB = t.askAccountId === b || t.bidAccountId === b
    if (isSelfTrade(t, a, b)) selfTrades++
    if (withA) {
      fillsA++
      volumeA += t.size
      netA += sa
      // A on both sides (its own orders crossing) moves nothing.
      if (sa !== 0) legsA.push(sa)
    }
    if (withB) {
      fillsB++
      volumeB += t.size
      netB += sb
    }
  }
  return { fillsA, fillsB, volumeA, volumeB, netA, netB, selfTrades, legsA }
}

export interface NetReplay {
  /** Largest |A + B| after any trade. */
  readonly maxAbsNet: number
  /** Longest stretch with |A + B| at least `minBase`, ms. */
  readonly longestUnhedgedMs: number
  /** When the last stretch began, when it is still open at the end of the log. */
  readonly openSinceMs: number | undefined
  readonly finalNet: number
}

/**
 * Replays the pair's net A + B trade by trade (trades in time order). `beforeEach` sees each trade
 * with the net just before it (the chaos audit notes what a flatten found).
 */
export const replayNet = <T extends LoggedTrade & { readonly timestampMs: number }>(
  trades: ReadonlyArray<T>,
  a: number,
  b: number,
  minBase: number,
  beforeEach?: (t: T, netBefore: number) => void
): NetReplay => {
  let net = 0
  let maxAbsNet = 0
  let since: number | undefined
  let longestUnhedgedMs = 0
  for (const t of trades) {
    beforeEach?.(t, net)
    net += signedFor(t, a) + signedFor(t, b)
    maxAbsNet = Math.max(maxAbsNet, Math.abs(net))
    if (Math.abs(net) >= minBase) since ??= t.timestampMs
    else if (since !== undefined) {
      longestUnhedgedMs = Math.max(longestUnhedgedMs, t.timestampMs - since)
      since = undefined
    }
  }
  return { maxAbsNet, longestUnhedgedMs, openSinceMs: since, finalNet: net }
}
