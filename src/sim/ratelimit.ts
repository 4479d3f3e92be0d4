// Rolling one-minute transaction budget per L1 address (Standard tier: 60 tx/min).

export class RateLimiter {
  private readonly windows = new Map<string, number[]>()
  /** Takes `n` slots for `key` if `limit` allows it within the last 60 s. */
  take(key: string, n: number, limit: number, nowMs: number): boolean {
    let w = this.windows.get(key)
    if (w === undefined) this.windows.set(key, (w = []))
    const cutoff = nowMs - 60_000
    while (w.length > 0 && w[0]! <= cutoff) w.shift()
    if (w.length + n > limit) return false
    for (let i = 0; i < n; i++) w.push(nowMs)
    return true
  }
  reset(): void {
    this.windows.clear()
  }
}
