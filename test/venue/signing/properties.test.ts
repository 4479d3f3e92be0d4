// Properties of the signer beyond the fixed vectors: the number-based field arithmetic agrees with
// bigint arithmetic everywhere (edges near p included), sign ⇒ verify, any flipped bit ⇒ reject,
// decode(encode(P)) = P, and transactions round-trip through tx_info.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as F from "../../../src/venue/lighter/signing/goldilocks.ts"
import * as Q from "../../../src/venue/lighter/signing/quintic.ts"
import * as C from "../../../src/venue/lighter/signing/curve.ts"
import * as S from "../../../src/venue/lighter/signing/scalar.ts"
import * as Schnorr from "../../../src/venue/lighter/signing/schnorr.ts"
import {
  createAuthToken, generateKeyPair, parseJsonExact, parsePrivateKey, publicKeyOf, signTx, verifyAuthToken, verifyTxInfo
} from "../../../src/venue/lighter/signing/index.ts"
import type { UnsignedTx } from "../../../src/venue/lighter/signing/index.ts"

const P = F.P
/** Field elements, biased towards the edges where carries and the final subtraction of p happen. */
const element = fc.oneof(
  fc.bigInt({ min: 0n, max: P - 1n }),
  fc.constantFrom(0n, 1n, 2n, P - 1n, P - 2n, 0xffffffffn, 0x100000000n, P - 0x100000000n, 0xfffffffe00000000n, 0xffffffff00000000n)
)
const el = (x: bigint) => F.fromBigInt(x)
const got = (): bigint => F.toBigInt(F.R.lo, F.R.hi)
const quintic = fc.array(element, { minLength: 5, maxLength: 5 }).map((limbs) => Q.fromLimbs(limbs))
const scalar = fc.bigInt({ min: 1n, max: S.N - 1n })
const hashedMessage = quintic

const keys = [generateKeyPair(), generateKeyPair()] as const
const sk0 = S.fromBytes(keys[0].privateKey)

const flipBit = (b: Uint8Array, bit: number): Uint8Array => {
  const out = b.slice()
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

describe("Goldilocks arithmetic agrees with bigint arithmetic mod p", () => {
  it("add, sub, mul, neg, inverse", () => {
    fc.assert(
      fc.property(element, element, (a, b) => {
        const x = el(a)
        const y = el(b)
        F.add(x.lo, x.hi, y.lo, y.hi)
        expect(got()).toBe((a + b) % P)
        F.sub(x.lo, x.hi, y.lo, y.hi)
        expect(got()).toBe((a - b + P) % P)
        F.mul(x.lo, x.hi, y.lo, y.hi)
        expect(got()).toBe((a * b) % P)
        F.neg(x.lo, x.hi)
        expect(got()).toBe((P - a) % P)
        if (a !== 0n) {
          F.inverseOrZero(x.lo, x.hi)
          expect((got() * a) % P).toBe(1n)
        }
      }),
      { numRuns: 3000 }
    )
  })
  it("square roots exist exactly for squares and square back", () => {
    fc.assert(
      fc.property(element, (a) => {
        const x = el((a * a) % P)
        expect(F.sqrt(x.lo, x.hi)).toBe(true)
        const r = got()
        expect((r * r) % P).toBe((a * a) % P)
      }),
      { numRuns: 200 }
    )
  })
})

describe("GF(p^5)", () => {
  it("a · b · b⁻¹ = a, and multiplication commutes", () => {
    fc.assert(
      fc.property(quintic, quintic, (a, b) => {
        fc.pre(!Q.isZero(b))
        const ab = Q.mul(Q.make(), a, b)
        expect(Q.equals(ab, Q.mul(Q.make(), b, a))).toBe(true)
        expect(Q.equals(Q.mul(Q.make(), ab, Q.inverseOrZero(Q.make(), b)), a)).toBe(true)
      }),
      { numRuns: 300 }
    )
  })
})

describe("ECgFp5 points", () => {
  it("decode(encode(k·G)) = k·G, and the encoding is canonical", () => {
    fc.assert(
      fc.property(scalar, (k) => {
        const p = C.mulGenerator(k)
        const w = C.encodeBytes(p)
        const back = C.decodeBytes(w)
        expect(back).toBeDefined()
        expect(C.equals(back!, p)).toBe(true)
        expect(Buffer.from(C.encodeBytes(back!)).toString("hex")).toBe(Buffer.from(w).toString("hex"))
      }),
      { numRuns: 60 }
    )
  })
  it("fixed-base, windowed and double-and-add multiplication agree: (a + b)·G = a·G ⊕ b·G", () => {
    fc.assert(
      fc.property(scalar, scalar, (a, b) => {
        const sum = C.add(C.point(), C.mulGenerator(a), C.mulGenerator(b))
        expect(C.equals(sum, C.mulGenerator(S.add(a, b)))).toBe(true)
        expect(C.equals(C.mul(C.point(), C.GENERATOR, a), C.mulGenerator(a))).toBe(true)
      }),
      { numRuns: 20 }
    )
  })
  it("the neutral encodes to zero and 0·G, n·G are neutral", () => {
    expect(C.isNeutral(C.mulGenerator(0n))).toBe(true)
    expect(C.isNeutral(C.mul(C.point(), C.GENERATOR, S.N))).toBe(true)
    expect(Q.isZero(C.encode(C.neutral()))).toBe(true)
  })
})

describe("Schnorr", () => {
  it("sign then verify holds; a flipped bit in the message, the key or the signature fails", () => {
    const pk = keys[0].publicKey
    fc.assert(
      fc.property(hashedMessage, fc.nat({ max: 639 }), fc.nat({ max: 319 }), fc.nat({ max: 319 }), (m, sigBit, msgBit, keyBit) => {
        const sig = Schnorr.signHashed(m, sk0)
        expect(Schnorr.verifyHashed(pk, m, sig)).toBe(true)
        expect(Schnorr.verifyHashed(pk, m, flipBit(sig, sigBit))).toBe(false)
        const m2 = Q.fromBytes(flipBit(Q.toBytes(m), msgBit))
        if (m2 !== undefined) expect(Schnorr.verifyHashed(pk, m2, sig)).toBe(false)
        // a flipped key bit is another (or no) point: never the signer's
        expect(Schnorr.verifyHashed(flipBit(pk, keyBit), m, sig)).toBe(false)
        expect(Schnorr.verifyHashed(keys[1].publicKey, m, sig)).toBe(false)
      }),
      { numRuns: 40 }
    )
  })
  it("two signatures of one message differ (random nonce) and both verify", () => {
    const m = Q.fromLimbs([1n, 2n, 3n, 4n, 5n])
    const a = Schnorr.signHashed(m, sk0)
    const b = Schnorr.signHashed(m, sk0)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    expect(Schnorr.verifyHashed(keys[0].publicKey, m, a) && Schnorr.verifyHashed(keys[0].publicKey, m, b)).toBe(true)
  })
  it("non-canonical scalars in a signature are refused (no malleability)", () => {
    const m = Q.fromLimbs([9n])
    const sig = Schnorr.signHashed(m, sk0)
    const s = S.fromBytesRaw(sig, 0)
    const bumped = sig.slice()
    S.toBytes(s + S.N, bumped, 0)
    expect(Schnorr.verifyHashed(keys[0].publicKey, m, bumped)).toBe(false)
  })
})

const u48 = fc.bigInt({ min: 1n, max: (1n << 48n) - 1n })
const createOrder = fc.record({
  nonce: fc.bigInt({ min: 0n, max: (1n << 47n) - 1n }),
  marketIndex: fc.integer({ min: 0, max: 254 }),
  clientOrderIndex: u48,
  baseAmount: u48,
  price: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  isAsk: fc.boolean(),
  reduceOnly: fc.boolean(),
  skipNonce: fc.boolean()
}).map((r): UnsignedTx => ({
  type: "createOrder", accountIndex: 7, apiKeyIndex: 4, nonce: r.nonce, expiredAt: 1_800_000_000_000,
  ...(r.skipNonce ? { attributes: { 4: 1 } } : {}),
  marketIndex: r.marketIndex, clientOrderIndex: r.clientOrderIndex, baseAmount: r.baseAmount, price: r.price,
  isAsk: r.isAsk, orderType: 1, timeInForce: 0, reduceOnly: r.reduceOnly, triggerPrice: 0, orderExpiry: 0
}))

describe("transactions", () => {
  it("signTx ⇒ verifyTxInfo accepts with the same tx_hash; any changed field value is refused", () => {
    fc.assert(
      fc.property(createOrder, fc.constantFrom("Nonce", "ExpiredAt", "AccountIndex", "ApiKeyIndex", "MarketIndex", "ClientOrderIndex", "BaseAmount", "Price", "IsAsk", "ReduceOnly"), (tx, field) => {
        const signed = signTx(keys[0].privateKey, 304, tx)
        expect(verifyTxInfo(304, 14, signed.txInfo, keys[0].publicKey)).toEqual({ ok: true, txHash: signed.txHash })
        const info = parseJsonExact(signed.txInfo) as Record<string, unknown>
        const v = info[field]
        info[field] = typeof v === "bigint" ? v + 1n : (v as number) === 1 && (field === "IsAsk" || field === "ReduceOnly") ? 0 : (v as number) + 1
        const tampered = JSON.stringify(info, (_k, x) => (typeof x === "bigint" ? x.toString() : x))
        expect(verifyTxInfo(304, 14, tampered, keys[0].publicKey).ok).toBe(false)
        expect(verifyTxInfo(300, 14, signed.txInfo, keys[0].publicKey).ok).toBe(false)
        expect(verifyTxInfo(304, 14, signed.txInfo, keys[1].publicKey).ok).toBe(false)
      }),
      { numRuns: 25 }
    )
  })
  it("an order index above 2^53 is written and hashed exactly (cancel by order index up to 2^60 − 1)", () => {
    const index = (1n << 60n) - 1n
    const signed = signTx(keys[0].privateKey, 304, { type: "cancelOrder", accountIndex: 7, apiKeyIndex: 4, nonce: 3, expiredAt: 1_800_000_000_000, marketIndex: 1, index })
    expect(signed.txInfo).toContain(`"Index":${index}`)
    expect(verifyTxInfo(304, 15, signed.txInfo, keys[0].publicKey).ok).toBe(true)
    const rounded = signed.txInfo.replace(`"Index":${index}`, `"Index":${index - 1n}`)
    expect(verifyTxInfo(304, 15, rounded, keys[0].publicKey).ok).toBe(false)
  })
  it("attributes: nil values are written but not hashed; a live value changes the hash", () => {
    const base: UnsignedTx = { type: "cancelAllOrders", accountIndex: 7, apiKeyIndex: 4, nonce: 1, expiredAt: 1_800_000_000_000, timeInForce: 0, time: 0 }
    const none = signTx(keys[0].privateKey, 304, base)
    const nil = signTx(keys[0].privateKey, 304, { ...base, attributes: { 1: 0, 5: 255 } })
    const skip = signTx(keys[0].privateKey, 304, { ...base, attributes: { 4: 1 } })
    expect(none.txInfo.endsWith(`"L2TxAttributes":null}`)).toBe(true)
    expect(nil.txInfo.endsWith(`"L2TxAttributes":{"1":0,"5":255}}`)).toBe(true)
    expect(nil.txHash).toBe(none.txHash)
    expect(skip.txHash).not.toBe(none.txHash)
    for (const s of [none, nil, skip]) expect(verifyTxInfo(304, 16, s.txInfo, keys[0].publicKey).ok).toBe(true)
  })
  it("tx types 16, 17 and 20 sign and verify; tx_info keys in Go struct order", () => {
    const h = { accountIndex: 7, apiKeyIndex: 4, nonce: 9, expiredAt: 1_800_000_000_000 }
    const txs: UnsignedTx[] = [
      { type: "cancelAllOrders", ...h, timeInForce: 0, time: 0 },
      { type: "modifyOrder", ...h, marketIndex: 1, index: 12, baseAmount: 20, price: 1000000, triggerPrice: 0 },
      { type: "updateLeverage", ...h, marketIndex: 1, initialMarginFraction: 500, marginMode: 0 }
    ]
    const order = [
      ["AccountIndex", "ApiKeyIndex", "TimeInForce", "Time", "ExpiredAt", "Nonce", "Sig", "L2TxAttributes"],
      ["AccountIndex", "ApiKeyIndex", "MarketIndex", "Index", "BaseAmount", "Price", "TriggerPrice", "ExpiredAt", "Nonce", "Sig", "L2TxAttributes"],
      ["AccountIndex", "ApiKeyIndex", "MarketIndex", "InitialMarginFraction", "MarginMode", "ExpiredAt", "Nonce", "Sig", "L2TxAttributes"]
    ]
    txs.forEach((tx, i) => {
      const s = signTx(keys[0].privateKey, 300, tx)
      expect(s.txType).toBe([16, 17, 20][i])
      expect(Object.keys(JSON.parse(s.txInfo))).toEqual(order[i])
      expect(verifyTxInfo(300, s.txType, s.txInfo, keys[0].publicKey).ok).toBe(true)
    })
  })
  it("malformed tx_info is refused with a reason, never thrown", () => {
    for (const bad of ["", "[]", "{", `{"AccountIndex":"x"}`, `{"AccountIndex":1,"Sig":"AAAA"}`, `{"L2TxAttributes":{"9":1},"Sig":""}`]) {
      const r = verifyTxInfo(304, 15, bad, keys[0].publicKey)
      expect(r.ok, bad).toBe(false)
    }
    expect(verifyTxInfo(304, 99, "{}", keys[0].publicKey)).toMatchObject({ ok: false, reason: "unsupported-type" })
  })
})

describe("auth tokens and keys", () => {
  it("a token verifies until its deadline, and not under another key or after a tampered field", () => {
    const t = createAuthToken(keys[0].privateKey, 7, 4, 2_000_000_000)
    const lookup = (a: number, k: number) => (a === 7 && k === 4 ? keys[0].publicKey : undefined)
    expect(verifyAuthToken(t, lookup, 1_999_999_999).ok).toBe(true)
    expect(verifyAuthToken(t, lookup, 2_000_000_000)).toMatchObject({ ok: false, reason: "expired" })
    expect(verifyAuthToken(t, () => keys[1].publicKey, 0)).toMatchObject({ ok: false, reason: "bad-signature" })
    expect(verifyAuthToken(t.replace("2000000000:", "2000000001:"), lookup, 0).ok).toBe(false)
    expect(verifyAuthToken(t.replace(":7:", ":8:"), () => keys[0].publicKey, 0)).toMatchObject({ ok: false, reason: "bad-signature" })
    expect(verifyAuthToken("1:2:3", lookup, 0)).toMatchObject({ ok: false, reason: "malformed" })
  })
  it("parsePrivateKey accepts 0x + 80 hex, refuses anything else without echoing it", () => {
    const hex = Buffer.from(keys[0].privateKey).toString("hex")
    expect(Buffer.from(parsePrivateKey(`0x${hex}`)).toString("hex")).toBe(hex)
    expect(Buffer.from(publicKeyOf(parsePrivateKey(hex))).equals(Buffer.from(keys[0].publicKey))).toBe(true)
    for (const bad of [hex.slice(2), `${hex}00`, `zz${hex.slice(2)}`, "0".repeat(80)]) {
      let message = ""
      try {
        parsePrivateKey(bad)
      } catch (e) {
        message = (e as Error).message
      }
      expect(message).not.toBe("")
      expect(message).not.toContain(hex.slice(4, 40))
    }
  })
})
