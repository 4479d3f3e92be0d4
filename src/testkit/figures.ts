// Figures the demo and the benchmark print from their samples.

/** Nearest-rank percentile of `values` (0 < p ≤ 100); undefined when empty. */
export const percentile = (values: ReadonlyArray<number>, p: number): number | undefined => {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]
}

export const latencyFigures = (samples: ReadonlyArray<number>) => ({
  p50: percentile(samples, 50) ?? null,
  p90: percentile(samples, 90) ?? null,
  p99: percentile(samples, 99) ?? null,
  max: samples.length === 0 ? null : Math.max(...samples),
  samples: samples.length
})
