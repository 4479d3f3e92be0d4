// Wall-clock milliseconds with sub-ms precision from the monotonic clock (performance.now).

export interface Clock {
  /** Epoch milliseconds, fractional. */
  now(): number
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now()
}

/** A clock tests can move by hand. */
export class ManualClock implements Clock {
  private t: number
  constructor(start = 1_766_000_000_000) {
    this.t = start
  }
  now(): number {
    return this.t
  }
  advance(ms: number): void {
    this.t += ms
  }
}
