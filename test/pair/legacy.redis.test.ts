// The previous system's Redis contract during an in-process run of A and B over a private
// redis-server: hedges that succeed, end partial and fail (then a residual flush), everything on
// hedge:* captured by a real PSUBSCRIBE and decoded with the contract written from the previous
// system's sources (test/support/legacy-contract.ts); values checked against the exchange's own
// trades; the positions hash follows both accounts.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Redis } from "ioredis"
import { type LegacyOptions, plainDecimal } from "../../src/bus/legacy-messages.ts"
import { makeLegacyPositions } from "../../src/bus/redis/LegacyMirror.ts"
import { busLayers } from "../../src/app/bus-layers.ts"
import {
  decodeContract,
  DOCUMENTED_FILL_KEYS,
  DOCUMENTED_HEDGE_KEYS,
  DocumentedFillContract,
  DocumentedHedgeContract,
  PREVIOUS_FILL_KEYS,
  PREVIOUS_POSITION_KEYS,
  PreviousFillContract,
  PreviousPositionContract
} from "../support/legacy-contract.ts"
import { startTestRedis, type TestRedis } from "../support/redis.ts"
import { A, B, makeHarness, market } from "./harness.ts"
import { fillQuote } from "./scenarios.ts"

let redis: TestRedis
let sub: Redis
let raw: Redis
const got: Array<{ readonly channel: string; readonly message: string }> = []
beforeAll(async () => {
  // hedge:* carries no key prefix: a server of our own.
  redis = await startTestRedis({ private: true })
  raw = new Redis(redis.url)
  sub = new Redis(redis.url)
  sub.on("pmessage", (_p: string, channel: string, message: string) => void got.push({ channel, message }))
  await sub.psubscribe("hedge:*")
})
afterAll(async () => {
  sub?.disconnect()
  raw?.disconnect()
  await redis?.close()
})

const legacy: LegacyOptions = { documentedChannels: true, previousChannels: true, accountAName: "maker_1", accountBName: "hedger_2" }
const on = (channel: string) => got.filter((m) => m.channel === channel).map((m) => m.message)

describe("legacy messages during an in-process run over Redis", () => {
  it.live("success, partial, failed and a residual flush: every message decodes as the previous system's, with the exchange's values", () =>
    Effect.gen(function*() {
      const bus = () => busLayers({ redisUrl: redis.url, prefix: redis.prefix("legacy-engine"), market, legacy })
      const layer = bus()
      const h = yield* makeHarness(layer)
      // Each process's field of the positions hash, as main-a / main-b keep it (process.ts).
      const positions = (role: "a" | "b", account: number) =>
        makeLegacyPositions({
          role,
          accountIndex: account,
          marketId: market.marketId,
          readPosition: Effect.sync(() => h.ex.position(account, market.marketId).signedBase),
          readAvailableBalance: Effect.succeed(Option.some(1_000_000_000)),
          everyMs: 5_000
        })
      const posA = positions("a", A)
      const posB = positions("b", B)
      yield* Effect.forkScoped(Effect.all([posA.run, posB.run], { concurrency: 2 }).pipe(Effect.provide(layer)))
      yield* h.startHedger({ onAccountEvent: posB.observe })
      yield* h.startMaker({ onAccountEvent: posA.observe })

      // 1. Hedged in full.
      yield* fillQuote(h)
      yield* h.waitFor("hedge 1", () => h.results.length === 1)
      // 2. B's IOCs fill half, twice: 45 of 60, 15 back to the pool (below the minimum): partial.
      h.ex.nextMarketOrders(B, { kind: "partial", fraction: 0.5 }, { kind: "partial", fraction: 0.5 })
      yield* fillQuote(h)
      yield* h.waitFor("hedge 2", () => h.results.length === 2)
      // 3. Every attempt refused: failed; the pool is then hedged by a residual flush.
      h.ex.nextMarketOrders(B, ...Array.from({ length: 3 }, () => ({ kind: "reject" as const, code: 21739, message: "not enough margin" })))
      yield* fillQuote(h)
      yield* h.waitFor("the pool hedged, the pair flat", () => h.net() === 0 && h.results.some((r) => r.fillId.startsWith("residual:")), 15_000)
      expect(h.results.map((r) => r.status)).toEqual(["hedged", "partial", "failed", "hedged"])
      yield* Effect.sleep("200 millis")

      // A: one message per fill on each of its channels, with the fill's own values.
      const docA = on("hedge:account_a_filled").map((t) => decodeContract(DocumentedFillContract, DOCUMENTED_FILL_KEYS, t))
      const prevA = on("hedge:maker_1_to_hedger_2").map((t) => decodeContract(PreviousFillContract, PREVIOUS_FILL_KEYS, t))
      expect(docA.length).toBe(h.fills.length)
      expect(prevA.length).toBe(h.fills.length)
      h.fills.forEach((f, i) => {
        expect([docA[i]!.order_index, docA[i]!.side, docA[i]!.filled_base_amount, docA[i]!.avg_execution_price, docA[i]!.timestamp]).toEqual([
          f.orderIndex,
          f.side,
          plainDecimal(f.size, 5),
          plainDecimal(f.price, 1),
          f.detectedAtMs / 1000
        ])
        expect([prevA[i]!.order_index, prevA[i]!.account_index, prevA[i]!.filled_base_amount, prevA[i]!.avg_price]).toEqual([
          BigInt(f.orderIndex),
          BigInt(A),
          (f.size / 1e5).toFixed(5),
          (f.price / 10).toFixed(1)
        ])
      })

      // B: one message per result, in order, each with the real average of its own trades.
      const docB = on("hedge:account_b_filled").map((t) => decodeContract(DocumentedHedgeContract, DOCUMENTED_HEDGE_KEYS, t))
      expect(docB.map((m) => m.status)).toEqual(["success", "partial", "failed", "success"])
      h.results.forEach((r, i) => {
        const m = docB[i]!
        const orders = new Set(r.attempts.flatMap((a) => (a.orderIndex === undefined ? [] : [a.orderIndex])))
        const trades = h.ex.trades.filter((t) => orders.has(t.buyOrder) || orders.has(t.sellOrder))
        const size = trades.reduce((s, t) => s + t.size, 0)
        expect(size).toBe(Math.abs(r.hedgedSignedBase))
        expect(m.filled_base_amount).toBe(plainDecimal(size, 5))
        expect(m.avg_execution_price).toBe(size === 0 ? "0" : plainDecimal(Math.round(trades.reduce((s, t) => s + t.size * t.price, 0) / size), 1))
        expect(m.side).toBe(r.aSide === "buy" ? "sell" : "buy")
        expect(m.timestamp).toBe(r.doneAtMs / 1000)
        const last = [...r.attempts].reverse().find((a) => a.orderIndex !== undefined)
        expect(m.order_index).toBe(last?.orderIndex ?? "0")
      })
      expect(docB[1]!.filled_base_amount).toBe("0.00045")
      expect([docB[2]!.filled_base_amount, docB[2]!.avg_execution_price]).toEqual(["0", "0"])

      // The positions hash: both accounts as the exchange has them (flat now), with the balance read.
      const field = (name: string) =>
        Effect.promise(() => raw.hget("hedge:positions:maker_1_hedger_2:BTC", name)).pipe(
          Effect.map((t) => (t === null ? undefined : decodeContract(PreviousPositionContract, PREVIOUS_POSITION_KEYS, t)))
        )
      yield* h.waitForEffect("both fields as the exchange's positions", Effect.gen(function*() {
        const [a, b] = [yield* field("maker_1"), yield* field("hedger_2")]
        const pa = h.ex.position(A, market.marketId).signedBase
        const pb = h.ex.position(B, market.marketId).signedBase
        return a?.sign === BigInt(Math.sign(pa)) && a.size === Math.abs(pa) / 1e5 && b?.sign === BigInt(Math.sign(pb)) && b.size === Math.abs(pb) / 1e5
      }), 5_000)
      const a = (yield* field("maker_1"))!
      expect([a.account_index, a.market, a.available_balance]).toEqual([BigInt(A), "BTC", "1000.000000"])
      expect(new Set(got.map((m) => m.channel))).toEqual(new Set(["hedge:account_a_filled", "hedge:account_b_filled", "hedge:maker_1_to_hedger_2"]))
    }).pipe(Effect.scoped), 60_000)
})
