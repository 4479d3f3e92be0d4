// Poseidon2 over Goldilocks, width 12, rate 8, x^7 S-box, 4 + 22 + 4 rounds
// (elliottech/poseidon_crypto hash/poseidon2_goldilocks_plonky2), and the sponge modes the
// Lighter signer uses: hash-n-to-m without padding (overwrite mode), hash to GF(p^5), and
// hash-n-to-one over 4-element digests.
//
// The state is 24 numbers (lo, hi per lane) in a Float64Array; linear layers sum lanes lazily
// and reduce once per lane.
import * as F from "./goldilocks.ts"
import { EXTERNAL_CONSTANTS, INTERNAL_CONSTANTS, MATRIX_DIAG } from "./poseidon2-constants.ts"
import * as Q from "./quintic.ts"

export const WIDTH = 12
export const RATE = 8

const split = (xs: ReadonlyArray<bigint>): Float64Array => {
  const out = new Float64Array(xs.length * 2)
  xs.forEach((x, i) => {
    const e = F.fromBigInt(x)
    out[2 * i] = e.lo
    out[2 * i + 1] = e.hi
  })
  return out
}

const EXT = EXTERNAL_CONSTANTS.map(split)
const INT = split(INTERNAL_CONSTANTS)
const DIAG = split(MATRIX_DIAG)

const T = new Float64Array(24)

/** The external linear layer: M4 on each group of four lanes, then each lane plus the sum of its column. */
const externalLayer = (s: Float64Array): void => {
  // Work on unreduced integer sums (each < 2^40), one reduction per lane at the end.
  for (let g = 0; g < 12; g += 4) {
    for (let h = 0; h < 2; h++) {
      const x0 = s[2 * g + h]!
      const x1 = s[2 * (g + 1) + h]!
      const x2 = s[2 * (g + 2) + h]!
      const x3 = s[2 * (g + 3) + h]!
      const t01 = x0 + x1
      const t23 = x2 + x3
      const t0123 = t01 + t23
      // M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]]
      T[2 * g + h] = t0123 + t01 + x1
      T[2 * (g + 1) + h] = t0123 + x1 + 2 * x2
      T[2 * (g + 2) + h] = t0123 + t23 + x3
      T[2 * (g + 3) + h] = t0123 + x3 + 2 * x0
    }
  }
  for (let k = 0; k < 4; k++) {
    const sumLo = T[2 * k]! + T[2 * (k + 4)]! + T[2 * (k + 8)]!
    const sumHi = T[2 * k + 1]! + T[2 * (k + 4) + 1]! + T[2 * (k + 8) + 1]!
    for (let j = k; j < 12; j += 4) {
      F.reduceLH(T[2 * j]! + sumLo, T[2 * j + 1]! + sumHi)
      s[2 * j] = F.R.lo
      s[2 * j + 1] = F.R.hi
    }
  }
}

/** The internal linear layer: state[i] = state[i]·diag[i] + Σ state. */
const internalLayer = (s: Float64Array): void => {
  let sumLo = 0
  let sumHi = 0
  for (let i = 0; i < 24; i += 2) {
    sumLo += s[i]!
    sumHi += s[i + 1]!
  }
  F.reduceLH(sumLo, sumHi)
  const slo = F.R.lo
  const shi = F.R.hi
  const A = F.ACC
  for (let i = 0; i < 24; i += 2) {
    F.accReset()
    F.mulAcc(s[i]!, s[i + 1]!, DIAG[i]!, DIAG[i + 1]!, 1)
    F.reduceLH(A.c0 - A.c2 - A.c3 + slo, A.c1 + A.c2 + shi)
    s[i] = F.R.lo
    s[i + 1] = F.R.hi
  }
}

/** lane i ← lane i ^ 7 */
const sbox = (s: Float64Array, i: number): void => {
  const lo = s[i]!
  const hi = s[i + 1]!
  F.mul(lo, hi, lo, hi)
  const x2lo = F.R.lo
  const x2hi = F.R.hi
  F.mul(x2lo, x2hi, lo, hi)
  F.mul(F.R.lo, F.R.hi, F.R.lo, F.R.hi)
  F.mul(F.R.lo, F.R.hi, lo, hi)
  s[i] = F.R.lo
  s[i + 1] = F.R.hi
}

const fullRounds = (s: Float64Array, start: number): void => {
  for (let r = start; r < start + 4; r++) {
    const rc = EXT[r]!
    for (let i = 0; i < 24; i += 2) {
      F.reduceLH(s[i]! + rc[i]!, s[i + 1]! + rc[i + 1]!)
      s[i] = F.R.lo
      s[i + 1] = F.R.hi
      sbox(s, i)
    }
    externalLayer(s)
  }
}

/** The Poseidon2 permutation, in place on a 24-number state. */
export const permute = (s: Float64Array): void => {
  externalLayer(s)
  fullRounds(s, 0)
  for (let r = 0; r < 22; r++) {
    F.reduceLH(s[0]! + INT[2 * r]!, s[1]! + INT[2 * r + 1]!)
    s[0] = F.R.lo
    s[1] = F.R.hi
    sbox(s, 0)
    internalLayer(s)
  }
  fullRounds(s, 4)
}

const STATE = new Float64Array(24)

/**
 * Sponge without padding: absorb `input` (n canonical elements as lo/hi pairs) 8 lanes at a time
 * by overwriting, permuting after each chunk; then squeeze `numOutputs` elements into `out`.
 * An empty input is never permuted (its outputs are zero), as in the reference.
 */
export const hashNToMNoPad = (input: Float64Array, n: number, numOutputs: number, out: Float64Array): Float64Array => {
  const s = STATE
  s.fill(0)
  for (let i = 0; i < n; i += RATE) {
    for (let j = 0; j < RATE && i + j < n; j++) {
      s[2 * j] = input[2 * (i + j)]!
      s[2 * j + 1] = input[2 * (i + j) + 1]!
    }
    permute(s)
  }
  let produced = 0
  for (;;) {
    for (let j = 0; j < RATE; j++) {
      out[2 * produced] = s[2 * j]!
      out[2 * produced + 1] = s[2 * j + 1]!
      produced++
      if (produced === numOutputs) return out
    }
    permute(s)
  }
}

/** Poseidon2 of n elements, squeezed to one GF(p^5) element. */
export const hashToQuintic = (input: Float64Array, n: number, out: Q.Fp5 = Q.make()): Q.Fp5 => hashNToMNoPad(input, n, 5, out)

/** Poseidon2 of n elements to a 4-element digest. */
export const hashNoPad = (input: Float64Array, n: number): Float64Array => hashNToMNoPad(input, n, 4, new Float64Array(8))

/** Folds digests pairwise: h(h(h(d0, d1), d2), …); one digest is returned as it is. */
export const hashNToOne = (digests: ReadonlyArray<Float64Array>): Float64Array => {
  if (digests.length === 1) return digests[0]!
  const buf = new Float64Array(16)
  let acc = digests[0]!
  for (let i = 1; i < digests.length; i++) {
    buf.set(acc.subarray(0, 8), 0)
    buf.set(digests[i]!.subarray(0, 8), 8)
    acc = hashNoPad(buf, 8)
  }
  return acc
}

/** Elements from bigints (each reduced mod p), as the lo/hi pairs the sponge reads. */
export const elements = (xs: ReadonlyArray<bigint>): Float64Array => split(xs)

/** Elements from bytes: 8 bytes little-endian per element, the last one zero-padded (lighter-go ArrayFromCanonicalLittleEndianBytes). */
export const elementsFromBytes = (b: Uint8Array): { data: Float64Array; n: number } => {
  const n = Math.ceil(b.length / 8)
  const padded = new Uint8Array(n * 8)
  padded.set(b)
  const data = new Float64Array(2 * n)
  for (let i = 0; i < n; i++) {
    const e = F.readLE(padded, 8 * i)
    data[2 * i] = e.lo
    data[2 * i + 1] = e.hi
  }
  return { data, n }
}
