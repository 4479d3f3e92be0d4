// Which Redis failures a single operation retries (src/bus/redis/connection.ts isTransient): a
// reply whose code says "not now", or the client failing to reach Redis — never a reply that
// merely mentions such a word.
import { describe, expect, it } from "vitest"
import { BusError } from "../../src/bus/errors.ts"
import { isTransient } from "../../src/bus/redis/connection.ts"

const e = (message: string, code?: string) => new BusError({ op: "x", message, ...(code !== undefined ? { code } : {}) })

describe("transient Redis failures", () => {
  it("retries replies coded LOADING, TRYAGAIN, MASTERDOWN", () => {
    for (const code of ["LOADING", "TRYAGAIN", "MASTERDOWN"]) expect(isTransient(e(`${code} try later`, code))).toBe(true)
  })
  it("retries the client's own failures to reach Redis", () => {
    expect(isTransient(e("x on Redis 127.0.0.1:6379/0: ECONNREFUSED: connect ECONNREFUSED"))).toBe(true)
    expect(isTransient(e("x on Redis 127.0.0.1:6379/0: Connection is closed."))).toBe(true)
    expect(isTransient(e("x on Redis 127.0.0.1:6379/0: Command timed out"))).toBe(true)
  })
  it("does not retry a reply that only mentions such a word, nor any other reply", () => {
    expect(isTransient(e("ERR unknown command 'LOADING'", "ERR"))).toBe(false)
    expect(isTransient(e("WRONGTYPE ECONNREFUSED in a key name", "WRONGTYPE"))).toBe(false)
    expect(isTransient(e("NOGROUP no such group", "NOGROUP"))).toBe(false)
  })
})
