import { Schema } from "effect"

/** A Redis (or in-memory bus) operation failed; the operation name says which. */
export class BusError extends Schema.TaggedError<BusError>()("BusError", {
  op: Schema.String,
  message: Schema.String
}) {}
