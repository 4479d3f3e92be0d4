// Resident memory of processes, sampled from /proc (Linux).
import { readFileSync } from "node:fs"

/** VmRSS of a process in MiB, or undefined when it cannot be read. */
export const rssMiB = (pid: number): number | undefined => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? undefined : Number(m[1]) / 1024
  } catch {
    return undefined
  }
}

export class RssSampler {
  private readonly max = new Map<string, number>()
  private readonly last = new Map<string, number>()
  sample(name: string, pid: number | undefined): void {
    if (pid === undefined) return
    const v = rssMiB(pid)
    if (v === undefined) return
    this.last.set(name, v)
    this.max.set(name, Math.max(v, this.max.get(name) ?? 0))
  }
  report(name: string): { readonly maxMiB: number | null; readonly lastMiB: number | null } {
    return { maxMiB: this.max.get(name) ?? null, lastMiB: this.last.get(name) ?? null }
  }
}
