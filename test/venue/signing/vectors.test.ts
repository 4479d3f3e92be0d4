// Every known-answer vector of the official implementations (test/fixtures/signing/README.md).
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as F from "../../../src/venue/lighter/signing/goldilocks.ts"
import * as Q from "../../../src/venue/lighter/signing/quintic.ts"
import * as P2 from "../../../src/venue/lighter/signing/poseidon2.ts"
import * as C from "../../../src/venue/lighter/signing/curve.ts"
import * as S from "../../../src/venue/lighter/signing/scalar.ts"
import * as Schnorr from "../../../src/venue/lighter/signing/schnorr.ts"
import { createAuthToken, parsePrivateKey, publicKeyOf, signTx, verifyAuthToken, verifyTxInfo } from "../../../src/venue/lighter/signing/index.ts"
import type { UnsignedTx } from "../../../src/venue/lighter/signing/index.ts"

// the fixtures are untyped JSON
type Any = any
const load = (name: string): Any => JSON.parse(readFileSync(new URL(`../../fixtures/signing/${name}`, import.meta.url), "utf8"))
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"))
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const fe = (h: string) => F.readLE(bytes(h), 0)
const feHex = (): string => {
  const b = new Uint8Array(8)
  F.writeLE(b, 0, F.R.lo, F.R.hi)
  return hex(b)
}
const laneBytes = (data: Float64Array, n: number): string => {
  const out = new Uint8Array(8 * n)
  for (let i = 0; i < n; i++) F.writeLE(out, 8 * i, data[2 * i]!, data[2 * i + 1]!)
  return hex(out)
}
const q = (h: string): Q.Fp5 => Q.fromBytes(bytes(h))!
const qHex = (x: Q.Fp5): string => hex(Q.toBytes(x))

describe("Goldilocks field (poseidon_crypto vectors)", () => {
  const { vectors } = load("signing_field_goldilocks_vectors.json")
  it(`${vectors.length} vectors: add, sub, mul, neg, inverse, pow, equality`, () => {
    expect(vectors.length).toBeGreaterThan(50)
    for (const v of vectors) {
      const a = fe(v.a)
      const b = fe(v.b)
      F.add(a.lo, a.hi, b.lo, b.hi)
      expect(feHex(), `add ${v.a} ${v.b}`).toBe(v.add)
      F.sub(a.lo, a.hi, b.lo, b.hi)
      expect(feHex(), `sub ${v.a} ${v.b}`).toBe(v.sub)
      F.mul(a.lo, a.hi, b.lo, b.hi)
      expect(feHex(), `mul ${v.a} ${v.b}`).toBe(v.mul)
      F.neg(a.lo, a.hi)
      expect(feHex(), `neg ${v.a}`).toBe(v.neg_a)
      F.inverseOrZero(a.lo, a.hi)
      expect(feHex(), `inv ${v.a}`).toBe(v.inv_a)
      F.pow(a.lo, a.hi, BigInt(v.e))
      expect(feHex(), `pow ${v.a}`).toBe(v.pow_a_e)
      expect(a.lo === b.lo && a.hi === b.hi).toBe(v.a_eq_b)
    }
  })
})

describe("GF(p^5) (poseidon_crypto vectors)", () => {
  const { vectors } = load("signing_field_quintic_vectors.json")
  it(`${vectors.length} vectors: add, sub, mul, neg, inverse, pow, equality`, () => {
    for (const v of vectors) {
      const a = q(v.a)
      const b = q(v.b)
      expect(qHex(Q.add(Q.make(), a, b))).toBe(v.add)
      expect(qHex(Q.sub(Q.make(), a, b))).toBe(v.sub)
      expect(qHex(Q.mul(Q.make(), a, b))).toBe(v.mul)
      expect(qHex(Q.neg(Q.make(), a))).toBe(v.neg_a)
      expect(qHex(Q.inverseOrZero(Q.make(), a))).toBe(v.inv_a)
      let acc = Q.clone(Q.ONE)
      for (let e = BigInt(v.e), base = Q.clone(a); e > 0n; e >>= 1n) {
        if (e & 1n) acc = Q.mul(acc, acc, base)
        Q.square(base, base)
      }
      expect(qHex(acc)).toBe(v.pow_a_e)
      expect(Q.equals(a, b)).toBe(v.a_eq_b)
    }
  })
})

describe("Poseidon2 (poseidon_crypto vectors)", () => {
  const { vectors } = load("signing_hash_poseidon2_vectors.json")
  it(`permutation: ${vectors.permute.length} vectors`, () => {
    for (const v of vectors.permute) {
      const { data } = P2.elementsFromBytes(bytes(v.input))
      P2.permute(data)
      expect(laneBytes(data, 12)).toBe(v.output)
    }
  })
  it(`sponge (hash n to m, no padding): ${vectors.sponge.length} vectors incl. empty input and partial blocks`, () => {
    for (const v of vectors.sponge) {
      const { data, n } = P2.elementsFromBytes(bytes(v.input))
      const out = P2.hashNToMNoPad(data, n, v.num_outputs, new Float64Array(2 * v.num_outputs))
      expect(laneBytes(out, v.num_outputs), `${n} → ${v.num_outputs}`).toBe(v.output)
    }
  })
  it(`hash to GF(p^5): ${vectors.hash_to_quintic.length} vectors`, () => {
    for (const v of vectors.hash_to_quintic) {
      const { data, n } = P2.elementsFromBytes(bytes(v.input))
      expect(qHex(P2.hashToQuintic(data, n))).toBe(v.output)
    }
  })
  it(`hash n digests to one: ${vectors.hash_n_to_one.length} vectors`, () => {
    for (const v of vectors.hash_n_to_one) {
      const out = P2.hashNToOne(v.inputs.map((h: string) => P2.elementsFromBytes(bytes(h)).data))
      expect(laneBytes(out, 4)).toBe(v.output)
    }
  })
})

describe("ECgFp5 (poseidon_crypto vectors)", () => {
  const { vectors } = load("signing_curve_ecgfp5_vectors.json")
  it(`decode / encode: ${vectors.decode.length} vectors, valid and invalid`, () => {
    expect(vectors.decode.some((v: Any) => !v.decodes)).toBe(true)
    for (const v of vectors.decode) {
      const p = C.decodeBytes(bytes(v.w))
      expect(p !== undefined, v.w).toBe(v.decodes)
      if (p === undefined) continue
      expect(C.isNeutral(p)).toBe(v.is_neutral)
      expect(hex(C.encodeBytes(p))).toBe(v.encoded_back)
    }
  })
  it(`add and double: ${vectors.add.length} vectors`, () => {
    for (const v of vectors.add) {
      const a = C.decodeBytes(bytes(v.a_w))!
      const b = C.decodeBytes(bytes(v.b_w))!
      expect(hex(C.encodeBytes(C.add(C.point(), a, b)))).toBe(v.sum_w)
      expect(hex(C.encodeBytes(C.double(C.point(), a)))).toBe(v.a_double_w)
    }
  })
  it(`scalar multiplication: ${vectors.scalar_mul.length} vectors, windowed and fixed-base (4- and 8-bit tables)`, () => {
    for (const v of vectors.scalar_mul) {
      const p = C.decodeBytes(bytes(v.base_w))!
      const k = S.fromBytes(bytes(v.scalar_le))
      expect(hex(C.encodeBytes(C.mul(C.point(), p, k)))).toBe(v.out_w)
      expect(hex(C.encodeBytes(C.mulFixed(C.point(), C.fixedBaseTable(p, 4), k)))).toBe(v.out_w)
    }
    const v = vectors.scalar_mul[1]
    const p = C.decodeBytes(bytes(v.base_w))!
    expect(hex(C.encodeBytes(C.mulFixed(C.point(), C.fixedBaseTable(p, 8), S.fromBytes(bytes(v.scalar_le)))))).toBe(v.out_w)
  })
  it(`scalar field: ${vectors.scalar_ops.length} vectors`, () => {
    for (const v of vectors.scalar_ops) {
      const a = S.fromBytesRaw(bytes(v.a))
      const b = S.fromBytesRaw(bytes(v.b))
      expect(hex(S.toBytes(S.add(a, b)))).toBe(v.add)
      expect(hex(S.toBytes(S.sub(a, b)))).toBe(v.sub)
      expect(hex(S.toBytes(S.mul(a, b)))).toBe(v.mul)
      expect(hex(S.toBytes(S.neg(a)))).toBe(v.neg_a)
      expect(a === 0n).toBe(v.a_is_zero)
    }
  })
})

describe("Schnorr (poseidon_crypto vectors)", () => {
  const { vectors } = load("signing_schnorr_vectors.json")
  it(`public key from private key: ${vectors.keygen.length} vectors`, () => {
    for (const v of vectors.keygen) expect(hex(Schnorr.publicKey(S.fromBytes(bytes(v.sk))))).toBe(v.pk)
  })
  it(`signatures with a fixed nonce, byte for byte: ${vectors.sign.length} vectors, and each verifies`, () => {
    for (const v of vectors.sign) {
      const sk = S.fromBytes(bytes(v.sk))
      const m = q(v.hashed_msg)
      const sig = Schnorr.signHashedWithNonce(m, sk, S.fromBytes(bytes(v.k)))
      expect(hex(sig)).toBe(v.sig)
      expect(Schnorr.verifyHashed(Schnorr.publicKey(sk), m, bytes(v.sig))).toBe(true)
    }
  })
})

/** The oracle's fields as our UnsignedTx. Its signer wrote integrator attributes 1–3 even when zero. */
const oracleTx = (v: Any): UnsignedTx => {
  const f = v.fields
  const integrator = { 1: f.integrator_account_index, 2: f.integrator_taker_fee, 3: f.integrator_maker_fee }
  const skip = f.skip_nonce === 1 ? { 4: 1 } : {}
  const head = { accountIndex: v.account_index, apiKeyIndex: v.api_key_index, nonce: v.nonce, expiredAt: v.expired_at }
  switch (v.kind) {
    case "create_order":
      return {
        type: "createOrder", ...head, attributes: { ...integrator, ...skip },
        marketIndex: f.market_index, clientOrderIndex: f.client_order_index, baseAmount: f.base_amount, price: f.price,
        isAsk: f.is_ask, orderType: f.order_type, timeInForce: f.time_in_force, reduceOnly: f.reduce_only,
        triggerPrice: f.trigger_price, orderExpiry: f.order_expiry
      }
    case "cancel_order":
      return { type: "cancelOrder", ...head, attributes: skip, marketIndex: f.market_index, index: f.index }
    case "modify_order":
      return {
        type: "modifyOrder", ...head, attributes: { ...integrator, ...skip },
        marketIndex: f.market_index, index: f.index, baseAmount: f.base_amount, price: f.price, triggerPrice: f.trigger_price
      }
    case "approve_integrator":
      return {
        type: "approveIntegrator", ...head, attributes: skip,
        integratorAccountIndex: f.integrator_account_index, maxPerpsTakerFee: f.max_perps_taker_fee,
        maxPerpsMakerFee: f.max_perps_maker_fee, maxSpotTakerFee: f.max_spot_taker_fee,
        maxSpotMakerFee: f.max_spot_maker_fee, approvalExpiry: f.approval_expiry, l1Sig: ""
      }
  }
  throw new Error(`unknown oracle kind ${v.kind}`)
}

describe("whole transactions (lighter-python's compiled signer)", () => {
  const { vectors } = load("signing_tx_oracle.json")
  const withoutSig = (info: string): string => info.replace(/"Sig":"[^"]*"/, `"Sig":"…"`)
  it(`${vectors.length} transactions of 4 types: tx_info apart from Sig, and tx_hash, byte for byte`, () => {
    expect(new Set(vectors.map((v: Any) => v.tx_type))).toEqual(new Set([14, 15, 17, 45]))
    for (const v of vectors) {
      const signed = signTx(parsePrivateKey(v.sk), v.chain_id, oracleTx(v))
      expect(signed.txType).toBe(v.tx_type)
      expect(withoutSig(signed.txInfo), `${v.kind} nonce ${v.nonce}`).toBe(withoutSig(v.tx_info))
      expect(signed.txHash, `${v.kind} nonce ${v.nonce}`).toBe(v.tx_hash)
    }
  })
  it("the oracle's Sig verifies under the key derived from its sk, and fails on another chain id", () => {
    for (const v of vectors) {
      const pk = publicKeyOf(parsePrivateKey(v.sk))
      expect(verifyTxInfo(v.chain_id, v.tx_type, v.tx_info, pk)).toEqual({ ok: true, txHash: v.tx_hash })
      expect(verifyTxInfo(v.chain_id === 300 ? 304 : 300, v.tx_type, v.tx_info, pk).ok).toBe(false)
      const sig = Buffer.from(JSON.parse(v.tx_info).Sig, "base64").toString("hex")
      expect(sig).toBe(v.sig)
    }
  })
})

describe("auth tokens (lighter-python's compiled signer)", () => {
  const { vectors } = load("signing_auth_token_oracle.json")
  it(`${vectors.length} oracle tokens verify; a token of ours for the same fields verifies too`, () => {
    for (const v of vectors) {
      const sk = parsePrivateKey(v.sk)
      const pk = publicKeyOf(sk)
      const lookup = (a: number, k: number) => (a === v.account_index && k === v.api_key_index ? pk : undefined)
      expect(verifyAuthToken(v.token, lookup, 0)).toEqual({ ok: true, deadline: v.deadline, accountIndex: v.account_index, apiKeyIndex: v.api_key_index })
      const ours = createAuthToken(sk, v.account_index, v.api_key_index, v.deadline)
      expect(ours.startsWith(`${v.deadline}:${v.account_index}:${v.api_key_index}:`)).toBe(true)
      expect(verifyAuthToken(ours, lookup, 0).ok).toBe(true)
    }
  })
})
