// The simulator verifies every tx like the venue: registered API key (21109) → ExpiredAt (21711) →
// signature with its chain id (21120) → nonce (21104); a refused tx leaves the book and the nonce alone.
import { afterEach, describe, expect, it } from "vitest"
import { bytesToHex, generateKeyPair, signTx } from "../../src/venue/lighter/signing/index.ts"
import type { UnsignedTx } from "../../src/venue/lighter/signing/index.ts"
import type { SimHandle } from "../../src/sim/server.ts"
import { signForSim, simPublicKeyHex } from "../support/sim-signing.ts"
import { closeAll, createTx, get, postForm, sendTx, sleep, start, WsClient } from "./helpers.ts"
import type { Frame, HttpResult } from "./helpers.ts"

afterEach(closeAll)

const order = (nonce: number, extra: Partial<Extract<UnsignedTx, { type: "createOrder" }>> = {}): UnsignedTx => ({
  type: "createOrder",
  accountIndex: 1,
  apiKeyIndex: 4,
  nonce,
  expiredAt: Date.now() + 599_000,
  marketIndex: 1,
  clientOrderIndex: 100 + nonce,
  baseAmount: 20,
  price: 999_000,
  isAsk: false,
  orderType: 0,
  timeInForce: 1,
  reduceOnly: false,
  triggerPrice: 0,
  orderExpiry: Date.now() + 28 * 86_400_000,
  ...extra
})

const postRaw = (sim: SimHandle, txType: number, txInfo: string): Promise<HttpResult> =>
  postForm(sim, "/api/v1/sendTx", { tx_type: String(txType), tx_info: txInfo })

/** Flips one bit of the signature (inside its 80 bytes, so it still decodes). */
const flipSigBit = (txInfo: string): string => {
  const o = JSON.parse(txInfo) as Record<string, unknown>
  const sig = Buffer.from(o["Sig"] as string, "base64")
  sig[10] = sig[10]! ^ 0x01
  return JSON.stringify({ ...o, Sig: sig.toString("base64") })
}

const postJson = async (url: string, body: unknown): Promise<{ status: number; body: Frame }> => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  return { status: r.status, body: (await r.json()) as Frame }
}

const nextNonce = async (sim: SimHandle, account = 1, key = 4): Promise<unknown> =>
  (await get(sim, `/api/v1/nextNonce?account_index=${account}&api_key_index=${key}`)).body["nonce"]

describe("tx verification", () => {
  it("accepts a properly signed tx and answers the signer's tx_hash (REST, batch and WS)", async () => {
    const sim = await start()
    const s1 = signForSim(order(1))
    const r = await postRaw(sim, 14, s1.txInfo)
    expect(r.status).toBe(200)
    expect(r.body["tx_hash"]).toBe(s1.txHash)
    expect(s1.txHash).toMatch(/^[0-9a-f]{80}$/)
    const batch = [signForSim(order(2)), signForSim(order(3))]
    const b = await postForm(sim, "/api/v1/sendTxBatch", {
      tx_types: "[14,14]",
      tx_infos: JSON.stringify(batch.map((s) => s.txInfo))
    })
    expect(b.body["tx_hash"]).toEqual(batch.map((s) => s.txHash))
    const ws = await WsClient.connect(sim)
    const s4 = signForSim(order(4))
    ws.send({ type: "jsonapi/sendtx", data: { id: "s", tx_type: 14, tx_info: s4.txInfo } })
    expect((await ws.byType("jsonapi/sendtx"))["tx_hash"]).toBe(s4.txHash)
    // tx_info as an already-parsed object (re-serialised by the simulator) verifies too
    const s5 = signForSim(order(5))
    ws.send({ type: "jsonapi/sendtx", data: { tx_type: 14, tx_info: JSON.parse(s5.txInfo) } })
    expect((await ws.byType("jsonapi/sendtx"))["tx_hash"]).toBe(s5.txHash)
    ws.close()
    await sleep(10)
    expect(sim.exchange.engine.accounts.get(1)!.active.size).toBe(5)
    // the trade log carries the same hash
    const taker = signForSim({ ...order(1, { accountIndex: 2, clientOrderIndex: 7, isAsk: true, orderType: 1, timeInForce: 0, orderExpiry: 0 }) })
    expect((await postRaw(sim, 14, taker.txInfo)).status).toBe(200)
    await sleep(10)
    expect(sim.exchange.engine.trades[0]!.txHash).toBe(taker.txHash)
    expect(sim.exchange.signatureStats()).toEqual({ verified: 6, rejected: 0, byCode: {} })
  })

  it("refuses a bad signature, a wrong chain id, an expired or far-future ExpiredAt and an unregistered key — without touching the book or the nonce", async () => {
    const sim = await start()
    const cases: Array<[string, string, number, string]> = [
      ["flipped Sig bit", flipSigBit(signForSim(order(1)).txInfo), 21120, "invalid signature"],
      ["Sig of 3 bytes", JSON.stringify({ ...JSON.parse(signForSim(order(1)).txInfo), Sig: "AAAA" }), 21120, "invalid signature"],
      ["signed for testnet (300)", signForSim(order(1), 300).txInfo, 21120, "invalid signature"],
      ["a field changed after signing", JSON.stringify({ ...JSON.parse(signForSim(order(1)).txInfo), Price: 999_001 }), 21120, "invalid signature"],
      ["ExpiredAt in the past", signForSim(order(1, { expiredAt: Date.now() - 1000 })).txInfo, 21711, "invalid expiry"],
      ["ExpiredAt 2 h ahead", signForSim(order(1, { expiredAt: Date.now() + 2 * 3_600_000 })).txInfo, 21711, "invalid expiry"],
      ["unregistered API key 5", signForSim(order(1, { apiKeyIndex: 5 })).txInfo, 21109, "api key not found"]
    ]
    for (const [why, info, code, message] of cases) {
      const r = await postRaw(sim, 14, info)
      expect({ why, ...r }).toEqual({ why, status: 400, body: { code, message } })
    }
    await sleep(10)
    expect(sim.exchange.engine.book(1).bestBid()).toBeUndefined()
    expect(sim.exchange.engine.accounts.get(1)!.active.size).toBe(0)
    expect(await nextNonce(sim)).toBe(1)
    expect(await nextNonce(sim, 1, 5)).toBe(1)
    // the signer's default window (now + 10 min − 1 s) is fine, and nonce 1 is still there
    const good = signForSim(order(1, { expiredAt: Date.now() + 599_000 }))
    expect((await postRaw(sim, 14, good.txInfo)).body["tx_hash"]).toBe(good.txHash)
    expect(sim.exchange.signatureStats()).toEqual({
      verified: 1,
      rejected: 7,
      byCode: { "21109": 1, "21120": 4, "21711": 2 }
    })
    const stats = await get(sim, "/sim/stats")
    expect(stats.body).toEqual({
      code: 200,
      chain_id: 304,
      signatures: { verified: 1, rejected: 7, by_code: { "21109": 1, "21120": 4, "21711": 2 } },
      auth_required: true,
      auth: { accepted: 0, rejected: 0 }
    })
  })

  it("checks in the venue's order: key, then expiry, then signature, then nonce", async () => {
    const sim = await start()
    const expiredBadSig = flipSigBit(signForSim(order(9, { expiredAt: Date.now() - 1000 })).txInfo)
    const unregisteredExpired = JSON.stringify({ ...JSON.parse(expiredBadSig), ApiKeyIndex: 6 })
    expect((await postRaw(sim, 14, unregisteredExpired)).body["code"]).toBe(21109)
    expect((await postRaw(sim, 14, expiredBadSig)).body["code"]).toBe(21711)
    expect((await postRaw(sim, 14, flipSigBit(signForSim(order(9)).txInfo))).body["code"]).toBe(21120)
    expect((await postRaw(sim, 14, signForSim(order(9)).txInfo)).body).toEqual({ code: 21104, message: "invalid nonce" })
    // a verified tx refused by the nonce check counts as verified, not as rejected
    expect(sim.exchange.signatureStats()).toEqual({ verified: 1, rejected: 3, byCode: { "21109": 1, "21120": 1, "21711": 1 } })
    // nonces still work: 1 then 2, a replay of 1 is refused
    expect((await postRaw(sim, 14, signForSim(order(1)).txInfo)).status).toBe(200)
    expect((await postRaw(sim, 14, signForSim(order(1)).txInfo)).body["code"]).toBe(21104)
    expect((await postRaw(sim, 14, signForSim(order(2)).txInfo)).status).toBe(200)
    expect(await nextNonce(sim)).toBe(3)
  })

  it("refuses a whole batch when one tx has a bad signature, and over WS answers the code", async () => {
    const sim = await start()
    const infos = [signForSim(order(1)).txInfo, flipSigBit(signForSim(order(2)).txInfo)]
    const b = await postForm(sim, "/api/v1/sendTxBatch", { tx_types: "[14,14]", tx_infos: JSON.stringify(infos) })
    expect(b.body).toEqual({ code: 21120, message: "invalid signature" })
    expect(await nextNonce(sim)).toBe(1)
    const ws = await WsClient.connect(sim)
    ws.send({ type: "jsonapi/sendtx", data: { id: 3, tx_type: 14, tx_info: signForSim(order(1), 300).txInfo } })
    expect(await ws.next((f) => f["error"] !== undefined)).toEqual({ error: { code: 21120, message: "invalid signature" }, id: 3 })
    ws.send({ type: "jsonapi/sendtxbatch", data: { tx_types: [14], tx_infos: [signForSim(order(1, { apiKeyIndex: 9 })).txInfo] } })
    expect(await ws.next((f) => f["error"] !== undefined)).toEqual({ error: { code: 21109, message: "api key not found" } })
    ws.close()
    await sleep(10)
    expect(sim.exchange.engine.accounts.get(1)!.active.size).toBe(0)
    expect(sim.exchange.signatureStats()).toMatchObject({ verified: 1, rejected: 3 })
    // timeline records the refusals with their codes
    const txs = ((await get(sim, "/sim/timeline")).body["txs"] as Record<string, Frame[]>)["1"]!
    expect(txs.map((t) => t["code"])).toEqual([21120, 21120, 21120, 21109])
  })

  it("verifies with the configured chain id", async () => {
    const sim = await start({ chainId: 300 })
    expect(sim.exchange.chainId).toBe(300)
    expect((await postRaw(sim, 14, signForSim(order(1), 304).txInfo)).body["code"]).toBe(21120)
    expect((await postRaw(sim, 14, signForSim(order(1), 300).txInfo)).status).toBe(200)
  })
})

describe("API keys", () => {
  it("GET /api/v1/apikeys: registered slots, 80 zeros for an empty slot", async () => {
    const sim = await start({ accounts: [{ index: 1 }, { index: 3 }] }, [4, 7])
    const all = (await get(sim, "/api/v1/apikeys?account_index=1")).body
    expect(all["code"]).toBe(200)
    expect((all["api_keys"] as Frame[]).map((k) => [k["api_key_index"], k["public_key"]])).toEqual([
      [4, simPublicKeyHex(1, 4)],
      [7, simPublicKeyHex(1, 7)]
    ])
    expect((all["api_keys"] as Frame[])[0]).toMatchObject({ account_index: 1, nonce: 1 })
    expect(((all["api_keys"] as Frame[])[0]!["transaction_time"] as number)).toBeGreaterThan(0)
    const empty = (await get(sim, "/api/v1/apikeys?account_index=1&api_key_index=5")).body
    expect(empty).toEqual({
      code: 200,
      api_keys: [{ account_index: 1, api_key_index: 5, nonce: 1, public_key: "0".repeat(80), transaction_time: 0 }]
    })
    expect((await get(sim, "/api/v1/apikeys?account_index=1&api_key_index=255")).body["api_keys"]).toHaveLength(2)
    expect((await get(sim, "/api/v1/apikeys?account_index=9")).body).toEqual({ code: 21100, message: "account not found" })
    expect((await get(sim, "/api/v1/apikeys?account_index=1&api_key_index=300")).status).toBe(400)
  })

  it("an account without keys lists none; POST /sim/apikeys registers one at run time without resetting its nonce", async () => {
    const sim = await start({}, [])
    expect((await get(sim, "/api/v1/apikeys?account_index=1")).body).toEqual({ code: 200, api_keys: [] })
    expect((await postRaw(sim, 14, signForSim(order(1)).txInfo)).body["code"]).toBe(21109)
    const reg = await postJson(sim.url + "/sim/apikeys", { account_index: 1, api_key_index: 4, public_key: "0x" + simPublicKeyHex(1, 4) })
    expect(reg).toEqual({ status: 200, body: { code: 200, account_index: 1, api_key_index: 4, public_key: simPublicKeyHex(1, 4) } })
    expect((await get(sim, "/api/v1/apikeys?account_index=1&api_key_index=4")).body["api_keys"]).toMatchObject([
      { public_key: simPublicKeyHex(1, 4) }
    ])
    expect((await postRaw(sim, 14, signForSim(order(1)).txInfo)).status).toBe(200)
    // rotate the key (the handle's method): the old key's signatures are refused, the nonce continues
    const fresh = generateKeyPair()
    sim.exchange.registerApiKey(1, 4, bytesToHex(fresh.publicKey))
    expect((await postRaw(sim, 14, signForSim(order(2)).txInfo)).body["code"]).toBe(21120)
    const withFresh = signTx(fresh.privateKey, 304, order(2))
    expect((await postRaw(sim, 14, withFresh.txInfo)).body["tx_hash"]).toBe(withFresh.txHash)
    expect(await nextNonce(sim)).toBe(3)
    await sleep(10)
    expect(sim.exchange.engine.accounts.get(1)!.active.size).toBe(2) // nothing else was reset
    // form bodies work too; bad input is refused
    expect((await postForm(sim, "/sim/apikeys", { account_index: "2", api_key_index: "4", public_key: simPublicKeyHex(2, 4) })).status).toBe(200)
    expect((await postJson(sim.url + "/sim/apikeys", { account_index: 1, api_key_index: 4, public_key: "abc123" })).body).toEqual({
      code: 21136,
      message: "invalid PublicKey, update the sdk to the latest version"
    })
    expect((await postJson(sim.url + "/sim/apikeys", { account_index: 9, api_key_index: 4, public_key: simPublicKeyHex(2, 4) })).body["code"]).toBe(21100)
    expect((await postJson(sim.url + "/sim/apikeys", { account_index: 1, api_key_index: 255, public_key: simPublicKeyHex(2, 4) })).body["code"]).toBe(20001)
    expect((await postJson(sim.url + "/sim/apikeys", { account_index: 1, api_key_index: 4 })).body["code"]).toBe(20001)
    expect(() => sim.exchange.registerApiKey(1, 4, "zz")).toThrow(/invalid PublicKey/)
  })

  it("refuses to start with an invalid registered key", async () => {
    await expect(start({ accounts: [{ index: 1, apiKeys: { 4: "0xabc123" } }] }, [])).rejects.toThrow(/account 1: API key 4 is not a valid public key/)
  })

  it("old-style fake signatures are refused", async () => {
    const sim = await start()
    const info = { ...createTx({ account: 1, nonce: 1, base: 20, price: 999_000, isAsk: false }), Sig: Buffer.alloc(80, 7).toString("base64") }
    expect((await sendTx(sim, 14, info)).body["code"]).toBe(21120)
  })
})
