// Channel names on Lighter's WebSocket: clients subscribe with "/" (`account_all_orders/5`,
// `account_orders/1/5`), frames come back with ":" (`account_all_orders:5`,
// `account_orders:1:5`) (PROTOCOL.md §4.1, and "Notes for a JavaScript/TypeScript client").
// Error frames carry no channel field: only their message may name one.

/** A subscription the venue refused: which channel, the venue's code when it gave one, and why. */
export interface ChannelRefusal {
  readonly channel: string
  readonly code?: number
  readonly message: string
  /** When the socket tries again. */
  readonly retryInMs: number
}

/** "account_orders:1:5" → "account_orders/1/5"; undefined for anything that is not a channel name. */
export const frameChannelToSubscribe = (frameChannel: string): string | undefined =>
  /^[a-z_]{1,40}(?::-?\d{1,20}){1,2}$/.test(frameChannel) ? frameChannel.replaceAll(":", "/") : undefined

/**
 * The subscription (one of `channels`, in subscribe form) an error message names, in either form
 * ("Invalid Channel: account_all_orders/5", "... account_all_orders:5"). The longest match wins, so
 * `account_orders/1/5` is not mistaken for a shorter name it starts with. A channel counts only when
 * no digit follows it (`order_book/1` is not named by "order_book/12").
 */
export const channelOfMessage = (message: string, channels: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  for (const c of channels) {
    for (const form of [c, c.replaceAll("/", ":")]) {
      let from = 0
      for (;;) {
        const at = message.indexOf(form, from)
        if (at < 0) break
        const next = message[at + form.length]
        if (next === undefined || !/[0-9]/.test(next)) {
          if (best === undefined || c.length > best.length) best = c
          break
        }
        from = at + 1
      }
    }
  }
  return best
}

/**
 * Error frames that answer a subscribe or unsubscribe but refuse nothing: 30002 "Not Subscribed"
 * (an unsubscribe before a renewal, after the venue had already ended the subscription) and 30003
 * "Already Subscribed" (the subscription stands) (codes: PROTOCOL.md §4.1).
 */
export const isBenignSubscribeError = (code: number | undefined, message: string): boolean =>
  code === 30002 || code === 30003 || /^(not|already) subscribed/i.test(message)
