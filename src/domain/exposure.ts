// The pair's exposure: positions, hedges in flight, pooled residual, and what none of them explains.
import type { HedgeIntent } from "./intent.ts"
import { signedBase } from "./side.ts"

export interface Exposure {
  readonly aPosition: number
  readonly bPosition: number
  /** a + b: zero when the pair is hedged */
  readonly net: number
  /** signed quantity B still means to trade for open intents */
  readonly inFlightSigned: number
  readonly residualPool: number
  /** net that neither in-flight hedges nor the pool account for (should be 0) */
  readonly uncovered: number
}

export const computeExposure = (args: {
  readonly aPosition: number
  readonly bPosition: number
  readonly openIntents: ReadonlyArray<HedgeIntent>
  readonly residualPool: number
}): Exposure => {
  const inFlightSigned = args.openIntents
    .filter((i) => i.status === "open")
    .reduce((s, i) => s + i.targetSignedBase - i.attempts.reduce((f, a) => f + signedBase(a.side, a.filledBase ?? 0), 0), 0)
  const net = args.aPosition + args.bPosition
  // Pending hedges (in flight + pool) will move B by their signed amount: after them, net becomes net + pending.
  const uncovered = net + inFlightSigned + args.residualPool
  return { aPosition: args.aPosition, bPosition: args.bPosition, net, inFlightSigned, residualPool: args.residualPool, uncovered }
}
