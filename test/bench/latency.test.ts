import { describe, expect, it } from "vitest"
import { figures, fillToHedge } from "../../src/bench/latency.ts"

describe("bench: fill→hedge latency from the exchange's timeline", () => {
  it("matches each hedge to the first frame carrying its order's trades and its first tx", () => {
    const lat = fillToHedge({
      framesToA: [
        { t: 100, trade_ids: [1] },
        { t: 100.4, trade_ids: [1] }, // the same trade on another channel: the first one counts
        { t: 200, trade_ids: [2, 3] }, // a frame with several trades
        { t: 250 } // no trades (position frame)
      ],
      txsFromB: [
        { t: 103.5, client_order_index: 65 },
        { t: 150, client_order_index: 65 }, // a later tx with the same index does not count
        { t: 207, client_order_index: 129 },
        { t: 300, client_order_index: 999 } // no hedge of ours
      ],
      tradesOfA: [
        { tradeId: 1, aOrder: "o1" },
        { tradeId: 3, aOrder: "o2" }
      ],
      hedges: [
        { aOrder: "o1", clientOrderIndex: 65 },
        { aOrder: "o2", clientOrderIndex: 129 },
        { aOrder: "o3", clientOrderIndex: 193 } // never sent: skipped, not counted as 0
      ]
    })
    expect(lat).toEqual([3.5, 7])
  })

  it("percentiles by nearest rank", () => {
    expect(figures([5, 1, 3, 2, 4])).toEqual({ samples: 5, p50: 3, p90: 5, p99: 5, max: 5 })
    expect(figures([])).toEqual({ samples: 0, p50: null, p90: null, p99: null, max: null })
  })
})
