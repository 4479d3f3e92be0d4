// Request body → flat string fields. Accepts application/x-www-form-urlencoded,
// multipart/form-data (via the WHATWG FormData parser in undici) and application/json.
import type { IncomingMessage } from "node:http"
import { SimError } from "./errors.ts"

const MAX_BODY = 4 * 1024 * 1024

export const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new SimError(20001, "request body too large"))
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const parseFields = async (contentType: string | undefined, body: Buffer): Promise<Map<string, string>> => {
  const ct = (contentType ?? "").toLowerCase()
  const out = new Map<string, string>()
  if (ct.startsWith("multipart/form-data")) {
    let form: FormData
    try {
      form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType! } }).formData()
    } catch {
      throw new SimError(20001, "invalid multipart body")
    }
    for (const [k, v] of form.entries()) out.set(k, typeof v === "string" ? v : await v.text())
    return out
  }
  if (ct.startsWith("application/json")) {
    let o: unknown
    try {
      o = JSON.parse(body.toString("utf8"))
    } catch {
      throw new SimError(20001, "invalid JSON body")
    }
    if (typeof o === "object" && o !== null) {
      for (const [k, v] of Object.entries(o)) out.set(k, typeof v === "string" ? v : JSON.stringify(v))
    }
    return out
  }
  // urlencoded (also the fallback for a missing content type)
  for (const [k, v] of new URLSearchParams(body.toString("utf8"))) out.set(k, v)
  return out
}
