import { fieldValueEquals } from '../field-value-equals.js';
import { hasField, isVoid } from '../field-value.js';
import { fieldTypeName, formatErlangTerm } from '../field-value-format.js';
import type { Headers } from '../headers.js';

/** How a headers binding combines its fields (the `x-match` argument). */
export type HeadersMatchMode = 'all' | 'any' | 'all-with-x' | 'any-with-x';

const MATCH_MODES: ReadonlySet<string> = new Set<HeadersMatchMode>(['all', 'any', 'all-with-x', 'any-with-x']);

/**
 * RabbitMQ's refusal text for a binding's `x-match` (`rabbit_exchange_type_headers:validate_binding`), or
 * undefined when it is absent or valid. An absent `x-match` means `all`.
 */
export function validateHeadersBinding(args: Headers): string | undefined {
  const xMatch = args['x-match'];
  if (xMatch === undefined || (typeof xMatch === 'string' && MATCH_MODES.has(xMatch))) return undefined;
  if (typeof xMatch === 'string') {
    return `Invalid x-match field value ${formatErlangTerm(xMatch)}; expected all, any, all-with-x, or any-with-x`;
  }
  return `Invalid x-match field type ${fieldTypeName(xMatch)} (value ${formatErlangTerm(xMatch)}); expected longstr`;
}

/** One binding field to test against the message headers. */
interface HeadersField {
  readonly name: string;
  readonly value: unknown;
  /** A void value tests presence only (RabbitMQ: "a 'no value' in a pattern field … means simple presence"). */
  readonly isPresenceOnly: boolean;
}

/**
 * A headers binding compiled once at bind time, so matching walks a small array instead of re-reading the
 * arguments table per message.
 */
export class HeadersBindingSpec {
  private readonly fields: readonly HeadersField[];
  private readonly isAny: boolean;

  constructor(args: Headers) {
    const xMatch = args['x-match'];
    // Unknown values cannot get here (validateHeadersBinding refuses them); RabbitMQ falls back to 'all' too.
    const mode: HeadersMatchMode = typeof xMatch === 'string' && MATCH_MODES.has(xMatch) ? (xMatch as HeadersMatchMode) : 'all';
    this.isAny = mode === 'any' || mode === 'any-with-x';
    const withX = mode === 'all-with-x' || mode === 'any-with-x';
    const fields: HeadersField[] = [];
    for (const name of Object.keys(args)) {
      const value = args[name];
      if (value === undefined || name === 'x-match') continue;
      // Other x- arguments are binding options, not patterns, unless the mode says otherwise.
      if (!withX && name.startsWith('x-')) continue;
      fields.push({ name, value, isPresenceOnly: isVoid(value) });
    }
    this.fields = fields;
  }

  /**
   * True when the headers satisfy the binding: `all` needs every field present and equal (no fields: always
   * true), `any` needs one (no fields: never true), following `rabbit_exchange_type_headers:headers_match`.
   */
  matches(headers: Headers | undefined): boolean {
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const isMatch =
        headers !== undefined &&
        hasField(headers, field.name) &&
        headers[field.name] !== undefined &&
        (field.isPresenceOnly || fieldValueEquals(field.value, headers[field.name]));
      if (isMatch === this.isAny) return isMatch;
    }
    return !this.isAny;
  }
}
