import type { z } from 'zod';
import { ConfigError } from './config-error.js';

/** What `parseEnv` needs to know beyond the schema. */
export interface ParseEnvOptions {
  /** Variables whose value must never be echoed in an error (a URL may carry a password). */
  readonly secret?: readonly string[];
}

/**
 * Parses `env` with a schema keyed by variable name. Throws ConfigError naming each bad variable and, unless it is
 * secret, the value it had.
 */
export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, options: ParseEnvOptions = {}): T {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    // An unset variable (a rule that needs it set) has no value to show.
    const shown = options.secret?.includes(name) || env[name] === undefined ? '' : `, got ${JSON.stringify(env[name])}`;
    return `${name} ${issue.message}${shown}`;
  });
  throw new ConfigError(`config: ${problems.join('; ')}`);
}
