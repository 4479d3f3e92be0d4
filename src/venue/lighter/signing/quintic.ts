// GF(p^5) = GF(p)[X]/(X^5 − 3), the field ECgFp5 lives over
// (elliottech/poseidon_crypto field/goldilocks_quintic_extension).
//
// An element is a Float64Array(10): [lo0, hi0, lo1, hi1, …, lo4, hi4], coefficients canonical.
// Every operation writes into an `out` array that may alias its inputs; products accumulate all
// five terms of a coefficient before one reduction.
import * as F from "./goldilocks.ts"

export type Fp5 = Float64Array

export const make = (): Fp5 => new Float64Array(10)

export const fromLimbs = (limbs: ReadonlyArray<bigint>): Fp5 => {
  const out = make()
  for (let i = 0; i < 5; i++) {
    const e = F.fromBigInt(limbs[i] ?? 0n)
    out[2 * i] = e.lo
    out[2 * i + 1] = e.hi
  }
  return out
}

export const ZERO: Readonly<Fp5> = make()
export const ONE: Readonly<Fp5> = fromLimbs([1n])
export const TWO: Readonly<Fp5> = fromLimbs([2n])

export const copy = (out: Fp5, a: Fp5): Fp5 => {
  out.set(a)
  return out
}

export const clone = (a: Fp5): Fp5 => new Float64Array(a)

export const isZero = (a: Fp5): boolean => {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false
  return true
}

export const equals = (a: Fp5, b: Fp5): boolean => {
  for (let i = 0; i < 10; i++) if (a[i] !== b[i]) return false
  return true
}

export const add = (out: Fp5, a: Fp5, b: Fp5): Fp5 => {
  for (let i = 0; i < 10; i += 2) {
    F.reduceLH(a[i]! + b[i]!, a[i + 1]! + b[i + 1]!)
    out[i] = F.R.lo
    out[i + 1] = F.R.hi
  }
  return out
}

export const sub = (out: Fp5, a: Fp5, b: Fp5): Fp5 => {
  for (let i = 0; i < 10; i += 2) {
    F.reduceLH(a[i]! - b[i]!, a[i + 1]! - b[i + 1]!)
    out[i] = F.R.lo
    out[i + 1] = F.R.hi
  }
  return out
}

export const neg = (out: Fp5, a: Fp5): Fp5 => {
  for (let i = 0; i < 10; i += 2) {
    F.reduceLH(-a[i]!, -a[i + 1]!)
    out[i] = F.R.lo
    out[i + 1] = F.R.hi
  }
  return out
}

export const double = (out: Fp5, a: Fp5): Fp5 => add(out, a, a)

/** out = a · k for a small non-negative integer k (< 2^20). */
export const mulSmall = (out: Fp5, a: Fp5, k: number): Fp5 => {
  for (let i = 0; i < 10; i += 2) {
    F.reduceLH(a[i]! * k, a[i + 1]! * k)
    out[i] = F.R.lo
    out[i + 1] = F.R.hi
  }
  return out
}

/** out = a · s for a base-field scalar s. */
export const mulBase = (out: Fp5, a: Fp5, slo: number, shi: number): Fp5 => {
  for (let i = 0; i < 10; i += 2) {
    F.mul(a[i]!, a[i + 1]!, slo, shi)
    out[i] = F.R.lo
    out[i + 1] = F.R.hi
  }
  return out
}

const INV_TWO32 = 1 / 4294967296

// Generated straight-line code (see git history for the loop form it replaces).
/** out = a · b (mod X^5 − 3), unrolled: 25 products, their 32-bit partial products summed per column, one reduction per coefficient. */
export const mul = (out: Fp5, a: Fp5, b: Fp5): Fp5 => {
  const a0l = a[0]!, a0h = a[1]!, b0l = b[0]!, b0h = b[1]!
  const a1l = a[2]!, a1h = a[3]!, b1l = b[2]!, b1h = b[3]!
  const a2l = a[4]!, a2h = a[5]!, b2l = b[4]!, b2h = b[5]!
  const a3l = a[6]!, a3h = a[7]!, b3l = b[6]!, b3h = b[7]!
  const a4l = a[8]!, a4h = a[9]!, b4l = b[8]!, b4h = b[9]!
  let p = 0, l = 0
  let k0c0 = 0, k0c1 = 0, k0c2 = 0, k0c3 = 0
  let k1c0 = 0, k1c1 = 0, k1c2 = 0, k1c3 = 0
  let k2c0 = 0, k2c1 = 0, k2c2 = 0, k2c3 = 0
  let k3c0 = 0, k3c1 = 0, k3c2 = 0, k3c3 = 0
  let k4c0 = 0, k4c1 = 0, k4c2 = 0, k4c3 = 0
  p = a0l * b0l; l = Math.imul(a0l, b0l) >>> 0; k0c0 += l; k0c1 += Math.round((p - l) * INV_TWO32)
  p = a0l * b0h; l = Math.imul(a0l, b0h) >>> 0; k0c1 += l; k0c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b0l; l = Math.imul(a0h, b0l) >>> 0; k0c1 += l; k0c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b0h; l = Math.imul(a0h, b0h) >>> 0; k0c2 += l; k0c3 += Math.round((p - l) * INV_TWO32)
  p = a1l * b4l; l = Math.imul(a1l, b4l) >>> 0; k0c0 += 3 * l; k0c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a1l * b4h; l = Math.imul(a1l, b4h) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a1h * b4l; l = Math.imul(a1h, b4l) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a1h * b4h; l = Math.imul(a1h, b4h) >>> 0; k0c2 += 3 * l; k0c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2l * b3l; l = Math.imul(a2l, b3l) >>> 0; k0c0 += 3 * l; k0c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2l * b3h; l = Math.imul(a2l, b3h) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2h * b3l; l = Math.imul(a2h, b3l) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2h * b3h; l = Math.imul(a2h, b3h) >>> 0; k0c2 += 3 * l; k0c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3l * b2l; l = Math.imul(a3l, b2l) >>> 0; k0c0 += 3 * l; k0c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3l * b2h; l = Math.imul(a3l, b2h) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3h * b2l; l = Math.imul(a3h, b2l) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3h * b2h; l = Math.imul(a3h, b2h) >>> 0; k0c2 += 3 * l; k0c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b1l; l = Math.imul(a4l, b1l) >>> 0; k0c0 += 3 * l; k0c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b1h; l = Math.imul(a4l, b1h) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b1l; l = Math.imul(a4h, b1l) >>> 0; k0c1 += 3 * l; k0c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b1h; l = Math.imul(a4h, b1h) >>> 0; k0c2 += 3 * l; k0c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a0l * b1l; l = Math.imul(a0l, b1l) >>> 0; k1c0 += l; k1c1 += Math.round((p - l) * INV_TWO32)
  p = a0l * b1h; l = Math.imul(a0l, b1h) >>> 0; k1c1 += l; k1c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b1l; l = Math.imul(a0h, b1l) >>> 0; k1c1 += l; k1c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b1h; l = Math.imul(a0h, b1h) >>> 0; k1c2 += l; k1c3 += Math.round((p - l) * INV_TWO32)
  p = a1l * b0l; l = Math.imul(a1l, b0l) >>> 0; k1c0 += l; k1c1 += Math.round((p - l) * INV_TWO32)
  p = a1l * b0h; l = Math.imul(a1l, b0h) >>> 0; k1c1 += l; k1c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b0l; l = Math.imul(a1h, b0l) >>> 0; k1c1 += l; k1c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b0h; l = Math.imul(a1h, b0h) >>> 0; k1c2 += l; k1c3 += Math.round((p - l) * INV_TWO32)
  p = a2l * b4l; l = Math.imul(a2l, b4l) >>> 0; k1c0 += 3 * l; k1c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2l * b4h; l = Math.imul(a2l, b4h) >>> 0; k1c1 += 3 * l; k1c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2h * b4l; l = Math.imul(a2h, b4l) >>> 0; k1c1 += 3 * l; k1c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a2h * b4h; l = Math.imul(a2h, b4h) >>> 0; k1c2 += 3 * l; k1c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3l * b3l; l = Math.imul(a3l, b3l) >>> 0; k1c0 += 3 * l; k1c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3l * b3h; l = Math.imul(a3l, b3h) >>> 0; k1c1 += 3 * l; k1c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3h * b3l; l = Math.imul(a3h, b3l) >>> 0; k1c1 += 3 * l; k1c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3h * b3h; l = Math.imul(a3h, b3h) >>> 0; k1c2 += 3 * l; k1c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b2l; l = Math.imul(a4l, b2l) >>> 0; k1c0 += 3 * l; k1c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b2h; l = Math.imul(a4l, b2h) >>> 0; k1c1 += 3 * l; k1c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b2l; l = Math.imul(a4h, b2l) >>> 0; k1c1 += 3 * l; k1c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b2h; l = Math.imul(a4h, b2h) >>> 0; k1c2 += 3 * l; k1c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a0l * b2l; l = Math.imul(a0l, b2l) >>> 0; k2c0 += l; k2c1 += Math.round((p - l) * INV_TWO32)
  p = a0l * b2h; l = Math.imul(a0l, b2h) >>> 0; k2c1 += l; k2c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b2l; l = Math.imul(a0h, b2l) >>> 0; k2c1 += l; k2c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b2h; l = Math.imul(a0h, b2h) >>> 0; k2c2 += l; k2c3 += Math.round((p - l) * INV_TWO32)
  p = a1l * b1l; l = Math.imul(a1l, b1l) >>> 0; k2c0 += l; k2c1 += Math.round((p - l) * INV_TWO32)
  p = a1l * b1h; l = Math.imul(a1l, b1h) >>> 0; k2c1 += l; k2c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b1l; l = Math.imul(a1h, b1l) >>> 0; k2c1 += l; k2c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b1h; l = Math.imul(a1h, b1h) >>> 0; k2c2 += l; k2c3 += Math.round((p - l) * INV_TWO32)
  p = a2l * b0l; l = Math.imul(a2l, b0l) >>> 0; k2c0 += l; k2c1 += Math.round((p - l) * INV_TWO32)
  p = a2l * b0h; l = Math.imul(a2l, b0h) >>> 0; k2c1 += l; k2c2 += Math.round((p - l) * INV_TWO32)
  p = a2h * b0l; l = Math.imul(a2h, b0l) >>> 0; k2c1 += l; k2c2 += Math.round((p - l) * INV_TWO32)
  p = a2h * b0h; l = Math.imul(a2h, b0h) >>> 0; k2c2 += l; k2c3 += Math.round((p - l) * INV_TWO32)
  p = a3l * b4l; l = Math.imul(a3l, b4l) >>> 0; k2c0 += 3 * l; k2c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3l * b4h; l = Math.imul(a3l, b4h) >>> 0; k2c1 += 3 * l; k2c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3h * b4l; l = Math.imul(a3h, b4l) >>> 0; k2c1 += 3 * l; k2c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a3h * b4h; l = Math.imul(a3h, b4h) >>> 0; k2c2 += 3 * l; k2c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b3l; l = Math.imul(a4l, b3l) >>> 0; k2c0 += 3 * l; k2c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b3h; l = Math.imul(a4l, b3h) >>> 0; k2c1 += 3 * l; k2c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b3l; l = Math.imul(a4h, b3l) >>> 0; k2c1 += 3 * l; k2c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b3h; l = Math.imul(a4h, b3h) >>> 0; k2c2 += 3 * l; k2c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a0l * b3l; l = Math.imul(a0l, b3l) >>> 0; k3c0 += l; k3c1 += Math.round((p - l) * INV_TWO32)
  p = a0l * b3h; l = Math.imul(a0l, b3h) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b3l; l = Math.imul(a0h, b3l) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b3h; l = Math.imul(a0h, b3h) >>> 0; k3c2 += l; k3c3 += Math.round((p - l) * INV_TWO32)
  p = a1l * b2l; l = Math.imul(a1l, b2l) >>> 0; k3c0 += l; k3c1 += Math.round((p - l) * INV_TWO32)
  p = a1l * b2h; l = Math.imul(a1l, b2h) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b2l; l = Math.imul(a1h, b2l) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b2h; l = Math.imul(a1h, b2h) >>> 0; k3c2 += l; k3c3 += Math.round((p - l) * INV_TWO32)
  p = a2l * b1l; l = Math.imul(a2l, b1l) >>> 0; k3c0 += l; k3c1 += Math.round((p - l) * INV_TWO32)
  p = a2l * b1h; l = Math.imul(a2l, b1h) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a2h * b1l; l = Math.imul(a2h, b1l) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a2h * b1h; l = Math.imul(a2h, b1h) >>> 0; k3c2 += l; k3c3 += Math.round((p - l) * INV_TWO32)
  p = a3l * b0l; l = Math.imul(a3l, b0l) >>> 0; k3c0 += l; k3c1 += Math.round((p - l) * INV_TWO32)
  p = a3l * b0h; l = Math.imul(a3l, b0h) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a3h * b0l; l = Math.imul(a3h, b0l) >>> 0; k3c1 += l; k3c2 += Math.round((p - l) * INV_TWO32)
  p = a3h * b0h; l = Math.imul(a3h, b0h) >>> 0; k3c2 += l; k3c3 += Math.round((p - l) * INV_TWO32)
  p = a4l * b4l; l = Math.imul(a4l, b4l) >>> 0; k3c0 += 3 * l; k3c1 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4l * b4h; l = Math.imul(a4l, b4h) >>> 0; k3c1 += 3 * l; k3c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b4l; l = Math.imul(a4h, b4l) >>> 0; k3c1 += 3 * l; k3c2 += 3 * Math.round((p - l) * INV_TWO32)
  p = a4h * b4h; l = Math.imul(a4h, b4h) >>> 0; k3c2 += 3 * l; k3c3 += 3 * Math.round((p - l) * INV_TWO32)
  p = a0l * b4l; l = Math.imul(a0l, b4l) >>> 0; k4c0 += l; k4c1 += Math.round((p - l) * INV_TWO32)
  p = a0l * b4h; l = Math.imul(a0l, b4h) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b4l; l = Math.imul(a0h, b4l) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a0h * b4h; l = Math.imul(a0h, b4h) >>> 0; k4c2 += l; k4c3 += Math.round((p - l) * INV_TWO32)
  p = a1l * b3l; l = Math.imul(a1l, b3l) >>> 0; k4c0 += l; k4c1 += Math.round((p - l) * INV_TWO32)
  p = a1l * b3h; l = Math.imul(a1l, b3h) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b3l; l = Math.imul(a1h, b3l) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a1h * b3h; l = Math.imul(a1h, b3h) >>> 0; k4c2 += l; k4c3 += Math.round((p - l) * INV_TWO32)
  p = a2l * b2l; l = Math.imul(a2l, b2l) >>> 0; k4c0 += l; k4c1 += Math.round((p - l) * INV_TWO32)
  p = a2l * b2h; l = Math.imul(a2l, b2h) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a2h * b2l; l = Math.imul(a2h, b2l) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a2h * b2h; l = Math.imul(a2h, b2h) >>> 0; k4c2 += l; k4c3 += Math.round((p - l) * INV_TWO32)
  p = a3l * b1l; l = Math.imul(a3l, b1l) >>> 0; k4c0 += l; k4c1 += Math.round((p - l) * INV_TWO32)
  p = a3l * b1h; l = Math.imul(a3l, b1h) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a3h * b1l; l = Math.imul(a3h, b1l) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a3h * b1h; l = Math.imul(a3h, b1h) >>> 0; k4c2 += l; k4c3 += Math.round((p - l) * INV_TWO32)
  p = a4l * b0l; l = Math.imul(a4l, b0l) >>> 0; k4c0 += l; k4c1 += Math.round((p - l) * INV_TWO32)
  p = a4l * b0h; l = Math.imul(a4l, b0h) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a4h * b0l; l = Math.imul(a4h, b0l) >>> 0; k4c1 += l; k4c2 += Math.round((p - l) * INV_TWO32)
  p = a4h * b0h; l = Math.imul(a4h, b0h) >>> 0; k4c2 += l; k4c3 += Math.round((p - l) * INV_TWO32)
  F.reduceLH(k0c0 - k0c2 - k0c3, k0c1 + k0c2)
  const r0l = F.R.lo, r0h = F.R.hi
  F.reduceLH(k1c0 - k1c2 - k1c3, k1c1 + k1c2)
  const r1l = F.R.lo, r1h = F.R.hi
  F.reduceLH(k2c0 - k2c2 - k2c3, k2c1 + k2c2)
  const r2l = F.R.lo, r2h = F.R.hi
  F.reduceLH(k3c0 - k3c2 - k3c3, k3c1 + k3c2)
  const r3l = F.R.lo, r3h = F.R.hi
  F.reduceLH(k4c0 - k4c2 - k4c3, k4c1 + k4c2)
  const r4l = F.R.lo, r4h = F.R.hi
  out[0] = r0l
  out[1] = r0h
  out[2] = r1l
  out[3] = r1h
  out[4] = r2l
  out[5] = r2h
  out[6] = r3l
  out[7] = r3h
  out[8] = r4l
  out[9] = r4h
  return out
}

export const square = (out: Fp5, a: Fp5): Fp5 => mul(out, a, a)

/** out = a^(2^n) */
export const squareN = (out: Fp5, a: Fp5, n: number): Fp5 => {
  copy(out, a)
  for (let i = 0; i < n; i++) mul(out, out, out)
  return out
}

/** The Frobenius map applied `count` times: coefficient i is multiplied by (ω^count)^i, ω = a 5th root of unity. */
const DTH_ROOT = 1041288259238279555n
const FROB: Array<Array<{ lo: number; hi: number }>> = (() => {
  const table: Array<Array<{ lo: number; hi: number }>> = []
  for (let count = 0; count < 5; count++) {
    const z0 = (DTH_ROOT ** BigInt(count)) % F.P
    const row: Array<{ lo: number; hi: number }> = []
    for (let i = 0; i < 5; i++) row.push(F.fromBigInt((z0 ** BigInt(i)) % F.P))
    table.push(row)
  }
  return table
})()

export const frobenius = (out: Fp5, a: Fp5, count = 1): Fp5 => {
  const row = FROB[count % 5]!
  for (let i = 0; i < 5; i++) {
    F.mul(a[2 * i]!, a[2 * i + 1]!, row[i]!.lo, row[i]!.hi)
    out[2 * i] = F.R.lo
    out[2 * i + 1] = F.R.hi
  }
  return out
}

/** The base-field coefficient 0 of a · b (the norm's last step). */
const mulCoeff0 = (a: Fp5, b: Fp5): { lo: number; hi: number } => {
  F.accReset()
  F.mulAcc(a[0]!, a[1]!, b[0]!, b[1]!, 1)
  for (let i = 1; i < 5; i++) F.mulAcc(a[2 * i]!, a[2 * i + 1]!, b[2 * (5 - i)]!, b[2 * (5 - i) + 1]!, 3)
  F.accReduce()
  return { lo: F.R.lo, hi: F.R.hi }
}

const d = make()
const e = make()
const f = make()
const t = make()

/** out = 1/a, or 0 for a = 0: a^(r−1) by Frobenius maps, divided by the norm a^r ∈ GF(p). */
export const inverseOrZero = (out: Fp5, a: Fp5): Fp5 => {
  if (isZero(a)) return copy(out, ZERO)
  frobenius(d, a, 1)
  frobenius(t, d, 1)
  mul(e, d, t)
  frobenius(t, e, 2)
  mul(f, e, t)
  const g = mulCoeff0(a, f)
  F.inverseOrZero(g.lo, g.hi)
  return mulBase(out, f, F.R.lo, F.R.hi)
}

/** GF(p)-valued Legendre symbol of a (1 square, p−1 non-square, 0 zero). */
export const legendre = (a: Fp5): { lo: number; hi: number } => {
  const f1 = frobenius(make(), a, 1)
  const f2 = frobenius(make(), f1, 1)
  const f12 = mul(make(), f1, f2)
  const f2f12 = frobenius(make(), f12, 2)
  const xr = mul(make(), mul(make(), a, f12), f2f12)
  F.squareN(xr[0]!, xr[1]!, 31)
  const xr31 = { lo: F.R.lo, hi: F.R.hi }
  F.inverseOrZero(xr31.lo, xr31.hi)
  const inv = { lo: F.R.lo, hi: F.R.hi }
  F.squareN(xr31.lo, xr31.hi, 32)
  F.mul(F.R.lo, F.R.hi, inv.lo, inv.hi)
  return { lo: F.R.lo, hi: F.R.hi }
}

/** A square root of a, or undefined when there is none. */
export const sqrt = (a: Fp5): Fp5 | undefined => {
  const v = squareN(make(), a, 31)
  const dd = mul(make(), mul(make(), a, squareN(make(), v, 32)), inverseOrZero(make(), v))
  const ee = frobenius(make(), mul(make(), dd, frobenius(make(), dd, 2)), 1)
  const ff = square(make(), ee)
  const g = mulCoeff0(a, ff)
  if (!F.sqrt(g.lo, g.hi)) return undefined
  const s = { lo: F.R.lo, hi: F.R.hi }
  return mulBase(make(), inverseOrZero(make(), ee), s.lo, s.hi)
}

/** "Sign" of an element: the parity of its first non-zero coefficient is even. */
export const sgn0 = (a: Fp5): boolean => {
  let sign = false
  let zero = true
  for (let i = 0; i < 5; i++) {
    const lo = a[2 * i]!
    const hi = a[2 * i + 1]!
    const even = (lo & 1) === 0
    sign = sign || (zero && even)
    zero = zero && lo === 0 && hi === 0
  }
  return sign
}

/** The square root whose sign is false (so that decoding is canonical). */
export const canonicalSqrt = (a: Fp5): Fp5 | undefined => {
  const s = sqrt(a)
  if (s === undefined) return undefined
  return sgn0(s) ? neg(s, s) : s
}

// ───────────── bytes ─────────────

export const toBytes = (a: Fp5, out: Uint8Array = new Uint8Array(40), off = 0): Uint8Array => {
  for (let i = 0; i < 5; i++) F.writeLE(out, off + 8 * i, a[2 * i]!, a[2 * i + 1]!)
  return out
}

/** Reads 40 little-endian bytes; undefined when a coefficient is not canonical (≥ p). */
export const fromBytes = (b: Uint8Array, off = 0): Fp5 | undefined => {
  const out = make()
  for (let i = 0; i < 5; i++) {
    if (!F.isCanonicalLE(b, off + 8 * i)) return undefined
    const x = F.readLE(b, off + 8 * i)
    out[2 * i] = x.lo
    out[2 * i + 1] = x.hi
  }
  return out
}

export const toLimbs = (a: Fp5): bigint[] => [0, 1, 2, 3, 4].map((i) => F.toBigInt(a[2 * i]!, a[2 * i + 1]!))
