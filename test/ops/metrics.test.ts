import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import { Metrics, renderPrometheusText, serveMetrics } from "../../src/ops/metrics.ts"

/** A Metrics service on a registry of its own, so tests don't see each other's series. */
const fresh = (labels: Record<string, string> = { pair: "BTC-1-2", process: "b" }) =>
  Metrics.layer({ labels }).pipe(Layer.provide(Layer.succeed(Metric.MetricRegistry, new Map())))

const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/

describe("Metrics", () => {
  it.effect("counts, gauges and latency render as Prometheus text", () =>
    Effect.gen(function*() {
      const m = yield* Metrics
      yield* m.fillPublished()
      yield* m.fillPublished(2)
      yield* m.hedgeSent()
      yield* m.hedgeFailed("rejected")
      yield* m.hedgeFailed("rejected")
      yield* m.hedgeFailed("timeout")
      yield* m.netPosition(-20)
      yield* m.wsReconnect("a")
      yield* m.busPoison()
      for (const ms of [3, 40, 40, 180, 99_999]) yield* m.hedgeLatency(ms)
      const text = yield* m.renderPrometheus
      const lines = text.trimEnd().split("\n")
      for (const line of lines) {
        if (!line.startsWith("#")) assert.match(line, SAMPLE_LINE)
      }
      const has = (l: string) => assert.include(lines, l)
      has("# TYPE hedgeflow_fills_published_total counter")
      has("hedgeflow_fills_published_total{pair=\"BTC-1-2\",process=\"b\"} 3")
      has("hedgeflow_hedges_sent_total{pair=\"BTC-1-2\",process=\"b\"} 1")
      has("hedgeflow_hedges_failed_total{pair=\"BTC-1-2\",process=\"b\",reason=\"rejected\"} 2")
      has("hedgeflow_hedges_failed_total{pair=\"BTC-1-2\",process=\"b\",reason=\"timeout\"} 1")
      has("# TYPE hedgeflow_net_position_base gauge")
      has("hedgeflow_net_position_base{pair=\"BTC-1-2\",process=\"b\"} -20")
      has("hedgeflow_ws_reconnects_total{account=\"a\",pair=\"BTC-1-2\",process=\"b\"} 1")
      has("hedgeflow_bus_poison_total{pair=\"BTC-1-2\",process=\"b\"} 1")
      has("# TYPE hedgeflow_hedge_latency_ms histogram")
      has("hedgeflow_hedge_latency_ms_bucket{le=\"5\",pair=\"BTC-1-2\",process=\"b\"} 1")
      has("hedgeflow_hedge_latency_ms_bucket{le=\"50\",pair=\"BTC-1-2\",process=\"b\"} 3")
      has("hedgeflow_hedge_latency_ms_bucket{le=\"200\",pair=\"BTC-1-2\",process=\"b\"} 4")
      has("hedgeflow_hedge_latency_ms_bucket{le=\"30000\",pair=\"BTC-1-2\",process=\"b\"} 4")
      has("hedgeflow_hedge_latency_ms_bucket{le=\"+Inf\",pair=\"BTC-1-2\",process=\"b\"} 5")
      has("hedgeflow_hedge_latency_ms_count{pair=\"BTC-1-2\",process=\"b\"} 5")
      has(`hedgeflow_hedge_latency_ms_sum{pair="BTC-1-2",process="b"} ${3 + 40 + 40 + 180 + 99_999}`)
      // one HELP and one TYPE per metric name
      const types = lines.filter((l) => l.startsWith("# TYPE "))
      assert.strictEqual(new Set(types).size, types.length)
      // buckets are cumulative and never decrease
      const buckets = lines.filter((l) => l.startsWith("hedgeflow_hedge_latency_ms_bucket")).map((l) => Number(l.split(" ")[1]))
      for (let i = 1; i < buckets.length; i++) assert.isAtLeast(buckets[i]!, buckets[i - 1]!)
    }).pipe(Effect.provide(fresh())))

  it.effect("series exist (at zero) before the first event", () =>
    Effect.gen(function*() {
      const text = yield* (yield* Metrics).renderPrometheus
      assert.include(text, "hedgeflow_fills_published_total 0\n")
      assert.include(text, "hedgeflow_net_position_base 0\n")
      assert.include(text, "hedgeflow_hedge_latency_ms_count 0\n")
    }).pipe(Effect.provide(fresh({}))))

  it("label values are escaped", () => {
    const text = renderPrometheusText([
      {
        id: "x-total",
        type: "Counter",
        description: "a \\ help\nline",
        attributes: { "bad-label": "q\"b\\n\nz" },
        state: { count: 1, incremental: true }
      }
    ])
    assert.strictEqual(text, "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\nx_total{bad_label=\"q\\\"b\\\\n\\nz\"} 1\n")
  })

  it.live("serveMetrics answers GET /metrics until its scope closes", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(Effect.gen(function*() {
        const m = yield* Metrics
        yield* m.hedgeSent(4)
        const { port } = yield* serveMetrics(0)
        const res = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`))
        assert.strictEqual(res.status, 200)
        assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/)
        assert.include(yield* Effect.promise(() => res.text()), "hedgeflow_hedges_sent_total{pair=\"BTC-1-2\",process=\"b\"} 4")
        const missing = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/nope`))
        assert.strictEqual(missing.status, 404)
        return port
      }))
      const after = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then(() => "open", () => "closed"))
      assert.strictEqual(after, "closed")
    }).pipe(Effect.provide(fresh())))

  it.live("a port in use is a typed error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* serveMetrics(0)
      const err = yield* Effect.flip(serveMetrics(port))
      assert.strictEqual(err._tag, "MetricsServerError")
      assert.include(err.message, String(port))
    })).pipe(Effect.provide(fresh())))
})
