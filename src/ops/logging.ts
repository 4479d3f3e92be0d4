// Logging for the long-running processes: one JSON object per line to a file of their own (for
// machines: grep, jq, log shippers) and short readable lines on stderr (for the person watching).
//
//   logs/main_A.jsonl  {"message":"hedge sent","level":"INFO","timestamp":"2026-…Z","cause":…,
//                       "annotations":{"fillId":"…"},"spans":{"hedge":12},"fiberId":"#42"}
//   stderr             2026-11-24 10:26:29.123 INFO  hedge sent  fillId=… hedge=12ms
//
// The readable log file, logs/main_A.log / main_B.log, is wherever stdout and stderr are sent:
// `bin/hedge start` sends them there, as the previous system's start script did
// (`nohup … > logs/main_A.log 2>&1 &`), and so may an operator's own script. The JSON lines never
// go to that file: a file stdout or stderr already goes to is not written a second time.
//
// The JSON file is opened in append mode (its folder is created); lines are written through a
// buffered stream and flushed when the layer's scope closes. Redacted values print as
// <redacted> in both outputs.
import { createWriteStream, fstatSync, mkdirSync, type Stats, statSync, type WriteStream } from "node:fs"
import { dirname } from "node:path"
import { Cause, Effect, Formatter, Layer, Logger, type LogLevel, Redacted, References, Schema, type Scope } from "effect"

export type LoggerLevel = "trace" | "debug" | "info" | "warn" | "warning" | "error" | "fatal" | "all" | "none"

export interface LoggerOptions {
  /** JSON-lines file, e.g. "logs/main_A.jsonl"; omit for no file. */
  readonly file?: string | undefined
  readonly level: LoggerLevel
  readonly console: "pretty" | "json" | "off"
  /** Where console lines go (default: process.stderr). For tests. */
  readonly writeConsole?: ((line: string) => void) | undefined
  /** Colour the pretty console (default: when stderr is a TTY and NO_COLOR is unset). */
  readonly color?: boolean | undefined
}

export class LogFileError extends Schema.TaggedError<LogFileError>()("LogFileError", {
  message: Schema.String,
  file: Schema.String
}) {}

export const toEffectLogLevel = (level: LoggerLevel): LogLevel.LogLevel => {
  switch (level) {
    case "trace":
      return "Trace"
    case "debug":
      return "Debug"
    case "info":
      return "Info"
    case "warn":
    case "warning":
      return "Warn"
    case "error":
      return "Error"
    case "fatal":
      return "Fatal"
    case "all":
      return "All"
    case "none":
      return "None"
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** One value as short text: strings as they are, Redacted as <redacted>, the rest as JSON. */
export const renderValue = (u: unknown): string => {
  if (typeof u === "string") return u
  if (Redacted.isRedacted(u)) return "<redacted>"
  if (u instanceof Error) return `${u.name}: ${u.message}`
  if (typeof u === "bigint") return `${u}`
  if (u === undefined) return "undefined"
  return Formatter.formatJson(u)
}

const pad2 = (n: number) => String(n).padStart(2, "0")
/** Local wall-clock time, e.g. "2026-11-24 10:26:29.123". */
export const localTime = (d: Date): string =>
  `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
  `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`

const COLORS: Record<string, string> = {
  TRACE: "\x1b[90m",
  DEBUG: "\x1b[36m",
  INFO: "\x1b[32m",
  WARN: "\x1b[33m",
  ERROR: "\x1b[31m",
  FATAL: "\x1b[41m\x1b[37m"
}

const quoteIfNeeded = (s: string) => (/^[^\s"=]*$/.test(s) ? s : JSON.stringify(s))

/** The readable console line (and, when there is a cause, its indented lines). */
export const prettyLogger = (color: boolean): Logger.Logger<unknown, string> =>
  Logger.make(({ cause, date, fiber, logLevel, message }) => {
    const level = logLevel.toUpperCase()
    const levelText = color ? `${COLORS[level] ?? ""}${level.padEnd(5)}\x1b[0m` : level.padEnd(5)
    const parts = (Array.isArray(message) ? message : [message]).map(renderValue)
    let line = `${localTime(date)} ${levelText} ${parts.join(" ")}`
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const extras: Array<string> = []
    for (const [k, v] of Object.entries(annotations)) extras.push(`${k}=${quoteIfNeeded(renderValue(v))}`)
    const now = date.getTime()
    for (const [label, start] of fiber.getRef(References.CurrentLogSpans)) extras.push(`${label}=${now - start}ms`)
    if (extras.length > 0) line += "  " + extras.join(" ")
    if (cause.reasons.length > 0) {
      line += "\n" + Cause.pretty(cause).split("\n").map((l) => "    " + l).join("\n")
    }
    return line
  })

/** One JSON line: message, level, timestamp, cause (as text), annotations, spans, fiberId. */
export const jsonLineLogger: Logger.Logger<unknown, string> = Logger.formatJson

// ---------------------------------------------------------------------------------------------
// Layers

/**
 * mkdir -p, one level at a time. (Node's own recursive mkdir spins forever on some special
 * file systems, e.g. under /proc; this fails instead.)
 */
const ensureDir = (dir: string, depth = 0): void => {
  try {
    mkdirSync(dir)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === "EEXIST") {
      if (!statSync(dir).isDirectory()) throw e
      return
    }
    const parent = dirname(dir)
    if (code !== "ENOENT" || parent === dir || depth > 64) throw e
    ensureDir(parent, depth + 1)
    mkdirSync(dir)
  }
}

const openAppend = (file: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        ensureDir(dirname(file))
        const stream = createWriteStream(file, { flags: "a" })
        return stream
      },
      catch: (e) => new LogFileError({ file, message: `cannot open log file ${file}: ${e instanceof Error ? e.message : String(e)}` })
    }).pipe(
      Effect.flatMap((stream) =>
        // wait for the open so a bad path fails here, not on the first line
        Effect.callback<WriteStream, LogFileError>((resume) => {
          const onOpen = () => {
            stream.off("error", onError)
            resume(Effect.succeed(stream))
          }
          const onError = (e: Error) => {
            stream.off("open", onOpen)
            resume(Effect.fail(new LogFileError({ file, message: `cannot open log file ${file}: ${e.message}` })))
          }
          stream.once("open", onOpen)
          stream.once("error", onError)
        })
      )
    ),
    (stream) =>
      Effect.callback<void>((resume) => {
        if (stream.destroyed || stream.writableEnded) return resume(Effect.void)
        stream.end(() => resume(Effect.void))
      })
  )

/** Whether `file` is the file stdout or stderr is written to (a shell's `> file 2>&1`). */
export const isStdioTarget = (file: string): boolean => {
  let target: Stats
  try {
    target = statSync(file)
  } catch {
    return false // not there yet: no redirect made it
  }
  for (const fd of [1, 2]) {
    try {
      const st = fstatSync(fd)
      if (st.isFile() && st.dev === target.dev && st.ino === target.ino) return true
    } catch {
      // closed
    }
  }
  return false
}

const fileLogger = (file: string, writeConsole: (line: string) => void) =>
  Effect.gen(function*() {
    if (isStdioTarget(file)) {
      // JSON lines and the console's lines in one file would garble both.
      writeConsole(`logging: ${file} is where this process's output is redirected; JSON lines are not written there (redirect to another file, e.g. ${file.replace(/\.jsonl$/, "")}.log)`)
      return Logger.make(() => {})
    }
    const stream = yield* openAppend(file)
    let broken = false
    stream.on("error", (e) => {
      if (!broken) writeConsole(`logging: writing ${file} failed (${e.message}); file logging stopped`)
      broken = true
    })
    return Logger.make((options) => {
      if (broken) return
      stream.write(jsonLineLogger.log(options) + "\n")
    })
  })

const defaultConsole = (line: string) => {
  process.stderr.write(line + "\n")
}

/**
 * Replaces Effect's default logger with: JSON lines appended to `file` (if given, and unless
 * stdout or stderr is redirected to that very file) and
 * pretty or JSON lines on stderr (unless console is "off"); sets the minimum level.
 * The file is flushed and closed when the layer's scope closes.
 */
export const makeLoggerLayer = (options: LoggerOptions): Layer.Layer<never, LogFileError> => {
  const write = options.writeConsole ?? defaultConsole
  const color = options.color ?? (options.writeConsole === undefined && process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined)
  const loggers: Array<Logger.Logger<unknown, unknown> | Effect.Effect<Logger.Logger<unknown, unknown>, LogFileError, Scope.Scope>> = []
  if (options.file !== undefined) loggers.push(fileLogger(options.file, write))
  if (options.console === "pretty") loggers.push(Logger.map(prettyLogger(color), write))
  if (options.console === "json") loggers.push(Logger.map(jsonLineLogger, write))
  return Layer.mergeAll(
    Logger.layer(loggers),
    Layer.succeed(References.MinimumLogLevel, toEffectLogLevel(options.level))
  )
}

/** The JSON-lines log of a process: `<dir>/main_A.jsonl` or `<dir>/main_B.jsonl`. */
export const jsonLogFileFor = (dir: string, processName: "main_A" | "main_B" | string): string =>
  `${dir.replace(/\/+$/, "")}/${processName}.jsonl`

/**
 * The readable log of a process, `<dir>/main_A.log` or `<dir>/main_B.log`, as the previous system
 * named them: what `bin/hedge start` redirects the process's stdout and stderr to.
 */
export const readableLogFileFor = (dir: string, processName: "main_A" | "main_B" | string): string =>
  `${dir.replace(/\/+$/, "")}/${processName}.log`
