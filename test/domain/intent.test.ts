// B's hedge intent (src/domain/intent.ts): its Schema is what the bus stores and decodes, and
// withAttempt is recordAttempt's rule (replace the attempt with the same number, else append, in order).
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { type HedgeIntent, HedgeIntentSchema, withAttempt } from "../../src/domain/intent.ts"
import { HedgeAttempt } from "../../src/domain/messages.ts"

const attempt = (n: number, over: Partial<ConstructorParameters<typeof HedgeAttempt>[0]> = {}) =>
  new HedgeAttempt({ attempt: n, clientOrderIndex: 1000 + n, side: "sell", base: 60, priceCap: 990_000, sentAtMs: n, ...over })
const intent: HedgeIntent = { fillId: "o:60", fillSeq: 7, status: "open", targetSignedBase: -60, takenFromPool: 0, attempts: [], createdAtMs: 1 }

describe("withAttempt", () => {
  it("appends attempts in order of their number, whatever order they are recorded in", () => {
    const i = withAttempt(withAttempt(withAttempt(intent, attempt(2)), attempt(1)), attempt(3))
    expect(i.attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
    expect(intent.attempts).toEqual([]) // the intent given is not changed
  })
  it("replaces the attempt with the same number (its outcome learnt), keeping the others and the rest of the intent", () => {
    const sent = withAttempt(withAttempt(intent, attempt(1)), attempt(2))
    const known = withAttempt(sent, attempt(1, { filledBase: 40, avgPrice: 995_000 }))
    expect(known.attempts.map((a) => [a.attempt, a.filledBase])).toEqual([[1, 40], [2, undefined]])
    expect({ ...known, attempts: [] }).toEqual({ ...intent, attempts: [] })
  })
})

describe("HedgeIntentSchema", () => {
  const json = Schema.fromJsonString(HedgeIntentSchema)
  it("round-trips an intent through its JSON, in each of its three states", () => {
    const i = withAttempt(intent, attempt(1, { filledBase: 60, avgPrice: 995_000, orderIndex: "281474976710656" }))
    for (const status of ["deferred", "open", "done"] as const) {
      const text = Schema.encodeSync(json)({ ...i, status })
      expect(Schema.decodeUnknownSync(json)(text)).toEqual({ ...i, status })
    }
  })
  it("refuses what the bus must never trust: an unknown status, a fractional size, a missing field", () => {
    const bad = (over: Record<string, unknown>) => Schema.decodeUnknownResult(json)(JSON.stringify({ ...intent, ...over }))._tag
    expect(bad({})).toBe("Success")
    expect(bad({ status: "pending" })).toBe("Failure")
    expect(bad({ targetSignedBase: -60.5 })).toBe("Failure")
    expect(bad({ takenFromPool: "0" })).toBe("Failure")
    expect(Schema.decodeUnknownResult(json)(JSON.stringify({ ...intent, fillSeq: undefined }))._tag).toBe("Failure")
    expect(bad({ attempts: [{ attempt: 0 }] })).toBe("Failure")
  })
})
