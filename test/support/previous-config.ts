// The previous system's own config.yaml (gread-liu/Lighter-hedge, hedge_strategy/config.yaml),
// for the tests that show it works here unchanged (keys in the environment).

/** The previous system's template, verbatim but for the account indexes a user fills in, the venue's URLs and Redis's port. */
export const previousConfigYaml = (o: {
  readonly baseUrl: string
  readonly wsUrl: string
  readonly forceClose?: number
  readonly redisPort?: number
}) => `accounts:
  account_a:
    account_name: account_4
    api_key_private_key: ""  # 替换为实际的私钥
    account_index: 1               # 替换为实际的账户索引
    api_key_index: 4

  account_b:
    account_name: account_5
    api_key_private_key: ""  # 替换为实际的私钥
    account_index: 2               # 替换为实际的账户索引
    api_key_index: 4

redis:
  host: "localhost"
  port: ${o.redisPort ?? 6379}
  db: 0

lighter:
  base_url: "${o.baseUrl}"
  ws_url: "${o.wsUrl}"  # WebSocket服务器地址（SDK会自动添加wss://和/stream）
  # 限价挂单（主要是A入口这边），超过多少时间自动取消重新挂，单位：秒
  maker_order_time_out: 30

strategy:
  retry_times: 50          # 对冲失败重试次数
  poll_interval: 1         # 订单状态轮询间隔(秒)
  ws_reconnect_delay: 5    # WebSocket重连延迟(秒)
  force_close_timeout: ${o.forceClose ?? 30}  # 仓位不平衡时强制平仓超时时间(秒)
`
