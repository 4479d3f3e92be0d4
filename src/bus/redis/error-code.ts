// Redis error replies start with a code word: "NOGROUP No such key …", "BUSYGROUP Consumer Group
// name already exists", "NOSCRIPT No matching script …", "WRONGTYPE …", "LOADING …", "READONLY …",
// "OOM …", "ERR …", or a script's own code (error({err = 'SEQ_REGRESSED …'})). The code is that
// first word, never a word found elsewhere in the text (a message may quote another error's name).

/** The leading code word of a Redis error reply: upper-case letters, digits and `_`, then a space or the end. */
const LEADING_CODE = /^([A-Z][A-Z0-9_]*)(?: |$)/

// Redis before 7 wrapped an error raised by redis.call inside a script as
// "ERR Error running script (call to f_<sha>): @user_script:<line>: NOGROUP …": the code is the
// wrapped reply's (Redis 7 passes the reply through, adding " script: <sha>, on @user_script:<line>." at the end).
const WRAPPED_SCRIPT_ERROR = /^ERR Error running script \(call to f_[0-9a-f]+\): @user_script:\d+: ([A-Z][A-Z0-9_]*)(?: |$)/

/** The code word of an error reply's message; undefined when the message does not start with one. */
export const redisErrorCodeOfMessage = (message: string): string | undefined => {
  const wrapped = WRAPPED_SCRIPT_ERROR.exec(message)
  if (wrapped !== null) return wrapped[1]
  return LEADING_CODE.exec(message)?.[1]
}

/**
 * The code of a Redis error reply (an ioredis ReplyError): "NOGROUP", "BUSYGROUP", "NOSCRIPT",
 * "WRONGTYPE", "LOADING", "READONLY", "OOM", "ERR", a script's own code …; undefined for anything
 * else (a socket error, a timeout, a closed connection, a non-Error).
 */
export const redisErrorCode = (cause: unknown): string | undefined =>
  cause instanceof Error && cause.name === "ReplyError" ? redisErrorCodeOfMessage(cause.message) : undefined
