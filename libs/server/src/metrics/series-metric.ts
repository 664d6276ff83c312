/** A metric family whose series are built at scrape time: queue, channel and exchange metrics. */
export interface SeriesFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  /** Calls `emit` once per series: its labels as {@link labelText} renders them ('' when aggregated) and its value. */
  collect(emit: (labels: string, value: number) => void): void;
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Prometheus' escapes in label values: backslash, double quote, line feed. */
function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}

/** Label pairs (`[name, value, name, value…]`) as the text between a series' braces, values escaped. */
export function labelText(pairs: readonly string[]): string {
  let text = '';
  for (let i = 0; i < pairs.length; i += 2) text += `${i === 0 ? '' : ','}${pairs[i]}="${escapeLabelValue(pairs[i + 1])}"`;
  return text;
}

/** A sample value as the text format writes it. */
function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

/**
 * Renders families in the Prometheus text format (0.0.4), appended after prom-client's registry output. The
 * per-object endpoint has several series per queue (60,000 at 10,000 queues): prom-client's Gauge hashes every label
 * set on `set()` and its registry formats every series' labels through several intermediate arrays, which at that
 * size cost most of the scrape (mostly in garbage collection); this writes each line once.
 */
export function renderSeriesFamilies(families: readonly SeriesFamily[]): string {
  let out = '';
  for (const family of families) {
    out += `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
    const name = family.name;
    family.collect((labels, value) => {
      out += labels === '' ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
    });
    out += '\n';
  }
  return out;
}
