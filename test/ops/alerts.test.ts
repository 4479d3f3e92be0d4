// Alerts reach a webhook and Telegram (both served locally here), and secrets never leak.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Logger, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Alerts } from "../../src/ops/alerts.ts"

const serve = async () => {
  const bodies: Array<{ url: string; body: unknown }> = []
  const srv = createServer((req, res) => {
    let data = ""
    req.on("data", (c) => (data += c))
    req.on("end", () => {
      bodies.push({ url: req.url ?? "", body: JSON.parse(data) })
      res.writeHead(200).end("{}")
    })
  })
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
  const port = (srv.address() as AddressInfo).port
  return { port, bodies, close: () => new Promise<void>((r) => srv.close(() => r())) }
}

describe("alerts", () => {
  it("go to the log, the webhook and Telegram, with secrets scrubbed everywhere", async () => {
    const s = await serve()
    const token = "123456:SECRET-bot-token"
    const hook = `http://127.0.0.1:${s.port}/hook/SECRETPATH`
    const lines: Array<string> = []
    const logger = Logger.make((o) => void lines.push(String(o.message)))
    await Effect.runPromise(
      Effect.gen(function*() {
        const alerts = yield* Effect.service(Alerts)
        yield* alerts.alert("halted", `pair HALTED (token ${token} must not show)`)
      }).pipe(
        Effect.provide(Alerts.layer({
          pair: "BTC:1-2",
          process: "main-b",
          webhookUrl: Redacted.make(hook),
          telegram: { apiUrl: `http://127.0.0.1:${s.port}`, botToken: Redacted.make(token), chatId: "42" }
        })),
        Effect.provide(Logger.layer([logger]))
      )
    )
    await s.close()
    expect(s.bodies.map((b) => b.url).sort()).toEqual([`/bot${token}/sendMessage`, "/hook/SECRETPATH"].sort())
    const all = JSON.stringify(s.bodies.map((b) => b.body)) + lines.join("\n")
    expect(all).toContain("pair HALTED")
    expect(all).not.toContain("SECRET-bot-token")
    expect(lines.join("\n")).toContain("ALERT halted")
  })

  it("an unreachable channel is logged, never thrown", async () => {
    const lines: Array<string> = []
    await Effect.runPromise(
      Effect.service(Alerts).pipe(
        Effect.flatMap((a) => a.alert("poison-message", "x")),
        Effect.provide(Alerts.layer({ pair: "p", process: "b", webhookUrl: Redacted.make("http://127.0.0.1:1/hook/TOKEN"), timeoutMs: 500 })),
        Effect.provide(Logger.layer([Logger.make((o) => void lines.push(String(o.message)))]))
      )
    )
    expect(lines.some((l) => l.includes("alert not delivered to webhook"))).toBe(true)
    expect(lines.join("\n")).not.toContain("TOKEN")
  })
})
