// A Stryker ignorer: mutants inside log calls (`Effect.logInfo(...)`, `Effect.annotateLogs(...)`)
// are not judged. Log lines are for people; what the engine does is judged everywhere else,
// including the texts that reach an operator through alerts, halts and refusals, which stay
// mutated. docs/MUTATION.md says what this leaves out.
const LOG_CALLS = new Set(["log", "logTrace", "logDebug", "logInfo", "logWarning", "logError", "logFatal", "annotateLogs"])

const isLogCall = (node) =>
  node?.type === "CallExpression" &&
  node.callee.type === "MemberExpression" &&
  node.callee.object?.type === "Identifier" &&
  node.callee.object.name === "Effect" &&
  node.callee.property.type === "Identifier" &&
  LOG_CALLS.has(node.callee.property.name)

// `Effect.tapError((e) => Effect.logError(...))`: a tap only observes, so emptying its function
// drops the log line and nothing else.
const TAPS = new Set(["tap", "tapError", "tapCause", "tapErrorCause", "tapDefect"])
const isTapOfLog = (path) =>
  path.node?.type === "ArrowFunctionExpression" &&
  isLogCall(path.node.body) &&
  path.parent?.type === "CallExpression" &&
  path.parent.callee.type === "MemberExpression" &&
  path.parent.callee.object.type === "Identifier" &&
  path.parent.callee.object.name === "Effect" &&
  path.parent.callee.property.type === "Identifier" &&
  TAPS.has(path.parent.callee.property.name)

// `if (waited === 0) yield* Effect.logInfo(...)`: a condition without side effects that guards
// only log lines decides nothing but whether a line is logged.
const PURE = new Set(["Identifier", "MemberExpression", "OptionalMemberExpression", "BinaryExpression", "LogicalExpression", "UnaryExpression", "NumericLiteral", "StringLiteral", "BooleanLiteral", "NullLiteral", "BigIntLiteral"])
const isPure = (n) => {
  if (n == null || !PURE.has(n.type)) return false
  if (n.type === "UnaryExpression" && n.operator === "delete") return false
  for (const key of ["object", "property", "left", "right", "argument"]) {
    if (n[key] != null && !(key === "property" && n.computed === false) && !isPure(n[key])) return false
  }
  return true
}
const isLogStatement = (st) =>
  st?.type === "ExpressionStatement" &&
  (isLogCall(st.expression) ||
    (st.expression.type === "YieldExpression" && (isLogCall(st.expression.argument) || isPipedLog(st.expression.argument))))
// `Effect.logInfo(...).pipe(Effect.annotateLogs(...))`
const isPipedLog = (n) =>
  n?.type === "CallExpression" && n.callee.type === "MemberExpression" && n.callee.property.type === "Identifier" &&
  n.callee.property.name === "pipe" && isLogCall(n.callee.object) && n.arguments.every(isLogCall)
const isLogOnlyIf = (node) =>
  node?.type === "IfStatement" && node.alternate == null && isPure(node.test) &&
  (node.consequent.type === "BlockStatement" ? node.consequent.body.length > 0 && node.consequent.body.every(isLogStatement) : isLogStatement(node.consequent))

export const strykerPlugins = [
  {
    kind: "Ignore",
    name: "log-lines",
    value: {
      shouldIgnore(path) {
        if (isLogCall(path.node)) return "log line: read by people, not by the engine"
        if (isTapOfLog(path)) return "a tap that only logs"
        if (isLogOnlyIf(path.node)) return "a condition that only decides whether a line is logged"
        return undefined
      }
    }
  }
]
