// Schnorr signatures over ECgFp5 with Poseidon2 challenges
// (elliottech/poseidon_crypto signature/schnorr/schnorr.go):
//   sign:   r = encode(k·G), e = H(r ‖ m) as a scalar, s = k − e·sk;  signature = s ‖ e (80 bytes LE)
//   verify: r' = encode(s·G ⊕ e·pk), accept iff H(r' ‖ m) = e
// m is an already hashed message (one GF(p^5) element, 40 bytes). k comes from the OS CSPRNG.
import { randomBytes } from "node:crypto"
import * as C from "./curve.ts"
import * as P2 from "./poseidon2.ts"
import * as Q from "./quintic.ts"
import * as S from "./scalar.ts"

const PRE = new Float64Array(20)

/** The challenge e = H(r ‖ m) as a scalar. */
const challenge = (r: Q.Fp5, m: Q.Fp5): bigint => {
  PRE.set(r, 0)
  PRE.set(m, 10)
  return S.fromQuintic(P2.hashToQuintic(PRE, 10))
}

/** A uniformly random non-zero scalar (384 random bits reduced mod n: bias below 2^-64). */
export const randomScalar = (): bigint => {
  for (;;) {
    const b = randomBytes(48)
    let x = 0n
    for (const byte of b) x = (x << 8n) | BigInt(byte)
    const k = S.mod(x)
    if (k !== 0n) return k
  }
}

/** The public key of a secret scalar: encode(sk·G), 40 bytes. */
export const publicKey = (sk: bigint): Uint8Array => C.encodeBytes(C.mulGenerator(sk))

/** Signs a hashed message with the given nonce k (tests pin k; production uses signHashed). */
export const signHashedWithNonce = (m: Q.Fp5, sk: bigint, k: bigint): Uint8Array => {
  const r = C.encode(C.mulGenerator(k))
  const e = challenge(r, m)
  const s = S.sub(k, S.mul(e, sk))
  const out = new Uint8Array(80)
  S.toBytes(s, out, 0)
  S.toBytes(e, out, 40)
  return out
}

export const signHashed = (m: Q.Fp5, sk: bigint): Uint8Array => signHashedWithNonce(m, sk, randomScalar())

/** Per-public-key fixed-base tables, so that a verifier checking many signatures of one key pays for the table once. */
const keyTables = new Map<string, C.FixedBaseTable>()
const MAX_KEY_TABLES = 64

const tableFor = (pk: Uint8Array): C.FixedBaseTable | undefined => {
  const id = Buffer.from(pk).toString("hex")
  const hit = keyTables.get(id)
  if (hit !== undefined) return hit
  const point = C.decodeBytes(pk)
  if (point === undefined) return undefined
  const table = C.fixedBaseTable(point)
  if (keyTables.size >= MAX_KEY_TABLES) keyTables.delete(keyTables.keys().next().value!)
  keyTables.set(id, table)
  return table
}

/** Is `sig` (80 bytes) a valid signature of the hashed message `m` under public key `pk` (40 bytes)? */
export const verifyHashed = (pk: Uint8Array, m: Q.Fp5, sig: Uint8Array): boolean => {
  if (sig.length !== 80 || pk.length !== 40) return false
  const s = S.fromBytesRaw(sig, 0)
  const e = S.fromBytesRaw(sig, 40)
  // canonical scalars only (no malleability)
  if (s >= S.N || e >= S.N) return false
  const table = tableFor(pk)
  if (table === undefined) return false
  const rv = C.mulFixed(C.point(), table, e)
  C.add(rv, C.mulFixed(C.point(), C.generatorTable(), s), rv)
  return challenge(C.encode(rv), m) === e
}
