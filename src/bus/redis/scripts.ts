// Every Lua script the bus runs, for the check of each declaration against its source
// (test/bus/scripts.test.ts). A script defined with redisScript in src/bus belongs here.
import { fillBusScripts } from "./RedisFillBus.ts"
import { DROP_INTENT } from "./inspect.ts"
import { leaseScripts } from "./lease.ts"
import { WRITE_POSITION } from "./LegacyMirror.ts"
import { PAIR_IDENTITY_CLAIM } from "./pair-identity.ts"
import { pairStateScripts } from "./RedisPairState.ts"
import type { AnyRedisScript } from "./script.ts"
import { TX_BUDGET_ACQUIRE } from "./tx-budget.ts"

export const allRedisScripts: ReadonlyArray<AnyRedisScript> = [
  ...fillBusScripts,
  ...pairStateScripts,
  ...leaseScripts,
  TX_BUDGET_ACQUIRE,
  PAIR_IDENTITY_CLAIM,
  DROP_INTENT,
  WRITE_POSITION
]
