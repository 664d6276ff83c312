import { Command, Option } from 'commander';
import { CliError, describeError } from './cli-error.js';
import { registerDefinitionsCommands } from './commands/definitions-commands.js';
import { registerExplainCommand } from './commands/explain-command.js';
import { registerListCommands } from './commands/list-commands.js';
import { registerMessageCommands } from './commands/message-commands.js';
import { registerTopCommand } from './commands/top-command.js';
import { registerTopologyCommands } from './commands/topology-commands.js';
import { OUTPUT_FORMATS } from './output-format.js';

/** Options of `warren start`. */
export interface StartOptions {
  dataDir?: string;
  adminApi: boolean;
}

/** What the launcher provides: the version, and how to run the broker (the package's and the repository's differ). */
export interface ProgramOptions {
  version: string;
  /** Runs `warren start`; absent: no start command. */
  start?: (options: StartOptions) => void;
}

const CONNECTION_HELP = `
Connection (flags > environment > config file > defaults):
  --url       WARREN_ADMIN_URL   the admin API, default http://localhost:15672
  --user      WARREN_ADMIN_USER  default guest
  --password  WARREN_ADMIN_PASS  default guest
  --config    WARREN_CLI_CONFIG  a JSON file {"url","user","password","insecure","ca"},
                                 default ~/.config/warren/cli.json
Errors print one line on stderr and exit with a non-zero code (2 for bad usage).`;

/** The `warren` command: `start` plus the admin API's commands. */
export function createProgram(options: ProgramOptions): Command {
  const program = new Command('warren')
    .description("Warren: an AMQP 0-9-1 message broker, and a client of its admin API (RabbitMQ's management API)")
    .version(options.version)
    .option('--url <url>', 'the admin API URL (env WARREN_ADMIN_URL)')
    .option('--user <name>', 'the user (env WARREN_ADMIN_USER)')
    .option('--password <password>', 'the password (env WARREN_ADMIN_PASS)')
    .option('--config <file>', 'a JSON config file (default ~/.config/warren/cli.json)')
    .option('--insecure', 'HTTPS: do not verify the server certificate (self-signed)')
    .option('--ca <file>', 'HTTPS: PEM CA certificate(s) to verify the server with')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addHelpText('after', CONNECTION_HELP)
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();
  // Global options are shown in every subcommand's --help too.
  program.configureHelp({ showGlobalOptions: true });
  if (options.start) {
    const start = options.start;
    program
      .command('start')
      .description('start the broker and the admin API (configured by the WARREN_* environment variables)')
      .option('--data-dir <dir>', 'where the broker keeps its data (WARREN_DATA_DIR; default ./warren-data)')
      .option('--no-admin-api', 'start the broker only')
      .action((startOptions: StartOptions) => start(startOptions));
  }
  registerListCommands(program);
  registerTopologyCommands(program);
  registerMessageCommands(program);
  registerDefinitionsCommands(program);
  registerExplainCommand(program);
  registerTopCommand(program);
  for (const command of allCommands(program)) {
    command.configureHelp({ showGlobalOptions: true });
    // A group without a subcommand (`warren list`) prints its help and fails, as git does.
    if (command.commands.length > 0 && command !== program) command.action(() => command.help({ error: true }));
  }
  return program;
}

function* allCommands(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* allCommands(sub);
}

/**
 * Parses argv and runs the command; any error becomes one line on stderr (`warren: ...`) and a non-zero exit code.
 * Resolves with the exit code (also set on `process.exitCode`).
 */
export async function runCli(options: ProgramOptions, argv: string[] = process.argv): Promise<number> {
  const program = createProgram(options);
  try {
    await program.parseAsync(argv);
    return (process.exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0);
  } catch (error) {
    process.stderr.write(`warren: ${describeError(error)}\n`);
    return (process.exitCode = error instanceof CliError ? error.exitCode : 1);
  }
}
