// The pair as the harnesses run it on this machine — the demo, the chaos harness, the benchmark
// and the end-to-end tests: the config main-a and main-b get, and the embedded exchange's own
// counts of what it verified.
import type { SimHandle } from "../sim/server.ts"

/** The demo pair's account indexes on the embedded exchange. */
export const PAIR_A = 1
export const PAIR_B = 2
const A = PAIR_A
const B = PAIR_B

/** The config the demo (and the end-to-end tests) give main-a and main-b. */
export const demoConfig = (o: {
  simUrl: string
  wsUrl: string
  redisUrl: string
  prefix: string
  quantity: string
  depth: number
  logDir: string
  pollIntervalSec?: number
  txPerMinute?: number
  /**
   * maker.quote_tx_per_minute; absent: the default policy (20). Tests of correctness, not pacing,
   * pass 0, which also re-quotes on drift at once (maker.min_requote_interval_ms: 0) and reads the
   * venue's order list as often as allowed (maker.book_orders_refresh_ms: 2000): the exchange here
   * has no rate limit, and the default pacing is proven on the TestClock.
   */
  quoteTxPerMinute?: number
}) =>
  `# written by bin/hedge demo
# Private keys are not here: each process gets its own in HEDGEFLOW_ACCOUNT_A_PRIVATE_KEY / _B_.
accounts:
  account_a: { account_name: "A", account_index: ${A}, api_key_index: 4 }
  account_b: { account_name: "B", account_index: ${B}, api_key_index: 4 }
redis: { url: "${o.redisUrl}", key_prefix: "${o.prefix}" }
lighter: { base_url: "${o.simUrl}", ws_url: "${o.wsUrl}", maker_order_time_out: 30 }
strategy: { retry_times: 3, poll_interval: ${o.pollIntervalSec ?? 0.2}, ws_reconnect_delay: 0.2, force_close_timeout: 0 }
venue: { kind: simulator, live: false }
market: { symbol: BTC, quantity: "${o.quantity}", depth: ${o.depth} }
logging: { dir: "${o.logDir}", level: info, console: pretty }
# The embedded exchange runs without Lighter's rate limit here, so the shared budget is off.
budget: { tx_per_minute: ${o.txPerMinute ?? 0} }
${o.quoteTxPerMinute === undefined ? "" : `maker: { quote_tx_per_minute: ${o.quoteTxPerMinute}${o.quoteTxPerMinute === 0 ? ", min_requote_interval_ms: 0, book_orders_refresh_ms: 2000" : ""} }\n`}`

/** The exchange's own count of txs whose signature verified, and of txs it refused at verification. */
export const signatureFigures = (sim: SimHandle): { readonly verified: number; readonly rejected: number } => {
  const st = sim.exchange.signatureStats()
  return { verified: st.verified, rejected: st.rejected }
}

/** The exchange's own count of auth checks (private WS subscribes, private REST reads) it passed and refused. */
export const authFigures = (sim: SimHandle): { readonly accepted: number; readonly rejected: number } => {
  const st = sim.exchange.authStats()
  return { accepted: st.accepted, rejected: st.rejected }
}
