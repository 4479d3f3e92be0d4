// Deterministic, collision-free client order indexes (Lighter: 1 … 2^48−1).
// Hedge index = tag·2^40 + fillSeq·2^6 + attempt: distinct (tag, fillSeq, attempt) never collide,
// and a redelivered fill derives the same index for the same attempt.
const TAG_BITS = 8
const SEQ_BITS = 34
const ATTEMPT_BITS = 6
export const MAX_TAG = 2 ** TAG_BITS - 1
export const MAX_FILL_SEQ = 2 ** SEQ_BITS - 1
export const MAX_ATTEMPT = 2 ** ATTEMPT_BITS - 1
export const MAX_CLIENT_ORDER_INDEX = 2 ** 48 - 1

const check = (name: string, v: number, min: number, max: number) => {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`)
}

export const hedgeClientIndex = (tag: number, fillSeq: number, attempt: number): number => {
  check("tag", tag, 0, MAX_TAG)
  check("fillSeq", fillSeq, 1, MAX_FILL_SEQ)
  check("attempt", attempt, 1, MAX_ATTEMPT)
  return tag * 2 ** (SEQ_BITS + ATTEMPT_BITS) + fillSeq * 2 ** ATTEMPT_BITS + attempt
}

export const decodeHedgeClientIndex = (coi: number): { tag: number; fillSeq: number; attempt: number } => {
  check("clientOrderIndex", coi, 1, MAX_CLIENT_ORDER_INDEX)
  return {
    tag: Math.floor(coi / 2 ** (SEQ_BITS + ATTEMPT_BITS)),
    fillSeq: Math.floor(coi / 2 ** ATTEMPT_BITS) % 2 ** SEQ_BITS,
    attempt: coi % 2 ** ATTEMPT_BITS
  }
}

/** Stable 8-bit tag from a key prefix (FNV-1a). */
export const tagFromPrefix = (prefix: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < prefix.length; i++) {
    h ^= prefix.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return (h ^ (h >>> 8) ^ (h >>> 16) ^ (h >>> 24)) & 0xff
}

/** A's quote client index from its quote sequence (1 … 2^48−1, wrapping). */
export const quoteClientIndex = (seq: number): number => {
  check("seq", seq, 1, Number.MAX_SAFE_INTEGER)
  return ((seq - 1) % MAX_CLIENT_ORDER_INDEX) + 1
}

/**
 * Client index of a reconciliation correction on B: the hedge layout with attempt 0, which
 * hedges never use, and the time in seconds where the fill sequence goes.
 */
export const correctionClientIndex = (tag: number, nowMs: number): number =>
  tag * 2 ** (SEQ_BITS + ATTEMPT_BITS) + ((Math.floor(nowMs / 1000) % MAX_FILL_SEQ) + 1) * 2 ** ATTEMPT_BITS
