// bin/main-b: the hedger (account B). Flags as the first system's main_B.py:
//   bin/main-b --market BTC --config config.yaml
import { holdEarlySignals, testStartupPause } from "./early-signals.ts"

// A stop signal during start-up (module loading included) ends the program cleanly, with exit 0.
holdEarlySignals()
await testStartupPause()
const { main } = await import("./process.ts")
main("b", process.argv.slice(2))
