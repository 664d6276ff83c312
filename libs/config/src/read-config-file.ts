import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';

/**
 * Reads a file a variable names (a certificate, a key); throws ConfigError naming the variable, the path and the
 * reason when it is missing, unreadable or empty, so the app stops at start-up as for a bad value.
 */
export function readConfigFile(variable: string, path: string): Buffer {
  let contents: Buffer;
  try {
    contents = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError(`config: ${variable} names a file that cannot be read (${reason}): ${JSON.stringify(path)}`);
  }
  if (contents.length === 0) throw new ConfigError(`config: ${variable} names an empty file: ${JSON.stringify(path)}`);
  return contents;
}
