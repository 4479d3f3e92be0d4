// The ECgFp5 group (Pornin's curve y² = x(x² + 2x + 263·X) over GF(p^5), prime order n), as in
// elliottech/poseidon_crypto curve/ecgfp5/point.go.
//
// Points use fractional (x, u) coordinates: (x, u) = (X/Z, U/T) with u = x/y; the neutral is
// (0, 0). The addition formulas are complete and already implement the group law
// P ⊕ Q = P + Q + N. A point encodes to one GF(p^5) element w = T/U (1/u), decoded canonically.
//
// Scalar multiplication by the generator uses a precomputed table of d·16^i·G (4-bit windows, in
// affine form), so a signature costs 80 mixed additions and no doublings. Note: table lookups are
// indexed by secret digits; JavaScript gives no constant-time guarantee in any case.
import * as Q from "./quintic.ts"
import * as S from "./scalar.ts"

export interface Point {
  readonly x: Q.Fp5
  readonly z: Q.Fp5
  readonly u: Q.Fp5
  readonly t: Q.Fp5
}

export interface Affine {
  readonly x: Q.Fp5
  readonly u: Q.Fp5
}

const B = Q.fromLimbs([0n, 263n])
const B2 = Q.fromLimbs([0n, 2n * 263n])
const B4 = Q.fromLimbs([0n, 4n * 263n])
const A = Q.fromLimbs([2n])
const FOUR = Q.fromLimbs([4n])

export const point = (): Point => ({ x: Q.make(), z: Q.make(), u: Q.make(), t: Q.make() })

export const neutral = (): Point => ({ x: Q.make(), z: Q.clone(Q.ONE), u: Q.make(), t: Q.clone(Q.ONE) })

export const GENERATOR: Point = {
  x: Q.fromLimbs([12883135586176881569n, 4356519642755055268n, 5248930565894896907n, 2165973894480315022n, 2448410071095648785n]),
  z: Q.clone(Q.ONE),
  u: Q.clone(Q.ONE),
  t: Q.fromLimbs([4n])
}

export const copyPoint = (out: Point, p: Point): Point => {
  out.x.set(p.x)
  out.z.set(p.z)
  out.u.set(p.u)
  out.t.set(p.t)
  return out
}

export const isNeutral = (p: Point): boolean => Q.isZero(p.u)

export const equals = (p: Point, q: Point): boolean => Q.equals(Q.mul(Q.make(), p.u, q.t), Q.mul(Q.make(), q.u, p.t))

// scratch registers for the formulas (module-level: no allocation per operation)
const t1 = Q.make()
const t2 = Q.make()
const t3 = Q.make()
const t4 = Q.make()
const t5 = Q.make()
const t6 = Q.make()
const t7 = Q.make()
const t8 = Q.make()
const t9 = Q.make()
const t10 = Q.make()
const s1 = Q.make()
const s2 = Q.make()
const s3 = Q.make()

/** out = p ⊕ q (complete formulas, 10M); out may alias p or q. */
export const add = (out: Point, p: Point, q: Point): Point => {
  Q.mul(t1, p.x, q.x)
  Q.mul(t2, p.z, q.z)
  Q.mul(t3, p.u, q.u)
  Q.mul(t4, p.t, q.t)
  Q.mul(t5, Q.add(s1, p.x, p.z), Q.add(s2, q.x, q.z))
  Q.sub(t5, t5, Q.add(s1, t1, t2))
  Q.mul(t6, Q.add(s1, p.u, p.t), Q.add(s2, q.u, q.t))
  Q.sub(t6, t6, Q.add(s1, t3, t4))
  return finish(out)
}

/** out = p ⊕ a for an affine a (8M). */
export const addAffine = (out: Point, p: Point, a: Affine): Point => {
  Q.mul(t1, p.x, a.x)
  t2.set(p.z)
  Q.mul(t3, p.u, a.u)
  t4.set(p.t)
  Q.add(t5, p.x, Q.mul(s1, a.x, p.z))
  Q.add(t6, p.u, Q.mul(s1, a.u, p.t))
  return finish(out)
}

/** Shared tail of both additions, from t1…t6. */
const finish = (out: Point): Point => {
  Q.add(t7, t1, Q.mul(s1, t2, B))
  Q.mul(t8, t4, t7)
  Q.mul(t9, t3, Q.add(s1, Q.mul(s2, t5, B2), Q.double(s3, t7)))
  Q.mul(t10, Q.add(s1, t4, Q.double(s2, t3)), Q.add(s2, t5, t7))
  Q.mul(out.x, Q.sub(s1, t10, t8), B)
  Q.mul(out.u, t6, Q.sub(s1, Q.mul(s2, t2, B), t1))
  Q.sub(out.z, t8, t9)
  Q.add(out.t, t8, t9)
  return out
}

/** out = 2p (4M + 5S); out may alias p. */
export const double = (out: Point, p: Point): Point => {
  Q.mul(t1, p.z, p.t)
  Q.mul(t2, t1, p.t)
  Q.square(t3, t2) // x1
  Q.mul(t4, t1, p.u) // z1
  Q.square(t5, p.u)
  Q.mul(s1, t5, Q.double(s2, Q.add(s2, p.x, p.z)))
  Q.sub(t6, t2, s1) // w1
  Q.square(t7, t4) // t4 in the reference
  Q.mul(out.x, t7, B4)
  Q.square(out.z, t6)
  Q.square(s1, Q.add(s1, t6, t4))
  Q.sub(out.u, s1, Q.add(s2, t7, out.z))
  Q.sub(out.t, Q.double(s1, t3), Q.add(s2, Q.mul(s2, t7, FOUR), out.z))
  return out
}

/** w = t/u (the neutral encodes to 0). */
export const encode = (p: Point): Q.Fp5 => Q.mul(Q.make(), p.t, Q.inverseOrZero(Q.make(), p.u))

/** The point encoded by w, or undefined when w encodes no point. */
export const decode = (w: Q.Fp5): Point | undefined => {
  // y² = x(x² + a x + b); with w = y/x: x² − (w² − a) x + b = 0; keep the root that is not a square.
  const e = Q.sub(Q.make(), Q.square(Q.make(), w), A)
  const delta = Q.sub(Q.make(), Q.square(Q.make(), e), B4)
  const r = Q.canonicalSqrt(delta)
  if (r === undefined) return Q.isZero(w) ? neutral() : undefined
  const half = Q.inverseOrZero(Q.make(), Q.TWO)
  const x1 = Q.mul(Q.make(), Q.add(Q.make(), e, r), half)
  const x2 = Q.mul(Q.make(), Q.sub(Q.make(), e, r), half)
  const l = Q.legendre(x1)
  const x = l.lo === 1 && l.hi === 0 ? x2 : x1
  return { x, z: Q.clone(Q.ONE), u: Q.clone(Q.ONE), t: Q.clone(w) }
}

export const encodeBytes = (p: Point): Uint8Array => Q.toBytes(encode(p))

export const decodeBytes = (b: Uint8Array): Point | undefined => {
  if (b.length !== 40) return undefined
  const w = Q.fromBytes(b)
  return w === undefined ? undefined : decode(w)
}

// ───────────── affine tables and scalar multiplication ─────────────

const load = (dst: Q.Fp5, src: Float64Array, off: number): Q.Fp5 => {
  for (let k = 0; k < 10; k++) dst[k] = src[off + k]!
  return dst
}

const store = (src: Q.Fp5, dst: Float64Array, off: number): void => {
  for (let k = 0; k < 10; k++) dst[off + k] = src[k]!
}

/**
 * A table of d·2^(w·i)·P for every window i and digit d = 1 … 2^w − 1, affine, so that k·P is one
 * mixed addition per non-zero digit of k. w = 8 for the generator (40 additions per signature,
 * 10 200 points built once); w = 4 for the public keys a verifier meets (80 additions, 1 200
 * points). Entry e's x is at data[20e … 20e+9] and its u at data[20e+10 … 20e+19]: one packed
 * array, so the table costs its 8 bytes per number and nothing per point.
 */
export interface FixedBaseTable {
  readonly bits: number
  readonly data: Float64Array
}

export const fixedBaseTable = (p: Point, bits = 4): FixedBaseTable => {
  const windows = Math.ceil(320 / bits)
  const per = (1 << bits) - 1
  const count = windows * per
  // projective x, z, u, t of every entry, then one inversion for all (Montgomery's trick over z·t)
  const proj = new Float64Array(count * 40)
  const base = copyPoint(point(), p)
  const acc = point()
  let e = 0
  const put = (q: Point): void => {
    store(q.x, proj, 40 * e)
    store(q.z, proj, 40 * e + 10)
    store(q.u, proj, 40 * e + 20)
    store(q.t, proj, 40 * e + 30)
    e++
  }
  for (let i = 0; i < windows; i++) {
    copyPoint(acc, base)
    put(acc)
    for (let d = 2; d <= per; d++) {
      add(acc, acc, base)
      put(acc)
    }
    add(base, acc, base) // 2^w · base
  }
  const prefix = new Float64Array(count * 10)
  const m = Q.clone(Q.ONE)
  const z = Q.make()
  const t = Q.make()
  const zt = Q.make()
  for (let i = 0; i < count; i++) {
    store(m, prefix, 10 * i)
    Q.mul(zt, load(z, proj, 40 * i + 10), load(t, proj, 40 * i + 30))
    Q.mul(m, m, zt)
  }
  const inv = Q.inverseOrZero(Q.make(), m)
  const data = new Float64Array(count * 20)
  const invZT = Q.make()
  const x = Q.make()
  const u = Q.make()
  const pre = Q.make()
  for (let i = count - 1; i >= 0; i--) {
    load(z, proj, 40 * i + 10)
    load(t, proj, 40 * i + 30)
    Q.mul(invZT, inv, load(pre, prefix, 10 * i)) // 1/(z_i t_i)
    Q.mul(inv, inv, Q.mul(zt, z, t))
    Q.mul(x, Q.mul(x, load(x, proj, 40 * i), t), invZT)
    Q.mul(u, Q.mul(u, load(u, proj, 40 * i + 20), z), invZT)
    store(x, data, 20 * i)
    store(u, data, 20 * i + 10)
  }
  return { bits, data }
}

const digits = new Uint16Array(80)

/** The base-2^bits digits of k (k < 2^320, bits ∈ {4, 8}), least significant first. */
const toDigits = (k: bigint, bits: number): number => {
  const h = k.toString(16)
  const n = h.length
  const per = bits / 4
  const windows = 320 / bits
  for (let i = 0; i < windows; i++) {
    let d = 0
    for (let j = per - 1; j >= 0; j--) {
      const c = i * per + j
      d = d * 16 + (c < n ? parseInt(h[n - 1 - c]!, 16) : 0)
    }
    digits[i] = d
  }
  return windows
}

const entry: Affine = { x: Q.make(), u: Q.make() }

/** out = k·P using P's fixed-base table. */
export const mulFixed = (out: Point, table: FixedBaseTable, k: bigint): Point => {
  const windows = toDigits(S.mod(k), table.bits)
  const per = (1 << table.bits) - 1
  copyPoint(out, NEUTRAL)
  for (let i = 0; i < windows; i++) {
    const d = digits[i]!
    if (d === 0) continue
    const off = 20 * (i * per + d - 1)
    load(entry.x, table.data, off)
    load(entry.u, table.data, off + 10)
    addAffine(out, out, entry)
  }
  return out
}

/** out = k·P for any point (4-bit windows, 320 doublings): for one-off products. */
export const mul = (out: Point, p: Point, k: bigint): Point => {
  const win: Point[] = [neutral(), copyPoint(point(), p)]
  for (let d = 2; d < 16; d++) win.push(add(point(), win[d - 1]!, p))
  const windows = toDigits(S.mod(k), 4)
  const acc = neutral()
  for (let i = windows - 1; i >= 0; i--) {
    for (let j = 0; j < 4; j++) double(acc, acc)
    const d = digits[i]!
    if (d !== 0) add(acc, acc, win[d]!)
  }
  return copyPoint(out, acc)
}

const NEUTRAL = neutral()

let cachedGeneratorTable: FixedBaseTable | undefined

/** The generator's 8-bit table, built on first use (≈ 10 000 additions and one inversion: tens of ms). */
export const generatorTable = (): FixedBaseTable => (cachedGeneratorTable ??= fixedBaseTable(GENERATOR, 8))

/** k·G */
export const mulGenerator = (k: bigint): Point => mulFixed(point(), generatorTable(), k)
