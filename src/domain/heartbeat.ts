// What A and B put in their heartbeats (PairState.heartbeat), defined once: the writers build
// these shapes, and every reader decodes with them instead of casting fields of an untyped record.
// A beat that does not decode (an old version's, or A waiting for an operator after Redis lost its
// state) tells nothing: its position is unknown, never guessed.
import { Schema } from "effect"

/**
 * A and B each write their beat this often. Not a config key: the freshness limits are built on
 * it (B judges A's beat by A_HEARTBEAT_FRESH_MS = 5 beats, status flags a beat older than 2.5,
 * maker.hedger_heartbeat_timeout_ms allows at least 2), so changing it alone would break them.
 */
export const HEARTBEAT_EVERY_MS = 1_000

/** A's beat: its position and figures, and a counter B watches change (src/domain/freshness.ts). */
export const MakerBeat = Schema.Struct({
  beat: Schema.Int,
  /** A's signed position, base units, as A's account stream last reported it. */
  position: Schema.Int,
  /** Completed open/close cycles since A started (循环次数). */
  cycles: Schema.Int,
  /** Fills A published since it started. */
  fills: Schema.Int,
  /** The quote's state: none, sending, resting, cancelling. */
  quote: Schema.String,
  /** A's free collateral, micro-USDC; only while A's own reading is recent. */
  freeCollateralMicro: Schema.optionalKey(Schema.Int)
})
export type MakerBeat = typeof MakerBeat.Type

/** B's beat: its consumer id, whether its account stream is up now, and its counter. */
export const HedgerBeat = Schema.Struct({
  consumer: Schema.String,
  streamConnected: Schema.Boolean,
  beat: Schema.Int
})
export type HedgerBeat = typeof HedgerBeat.Type

const decodeMaker = Schema.decodeUnknownResult(MakerBeat)
const decodeHedger = Schema.decodeUnknownResult(HedgerBeat)

/** A's beat from a heartbeat's status, or undefined when it is not one. */
export const makerBeatOf = (status: unknown): MakerBeat | undefined => {
  const r = decodeMaker(status)
  return r._tag === "Success" ? r.success : undefined
}

/** B's beat from a heartbeat's status, or undefined when it is not one. */
export const hedgerBeatOf = (status: unknown): HedgerBeat | undefined => {
  const r = decodeHedger(status)
  return r._tag === "Success" ? r.success : undefined
}
