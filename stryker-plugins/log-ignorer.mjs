// A Stryker ignorer: mutants inside log calls (`Effect.logInfo(...)`, `Effect.annotateLogs(...)`)
// are not judged. Log lines are for people; what the engine does is judged everywhere else,
// including the texts that reach an operator through alerts, halts and refusals, which stay
// mutated. docs/MUTATION.md says what this leaves out.
const LOG_CALLS = new Set(["log", "logTrace", "logDebug", "logInfo", "logWarning", "logError", "logFatal", "annotateLogs"])

const isLogCall = (node) =>
  node?.type === "CallExpression" &&
  node.callee.type === "MemberExpression" &&
  node.callee.object.type === "Identifier" &&
  node.callee.object.name === "Effect" &&
  node.callee.property.type === "Identifier" &&
  LOG_CALLS.has(node.callee.property.name)

export const strykerPlugins = [
  {
    kind: "Ignore",
    name: "log-lines",
    value: {
      shouldIgnore(path) {
        return isLogCall(path.node) ? "log line: read by people, not by the engine" : undefined
      }
    }
  }
]
