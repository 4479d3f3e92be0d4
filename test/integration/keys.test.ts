// `bin/hedge keys generate` and `bin/hedge keys check` as a user runs them, against a simulator
// started here: generate → register (POST /sim/apikeys stands in for Lighter's tools) → check.
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startSimulator, type SimHandle } from "../../src/sim/server.ts"
import { bytesToHex, generateKeyPair, parsePrivateKey, publicKeyOf } from "../../src/venue/lighter/signing/index.ts"
import { exitOf } from "../support/process.ts"
import { simPrivateKeyHex, simPublicKeyHex, withSimKeys } from "../support/sim-signing.ts"

const root = resolve(import.meta.dirname, "../..")
const dir = mkdtempSync(join(tmpdir(), "hedgeflow-keys-"))

/** bin/hedge's entry point, spawned asynchronously (the simulator answers from this process). */
const hedge = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const base = { ...process.env }
  delete base["HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY"]
  delete base["HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY"]
  const p = spawn(process.execPath, [join(root, "src/cli/hedge.ts"), ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...base, ...env } })
  let stdout = ""
  let stderr = ""
  p.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => p.kill("SIGKILL"), 30_000)
  const status = await exitOf(p)
  clearTimeout(timer)
  return { status, stdout, stderr, out: stdout + stderr }
}

let sim: SimHandle
let config: string
beforeAll(async () => {
  sim = await startSimulator({ port: 0, market: false, accounts: withSimKeys() })
  config = join(dir, "config.yaml")
  writeFileSync(config, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\n`)
})
afterAll(async () => {
  await sim?.close()
})

const register = async (account: number, keyIndex: number, publicKey: string) => {
  const res = await fetch(`${sim.url}/sim/apikeys`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account_index: account, api_key_index: keyIndex, public_key: publicKey })
  })
  expect(res.status).toBe(200)
}

const keysEnv = (a: string | undefined, b: string | undefined) => ({
  ...(a !== undefined ? { HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY: a } : {}),
  ...(b !== undefined ? { HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY: b } : {})
})

describe("bin/hedge keys check", () => {
  it("both keys registered: one 'match' line per account with its public key, exit 0, no private key shown", async () => {
    const r = await hedge(["keys", "check", "--config", config], keysEnv(simPrivateKeyHex(1), simPrivateKeyHex(2)))
    expect(r.status, r.out).toBe(0)
    expect(r.stdout).toContain(`account A (A, index 1, API key 4): match — public key ${simPublicKeyHex(1)} is registered on ${sim.url}`)
    expect(r.stdout).toContain(`account B (B, index 2, API key 4): match — public key ${simPublicKeyHex(2)}`)
    for (const k of [simPrivateKeyHex(1), simPrivateKeyHex(2)]) expect(r.out).not.toContain(k.slice(2))
  })

  it("mismatch, not registered and key missing: each said with what to do, exit 1", async () => {
    const other = "0x" + bytesToHex(generateKeyPair().privateKey)
    const otherPublic = bytesToHex(publicKeyOf(parsePrivateKey(other)))
    const mismatch = await hedge(["keys", "check", "--config", config], keysEnv(undefined, other))
    expect(mismatch.status).toBe(1)
    expect(mismatch.stdout).toMatch(/account A \(A, index 1, API key 4\): KEY MISSING — .*set HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY in the environment, or name a key file \(chmod 600\) in accounts\.account_a\.private_key_file/)
    expect(mismatch.stdout).toContain(`account B (B, index 2, API key 4): MISMATCH — the venue has public key ${simPublicKeyHex(2)} in this slot`)
    expect(mismatch.stdout).toContain(`belongs to ${otherPublic}`)
    expect(mismatch.stdout).toContain("change_api_key")
    expect(mismatch.out).not.toContain(other.slice(2))

    const slot9 = join(dir, "slot9.yaml")
    writeFileSync(slot9, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\naccounts: { account_a: { account_index: 1, api_key_index: 9 } }\n`)
    const unregistered = await hedge(["keys", "check", "--config", slot9], keysEnv(simPrivateKeyHex(1), simPrivateKeyHex(2)))
    expect(unregistered.status).toBe(1)
    expect(unregistered.stdout).toContain(`account A (A, index 1, API key 9): NOT REGISTERED — the venue has no public key in this slot. Its private key's public key is ${simPublicKeyHex(1)}`)
    expect(unregistered.stdout).toMatch(/account B \(B, index 2, API key 4\): match/)
  })

  it("reads a key from accounts.account_x.private_key_file too", async () => {
    const file = join(dir, "a.key")
    writeFileSync(file, simPrivateKeyHex(1) + "\n", { mode: 0o600 })
    const withFile = join(dir, "file.yaml")
    writeFileSync(withFile, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\naccounts: { account_a: { account_index: 1, api_key_index: 4, private_key_file: "${file}" } }\n`)
    const r = await hedge(["keys", "check", "--config", withFile], keysEnv(undefined, simPrivateKeyHex(2)))
    expect(r.status, r.out).toBe(0)
    expect(r.stdout).toMatch(/account A \(A, index 1, API key 4\): match/)
  })
})

describe("bin/hedge keys generate", () => {
  it("prints a pair once with the warning and how to register it; registered, it checks as a match", async () => {
    const r = await hedge(["keys", "generate"])
    expect(r.status, r.out).toBe(0)
    const priv = /private key\s+(0x[0-9a-f]{80})/.exec(r.stdout)?.[1]
    const pub = /public key\s+(0x[0-9a-f]{80})/.exec(r.stdout)?.[1]
    expect(priv).toBeDefined()
    expect(pub).toBeDefined()
    expect(bytesToHex(publicKeyOf(parsePrivateKey(priv!)))).toBe(pub!.slice(2))
    expect(r.stdout.split(priv!.slice(2)).length - 1).toBe(1) // shown once
    expect(r.stdout).toContain("chmod 600")
    expect(r.stdout).toContain("HEDGEFLOW_ACCOUNT_X_PRIVATE_KEY")
    expect(r.stdout).toContain("SignerClient.change_api_key")
    expect(r.stdout).toContain("bin/hedge keys check")

    // The how-to: register the public key (Lighter's tools on the venue; the simulator's endpoint here) → check.
    await register(1, 7, pub!)
    const slot7 = join(dir, "slot7.yaml")
    writeFileSync(slot7, `lighter: { base_url: "${sim.url}", ws_url: "${sim.wsUrl}" }\naccounts: { account_a: { account_index: 1, api_key_index: 7 } }\n`)
    const check = await hedge(["keys", "check", "--config", slot7], keysEnv(priv!, simPrivateKeyHex(2)))
    expect(check.status, check.out).toBe(0)
    expect(check.stdout).toContain(`account A (A, index 1, API key 7): match — public key ${pub!.slice(2)}`)
  })

  it("--private-key-file writes the key (mode 600) instead of showing it, and never overwrites", async () => {
    const file = join(dir, "new.key")
    const r = await hedge(["keys", "generate", "--private-key-file", file])
    expect(r.status, r.out).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const priv = readFileSync(file, "utf8").trim()
    const pub = /public key\s+(0x[0-9a-f]{80})/.exec(r.stdout)?.[1]
    expect(bytesToHex(publicKeyOf(parsePrivateKey(priv)))).toBe(pub!.slice(2))
    expect(r.out).not.toContain(priv.slice(2))
    const again = await hedge(["keys", "generate", "--private-key-file", file])
    expect(again.status).toBe(1)
    expect(again.stderr).toContain("exists already")
    expect(readFileSync(file, "utf8").trim()).toBe(priv)
  })
})
