// Command-line options for bench/run.mjs. Parsed with node:util so the harness needs no dependency.
import { parseArgs } from 'node:util';

/** Every scenario, in the order they run when --only is not given. */
export const SCENARIO_NAMES = ['transient-ack', 'transient-noack', 'persistent-confirm', 'persistent-publish-only', 'fanout', 'latency'];

const USAGE = `usage: node bench/run.mjs [options]
  --url URL            AMQP URL (default: $AMQP_URL or amqp://guest:guest@127.0.0.1:5672)
  --only a,b           scenarios to run: ${SCENARIO_NAMES.join(', ')}
  --duration S         seconds of publishing per run (default 10; latency adds a 1 s warm-up)
  --messages N         publisher stops after N messages even before --duration (default 500000)
  --client NAME        amqplib (default) or cloudamqp
  --runs N             repeat each scenario N times and report median [min-max] (default 1)
  --broker-pid PID     measure this process's CPU from /proc/PID/stat over each run window
  --rate N             latency scenario: messages per second (default 5000)
  --json               print one JSON document instead of one line per scenario
  --help`;

/**
 * Parses process.argv into a frozen options object, or prints usage and exits on --help or bad input.
 * Validation is strict because a typo ("--duraton 3") silently running a 10 s default wastes a shared machine.
 */
export function parseOptions(argv = process.argv.slice(2)) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        only: { type: 'string' },
        duration: { type: 'string', default: '10' },
        messages: { type: 'string', default: '500000' },
        client: { type: 'string', default: 'amqplib' },
        runs: { type: 'string', default: '1' },
        'broker-pid': { type: 'string' },
        rate: { type: 'string', default: '5000' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    fail(err.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const scenarios = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : SCENARIO_NAMES;
  for (const name of scenarios) {
    if (!SCENARIO_NAMES.includes(name)) fail(`unknown scenario "${name}"`);
  }
  if (!['amqplib', 'cloudamqp'].includes(values.client)) fail(`unknown client "${values.client}"`);
  return Object.freeze({
    url: values.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    scenarios,
    durationMs: positive(values.duration, 'duration', 3600) * 1000,
    maxMessages: Math.floor(positive(values.messages, 'messages', 1e8)),
    client: values.client,
    runs: Math.floor(positive(values.runs, 'runs', 100)),
    brokerPid: parsePid(values['broker-pid']),
    rate: positive(values.rate, 'rate', 1e6),
    json: values.json,
  });
}

function parsePid(text) {
  return text === undefined ? undefined : Math.floor(positive(text, 'broker-pid', 2 ** 31));
}

function positive(text, name, max) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > max) fail(`--${name} must be a number in (0, ${max}], got "${text}"`);
  return n;
}

function fail(message) {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}
