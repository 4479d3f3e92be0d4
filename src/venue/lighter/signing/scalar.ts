// The scalar field of ECgFp5: integers mod the prime group order n ≈ 2^319
// (elliottech/poseidon_crypto curve/ecgfp5/scalar_field.go). Scalars are bigints: a signature
// needs only a handful of scalar operations, so clarity wins here.
import * as Q from "./quintic.ts"

export const N =
  1067993516717146951041484916571792702745057740581727230159139685185762082554198619328292418486241n

export const mod = (x: bigint): bigint => {
  const r = x % N
  return r < 0n ? r + N : r
}

export const add = (a: bigint, b: bigint): bigint => mod(a + b)
export const sub = (a: bigint, b: bigint): bigint => mod(a - b)
export const mul = (a: bigint, b: bigint): bigint => mod(a * b)
export const neg = (a: bigint): bigint => mod(-a)

/** 40 bytes little-endian → integer (not reduced). */
export const fromBytesRaw = (b: Uint8Array, off = 0): bigint => {
  let x = 0n
  for (let i = 39; i >= 0; i--) x = (x << 8n) | BigInt(b[off + i]!)
  return x
}

/** 40 bytes little-endian → scalar, reduced mod n (ScalarElementFromLittleEndianBytes). */
export const fromBytes = (b: Uint8Array, off = 0): bigint => mod(fromBytesRaw(b, off))

export const toBytes = (x: bigint, out: Uint8Array = new Uint8Array(40), off = 0): Uint8Array => {
  let v = x
  for (let i = 0; i < 40; i++) {
    out[off + i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** A GF(p^5) element read as the integer Σ c_i·2^(64 i), reduced mod n (FromGfp5). */
export const fromQuintic = (e: Q.Fp5): bigint => {
  const limbs = Q.toLimbs(e)
  let x = 0n
  for (let i = 4; i >= 0; i--) x = (x << 64n) | limbs[i]!
  return mod(x)
}
