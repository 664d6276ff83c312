/**
 * An AMQP field table as routing sees it: message headers, binding arguments, exchange arguments.
 *
 * Structural on purpose: `routing` imports only its own types (docs/ARCHITECTURE.md), so it does not depend on the
 * codec's `FieldTable`, which is assignable to this.
 */
export type Headers = Readonly<Record<string, unknown>>;

/** The empty table, shared so callers with no arguments allocate nothing. */
export const EMPTY_HEADERS: Headers = Object.freeze({});
