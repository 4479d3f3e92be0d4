// Completed open/close cycles of the maker (the previous system's 循环次数): A's position, from
// its signed fills in order, returns to flat after having reached the quote quantity.

/** Cycles in a sequence of A's signed fills (base units, + buy / − sell), counted from flat. */
export const countCycles = (signedFills: Iterable<number>, quantity: number): number => {
  let pos = 0
  let cycles = 0
  let reached = false
  for (const d of signedFills) {
    pos += d
    if (pos >= quantity) reached = true
    if (reached && pos <= 0) {
      cycles++
      reached = false
    }
  }
  return cycles
}
