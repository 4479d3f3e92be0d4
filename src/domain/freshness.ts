// Freshness of another process's heartbeat, pure, judged on the reader's own monotonic clock:
// by when this process last saw the heartbeat change, never by comparing the writer's wall-clock
// stamp with the reader's (A and B may run on hosts whose clocks differ by an hour).
//
// The writer's record changes with every beat (its stamp and a beat counter: the `token`); the
// record itself expires (Redis PX, by the store's own clock) when the writer stops. The reader
// looks now and then and remembers, on its monotonic clock:
// - `seenAtMs`: when it first saw the current token — the beat is at most `now - seenAtMs` older
//   than that look's lag; used for "is it fresh?";
// - `writtenAfterMs`: the look before that, which still saw the previous token — the current beat
//   was written after it (a lower bound, for rules that must not act on a lagging report).
// A token seen on the first look of all has no lower bound (-Infinity): it may be as old as the
// record's expiry allows.

export interface BeatWatch {
  readonly token: string | undefined
  readonly seenAtMs: number | undefined
  readonly writtenAfterMs: number
  /** The last look (monotonic ms), whatever it found. */
  readonly lookedAtMs: number | undefined
}

export const initialBeatWatch: BeatWatch = { token: undefined, seenAtMs: undefined, writtenAfterMs: -Infinity, lookedAtMs: undefined }

/**
 * One look at the heartbeat, taken at `lookMs` (monotonic, read before the heartbeat was read):
 * `token` is what identifies the beat (undefined: no heartbeat, e.g. expired).
 */
export const observeBeat = (w: BeatWatch, token: string | undefined, lookMs: number): BeatWatch => {
  if (token === undefined) return { ...initialBeatWatch, lookedAtMs: lookMs }
  if (token === w.token) return { ...w, lookedAtMs: lookMs }
  return { token, seenAtMs: lookMs, writtenAfterMs: w.lookedAtMs ?? -Infinity, lookedAtMs: lookMs }
}

/** Whether the heartbeat changed within the last `limitMs` of this process's monotonic time. */
export const beatFresh = (w: BeatWatch, nowMs: number, limitMs: number): boolean =>
  w.token !== undefined && w.seenAtMs !== undefined && nowMs - w.seenAtMs < limitMs

/** The identity of one beat: the writer's stamp and counter (any change means a new beat). */
export const beatToken = (hb: { readonly atMs: number; readonly status: Readonly<Record<string, unknown>> }): string =>
  `${hb.atMs}/${String(hb.status["beat"] ?? "")}`
