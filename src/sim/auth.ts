// Auth tokens for private WebSocket channels and private REST reads (PROTOCOL.md §1.1, §3.6, §4.2):
// "deadline_unix_s:account:api_key:sig160hex", a Schnorr signature under the API key registered on
// (account, api_key) — the same registry the tx verifier uses (Account.apiKeys). A token is good
// when it verifies, names the account of the channel or query, has not expired against the
// exchange's clock, and does not live longer than the venue's maximum (8 h, plus 60 s of slack for
// clock drift). Counts every check.
import { verifyAuthToken } from "../venue/lighter/signing/index.ts"
import type { Engine } from "./engine.ts"
import { SimError } from "./errors.ts"
import type { Faults } from "./faults.ts"

/**
 * The code of an auth refusal, on WebSocket error frames and REST 400 bodies. NOT the venue's
 * confirmed code: PROTOCOL.md §3.6 only says tokens are required, and the venue's code for a
 * refused token is not documented anywhere we found. 20013 sits among the 200xx parameter errors
 * (20001 invalid param). Clients must not depend on it — match the "invalid auth:" message prefix
 * and the channel named in it instead.
 */
export const AUTH_ERROR_CODE = 20013

/** The venue's maximum token lifetime (PROTOCOL.md §3.6: NT `LIGHTER_AUTH_TOKEN_MAX_TTL`). */
export const MAX_AUTH_LIFETIME_S = 8 * 60 * 60
/** Allowance for a client clock ahead of ours when judging the lifetime. */
export const AUTH_CLOCK_SLACK_S = 60

/** Why a token was refused; the text goes on the wire after "invalid auth: ". */
export type AuthReason =
  | "missing token"
  | "malformed"
  | "unknown api key"
  | "bad signature"
  | "expired"
  | "lifetime over 8 h"
  | "refused by fault"
  | `token is for account ${number}`

export type AuthCheck =
  | { readonly ok: true; readonly deadlineSec: number; readonly apiKeyIndex: number }
  | { readonly ok: false; readonly reason: AuthReason }

export interface AuthStats {
  /** Auth checks passed (private subscribes and private REST reads). */
  readonly accepted: number
  /** Auth checks refused (any reason, including a missing token), and subscriptions ended because their token expired. */
  readonly rejected: number
}

/** The message of a refusal: "invalid auth: <reason>", plus " (<channel subscribe form>)" on WebSocket. */
export const authMessage = (reason: AuthReason, channel?: string): string =>
  `invalid auth: ${reason}${channel !== undefined ? ` (${channel})` : ""}`

export const authError = (reason: AuthReason): SimError => new SimError(AUTH_ERROR_CODE, authMessage(reason))

/** Token shape, to name the account before checking the signature (verifyAuthToken has the strict form). */
const PREFIX = /^(\d{1,12}):(-?\d{1,16}):(\d{1,3}):([0-9a-f]{160})$/

export class AuthChecker {
  /** False: tokens are ignored everywhere (nothing checked, nothing counted). */
  readonly required: boolean
  private readonly engine: Engine
  private readonly faults: Faults
  private accepted = 0
  private rejected = 0

  constructor(engine: Engine, faults: Faults, required: boolean) {
    this.engine = engine
    this.faults = faults
    this.required = required
  }

  /**
   * Checks `token` for `account` (the channel's or the query's) and counts the outcome. Order:
   * refuse_auth fault → missing → malformed → other account → key registered → signature →
   * expired → lifetime. `token` undefined, null or "" is missing; a non-string is malformed.
   */
  check(token: unknown, account: number): AuthCheck {
    const r = this.judge(token, account)
    if (r.ok) this.accepted++
    else this.rejected++
    return r
  }

  /**
   * A subscription ended because its token expired while it ran: counted as a refusal, so a
   * client that never renews its tokens shows in the counts (its next subscribe may well pass).
   */
  noteExpired(): void {
    this.rejected++
  }

  /** Seconds since the epoch on the exchange's clock (fractional). */
  nowSec(): number {
    return this.engine.clock.now() / 1000
  }

  stats(): AuthStats {
    return { accepted: this.accepted, rejected: this.rejected }
  }

  private judge(token: unknown, account: number): AuthCheck {
    const nowMs = this.engine.clock.now()
    if (this.faults.authRefused(account, nowMs)) return { ok: false, reason: "refused by fault" }
    if (token === undefined || token === null || token === "") return { ok: false, reason: "missing token" }
    if (typeof token !== "string") return { ok: false, reason: "malformed" }
    const m = PREFIX.exec(token)
    if (m === null) return { ok: false, reason: "malformed" }
    const tokenAccount = Number(m[2])
    if (tokenAccount !== account) return { ok: false, reason: `token is for account ${tokenAccount}` }
    const nowSec = nowMs / 1000
    const v = verifyAuthToken(token, (a, k) => this.engine.accounts.get(a)?.apiKeys.get(k)?.bytes, nowSec)
    if (!v.ok) {
      switch (v.reason) {
        case "malformed":
          return { ok: false, reason: "malformed" }
        case "unknown-key":
          return { ok: false, reason: "unknown api key" }
        case "bad-signature":
          return { ok: false, reason: "bad signature" }
        case "expired":
          return { ok: false, reason: "expired" }
      }
    }
    if (v.deadline - nowSec > MAX_AUTH_LIFETIME_S + AUTH_CLOCK_SLACK_S) return { ok: false, reason: "lifetime over 8 h" }
    return { ok: true, deadlineSec: v.deadline, apiKeyIndex: v.apiKeyIndex }
  }
}

/**
 * The token of a private REST read: query `auth`, else query `authorization`, else the
 * `Authorization` header (the first non-empty one); a "Bearer " prefix is dropped. Undefined when
 * none is given.
 */
export const restToken = (q: URLSearchParams, header: string | string[] | undefined): string | undefined => {
  const given = (v: string | null | undefined): string | undefined => {
    const t = v?.trim().replace(/^bearer\s+/i, "")
    return t === undefined || t === "" ? undefined : t
  }
  return given(q.get("auth")) ?? given(q.get("authorization")) ?? given(Array.isArray(header) ? header[0] : header)
}
