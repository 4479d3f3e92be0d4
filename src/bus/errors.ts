import { Schema } from "effect"

/**
 * A Redis (or in-memory bus) operation failed; the operation name says which. `code` is the
 * Redis error reply's code word (NOGROUP, BUSYGROUP, NOSCRIPT, WRONGTYPE, a script's own code such
 * as SEQ_REGRESSED …, see src/bus/redis/error-code.ts) when Redis answered with an error; absent
 * for connection failures, undecodable replies and errors of the bus itself.
 */
export class BusError extends Schema.TaggedError<BusError>()("BusError", {
  op: Schema.String,
  message: Schema.String,
  code: Schema.optional(Schema.String)
}) {}
