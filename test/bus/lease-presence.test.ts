// What the role lease's records say, read back (src/bus/redis/lease.ts): the holder record's
// encoding and its description in refusals ("host h, pid 12 (instance x), since … (41.0 s ago)"),
// the presence view bin/hedge status reads (`<prefix>:lease:<role>` and `<prefix>:seen:<role>`,
// including damaged records), and Redis's clock in milliseconds.
import { describe, expect, it } from "vitest"
import {
  decodeHolder,
  describeHolder,
  encodeHolder,
  type LeaseHolder,
  leaseKeys,
  programOf,
  readPresence,
  redisNowMs
} from "../../src/bus/redis/lease.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const holder: LeaseHolder = { role: "b", host: "box-1", pid: 12, instance: "abc123", startedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }

describe("lease holder records", () => {
  it("keys and program names of the roles", () => {
    expect(leaseKeys("p").lease("a")).toBe("p:lease:a")
    expect(leaseKeys("p").lease("b")).toBe("p:lease:b")
    expect(leaseKeys("p").seen("a")).toBe("p:seen:a")
    expect(leaseKeys("p").seen("b")).toBe("p:seen:b")
    expect(programOf("a")).toBe("main-a")
    expect(programOf("b")).toBe("main-b")
  })

  it("encodes as JSON and decodes back; anything else decodes to undefined", () => {
    const raw = encodeHolder(holder)
    expect(JSON.parse(raw)).toEqual(holder)
    expect(decodeHolder(raw)).toEqual(holder)
    expect(decodeHolder(JSON.stringify({ ...holder, role: "a" }))).toEqual({ ...holder, role: "a" })
    expect(decodeHolder(JSON.stringify({ ...holder, role: "c" }))).toBeUndefined()
    expect(decodeHolder(JSON.stringify({ ...holder, pid: "12" }))).toBeUndefined()
    const { instance: _, ...noInstance } = holder
    expect(decodeHolder(JSON.stringify(noInstance))).toBeUndefined()
    expect(decodeHolder("{not json")).toBeUndefined()
    expect(decodeHolder("")).toBeUndefined()
  })

  it("describes the holder: host, pid, instance, start and how long ago", () => {
    const raw = encodeHolder(holder)
    expect(describeHolder(raw, holder.startedAtMs + 41_049)).toBe(
      "host box-1, pid 12 (instance abc123), since 2026-01-02T03:04:05.006Z (41.0 s ago)"
    )
    expect(describeHolder(raw, holder.startedAtMs + 1_250)).toBe(
      "host box-1, pid 12 (instance abc123), since 2026-01-02T03:04:05.006Z (1.3 s ago)"
    )
    // A clock behind the holder's: never a negative age.
    expect(describeHolder(raw, holder.startedAtMs - 5_000)).toBe(
      "host box-1, pid 12 (instance abc123), since 2026-01-02T03:04:05.006Z (0.0 s ago)"
    )
    // Default: this machine's clock.
    const recent = encodeHolder({ ...holder, startedAtMs: Date.now() - 60_000 })
    expect(describeHolder(recent)).toMatch(/^host box-1, pid 12 \(instance abc123\), since \S+Z \(6\d\.\d s ago\)$/)
  })

  it("an unreadable holder is quoted, cut to 120 characters", () => {
    expect(describeHolder("garbage", 0)).toBe('an unreadable holder "garbage"')
    expect(describeHolder('say "hi"', 0)).toBe('an unreadable holder "say \\"hi\\""')
    expect(describeHolder("x".repeat(200), 0)).toBe(`an unreadable holder "${"x".repeat(120)}"`)
  })
})

const redis = redisFixture("presence")

describe("readPresence", () => {
  it("nothing stored: no lease, no seen record", async () => {
    expect(await redis.rt.runPromise(readPresence(redis.fresh("none"), "a"))).toStrictEqual({ lease: undefined, seen: undefined })
  })

  it("a held lease and its seen record, for the role asked", async () => {
    const p = redis.fresh("held")
    const value = encodeHolder(holder)
    await redis.raw.set(`${p}:lease:b`, value, "PX", 60_000)
    await redis.raw.hset(`${p}:seen:b`, "holder", value, "atMs", "1790000000123", "status", JSON.stringify({ phase: "trading", open: 2 }))
    await redis.raw.hset(`${p}:seen:a`, "holder", "{}", "atMs", "5")
    expect(await redis.rt.runPromise(readPresence(p, "b"))).toStrictEqual({
      lease: { raw: value, holder },
      seen: { holder, atMs: 1790000000123, stoppedAtMs: undefined, status: { phase: "trading", open: 2 } }
    })
    expect(await redis.rt.runPromise(readPresence(p, "a"))).toStrictEqual({
      lease: undefined,
      seen: { holder: undefined, atMs: 5, stoppedAtMs: undefined, status: {} }
    })
  })

  it("a clean stop: no lease, the stop time", async () => {
    const p = redis.fresh("stopped")
    await redis.raw.hset(`${p}:seen:a`, "holder", encodeHolder({ ...holder, role: "a" }), "atMs", "1000", "stoppedAtMs", "1000", "status", "{}")
    expect(await redis.rt.runPromise(readPresence(p, "a"))).toStrictEqual({
      lease: undefined,
      seen: { holder: { ...holder, role: "a" }, atMs: 1000, stoppedAtMs: 1000, status: {} }
    })
  })

  it("damaged records: an unreadable lease holder, no usable time (no seen record), a status that is not an object", async () => {
    const p = redis.fresh("damaged")
    await redis.raw.set(`${p}:lease:a`, "hand-written")
    expect((await redis.rt.runPromise(readPresence(p, "a"))).lease).toStrictEqual({ raw: "hand-written", holder: undefined })

    for (const atMs of ["", "soon"]) {
      await redis.raw.hset(`${p}:seen:a`, "atMs", atMs, "holder", encodeHolder(holder))
      expect((await redis.rt.runPromise(readPresence(p, "a"))).seen).toBeUndefined()
    }
    await redis.raw.hdel(`${p}:seen:a`, "atMs")
    expect((await redis.rt.runPromise(readPresence(p, "a"))).seen).toBeUndefined()

    await redis.raw.hset(`${p}:seen:a`, "atMs", "77", "stoppedAtMs", "")
    for (const status of ["[1,2]", "null", "5", "\"text\"", "{broken"]) {
      await redis.raw.hset(`${p}:seen:a`, "status", status)
      expect((await redis.rt.runPromise(readPresence(p, "a"))).seen).toStrictEqual({ holder, atMs: 77, stoppedAtMs: undefined, status: {} })
    }
    await redis.raw.hset(`${p}:seen:a`, "holder", "{}", "stoppedAtMs", "x", "status", "{\"ok\":true}")
    expect((await redis.rt.runPromise(readPresence(p, "a"))).seen).toStrictEqual({ holder: undefined, atMs: 77, stoppedAtMs: undefined, status: { ok: true } })
  })
})

describe("redisNowMs", () => {
  it("is Redis's TIME in milliseconds", async () => {
    const ms = ([s, us]: ReadonlyArray<number | string>) => Number(s) * 1000 + Math.floor(Number(us) / 1000)
    const before = ms(await redis.raw.time())
    const now = await redis.rt.runPromise(redisNowMs)
    const after = ms(await redis.raw.time())
    expect(Number.isInteger(now)).toBe(true)
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(after)
    // Sanity: the same machine's clock, within a minute.
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000)
  })
})
