// Who an audit record names when the system has no user entry for this process (userInfo throws,
// as it does for a uid without a passwd line, e.g. in some containers): $USER, else "unknown".
import { afterEach, describe, expect, it, vi } from "vitest"

vi.mock("node:os", async (importOriginal) => {
  const os = await importOriginal<typeof import("node:os")>()
  return {
    ...os,
    userInfo: () => {
      throw new Error("ENOENT: no such file or directory, uv_os_get_passwd")
    },
    hostname: () => "mocked-host"
  }
})

const { operator } = await import("../../src/bus/redis/inspect.ts")

afterEach(() => {
  vi.unstubAllEnvs()
})

describe("operator without a user entry", () => {
  it("falls back to $USER", () => {
    vi.stubEnv("USER", "alice")
    expect(operator()).toEqual({ by: "alice", host: "mocked-host" })
  })
  it("and to \"unknown\" without $USER", () => {
    vi.stubEnv("USER", undefined)
    expect(operator()).toEqual({ by: "unknown", host: "mocked-host" })
  })
})
