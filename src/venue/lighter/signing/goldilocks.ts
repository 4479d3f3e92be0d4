// The Goldilocks field, p = 2^64 − 2^32 + 1 (elliottech/poseidon_crypto field/goldilocks).
//
// An element is two 32-bit halves held in JS numbers (lo, hi), always canonical (< p). No BigInt
// and no allocation on the hot path: results land in the module registers `R.lo` / `R.hi`, which
// callers copy out at once. Products of 32-bit halves are made exact with Math.imul (low word)
// plus a float product corrected by it (high word); reduction uses 2^64 ≡ 2^32 − 1 and
// 2^96 ≡ −1 (mod p).

export const P = 0xffffffff00000001n
const TWO32 = 4294967296
const INV_TWO32 = 1 / TWO32

/** Result registers of the last operation. */
export const R = { lo: 0, hi: 0 }

/**
 * Sets R to (L + H·2^32) mod p, canonical. L and H are integers (possibly negative) with
 * |L|, |H| < 2^52.
 */
export const reduceLH = (L: number, H: number): void => {
  let c = Math.floor(L * INV_TWO32)
  L -= c * TWO32
  H += c
  while (H >= TWO32 || H < 0) {
    // H·2^32 = hl·2^32 + hh·2^64 ≡ hl·2^32 + hh·2^32 − hh
    const hh = Math.floor(H * INV_TWO32)
    H = H - hh * TWO32 + hh
    L -= hh
    c = Math.floor(L * INV_TWO32)
    L -= c * TWO32
    H += c
  }
  // value = H·2^32 + L < 2^64; subtract p once when value ≥ p (only possible with H = 2^32 − 1)
  if (H === 4294967295 && L >= 1) {
    H = 0
    L -= 1
  }
  R.lo = L
  R.hi = H
}

/** Column sums of a 64×64-bit product, accumulated by mulAcc: value = c0 + c1·2^32 + c2·2^64 + c3·2^96. */
export const ACC = { c0: 0, c1: 0, c2: 0, c3: 0 }

export const accReset = (): void => {
  ACC.c0 = 0
  ACC.c1 = 0
  ACC.c2 = 0
  ACC.c3 = 0
}

/** ACC += w · (a · b) for canonical a, b and a small integer weight w (≤ 8). */
export const mulAcc = (alo: number, ahi: number, blo: number, bhi: number, w: number): void => {
  // exact 32×32 products: low word by imul, high word from the float product
  let p = alo * blo
  let l = Math.imul(alo, blo) >>> 0
  const llH = Math.round((p - l) * INV_TWO32)
  const llL = l
  p = alo * bhi
  l = Math.imul(alo, bhi) >>> 0
  const lhH = Math.round((p - l) * INV_TWO32)
  const lhL = l
  p = ahi * blo
  l = Math.imul(ahi, blo) >>> 0
  const hlH = Math.round((p - l) * INV_TWO32)
  const hlL = l
  p = ahi * bhi
  l = Math.imul(ahi, bhi) >>> 0
  const hhH = Math.round((p - l) * INV_TWO32)
  const hhL = l
  ACC.c0 += w * llL
  ACC.c1 += w * (llH + lhL + hlL)
  ACC.c2 += w * (lhH + hlH + hhL)
  ACC.c3 += w * hhH
}

/** R = ACC mod p (columns below 2^50 each). */
export const accReduce = (): void => {
  // c2·2^64 ≡ c2·2^32 − c2, c3·2^96 ≡ −c3
  reduceLH(ACC.c0 - ACC.c2 - ACC.c3, ACC.c1 + ACC.c2)
}

/** R = a · b (mulAcc + accReduce with locals: the hash's S-boxes live on this). */
export const mul = (alo: number, ahi: number, blo: number, bhi: number): void => {
  let p = alo * blo
  let l = Math.imul(alo, blo) >>> 0
  const c0 = l
  let c1 = Math.round((p - l) * INV_TWO32)
  p = alo * bhi
  l = Math.imul(alo, bhi) >>> 0
  c1 += l
  let c2 = Math.round((p - l) * INV_TWO32)
  p = ahi * blo
  l = Math.imul(ahi, blo) >>> 0
  c1 += l
  c2 += Math.round((p - l) * INV_TWO32)
  p = ahi * bhi
  l = Math.imul(ahi, bhi) >>> 0
  c2 += l
  const c3 = Math.round((p - l) * INV_TWO32)
  reduceLH(c0 - c2 - c3, c1 + c2)
}

/** R = a + b */
export const add = (alo: number, ahi: number, blo: number, bhi: number): void => reduceLH(alo + blo, ahi + bhi)

/** R = a − b */
export const sub = (alo: number, ahi: number, blo: number, bhi: number): void => reduceLH(alo - blo, ahi - bhi)

/** R = −a */
export const neg = (alo: number, ahi: number): void => reduceLH(-alo, -ahi)

// ───────────── slower helpers for exponentiation, inversion and square roots (not per-operation hot) ─────────────

/** R = a^e for a non-negative bigint exponent. */
export const pow = (alo: number, ahi: number, e: bigint): void => {
  let rlo = 1
  let rhi = 0
  let blo = alo
  let bhi = ahi
  while (e > 0n) {
    if ((e & 1n) === 1n) {
      mul(rlo, rhi, blo, bhi)
      rlo = R.lo
      rhi = R.hi
    }
    e >>= 1n
    if (e > 0n) {
      mul(blo, bhi, blo, bhi)
      blo = R.lo
      bhi = R.hi
    }
  }
  R.lo = rlo
  R.hi = rhi
}

/** R = a^(2^n) */
export const squareN = (alo: number, ahi: number, n: number): void => {
  let lo = alo
  let hi = ahi
  for (let i = 0; i < n; i++) {
    mul(lo, hi, lo, hi)
    lo = R.lo
    hi = R.hi
  }
  R.lo = lo
  R.hi = hi
}

/** R = 1/a, or 0 when a = 0: a^(p−2) by the reference's addition chain (p − 2 = 2^64 − 2^32 − 1). */
export const inverseOrZero = (alo: number, ahi: number): void => {
  const mulR = (blo: number, bhi: number): { lo: number; hi: number } => {
    mul(R.lo, R.hi, blo, bhi)
    return { lo: R.lo, hi: R.hi }
  }
  mul(alo, ahi, alo, ahi)
  const t2 = mulR(alo, ahi) // a^3
  mul(t2.lo, t2.hi, t2.lo, t2.hi)
  const t3 = mulR(alo, ahi) // a^7
  squareN(t3.lo, t3.hi, 3)
  const t6 = mulR(t3.lo, t3.hi)
  squareN(t6.lo, t6.hi, 6)
  const t12 = mulR(t6.lo, t6.hi)
  squareN(t12.lo, t12.hi, 12)
  const t24 = mulR(t12.lo, t12.hi)
  squareN(t24.lo, t24.hi, 6)
  const t30 = mulR(t6.lo, t6.hi)
  mul(t30.lo, t30.hi, t30.lo, t30.hi)
  const t31 = mulR(alo, ahi)
  squareN(t31.lo, t31.hi, 32)
  const t63 = mulR(t31.lo, t31.hi)
  mul(t63.lo, t63.hi, t63.lo, t63.hi)
  mulR(alo, ahi)
}

export const isZero = (lo: number, hi: number): boolean => lo === 0 && hi === 0

// ───────────── conversions (edges only) ─────────────

/** Canonical element from any non-negative or negative integer (reduced mod p, like a Go int64 → uint64 cast then mod p). */
export const fromBigInt = (x: bigint): { lo: number; hi: number } => {
  let v = x % P
  if (v < 0n) v += P
  return { lo: Number(v & 0xffffffffn), hi: Number(v >> 32n) }
}

/** An int64 field value as the Go signer feeds it to the hash: `GoldilocksField(uint64(x))`, reduced mod p. */
export const fromInt64 = (x: bigint): { lo: number; hi: number } => fromBigInt(BigInt.asUintN(64, x))

export const toBigInt = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo)

/** Reads 8 little-endian bytes as a u64 and reduces it mod p. */
export const readLE = (b: Uint8Array, off: number): { lo: number; hi: number } => {
  const lo = (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0
  const hi = (b[off + 4]! | (b[off + 5]! << 8) | (b[off + 6]! << 16) | (b[off + 7]! << 24)) >>> 0
  reduceLH(lo, hi)
  return { lo: R.lo, hi: R.hi }
}

/** Writes a canonical element as 8 little-endian bytes. */
export const writeLE = (b: Uint8Array, off: number, lo: number, hi: number): void => {
  b[off] = lo & 0xff
  b[off + 1] = (lo >>> 8) & 0xff
  b[off + 2] = (lo >>> 16) & 0xff
  b[off + 3] = lo >>> 24
  b[off + 4] = hi & 0xff
  b[off + 5] = (hi >>> 8) & 0xff
  b[off + 6] = (hi >>> 16) & 0xff
  b[off + 7] = hi >>> 24
}

/** Is the u64 at `off` (little-endian) below p? (canonical encodings only) */
export const isCanonicalLE = (b: Uint8Array, off: number): boolean => {
  const hi = (b[off + 4]! | (b[off + 5]! << 8) | (b[off + 6]! << 16) | (b[off + 7]! << 24)) >>> 0
  const lo = (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0
  return hi < 0xffffffff || lo === 0
}

// ───────────── square roots (Tonelli–Shanks, two-adicity 32) ─────────────

const TWO_ADICITY = 32
/** A generator of the 2^32-th roots of unity (poseidon_crypto POWER_OF_TWO_GENERATOR). */
const POWER_OF_TWO_GENERATOR = fromBigInt(7277203076849721926n)

/** Legendre-style test: a^((p−1)/2) is 1 for squares (and 0 → true). */
export const isSquare = (alo: number, ahi: number): boolean => {
  if (isZero(alo, ahi)) return true
  pow(alo, ahi, (P - 1n) >> 1n)
  return R.lo === 1 && R.hi === 0
}

/** R = a square root of a, returning false when a is not a square. */
export const sqrt = (alo: number, ahi: number): boolean => {
  if (isZero(alo, ahi)) {
    R.lo = 0
    R.hi = 0
    return true
  }
  if (!isSquare(alo, ahi)) return false
  const t = (P - 1n) >> BigInt(TWO_ADICITY)
  let z = { ...POWER_OF_TWO_GENERATOR }
  pow(alo, ahi, (t - 1n) >> 1n)
  let w = { lo: R.lo, hi: R.hi }
  mul(alo, ahi, w.lo, w.hi)
  let x = { lo: R.lo, hi: R.hi }
  mul(x.lo, x.hi, w.lo, w.hi)
  let b = { lo: R.lo, hi: R.hi }
  let v = TWO_ADICITY
  while (!(b.lo === 1 && b.hi === 0)) {
    let k = 0
    let b2k = { ...b }
    while (!(b2k.lo === 1 && b2k.hi === 0)) {
      mul(b2k.lo, b2k.hi, b2k.lo, b2k.hi)
      b2k = { lo: R.lo, hi: R.hi }
      k++
    }
    squareN(z.lo, z.hi, v - k - 1)
    w = { lo: R.lo, hi: R.hi }
    mul(w.lo, w.hi, w.lo, w.hi)
    z = { lo: R.lo, hi: R.hi }
    mul(b.lo, b.hi, z.lo, z.hi)
    b = { lo: R.lo, hi: R.hi }
    mul(x.lo, x.hi, w.lo, w.hi)
    x = { lo: R.lo, hi: R.hi }
    v = k
  }
  R.lo = x.lo
  R.hi = x.hi
  return true
}
