// Client order indexes of the orders `bin/hedge flatten` sends to close the accounts, kept apart
// from the engine's own orders so that they are recognised wherever they show up:
// - on A, every index from 2^47 up is reserved for closing orders. A's quotes take their index
//   from the quote sequence (1, 2, 3 …), which never gets near 2^47 (at ten quotes a second that
//   takes 400 000 years). A fill of a closing order is never published as a fill to hedge.
// - on B, hedges use tag·2^40 + fillSeq·2^6 + attempt with attempt ≥ 1; a closing order uses
//   attempt 0 (like a reconciliation correction) with a sequence counted down from the top of the
//   34-bit range (corrections count up from the clock's seconds), so it never matches a hedge's
//   index, and B never resolves a hedge to a closing order.
import { MAX_FILL_SEQ } from "./client-index.ts"

export const CLOSING_CLIENT_INDEX_MIN = 2 ** 47
export const MAX_CLIENT_INDEX = 2 ** 48 - 1
const RUN_SPACE = 2 ** 36

/** True for A's closing orders (flatten): never published as fills. */
export const isClosingClientIndex = (coi: number): boolean => Number.isSafeInteger(coi) && coi >= CLOSING_CLIENT_INDEX_MIN && coi <= MAX_CLIENT_INDEX

/** A's n-th closing order of a flatten started at `nowMs` (n ≥ 1, < 64). */
export const closingClientIndexA = (nowMs: number, n: number): number =>
  CLOSING_CLIENT_INDEX_MIN + ((Math.floor(nowMs / 1000) * 64 + (n % 64)) % RUN_SPACE)

/** B's n-th closing order of a flatten started at `nowMs` (attempt 0: never a hedge's index). */
export const closingClientIndexB = (tag: number, nowMs: number, n: number): number => {
  const seq = MAX_FILL_SEQ - ((Math.floor(nowMs / 1000) % 2 ** 20) * 64 + (n % 64))
  return tag * 2 ** 40 + seq * 2 ** 6
}
