// Lighter error codes the simulator answers with (PROTOCOL.md §5.3) and the error value carrying them.

export const ErrorCode = {
  InvalidParam: 20001,
  AccountNotFound: 21100,
  InvalidNonce: 21104,
  BatchNonceNotIncreasing: 21105,
  ApiKeyNotFound: 21109,
  InvalidSignature: 21120,
  BatchMixedKeys: 21121,
  InvalidPublicKey: 21136,
  InvalidTxInfo: 21501,
  UnsupportedTxType: 21505,
  BatchTooLarge: 21514,
  InvalidMarketIndex: 21602,
  InvalidOrderIndex: 21700,
  InvalidBaseAmount: 21701,
  InvalidPrice: 21702,
  InvalidOrderType: 21704,
  InvalidTimeInForce: 21705,
  BelowMinimum: 21706,
  InvalidExpiry: 21711,
  InvalidClientOrderIndex: 21727,
  ClientOrderIndexExists: 21728,
  AccidentalPrice: 21733,
  TooManyRequests: 23000,
  Internal: 29500
} as const

export const DefaultMessages: Record<number, string> = {
  20001: "invalid param",
  21100: "account not found",
  21104: "invalid nonce",
  21105: "batch transaction nonce is not increasing",
  21109: "api key not found",
  21120: "invalid signature",
  21121: "all transactions in the batch must have use same account and apikey",
  21136: "invalid PublicKey, update the sdk to the latest version",
  21501: "invalid tx info",
  21505: "unsupported tx type",
  21514: "maximum 50 transactions allowed per batch",
  21602: "invalid market index",
  21700: "invalid order index",
  21701: "invalid base amount",
  21702: "invalid price",
  21704: "invalid order type",
  21705: "invalid time in force",
  21706: "invalid order base or quote amount",
  21711: "invalid expiry",
  21727: "invalid client order index",
  21728: "client order index already exists",
  21733: "order price flagged as an accidental price",
  23000: "Too Many Requests!",
  29500: "internal server error"
}

export class SimError extends Error {
  readonly code: number
  readonly httpStatus: number
  constructor(code: number, message?: string, httpStatus?: number) {
    super(message ?? DefaultMessages[code] ?? `error ${code}`)
    this.code = code
    this.httpStatus = httpStatus ?? (code === ErrorCode.TooManyRequests ? 429 : 400)
  }
}

export const simError = (code: number, message?: string): SimError => new SimError(code, message)
