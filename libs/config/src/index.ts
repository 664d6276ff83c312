// Configuration shared by the apps: one zod schema per app over the `WARREN_*` environment variables, built from
// the same value kinds, so a variable of a kind is parsed the same way everywhere. Imports no library of ours.
export * from './config-error.js';
export * from './log-level.js';
export * from './env-kinds.js';
export * from './parse-env.js';
export * from './read-config-file.js';
export * from './broker-env.js';
export * from './admin-env.js';
export * from './certificate-expiry.js';
