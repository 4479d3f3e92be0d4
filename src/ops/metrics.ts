// The engine's metrics, on Effect's Metric module, and their Prometheus text exposition.
//
//   hedgeflow_fills_published_total   counter    fills of A appended to the fills stream
//   hedgeflow_hedges_sent_total       counter    hedge orders sent by B
//   hedgeflow_hedges_failed_total     counter    hedges that ended without (full) effect, by reason
//   hedgeflow_hedge_latency_ms        histogram  fill detected by A → hedge outcome known to B
//   hedgeflow_net_position_base       gauge      A + B signed position, integer base units
//   hedgeflow_ws_reconnects_total     counter    account stream reconnects, by account
//   hedgeflow_bus_poison_total        counter    bus entries moved to the dead-letter stream
//   hedgeflow_fill_duplicates_total   counter    fill entries acknowledged as duplicates, not hedged again
//
// Every series carries the constant labels given to the layer (pair, process). Metrics live in
// the MetricRegistry found in the context when the service is built (the process-wide one unless
// a test provides its own), so metrics the engine defines itself with `Metric.*` show up too.
import { createServer, type Server } from "node:http"
import { Context, Effect, Layer, Metric, Schema, type Scope } from "effect"

export const HEDGE_LATENCY_BOUNDARIES_MS: ReadonlyArray<number> = [
  5, 10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2500, 5000, 10_000, 30_000
]

export interface MetricsOptions {
  /** Constant labels on every series, e.g. { pair: "BTC-1-2", process: "b" }. */
  readonly labels?: Readonly<Record<string, string>> | undefined
}

export class Metrics extends Context.Service<Metrics, {
  readonly fillPublished: (count?: number) => Effect.Effect<void>
  readonly hedgeSent: (count?: number) => Effect.Effect<void>
  readonly hedgeFailed: (reason: string) => Effect.Effect<void>
  readonly hedgeLatency: (ms: number) => Effect.Effect<void>
  readonly netPosition: (baseUnits: number) => Effect.Effect<void>
  readonly wsReconnect: (account: string) => Effect.Effect<void>
  readonly busPoison: (count?: number) => Effect.Effect<void>
  readonly fillDuplicate: (count?: number) => Effect.Effect<void>
  /** Prometheus text exposition format 0.0.4 of every metric in the registry. */
  readonly renderPrometheus: Effect.Effect<string>
}>()("hedgeflow/ops/Metrics") {
  static readonly make = (options: MetricsOptions = {}) =>
    Effect.gen(function*() {
      const registry = yield* Metric.MetricRegistry
      const ctx = Context.make(Metric.MetricRegistry, registry)
      const attributes = { ...options.labels }
      const counter = (name: string, description: string) =>
        Metric.counter(name, { description, attributes, incremental: true })
      const fills = counter("hedgeflow_fills_published_total", "Fills of account A appended to the fills stream")
      const sent = counter("hedgeflow_hedges_sent_total", "Hedge orders sent on account B")
      const failed = counter("hedgeflow_hedges_failed_total", "Hedges that ended without full effect")
      const reconnects = counter("hedgeflow_ws_reconnects_total", "Account stream reconnects")
      const poison = counter("hedgeflow_bus_poison_total", "Bus entries moved to the dead-letter stream (undecodable, not this pair's, implausible)")
      const duplicates = counter("hedgeflow_fill_duplicates_total", "Fill entries acknowledged as duplicates of a fill already hedged, not hedged again")
      const latency = Metric.histogram("hedgeflow_hedge_latency_ms", {
        description: "Fill detected by A to hedge outcome known to B, in milliseconds",
        attributes,
        boundaries: HEDGE_LATENCY_BOUNDARIES_MS
      })
      const position = Metric.gauge("hedgeflow_net_position_base", {
        description: "Signed net position of A and B together, in integer base units",
        attributes
      })
      // touch every series so a scrape shows zeros before the first event
      for (const m of [fills, sent, reconnects, poison, duplicates]) m.updateUnsafe(0, ctx)
      latency.valueUnsafe(ctx)
      position.updateUnsafe(0, ctx)
      const update = <I>(m: Metric.Metric<I, unknown>, v: I) => Effect.sync(() => m.updateUnsafe(v, ctx))
      return Metrics.of({
        fillPublished: (count = 1) => update(fills, count),
        hedgeSent: (count = 1) => update(sent, count),
        hedgeFailed: (reason) => update(Metric.withAttributes(failed, { reason }), 1),
        hedgeLatency: (ms) => update(latency, ms),
        netPosition: (base) => update(position, base),
        wsReconnect: (account) => update(Metric.withAttributes(reconnects, { account }), 1),
        busPoison: (count = 1) => update(poison, count),
        fillDuplicate: (count = 1) => update(duplicates, count),
        renderPrometheus: Effect.sync(() => renderPrometheusText(Metric.snapshotUnsafe(ctx)))
      })
    })

  static readonly layer = (options: MetricsOptions = {}) => Layer.effect(Metrics, Metrics.make(options))
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format

const sanitizeName = (name: string): string => {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[a-zA-Z_:]/.test(s) ? s : `_${s}`
}
const sanitizeLabel = (name: string): string => {
  const s = name.replace(/[^a-zA-Z0-9_]/g, "_")
  return /^[a-zA-Z_]/.test(s) ? s : `_${s}`
}
const escapeLabelValue = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")
const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

const formatNumber = (n: number | bigint): string => {
  if (typeof n === "bigint") return n.toString()
  if (Number.isNaN(n)) return "NaN"
  if (n === Infinity) return "+Inf"
  if (n === -Infinity) return "-Inf"
  return String(n)
}

const labelsText = (attrs: Readonly<Record<string, string>> | undefined, extra?: Readonly<Record<string, string>>): string => {
  const all = { ...attrs, ...extra }
  const keys = Object.keys(all).sort()
  if (keys.length === 0) return ""
  return `{${keys.map((k) => `${sanitizeLabel(k)}="${escapeLabelValue(String(all[k]))}"`).join(",")}}`
}

/** Renders metric snapshots as Prometheus text (one HELP/TYPE per metric name, then its series). */
export const renderPrometheusText = (snapshots: ReadonlyArray<Metric.Metric.Snapshot>): string => {
  const byName = new Map<string, Array<Metric.Metric.Snapshot>>()
  for (const s of snapshots) {
    const name = sanitizeName(s.id)
    const list = byName.get(name)
    if (list === undefined) byName.set(name, [s])
    else list.push(s)
  }
  const lines: Array<string> = []
  for (const name of [...byName.keys()].sort()) {
    const series = byName.get(name)!
    const first = series[0]!
    const type = first.type === "Counter"
      ? "counter"
      : first.type === "Gauge"
      ? "gauge"
      : first.type === "Histogram"
      ? "histogram"
      : first.type === "Summary"
      ? "summary"
      : "counter"
    if (first.description !== undefined) lines.push(`# HELP ${name} ${escapeHelp(first.description)}`)
    lines.push(`# TYPE ${name} ${type}`)
    for (const s of series) {
      const attrs = s.attributes as Readonly<Record<string, string>> | undefined
      switch (s.type) {
        case "Counter":
          lines.push(`${name}${labelsText(attrs)} ${formatNumber(s.state.count)}`)
          break
        case "Gauge":
          lines.push(`${name}${labelsText(attrs)} ${formatNumber(s.state.value)}`)
          break
        case "Frequency":
          for (const [key, count] of s.state.occurrences) {
            lines.push(`${name}${labelsText(attrs, { key })} ${formatNumber(count)}`)
          }
          break
        case "Histogram": {
          let sawInf = false
          for (const [le, cumulative] of s.state.buckets) {
            if (le === Infinity) sawInf = true
            lines.push(`${name}_bucket${labelsText(attrs, { le: formatNumber(le) })} ${formatNumber(cumulative)}`)
          }
          if (!sawInf) lines.push(`${name}_bucket${labelsText(attrs, { le: "+Inf" })} ${formatNumber(s.state.count)}`)
          lines.push(`${name}_sum${labelsText(attrs)} ${formatNumber(s.state.sum)}`)
          lines.push(`${name}_count${labelsText(attrs)} ${formatNumber(s.state.count)}`)
          break
        }
        case "Summary": {
          for (const [q, v] of s.state.quantiles) {
            lines.push(`${name}${labelsText(attrs, { quantile: String(q) })} ${formatNumber(v ?? NaN)}`)
          }
          lines.push(`${name}_sum${labelsText(attrs)} ${formatNumber(s.state.sum)}`)
          lines.push(`${name}_count${labelsText(attrs)} ${formatNumber(s.state.count)}`)
          break
        }
      }
    }
  }
  return lines.join("\n") + "\n"
}

// ---------------------------------------------------------------------------------------------
// HTTP endpoint

export class MetricsServerError extends Schema.TaggedError<MetricsServerError>()("MetricsServerError", {
  message: Schema.String
}) {}

/**
 * Serves GET /metrics (Prometheus text) on host:port until the scope closes. Binds to
 * 127.0.0.1 unless told otherwise. Port 0 picks a free port; the bound port is returned.
 */
export const serveMetrics = (
  port: number,
  host = "127.0.0.1"
): Effect.Effect<{ readonly port: number }, MetricsServerError, Metrics | Scope.Scope> =>
  Effect.gen(function*() {
    const metrics = yield* Metrics
    const context = yield* Effect.context<never>()
    const render = () => Effect.runPromiseWith(context)(metrics.renderPrometheus)
    const server = yield* Effect.acquireRelease(
      Effect.callback<Server, MetricsServerError>((resume) => {
        const srv = createServer((req, res) => {
          const path = (req.url ?? "/").split("?")[0]
          if (req.method !== "GET" && req.method !== "HEAD") {
            res.writeHead(405, { allow: "GET, HEAD" }).end()
            return
          }
          if (path !== "/metrics") {
            res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found; try /metrics\n")
            return
          }
          render().then(
            (body) => {
              res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
              res.end(req.method === "HEAD" ? undefined : body)
            },
            (e) => {
              res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`metrics failed: ${String(e)}\n`)
            }
          )
        })
        srv.once("error", (e) =>
          resume(Effect.fail(new MetricsServerError({ message: `cannot serve metrics on ${host}:${port}: ${e.message}` }))))
        srv.listen(port, host, () => resume(Effect.succeed(srv)))
      }),
      (srv) =>
        Effect.callback<void>((resume) => {
          srv.close(() => resume(Effect.void))
          srv.closeAllConnections()
        })
    )
    const address = server.address()
    return { port: typeof address === "object" && address !== null ? address.port : port }
  })
