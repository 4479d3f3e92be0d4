// The live event stream of one account: order updates, trades, positions.
// Implementations reconnect by themselves (with capped backoff and jitter), resubscribe,
// and after every (re)connect emit `StreamConnected` followed by a full snapshot, so the
// stream never fails: disconnections show up as `StreamDisconnected` events.
import { Context, type Stream } from "effect"
import type { AccountEvent } from "../domain/events.ts"

export interface AccountStreamShape {
  readonly accountIndex: number
  readonly events: Stream.Stream<AccountEvent>
}

export class AccountStream extends Context.Service<AccountStream, AccountStreamShape>()("hedgeflow/venue/AccountStream") {}
