// Start-up and close times of the embedded test broker (libs/testing), recorded in docs/BENCHMARKS.md.
// Run: node --import ./test/support/register-ts.mjs bench/test-broker-startup.ts [rounds=50] [--persistent]
import { performance } from 'node:perf_hooks';
import { startTestBroker } from '@app/testing';

const rounds = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 50);
const isPersistent = process.argv.includes('--persistent');

/** The value at quantile `q` (nearest rank) of sorted `values`. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const fixed = (ms: number) => ms.toFixed(2).padStart(7);
  return `${label.padEnd(6)} p50 ${fixed(quantile(sorted, 0.5))} ms   p99 ${fixed(quantile(sorted, 0.99))} ms   max ${fixed(sorted[sorted.length - 1])} ms`;
}

// One untimed round first: module loading and the first LevelDB open are not what a test file pays per broker.
await (await startTestBroker({ persistent: isPersistent })).close();

const starts: number[] = [];
const closes: number[] = [];
for (let i = 0; i < rounds; i++) {
  const startedAt = performance.now();
  const broker = await startTestBroker({ persistent: isPersistent });
  starts.push(performance.now() - startedAt);
  const closingAt = performance.now();
  await broker.close();
  closes.push(performance.now() - closingAt);
}

console.log(`test broker, ${isPersistent ? 'LevelDB in a temp dir' : 'in-memory'}, ${rounds} rounds (Node ${process.version})`);
console.log(summary('start', starts));
console.log(summary('close', closes));
