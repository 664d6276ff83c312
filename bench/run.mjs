#!/usr/bin/env node
// Warren end-to-end benchmark against any AMQP 0-9-1 URL. See docs/BENCHMARKS.md for what each scenario
// measures. Runs each chosen scenario --runs times, cleans up its queues/exchanges after every run, prints
// one line per scenario (or JSON) and exits by itself; exit code 1 if any run failed or stalled.
import os from 'node:os';
import { withTimeout } from './lib/clients.mjs';
import { isReadablePid } from './lib/cpu-meter.mjs';
import { parseOptions } from './lib/options.mjs';
import { aggregate, formatLine, redactUrl } from './lib/report.mjs';
import { createRunContext } from './lib/run-context.mjs';
import { waitForQuietMachine } from './lib/settle.mjs';

/** Setup, publishing, the 30 s drain wait and cleanup all fit in this on top of --duration. */
const RUN_SLACK_MS = 120_000;

const opts = parseOptions();
if (opts.brokerPid !== undefined && !isReadablePid(opts.brokerPid)) {
  console.error(`bench: cannot read /proc/${opts.brokerPid}/stat; is --broker-pid right?`);
  process.exit(2);
}
const log = (msg) => console.error(msg); // progress on stderr keeps stdout to results only

async function runOnce(scenario) {
  const ctx = createRunContext(opts, scenario.name);
  let result;
  try {
    result = await withTimeout(scenario.run(ctx), opts.durationMs + RUN_SLACK_MS, scenario.name);
  } catch (err) {
    result = { status: 'error', error: err.message, warnings: [] };
  } finally {
    await ctx.session.closeAll();
  }
  result.warnings.push(...(await ctx.cleanup()));
  return result;
}

async function main() {
  const started = new Date();
  const report = [];
  let isFailed = false;
  for (const name of opts.scenarios) {
    const scenario = (await import(`./scenarios/${name}.mjs`)).default;
    const runs = [];
    for (let i = 1; i <= opts.runs; i++) {
      const busyPct = await waitForQuietMachine();
      const what = `${opts.client}, ${opts.durationMs / 1000} s, machine ${busyPct.toFixed(0)} % busy before`;
      log(`bench: ${name} run ${i}/${opts.runs} (${what})…`);
      const result = await runOnce(scenario);
      for (const w of result.warnings) log(`bench: ${name}: ${w}`);
      if (result.status !== 'done') isFailed = true;
      runs.push(result);
    }
    const agg = aggregate(runs);
    report.push({ name, summary: scenario.summary, aggregate: agg, runs });
    if (!opts.json) console.log(formatLine(name, runs, agg));
  }
  if (opts.json) {
    const meta = {
      date: started.toISOString(),
      url: redactUrl(opts.url),
      client: opts.client,
      node: process.version,
      cores: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model,
      durationS: opts.durationMs / 1000,
      maxMessages: opts.maxMessages,
      runsPerScenario: opts.runs,
      brokerPid: opts.brokerPid ?? null,
      latencyRatePerSec: opts.rate,
    };
    console.log(JSON.stringify({ meta, scenarios: report }, null, 2));
  }
  return isFailed ? 1 : 0;
}

// Exit explicitly: a client library that leaves a socket or timer behind must not keep the bench alive.
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench: ${err.stack ?? err}`);
    process.exit(1);
  },
);
