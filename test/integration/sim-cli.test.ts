// `bin/hedge sim` standalone: API keys of the user accounts in <keys-dir>/account-<index>.key
// (generated 0600 when absent, loaded otherwise), registered on slot 4; key material never printed.
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { parseSimArgs } from "../../src/sim/main.ts"
import { bytesToHex, parsePrivateKey, publicKeyOf, signTx } from "../../src/venue/lighter/signing/index.ts"
import { exitOf, waitUntil } from "../support/process.ts"

const HEDGE = fileURLToPath(new URL("../../bin/hedge", import.meta.url))
const work = mkdtempSync(join(tmpdir(), "hedge-sim-cli-"))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  rmSync(work, { recursive: true, force: true })
})

interface Run {
  readonly child: ChildProcess
  readonly url: string
  output(): string
}

const runSim = async (cwd: string, args: readonly string[]): Promise<Run> => {
  const child = spawn(HEDGE, ["sim", "--port", "0", "--no-market", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] })
  children.push(child)
  let out = ""
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()))
  await waitUntil("the simulator's address line", () => /^rest http/m.test(out) || child.exitCode !== null, 20_000)
  const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out)
  if (m === null) throw new Error(`hedge sim did not start:\n${out}`)
  return { child, url: m[1]!, output: () => out }
}

const stop = async (r: Run): Promise<number> => {
  r.child.kill("SIGTERM")
  return exitOf(r.child)
}

const publicKeyOnSim = async (url: string, account: number): Promise<string> => {
  const body = (await (await fetch(`${url}/api/v1/apikeys?account_index=${account}&api_key_index=4`)).json()) as {
    api_keys: Array<{ public_key: string }>
  }
  return body.api_keys[0]!.public_key
}

describe("hedge sim key files", () => {
  it("generates 0600 key files in logs/sim-keys, registers them, prints where they are but never the keys; loads them next time", async () => {
    const cwd = join(work, "default")
    mkdirSync(cwd)
    const first = await runSim(cwd, [])
    const files = [1, 2].map((a) => join(cwd, "logs", "sim-keys", `account-${a}.key`))
    const keys = files.map((f) => readFileSync(f, "utf8"))
    for (const [i, f] of files.entries()) {
      expect(statSync(f).mode & 0o777).toBe(0o600)
      expect(keys[i]).toMatch(/^0x[0-9a-f]{80}\n$/)
    }
    expect(statSync(join(cwd, "logs", "sim-keys")).mode & 0o077).toBe(0)
    const privs = keys.map((k) => k.trim().slice(2))
    const pubs = privs.map((p) => bytesToHex(publicKeyOf(parsePrivateKey(p))))
    expect(await publicKeyOnSim(first.url, 1)).toBe(pubs[0])
    expect(await publicKeyOnSim(first.url, 2)).toBe(pubs[1])
    // a tx signed with the file's key is accepted
    const signed = signTx(parsePrivateKey(keys[0]!), 304, {
      type: "cancelOrder",
      accountIndex: 1,
      apiKeyIndex: 4,
      nonce: 1,
      expiredAt: Date.now() + 599_000,
      marketIndex: 1,
      index: 1
    })
    const sent = await fetch(`${first.url}/api/v1/sendTx`, {
      method: "POST",
      body: new URLSearchParams({ tx_type: "15", tx_info: signed.txInfo })
    })
    expect(((await sent.json()) as { tx_hash: string }).tx_hash).toBe(signed.txHash)
    const out1 = first.output()
    expect(out1).toContain(`account 1: API key 4 generated into ${files[0]}`)
    expect(out1).toMatch(/HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY.*accounts\.account_a\.private_key_file/)
    expect(out1).toMatch(/HEDGEFLOW_ACCOUNT_B_PRIVATE_KEY.*accounts\.account_b\.private_key_file/)
    expect(out1).toContain("auth tokens are checked")
    expect(await stop(first)).toBe(0)
    for (const p of privs) expect(first.output().toLowerCase()).not.toContain(p)

    const second = await runSim(cwd, ["--chain-id", "300"])
    expect(second.output()).toContain(`account 1: API key 4 loaded from ${files[0]}`)
    expect(second.output()).toContain("chain id 300")
    expect(await publicKeyOnSim(second.url, 1)).toBe(pubs[0])
    expect(readFileSync(files[0]!, "utf8")).toBe(keys[0])
    expect(await stop(second)).toBe(0)
    for (const p of privs) expect(second.output().toLowerCase()).not.toContain(p)
  })

  it("--keys-dir and --accounts choose the files; a bad key file stops it without echoing the file", async () => {
    const dir = join(work, "custom-keys")
    const r = await runSim(work, ["--keys-dir", dir, "--accounts", "3,4"])
    expect(statSync(join(dir, "account-3.key")).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, "account-4.key")).mode & 0o777).toBe(0o600)
    expect(await publicKeyOnSim(r.url, 3)).toMatch(/^[0-9a-f]{80}$/)
    expect(await stop(r)).toBe(0)

    const bad = join(work, "bad-keys")
    mkdirSync(bad)
    const secretish = "0x" + "ab".repeat(39) // 78 hex digits: not a key
    writeFileSync(join(bad, "account-1.key"), secretish, { mode: 0o600 })
    const child = spawn(HEDGE, ["sim", "--port", "0", "--no-market", "--keys-dir", bad], { cwd: work, stdio: ["ignore", "pipe", "pipe"] })
    children.push(child)
    let out = ""
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()))
    expect(await exitOf(child)).toBe(2)
    expect(out).toContain("account-1.key: not a Lighter API private key")
    expect(out).not.toContain("abab")
  })

  it("parses --chain-id, --keys-dir, --accounts and --api-key-index", () => {
    expect(parseSimArgs([])).toMatchObject({ chainId: 304, keysDir: join("logs", "sim-keys"), apiKeyIndex: 4, accounts: [{ index: 1 }, { index: 2 }] })
    expect(parseSimArgs(["--chain-id", "300", "--keys-dir", "/k", "--accounts", "5,6", "--api-key-index", "7"])).toMatchObject({
      chainId: 300,
      keysDir: "/k",
      accounts: [{ index: 5 }, { index: 6 }],
      apiKeyIndex: 7
    })
    expect(parseSimArgs([]).requireAuth).toBe(true)
    expect(parseSimArgs(["--no-auth"]).requireAuth).toBe(false)
    expect(() => parseSimArgs(["--chain-id", "x"])).toThrow(/^hedge sim: --chain-id: expected a whole number, got "x"$/)
    expect(() => parseSimArgs(["--keys-dir"])).toThrow(/--keys-dir needs a value \(--keys-dir DIR\)/)
    expect(() => parseSimArgs(["--no-auth=maybe"])).toThrow(/--no-auth takes no value/)
    expect(() => parseSimArgs(["--api-key-index", "255"])).toThrow(/0…254/)
    expect(() => parseSimArgs(["--accounts", "0,1"])).toThrow(/start at 1/)
  })
})
