import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { RateDetails } from '../api/types';

/** One line: a `*_details` field, drawn as its rate (counters) or its sampled value (lengths). */
export interface ChartSeries {
  label: string;
  details: RateDetails | undefined;
  mode: 'rate' | 'value';
}

const COLORS = ['#2b6cb0', '#d69e2e', '#38a169', '#e53e3e', '#805ad5', '#dd6b20', '#319795', '#718096'];

/** `[timestamp s, value]` points, oldest first: sample values, or the rate between consecutive samples. */
function points({ details, mode }: ChartSeries): [number, number][] {
  const samples = [...(details?.samples ?? [])].sort((a, b) => a.timestamp - b.timestamp);
  if (mode === 'value') return samples.map((s) => [s.timestamp / 1000, s.sample]);
  const out: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const seconds = (samples[i].timestamp - samples[i - 1].timestamp) / 1000;
    if (seconds > 0) out.push([samples[i].timestamp / 1000, Math.max(0, (samples[i].sample - samples[i - 1].sample) / seconds)]);
  }
  return out;
}

/** The series aligned on one time axis (uPlot's data layout); null where a series has no point. */
export function alignSeries(series: ChartSeries[]): uPlot.AlignedData | undefined {
  const all = series.map(points);
  const times = Array.from(new Set(all.flatMap((line) => line.map(([t]) => t)))).sort((a, b) => a - b);
  if (times.length < 2) return undefined;
  const lines = all.map((line) => {
    const byTime = new Map(line);
    return times.map((t) => byTime.get(t) ?? null);
  });
  return [times, ...lines] as uPlot.AlignedData;
}

/**
 * A time chart of message-stats samples (uPlot). Without samples (a broker that does not keep histories yet, or
 * the first seconds) it shows an empty frame saying so.
 */
export function RateChart({ title, series, height = 180 }: { title: string; series: ChartSeries[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = alignSeries(series);
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    if (!box.current || !data) return;
    const options: uPlot.Options = {
      width: Math.max(300, box.current.clientWidth || 600),
      height,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
      legend: { show: true },
    };
    plot.current = new uPlot(options, data, box.current);
    return () => {
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [shape, data === undefined]);

  useEffect(() => {
    if (plot.current && data) plot.current.setData(data);
  });

  return (
    <figure class="chart" data-testid="rate-chart">
      <figcaption>{title}</figcaption>
      {data ? <div ref={box} /> : <div class="chart-empty">– no samples yet –</div>}
    </figure>
  );
}
