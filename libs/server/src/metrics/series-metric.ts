import { textBytes, type ExpositionWriter } from './exposition-writer.js';

/** Receives one series: its label set from `labelBytes` (undefined when aggregated, no labels) and its value. */
export type SeriesSink = (labels: Uint8Array | undefined, value: number) => void;

/** A metric family whose series are built at scrape time: queue, channel and exchange metrics. */
export interface SeriesFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  /** Calls `sample` once per series. */
  collect(sample: SeriesSink): void;
}

const LINE_FEED = 0x0a;

/**
 * How long the writer runs before letting the event loop serve AMQP traffic (checked between families: one family
 * at 10,000 queues takes one or two milliseconds).
 */
const SLICE_MS = 4;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes families in the Prometheus text format (0.0.4), after prom-client's registry output. The per-object
 * endpoint has several series per queue (60,000 at 10,000 queues): prom-client's Gauge hashes every label set on
 * `set()` and its registry formats every series' labels through several intermediate arrays, which at that size cost
 * most of the scrape (mostly in garbage collection); this copies each series' name and cached label bytes and writes
 * its value in place, yielding to the event loop between families every few milliseconds so that a large scrape does
 * not stall the broker's connections (`docs/monitoring.md`, "Prometheus").
 */
export async function writeSeriesFamilies(writer: ExpositionWriter, families: readonly SeriesFamily[]): Promise<void> {
  let sliceStart = performance.now();
  for (const family of families) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
    writer.text(`# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`);
    const name = textBytes(family.name);
    family.collect((labels, value) => writer.series(name, labels, value));
    writer.byte(LINE_FEED);
  }
}
