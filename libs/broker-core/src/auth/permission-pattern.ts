// RabbitMQ's permission regexes (rabbit_auth_backend_internal): a resource name is allowed when the regex matches
// anywhere in it (re:run, unanchored: anchor with ^ and $ yourself); an empty regex stands for '^$'. Names are never
// empty (the default exchange is checked as 'amq.default', server-named queues are named before the check), so ''
// and '^$' deny everything and '.*' allows everything.

/** The three per-vhost permissions of RabbitMQ's access-control model. */
export type Permission = 'configure' | 'write' | 'read';

/** Longest permission regex accepted: a bound on what a client-supplied pattern can cost per check. */
export const MAX_PERMISSION_PATTERN_LENGTH = 512;

/** A permission regex that cannot be compiled or is too long. */
export class PermissionPatternError extends Error {}

/** Compiles one permission regex (RabbitMQ semantics: unanchored search, '' = '^$'); throws PermissionPatternError. */
export function compilePermissionPattern(pattern: string): RegExp {
  if (typeof pattern !== 'string') throw new PermissionPatternError('auth: a permission must be a string (a regular expression)');
  if (pattern.length > MAX_PERMISSION_PATTERN_LENGTH) {
    throw new PermissionPatternError(`auth: permission regex longer than ${MAX_PERMISSION_PATTERN_LENGTH} characters`);
  }
  try {
    return new RegExp(pattern === '' ? '^$' : pattern);
  } catch (error) {
    throw new PermissionPatternError(`auth: invalid permission regex '${pattern}': ${(error as Error).message}`);
  }
}

/** Whether a compiled permission allows `name`; the default exchange `''` is checked as `amq.default`, as RabbitMQ does. */
export function permits(regex: RegExp, kind: 'exchange' | 'queue', name: string): boolean {
  return regex.test(kind === 'exchange' && name === '' ? 'amq.default' : name);
}

/** What a topic permission's `{username}`, `{vhost}` and `{client_id}` stand for (RabbitMQ's variable map). */
export interface TopicVariables {
  readonly username: string;
  readonly vhost: string;
  /** From client-properties `client_id`; absent: the placeholder stays as written. */
  readonly client_id?: string;
}

/**
 * A topic permission regex with its variables replaced, compiled. As RabbitMQ does, values are substituted as they
 * are (not escaped) and an empty regex stands for '^$'. Throws PermissionPatternError.
 */
export function compileTopicPattern(pattern: string, variables: TopicVariables): RegExp {
  let expanded = pattern;
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') expanded = expanded.split(`{${name}}`).join(value);
  }
  return compilePermissionPattern(expanded);
}
