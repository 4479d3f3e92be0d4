/** What both demos (simulator and in-memory venue) take from `bin/hedge demo`. */
export interface DemoOptions {
  /** Use this Redis; otherwise a private redis-server is started. */
  readonly redisUrl?: string
  /** Stop by itself after this long (no live view). */
  readonly durationSec?: number
  /** Write the summary here as JSON. */
  readonly summaryFile?: string
  readonly quantity: string
  readonly depth: number
  readonly seed: number
  /** Expected fills of A's quotes per minute. */
  readonly fillsPerMin: number
  readonly quiet: boolean
}
