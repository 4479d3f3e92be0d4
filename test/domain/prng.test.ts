// The one PRNG (mulberry32): the same seed gives the same sequence (simulator markets, chaos
// plans and the in-memory exchange replay from their seeds), values stay in their ranges.
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Prng } from "../../src/domain/prng.ts"

const take = (p: Prng, n: number) => Array.from({ length: n }, () => p.next())

describe("Prng", () => {
  it("is mulberry32: the widely quoted first value for seed 1, and the reference code's sequence for any seed", () => {
    expect(new Prng(1).next()).toBe(0.6270739405881613)
    // The reference implementation as published (bryc/code, "mulberry32"), written independently.
    const reference = (a: number) => () => {
      let t = (a += 0x6d2b79f5)
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), (seed) => {
      const r = reference(seed)
      expect(take(new Prng(seed), 10)).toEqual(Array.from({ length: 10 }, r))
    }))
  })
  it("replays from its seed, and other seeds differ; seed 0 is a fixed non-zero state", () => {
    expect(take(new Prng(42), 20)).toEqual(take(new Prng(42), 20))
    expect(take(new Prng(42), 5)).not.toEqual(take(new Prng(43), 5))
    expect(take(new Prng(0), 5)).toEqual(take(new Prng(0x9e3779b9), 5))
  })
  it("next in [0, 1); int within its bounds, both reached; bool by its probability; gaussian finite", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
      const p = new Prng(seed)
      for (let i = 0; i < 50; i++) {
        const x = p.next()
        expect(x >= 0 && x < 1).toBe(true)
        const n = p.int(-3, 3)
        expect(Number.isInteger(n) && n >= -3 && n <= 3).toBe(true)
        expect(Number.isFinite(p.gaussian())).toBe(true)
      }
    }), { numRuns: 50 })
    const p = new Prng(7)
    const ints = new Set(Array.from({ length: 500 }, () => p.int(1, 4)))
    expect([...ints].sort()).toEqual([1, 2, 3, 4])
    const q = new Prng(9)
    const trues = Array.from({ length: 4000 }, () => q.bool(0.25)).filter(Boolean).length
    expect(trues).toBeGreaterThan(850)
    expect(trues).toBeLessThan(1150)
    expect(Array.from({ length: 100 }, () => new Prng(3).bool(0)).some(Boolean)).toBe(false)
    expect(Array.from({ length: 100 }, () => new Prng(3).bool(1)).every(Boolean)).toBe(true)
    // gaussian is Box–Muller over two draws of the same sequence.
    const bm = new Prng(5)
    const raw = new Prng(5)
    for (let i = 0; i < 20; i++) {
      const u = Math.max(raw.next(), 1e-12)
      const v = raw.next()
      expect(bm.gaussian()).toBe(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
    }
    const r = new Prng(11)
    const g = Array.from({ length: 4000 }, () => r.gaussian())
    const mean = g.reduce((a, b) => a + b, 0) / g.length
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length)
    expect(Math.abs(mean)).toBeLessThan(0.1)
    expect(Math.abs(sd - 1)).toBeLessThan(0.1)
  })
})
