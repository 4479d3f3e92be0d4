// `rediss://` is TLS (config redis.url, docs/CONFIG.md): against a private TLS-only redis-server
// with a self-signed certificate, the connection is refused for the certificate while Node does
// not trust it, and answers once it does (NODE_EXTRA_CA_CERTS, read at a process's start: checked
// in a child process).
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { makeClientOptions, RedisConnection } from "../../src/bus/redis/connection.ts"
import { canConnect, freePort } from "../../src/testkit/local-redis.ts"

const dir = mkdtempSync(join(tmpdir(), "hedgeflow-tls-"))
const cert = join(dir, "cert.pem")
const key = join(dir, "key.pem")
let port = 0
let server: ReturnType<typeof spawn> | undefined

beforeAll(async () => {
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"], { stdio: "ignore" })
  port = await Effect.runPromise(freePort)
  server = spawn("redis-server", ["--port", "0", "--tls-port", String(port), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" })
  for (let i = 0; i < 100 && !(await Effect.runPromise(canConnect(port))); i++) await new Promise((r) => setTimeout(r, 50))
}, 30_000)

afterAll(() => {
  server?.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
})

describe("redis.url with rediss:// (TLS)", () => {
  it("rediss:// asks for TLS with the URL's host as the server name; redis:// does not", () => {
    const tls = RedisConnection.optionsFromUrl("rediss://cache.example:6380/1")
    expect(tls.tls).toBe(true)
    expect(makeClientOptions(tls, "hedgeflow-cmd", false).tls).toStrictEqual({ servername: "cache.example" })
    const plain = RedisConnection.optionsFromUrl("redis://cache.example:6380/1")
    expect(plain.tls).toBeUndefined()
    expect("tls" in makeClientOptions(plain, "hedgeflow-cmd", false)).toBe(false)
  })

  it.effect("a certificate Node does not trust: refused, and the error says why", () =>
    Effect.gen(function*() {
      const e = yield* Effect.scoped(Effect.flip(Layer.build(RedisConnection.layerFromUrl(`rediss://localhost:${port}`, 2_000))))
      expect(e.message).toMatch(/cannot reach Redis at localhost:\d+: .*(self[- ]signed|certificate)/i)
    }), 30_000)

  it("the certificate trusted (NODE_EXTRA_CA_CERTS): the connection answers", () => {
    const script = `
      import { Effect, Layer } from "effect"
      import { RedisConnection } from "./src/bus/redis/connection.ts"
      const program = Effect.gen(function*() {
        const c = yield* RedisConnection
        return yield* c.run("ping", (r) => r.ping())
      }).pipe(Effect.provide(RedisConnection.layerFromUrl("rediss://localhost:${port}", 3000)))
      Effect.runPromise(program).then((r) => { console.log("reply:" + r); process.exit(0) }, (e) => { console.log("error:" + (e?.message ?? e)); process.exit(1) })
    `
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: process.cwd(),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
      encoding: "utf8",
      timeout: 20_000
    })
    expect(r.stdout.trim()).toBe("reply:PONG")
  }, 30_000)
})
