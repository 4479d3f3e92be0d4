// Which Lighter network a config points at, and the URLs that follow from it. venue.network
// names one; a lighter.base_url / ws_url on a network's host implies one. Keys that name
// different networks are a contradiction (checks.ts reports it, naming both).
import type { LighterNetwork } from "./fields.ts"
import type { ConfigFileData } from "./keys.ts"

/** Lighter's public networks: REST host and the chain id transactions are signed for. */
export const LIGHTER_NETWORKS: Readonly<Record<LighterNetwork, { readonly host: string; readonly chainId: number }>> = {
  mainnet: { host: "mainnet.zklighter.elliot.ai", chainId: 304 },
  testnet: { host: "testnet.zklighter.elliot.ai", chainId: 300 }
}

/** The simulator on this machine: where a config without a venue URL points. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:8787"

export const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname
  } catch {
    return ""
  }
}

/** The network whose host `url` names, if any (https://mainnet.zklighter.elliot.ai → mainnet). */
export const networkOfUrl = (url: string): LighterNetwork | undefined => {
  const host = hostOf(url).toLowerCase().replace(/\.$/, "")
  return (Object.keys(LIGHTER_NETWORKS) as ReadonlyArray<LighterNetwork>).find((n) => LIGHTER_NETWORKS[n].host === host)
}

/** A key that names a network, and how to show it in a message. */
export interface NetworkClaim {
  readonly key: ReadonlyArray<string>
  readonly network: LighterNetwork
  readonly shown: string
}

/** Every key of the file that names a network, venue.network first. */
export const networkClaims = (f: ConfigFileData): ReadonlyArray<NetworkClaim> => {
  const claims: Array<NetworkClaim> = []
  if (f.venue?.network !== undefined) claims.push({ key: ["venue", "network"], network: f.venue.network, shown: f.venue.network })
  for (const [key, url] of [[["lighter", "base_url"], f.lighter?.base_url], [["lighter", "ws_url"], f.lighter?.ws_url]] as const) {
    const n = url === undefined ? undefined : networkOfUrl(url)
    if (url !== undefined && n !== undefined) claims.push({ key, network: n, shown: `${url} (${n})` })
  }
  return claims
}

/** The network the file names, or undefined when it names none or contradicts itself. */
export const networkOf = (f: ConfigFileData): LighterNetwork | undefined => {
  const claims = networkClaims(f)
  const first = claims[0]
  return first !== undefined && claims.every((c) => c.network === first.network) ? first.network : undefined
}

const defaultWsUrl = (baseUrl: string): string => {
  const u = new URL(baseUrl)
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:"
  u.pathname = u.pathname.replace(/\/+$/, "") + "/stream"
  u.search = ""
  u.hash = ""
  return u.toString()
}

/** The venue's URLs and chain id: the keys' own, else the network's (kind lighter), else the simulator's. */
export const venueEndpoints = (f: ConfigFileData): {
  readonly network: LighterNetwork | undefined
  readonly baseUrl: string
  readonly wsUrl: string
  readonly chainId: number | undefined
} => {
  const network = networkOf(f)
  const fromNetwork = f.venue?.kind === "lighter" && network !== undefined ? LIGHTER_NETWORKS[network] : undefined
  const baseUrl = f.lighter?.base_url ?? (fromNetwork !== undefined ? `https://${fromNetwork.host}` : DEFAULT_BASE_URL)
  return {
    network,
    baseUrl,
    wsUrl: f.lighter?.ws_url ?? defaultWsUrl(baseUrl),
    chainId: f.lighter?.chain_id ?? (network !== undefined ? LIGHTER_NETWORKS[network].chainId : undefined)
  }
}
