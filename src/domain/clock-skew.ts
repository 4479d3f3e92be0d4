// How far this machine's wall clock is from the venue's, pure, from pairs of (the venue's own
// timestamp on a frame, this machine's wall time when the frame arrived). Each pair's difference
// is the skew plus the frame's transit time (never negative), so the smallest difference seen in a
// recent window is the best estimate: it is not fooled by a slow frame or a busy process.
// Our transactions carry ExpiredAt = our now + 10 min: a clock far enough off makes the venue
// refuse them (21711), so a skew beyond the bound alerts, once, and again when it recovers.

export interface SkewSample {
  /** When the sample was taken, on this process's monotonic clock (ms). */
  readonly atMs: number
  /** This machine's wall time at arrival minus the venue's timestamp (ms): skew + transit. */
  readonly diffMs: number
}

export interface SkewState {
  readonly samples: ReadonlyArray<SkewSample>
  /** Whether the last verdict was "beyond the bound" (an alert is out). */
  readonly skewed: boolean
}

export const initialSkewState: SkewState = { samples: [], skewed: false }

export interface SkewVerdict {
  readonly state: SkewState
  /** This clock minus the venue's, ms (positive: ahead), from the window's samples. */
  readonly estimateMs: number
  /** Set when the verdict changed: the skew went beyond the bound, or came back within it. */
  readonly change: "skewed" | "recovered" | undefined
}

const MAX_SAMPLES = 1_000

/** Adds a sample, drops those older than `windowMs`, and judges the estimate against `boundMs`. */
export const judgeSkew = (state: SkewState, sample: SkewSample, o: { readonly windowMs: number; readonly boundMs: number }): SkewVerdict => {
  const samples = [...state.samples.filter((s) => sample.atMs - s.atMs <= o.windowMs), sample].slice(-MAX_SAMPLES)
  const estimateMs = samples.reduce((m, s) => Math.min(m, s.diffMs), Infinity)
  const skewed = Math.abs(estimateMs) > o.boundMs
  const change = skewed === state.skewed ? undefined : skewed ? "skewed" : "recovered"
  return { state: { samples, skewed }, estimateMs, change }
}
