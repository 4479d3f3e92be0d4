// The code word of Redis error replies that older Redis versions wrapped when a script's
// redis.call failed ("ERR Error running script (call to f_<sha>): @user_script:<line>: CODE …"),
// beside the cases test/bus/scripts.test.ts pins: only a whole wrapped prefix at the start is
// unwrapped, any line number, the code at the end of the text or before a space only.
import { describe, expect, it } from "vitest"
import { redisErrorCode, redisErrorCodeOfMessage } from "../../src/bus/redis/error-code.ts"

const wrapped = (line: string, rest: string) => `ERR Error running script (call to f_0a1b2c3d): @user_script:${line}: ${rest}`

describe("wrapped script errors", () => {
  it("the wrapped reply's code, whatever the script line", () => {
    expect(redisErrorCodeOfMessage(wrapped("1", "NOGROUP No such key"))).toBe("NOGROUP")
    expect(redisErrorCodeOfMessage(wrapped("12", "WRONGTYPE Operation against a key"))).toBe("WRONGTYPE")
    expect(redisErrorCodeOfMessage(wrapped("7", "BUSYGROUP"))).toBe("BUSYGROUP")
  })
  it("a wrapped text that is not a code word leaves the outer ERR", () => {
    expect(redisErrorCodeOfMessage(wrapped("3", "NOGROUP:x"))).toBe("ERR")
    expect(redisErrorCodeOfMessage(wrapped("3", "lower case"))).toBe("ERR")
    expect(redisErrorCodeOfMessage("ERR Error running script (call to f_): @user_script:1: NOGROUP x")).toBe("ERR")
  })
  it("only at the start of the reply", () => {
    expect(redisErrorCodeOfMessage(`OOM ${wrapped("1", "NOGROUP x")}`)).toBe("OOM")
    expect(redisErrorCode(Object.assign(new Error(`SEQ_REGRESSED ${wrapped("1", "NOGROUP x")}`), { name: "ReplyError" }))).toBe("SEQ_REGRESSED")
  })
})
