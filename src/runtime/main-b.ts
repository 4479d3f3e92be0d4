// bin/main-b: the hedger (account B). Flags as the first system's main_B.py:
//   bin/main-b --market BTC --config config.yaml
import { main } from "./process.ts"

main("b", process.argv.slice(2))
