// The residual-pool rule is written twice: poolDecision (src/domain/hedge-plan.ts) and the Lua of
// BEGIN_HEDGE (src/bus/redis/RedisPairState.ts), which applies it atomically on Redis. This runs
// the real script on a real Redis for random (pool, signed delta, minBase) — with the edges
// pool = ±minBase, |delta| = minBase and pool + delta = ±minBase always among them — and checks
// that the intent's status, target and amount taken from the pool, and the pool afterwards, are
// what poolDecision says.
import { Effect } from "effect"
import fc from "fast-check"
import { beforeAll, describe, expect, it } from "vitest"
import { RedisConnection } from "../../src/bus/redis/connection.ts"
import { BEGIN_HEDGE } from "../../src/bus/redis/RedisPairState.ts"
import { poolDecision } from "../../src/domain/hedge-plan.ts"
import { redisFixture } from "../support/redis-fixture.ts"

const redis = redisFixture("pool")
let prefix: string
beforeAll(() => {
  prefix = redis.fresh("rule")
})

const LIMIT = 10 ** 12

/** x without a negative zero (-(m - 1) is -0 for m = 1). */
const plain = (x: number) => x + 0

interface Case {
  readonly pool: number
  readonly delta: number
  readonly minBase: number
  /** A pool of 0 stored as no key at all (the script reads a missing pool as 0). */
  readonly poolMissing: boolean
}

/** The values around ±minBase that decide the rule, and anything else up to ±10^12. */
const around = (m: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(m, -m, m - 1, -(m - 1), m + 1, -(m + 1), 0) },
    { weight: 2, arbitrary: fc.integer({ min: -3 * m, max: 3 * m }) },
    { weight: 1, arbitrary: fc.integer({ min: -LIMIT, max: LIMIT }) }
  )

const cases: fc.Arbitrary<Case> = fc
  .oneof(
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 20 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 10 ** 6 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: LIMIT }) }
  )
  .chain((minBase) =>
    fc.record({
      minBase: fc.constant(minBase),
      pool: around(minBase),
      // The delta on its own, or chosen so that pool + delta lands on (or next to) ±minBase.
      delta: fc.oneof(around(minBase).map((d) => ({ d })), around(minBase).map((combined) => ({ combined }))),
      poolMissing: fc.boolean()
    })
  )
  .map(({ minBase, pool, delta, poolMissing }) => ({
    minBase,
    pool: plain(pool),
    delta: plain("d" in delta ? delta.d : delta.combined - pool),
    poolMissing: poolMissing && pool === 0
  }))

/** The edges, always run: pool = ±minBase, |delta| = minBase, pool + delta = ±minBase. */
const edges: Array<[Case]> = [1, 7, 10 ** 6, LIMIT].flatMap((m) =>
  [
    { pool: m, delta: 0 },
    { pool: -m, delta: 0 },
    { pool: 0, delta: m },
    { pool: 0, delta: -m },
    { pool: m - 1, delta: 1 },
    { pool: -(m - 1), delta: -1 },
    { pool: m, delta: -2 * m },
    { pool: -m, delta: 2 * m },
    { pool: m, delta: m },
    { pool: -m, delta: m },
    { pool: m - 1, delta: -m },
    { pool: -(m - 1), delta: m },
    { pool: 1, delta: m },
    { pool: m, delta: -m },
    { pool: 1 - m, delta: 2 * m - 1 }
  ].map(({ pool, delta }): [Case] => [{ pool: plain(pool), delta: plain(delta), minBase: m, poolMissing: false }])
)

let run = 0

/** BEGIN_HEDGE for a fresh fill on a pool of `c.pool`: the intent it wrote and the pool afterwards. */
const runBeginHedge = (c: Case) =>
  Effect.gen(function*() {
    const conn = yield* RedisConnection
    const keys = { intents: `${prefix}:intents`, residual: `${prefix}:residual`, fence: `${prefix}:fence`, audit: `${prefix}:audit` }
    const fillId = `fill-${++run}`
    yield* conn.run("setPool", (r) => (c.poolMissing ? r.del(keys.residual) : r.set(keys.residual, String(c.pool)).then(() => 1)))
    const [existing, json] = yield* conn.runScript(BEGIN_HEDGE, keys, {
      fillId,
      fillSeq: run,
      signedDelta: c.delta,
      minBase: c.minBase,
      nowMs: 1,
      sizeDecimals: "",
      symbol: ""
    })
    const poolAfter = yield* conn.run("getPool", (r) => r.get(keys.residual))
    yield* conn.run("forget", (r) => r.hdel(keys.intents, fillId))
    const intent = JSON.parse(json) as { status: string; targetSignedBase: number; takenFromPool: number }
    return {
      existing,
      status: intent.status,
      target: intent.targetSignedBase,
      takenFromPool: intent.takenFromPool,
      pool: poolAfter === null ? 0 : Number(poolAfter)
    }
  })

/** What poolDecision says BEGIN_HEDGE must write. */
const expected = (c: Case) => {
  const d = poolDecision(c.pool, c.delta, c.minBase)
  return d._tag === "Hedge"
    ? { existing: 0, status: "open", target: d.target, takenFromPool: d.takenFromPool, pool: d.newPool }
    : { existing: 0, status: "deferred", target: 0, takenFromPool: 0, pool: d.newPool }
}

describe("residual pool rule: BEGIN_HEDGE's Lua against poolDecision", () => {
  it("agrees for random pools, deltas and minimums, and on every edge", async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const got = await redis.rt.runPromise(runBeginHedge(c))
        expect(got, `pool ${c.pool}${c.poolMissing ? " (no key)" : ""}, delta ${c.delta}, minBase ${c.minBase}`).toEqual(expected(c))
      }),
      { numRuns: 200, examples: edges }
    )
  })
})
