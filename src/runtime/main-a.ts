// bin/main-a: the maker (account A). Flags as the first system's main_A.py:
//   bin/main-a --market BTC --quantity 0.0002 --depth 60 --config config.yaml
import { main } from "./process.ts"

main("a", process.argv.slice(2))
