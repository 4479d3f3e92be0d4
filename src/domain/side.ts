// Sides and the direction rule: B always trades against A's fill.
// A buy (opens long)  -> B sells (opens short, is_ask = true)
// A sell (closes long) -> B buys  (closes short, is_ask = false)
import type { BaseUnits } from "./market.ts"

export type Side = "buy" | "sell"

export const oppositeSide = (side: Side): Side => (side === "buy" ? "sell" : "buy")

/** The side B must trade to hedge a fill of A on `aSide`. */
export const hedgeSideFor = (aSide: Side): Side => oppositeSide(aSide)

export const isAskSide = (side: Side): boolean => side === "sell"
export const sideFromIsAsk = (isAsk: boolean): Side => (isAsk ? "sell" : "buy")

/** Position change caused by trading `base` units on `side`: buys add, sells subtract. */
export const signedBase = (side: Side, base: BaseUnits): BaseUnits => (side === "buy" ? base : 0 - base) // 0 - 0 is +0, never -0
