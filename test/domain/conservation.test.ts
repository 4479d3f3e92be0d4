// DESIGN §4 I1–I3 on the pure pieces: a random stream of A's executions, delivered with
// duplicates and reordering, goes through the fill tracker, the residual pool and the
// re-hedge planner, against a B venue that fills IOCs partly or rejects them at random.
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import type { OrderUpdate, TradeEvent } from "../../src/domain/events.ts"
import { computeExposure } from "../../src/domain/exposure.ts"
import { FillTracker } from "../../src/domain/fills.ts"
import { planNextAttempt, poolDecision } from "../../src/domain/hedge-plan.ts"
import { hedgeSideFor, signedBase, type Side } from "../../src/domain/side.ts"

const MIN = 20

describe("conservation: Σ A fills + Σ B hedge fills = − residual pool", () => {
  it("holds for random fills, duplicates, partial IOCs and rejects (property)", () => {
    const execution = fc.record({ side: fc.constantFrom<Side>("buy", "sell"), size: fc.integer({ min: 1, max: 90 }), parts: fc.integer({ min: 1, max: 3 }) })
    const venue = fc.array(fc.record({ reject: fc.boolean(), fraction: fc.constantFrom(0, 0.25, 0.5, 1, 1, 1) }), { minLength: 50, maxLength: 50 })
    fc.assert(
      fc.property(fc.array(execution, { minLength: 1, maxLength: 25 }), venue, fc.integer({ min: 1, max: 4 }), (execs, outcomes, maxAttempts) => {
        const tracker = new FillTracker({ pair: "p", accountIndex: 1 })
        let pool = 0
        let sumA = 0
        let sumB = 0
        let k = 0
        let published = 0
        execs.forEach((e, i) => {
          const orderIndex = `o${i}`
          let cum = 0
          const events: Array<OrderUpdate | TradeEvent> = []
          for (let p = 0; p < e.parts; p++) {
            const part = p === e.parts - 1 ? e.size - cum : Math.floor(e.size / e.parts)
            if (part <= 0) continue
            cum += part
            events.push({ _tag: "TradeEvent", accountIndex: 1, marketId: 1, tradeId: `${i}-${p}`, orderIndex, clientOrderIndex: i + 1, side: e.side, isMaker: true, size: part, price: 1000, counterpartyAccountIndex: 9, timestampMs: 0 })
            events.push({ _tag: "OrderUpdate", accountIndex: 1, marketId: 1, orderIndex, clientOrderIndex: i + 1, side: e.side, kind: "limit", timeInForce: "post-only", reduceOnly: false, price: 1000, initialBase: e.size, filledBase: cum, remainingBase: e.size - cum, filledQuoteMicro: 0n, status: "open", updatedAtMs: 0 })
          }
          // every event twice, the second copy in reverse order
          for (const ev of [...events, ...events.slice().reverse()]) {
            const fills = ev._tag === "TradeEvent" ? tracker.onTrade(ev, 0) : tracker.onOrderUpdate(ev, 0)
            for (const f of fills) {
              published += f.size
              sumA += signedBase(f.side, f.size)
              const d = poolDecision(pool, signedBase(hedgeSideFor(f.side), f.size), MIN)
              if (d._tag === "Defer") {
                pool = d.newPool
                continue
              }
              pool = d.newPool
              let filled = 0
              let attempts = 0
              for (;;) {
                const next = planNextAttempt({ targetSignedBase: d.target, filledSignedSoFar: filled, attemptsMade: attempts, maxAttempts, minBase: MIN })
                if (next._tag === "Done") {
                  pool += next.returnToPool
                  break
                }
                attempts++
                const o = outcomes[k++ % outcomes.length]!
                const got = o.reject ? 0 : Math.trunc(next.remainingSigned * o.fraction) + 0
                expect(Math.sign(got) === 0 || Math.sign(got) === Math.sign(d.target)).toBe(true)
                filled += got
              }
              sumB += filled
            }
          }
        })
        // I3/I2: every executed unit was published exactly once
        expect(published).toBe(execs.reduce((s, e) => s + e.size, 0))
        // I1: what B did not trade is exactly what sits in the pool
        expect(sumA + sumB + pool).toBe(0)
        const x = computeExposure({ aPosition: sumA, bPosition: sumB, openIntents: [], residualPool: pool })
        expect(x.net).toBe(0 - pool)
        expect(x.uncovered).toBe(0)
      })
    )
  })
})
