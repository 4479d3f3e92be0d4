// bin/main-a: the maker (account A). Flags as the first system's main_A.py:
//   bin/main-a --market BTC --quantity 0.0002 --depth 60 --config config.yaml
import { holdEarlySignals, testStartupPause } from "./early-signals.ts"

// A stop signal during start-up (module loading included) ends the program cleanly, with exit 0.
holdEarlySignals()
await testStartupPause()
const { main } = await import("./process.ts")
main("a", process.argv.slice(2))
