// The Signer service the venue adapter uses: real signatures from the account's key (verified
// here with the signer's own verifier), order indexes above 2^53 kept exact from the bigint to the
// WebSocket frame, the chain id rule, and key errors that never carry the key.
import { Effect, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { WebSocketServer } from "ws"
import { chainIdFor, makeLighterSigner, type SignerShape } from "../../src/venue/lighter/signer.ts"
import { bytesToHex, CHAIN_ID, generateKeyPair, publicKeyOf, verifyAuthToken, verifyTxInfo } from "../../src/venue/lighter/signing/index.ts"
import { LighterSocket } from "../../src/venue/lighter/ws.ts"

const pair = generateKeyPair()
const privateHex = "0x" + bytesToHex(pair.privateKey)

const make = (over: Partial<Parameters<typeof makeLighterSigner>[0]> = {}) =>
  Effect.runPromise(makeLighterSigner({
    accountIndex: 7,
    apiKeyIndex: 4,
    chainId: CHAIN_ID.mainnet,
    privateKey: Redacted.make(privateHex),
    keySource: "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY",
    ...over
  }))

const run = <A>(e: Effect.Effect<A, unknown>) => Effect.runPromise(e as Effect.Effect<A>)

describe("LighterSigner", () => {
  it("signs orders the verifier accepts under the account's public key, with the chain id in the hash", async () => {
    const s: SignerShape = await make()
    expect(s.publicKey).toBe(bytesToHex(pair.publicKey))
    const tx = await run(s.createOrder({
      marketIndex: 1, clientOrderIndex: 77, baseAmount: 20, price: 1_000_000, isAsk: true, type: 1, timeInForce: 0, reduceOnly: false, orderExpiry: 0
    }, 5))
    expect(tx.txType).toBe(14)
    expect(tx.txHash).toMatch(/^[0-9a-f]{80}$/)
    const info = JSON.parse(tx.txInfo) as Record<string, unknown>
    expect(Object.keys(info)).toEqual([
      "AccountIndex", "ApiKeyIndex", "MarketIndex", "ClientOrderIndex", "BaseAmount", "Price", "IsAsk", "Type", "TimeInForce",
      "ReduceOnly", "TriggerPrice", "OrderExpiry", "ExpiredAt", "Nonce", "Sig", "L2TxAttributes"
    ])
    expect(info).toMatchObject({ AccountIndex: 7, ApiKeyIndex: 4, Nonce: 5, IsAsk: 1, Type: 1, L2TxAttributes: null })
    // ExpiredAt as the official signer sets it: now + 10 min − 1 s
    expect(Math.abs((info["ExpiredAt"] as number) - (Date.now() + 599_000))).toBeLessThan(5_000)
    expect(verifyTxInfo(CHAIN_ID.mainnet, 14, tx.txInfo, pair.publicKey)).toEqual({ ok: true, txHash: tx.txHash })
    expect(verifyTxInfo(CHAIN_ID.testnet, 14, tx.txInfo, pair.publicKey).ok).toBe(false)
    expect(verifyTxInfo(CHAIN_ID.mainnet, 14, tx.txInfo, generateKeyPair().publicKey).ok).toBe(false)
  })

  it("cancels by an order index above 2^53 exactly: bigint in, the same digits in tx_info and on the WebSocket", async () => {
    const s = await make()
    const index = 2n ** 60n + 12345n // not representable as a double
    const tx = await run(s.cancelOrder(1, index, 9))
    expect(tx.txType).toBe(15)
    expect(tx.txInfo).toContain(`"Index":${index}`)
    expect(verifyTxInfo(CHAIN_ID.mainnet, 15, tx.txInfo, pair.publicKey).ok).toBe(true)

    // The adapter's socket embeds the signer's text as it is (never parsed and re-serialised).
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" })
    await new Promise<void>((r) => wss.once("listening", () => r()))
    const frames: Array<string> = []
    wss.on("connection", (c) => {
      c.send(JSON.stringify({ type: "connected" }))
      c.on("message", (d) => {
        const text = d.toString()
        frames.push(text)
        const id = /"id":"([^"]+)"/.exec(text)?.[1]
        if (id !== undefined) c.send(JSON.stringify({ type: "jsonapi/sendtx", code: 200, id, tx_hash: tx.txHash }))
      })
    })
    const port = (wss.address() as { port: number }).port
    const socket = new LighterSocket({ url: `ws://127.0.0.1:${port}`, name: "t", onFrame: () => {}, onState: () => {} })
    socket.start()
    try {
      for (let i = 0; i < 100 && !socket.isReady; i++) await new Promise((r) => setTimeout(r, 10))
      expect(await socket.sendTx(tx.txType, tx.txInfo, 2000)).toBe(tx.txHash)
      const sent = frames.find((f) => f.includes("jsonapi/sendtx"))!
      expect(sent).toContain(`"tx_type":15,"tx_info":${tx.txInfo}}`) // tx_info as a JSON object (PROTOCOL.md A.3)
      expect(sent).toContain(`"Index":${index}`)
    } finally {
      socket.stop()
      await new Promise<void>((r) => wss.close(() => r()))
    }
  })

  it("cancel-all, update leverage and auth tokens", async () => {
    const s = await make()
    const all = await run(s.cancelAll(3))
    expect(all.txType).toBe(16)
    expect(JSON.parse(all.txInfo)).toMatchObject({ TimeInForce: 0, Time: 0, Nonce: 3 })
    expect(verifyTxInfo(CHAIN_ID.mainnet, 16, all.txInfo, pair.publicKey).ok).toBe(true)

    const lev = await run(s.updateLeverage({ marketIndex: 1, leverage: 10, marginMode: "cross" }, 4))
    expect(lev.txType).toBe(20)
    expect(JSON.parse(lev.txInfo)).toMatchObject({ MarketIndex: 1, InitialMarginFraction: 1000, MarginMode: 0 })
    expect(verifyTxInfo(CHAIN_ID.mainnet, 20, lev.txInfo, pair.publicKey).ok).toBe(true)
    const bad = await Effect.runPromise(Effect.flip(s.updateLeverage({ marketIndex: 1, leverage: 0.5, marginMode: "isolated" }, 4)))
    expect(bad).toMatchObject({ _tag: "VenueError", kind: "rejected" })

    const deadline = Math.floor(Date.now() / 1000) + 600
    const token = await run(s.authToken(deadline))
    expect(token.startsWith(`${deadline}:7:4:`)).toBe(true)
    expect(verifyAuthToken(token, (a, k) => (a === 7 && k === 4 ? pair.publicKey : undefined), Math.floor(Date.now() / 1000))).toMatchObject({ ok: true })
  })

  it("an expired ExpiredAt when told (txTtlMs < 0: what a clock far behind looks like)", async () => {
    const s = await make({ txTtlMs: -5_000 })
    const tx = await run(s.cancelAll(1))
    expect(JSON.parse(tx.txInfo)["ExpiredAt"]).toBeLessThan(Date.now())
  })

  it("a missing key fails with the hint; a malformed one names its source and never echoes it", async () => {
    const missing = await Effect.runPromise(Effect.flip(makeLighterSigner({
      accountIndex: 1, apiKeyIndex: 4, chainId: 304, privateKey: undefined, keySource: "X", missingKeyHint: "set HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY"
    })))
    expect(missing).toMatchObject({ _tag: "SignerKeyError", message: "set HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY" })
    const secret = "0x" + "7d".repeat(39) // 78 hex digits
    const bad = await Effect.runPromise(Effect.flip(makeLighterSigner({
      accountIndex: 1, apiKeyIndex: 4, chainId: 304, privateKey: Redacted.make(secret), keySource: "HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY"
    })))
    expect(bad._tag).toBe("SignerKeyError")
    expect(bad.message).toContain("the private key in HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY is not a Lighter API private key")
    expect(bad.message).not.toContain("7d7d7d")
  })

  it("the service carries the public key only", async () => {
    const s = await make()
    const text = JSON.stringify(s) + String(Object.values(s))
    expect(text).not.toContain(bytesToHex(pair.privateKey))
    expect(s.publicKey).toBe(bytesToHex(publicKeyOf(pair.privateKey)))
  })
})

describe("chain id", () => {
  it("lighter.chain_id when set, else 300 for a testnet host and 304 for anything else (the simulator too)", () => {
    expect(chainIdFor("https://testnet.zklighter.elliot.ai", undefined)).toBe(300)
    expect(chainIdFor("https://mainnet.zklighter.elliot.ai", undefined)).toBe(304)
    expect(chainIdFor("http://127.0.0.1:8787", undefined)).toBe(304)
    expect(chainIdFor("http://127.0.0.1:8787", 300)).toBe(300)
  })
})
