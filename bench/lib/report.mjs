// Turns run results into one human-readable line per scenario, or a JSON document (--json).
import { spread } from './stats.mjs';

/** Scenario-specific figures aggregated across runs, in display order. */
const THROUGHPUT_FIELDS = ['rate', 'publishRate', 'maxDepth'];
const LATENCY_FIELDS = ['p50', 'p90', 'p99', 'p999', 'max', 'maxLagMs'];
const CPU_FIELDS = ['brokerPct', 'clientPct', 'machinePct', 'foreignPct'];
/** The reference discards runs where other processes used more than 15 % of a core. */
const NOISY_FOREIGN_PCT = 15;

/** Aggregates one scenario's runs into { median, min, max } per figure. */
export function aggregate(runs) {
  const ok = runs.filter((r) => r.status === 'done');
  const pick = (field) => spread(ok.map((r) => r[field]));
  const figures = {};
  for (const f of [...THROUGHPUT_FIELDS, ...LATENCY_FIELDS]) figures[f] = pick(f);
  for (const f of CPU_FIELDS) figures[f] = spread(ok.map((r) => r.cpu?.[f]));
  return { okRuns: ok.length, totalRuns: runs.length, figures };
}

const k = (n) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 1000 ? `${(n / 1000).toFixed(2)}k` : n.toFixed(0));
const ms = (n) => (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (n) => `${n.toFixed(0)} %`;

function show(s, fmt, withRange) {
  if (!s) return '–';
  return withRange && s.min !== s.max ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : fmt(s.median);
}

/** One line for one scenario; ranges are shown when there was more than one successful run. */
export function formatLine(name, runs, agg) {
  const f = agg.figures;
  const multi = agg.okRuns > 1;
  const parts = [name.padEnd(24)];
  if (f.p50) {
    parts.push(
      `p50 ${show(f.p50, ms, multi)} ms`,
      `p90 ${show(f.p90, ms, multi)}`,
      `p99 ${show(f.p99, ms, multi)}`,
      `p99.9 ${show(f.p999, ms, multi)}`,
      `max ${show(f.max, ms, multi)}`,
      `worst lag ${show(f.maxLagMs, ms, multi)} ms`,
    );
  } else if (f.rate) {
    const unit = name === 'persistent-publish-only' ? 'confirmed/s' : name === 'fanout' ? 'deliveries/s' : 'msg/s';
    parts.push(
      `${show(f.rate, k, multi)} ${unit}`,
      `(publish ${show(f.publishRate, k, multi)}/s, max depth ${show(f.maxDepth, k, false)})`,
    );
  }
  if (f.brokerPct) parts.push(`broker ${show(f.brokerPct, pct, multi)}`);
  if (f.clientPct) parts.push(`client ${show(f.clientPct, pct, multi)}`);
  if (f.foreignPct && f.foreignPct.max > NOISY_FOREIGN_PCT) {
    parts.push(`NOISY: other processes used up to ${pct(f.foreignPct.max)}`);
  }
  const bad = runs.filter((r) => r.status !== 'done');
  if (bad.length) {
    const what = bad.map((r) => (r.error ? `error: ${r.error}` : describeShortfall(r)));
    parts.push(`!! ${bad.length}/${runs.length} runs failed (${what.join('; ')})`);
  }
  if (multi) parts.push(`[${agg.okRuns} runs]`);
  return parts.join('  ');
}

/** "stalled, 0 of 1000 confirmed, missing 12" — what a failed run still owed. */
function describeShortfall(r) {
  const parts = [r.status];
  if (r.unconfirmed) parts.push(`${r.unconfirmed} unconfirmed of ${r.published}`);
  if (r.missing !== undefined) parts.push(`${r.missing} not delivered`);
  return parts.join(', ');
}

/** Hides the password of an AMQP URL before it is printed or stored in JSON. */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
