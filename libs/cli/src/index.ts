export { AdminClient, segment, type AdminRequest } from './admin-client.js';
export { CliError, describeError } from './cli-error.js';
export {
  resolveConnectionSettings,
  defaultConfigPath,
  DEFAULT_SETTINGS,
  type ConnectionSettings,
  type ConnectionFlags,
} from './connection-settings.js';
export { renderTable, renderTsv, renderRows, parseFormat, type Column, type OutputFormat } from './output-format.js';
export { createProgram, runCli, type ProgramOptions, type StartOptions } from './program.js';
