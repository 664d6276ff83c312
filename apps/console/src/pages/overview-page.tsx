import { api } from '../api/client';
import type { Overview, ResourceFigures } from '../api/types';
import { ErrorBanner } from '../components/error-banner';
import { RateChart } from '../components/rate-chart';
import { StatGrid } from '../components/stat-grid';
import { bytes, num } from '../format';
import { usePoll } from '../hooks/use-poll';

/** The last ten minutes, in 5 s steps (RabbitMQ's UI "last ten minutes"). */
export const HISTORY_QUERY = 'lengths_age=600&lengths_incr=5&msg_rates_age=600&msg_rates_incr=5';

interface NodeInfo extends ResourceFigures {
  name?: string;
  uptime?: number;
}

/** Active resource alarms from any of the shapes a broker reports (RabbitMQ's node flags, Warren's `alarms`). */
function activeAlarms(overview: Overview | undefined, node: NodeInfo | undefined): string[] {
  const active = new Set<string>();
  const alarms = overview?.alarms;
  if (alarms && typeof alarms === 'object' && !Array.isArray(alarms)) {
    for (const [name, on] of Object.entries(alarms)) if (on === true) active.add(name);
  } else if (Array.isArray(alarms)) {
    for (const alarm of alarms) active.add(typeof alarm === 'string' ? alarm : JSON.stringify(alarm));
  }
  if (node?.mem_alarm || overview?.mem_alarm) active.add('memory');
  if (node?.disk_free_alarm || overview?.disk_free_alarm) active.add('disk');
  return [...active];
}

/** Totals, message rates, alarms, listeners and the node's memory and disk. */
export function OverviewPage() {
  const overview = usePoll(() => api<Overview>('GET', `/api/overview?${HISTORY_QUERY}`), []);
  // RabbitMQ's `/api/nodes` is for monitoring and administrator users; others see dashes for memory and disk.
  const nodes = usePoll(() => api<NodeInfo[]>('GET', '/api/nodes').catch(() => [] as NodeInfo[]), []);
  const o = overview.data;
  const node = nodes.data?.[0] ?? ((o?.node_details ?? undefined) as NodeInfo | undefined);
  const totals = o?.object_totals ?? {};
  const stats = o?.message_stats ?? {};
  const detail = (key: string) => stats[`${key}_details`] as never;
  const alarms = activeAlarms(o, node);
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBanner error={overview.error} />
      <p class="muted">
        {o?.product_name ?? 'Warren'} {o?.product_version ?? o?.rabbitmq_version ?? ''} · node {o?.node ?? node?.name ?? '–'}
      </p>
      <h2>Totals</h2>
      <StatGrid
        items={[
          ['Connections', num(totals.connections)],
          ['Channels', num(totals.channels)],
          ['Exchanges', num(totals.exchanges)],
          ['Queues', num(totals.queues)],
          ['Consumers', num(totals.consumers)],
          ['Messages', num(o?.queue_totals?.messages)],
          ['Ready', num(o?.queue_totals?.messages_ready)],
          ['Unacked', num(o?.queue_totals?.messages_unacknowledged)],
        ]}
      />
      <div class="charts">
        <RateChart
          title="Queued messages"
          series={[
            { label: 'Ready', details: o?.queue_totals?.messages_ready_details as never, mode: 'value' },
            { label: 'Unacked', details: o?.queue_totals?.messages_unacknowledged_details as never, mode: 'value' },
          ]}
        />
        <RateChart
          title="Message rates"
          series={[
            { label: 'Publish', details: detail('publish'), mode: 'rate' },
            { label: 'Confirm', details: detail('confirm'), mode: 'rate' },
            { label: 'Deliver', details: detail('deliver_get'), mode: 'rate' },
            { label: 'Ack', details: detail('ack'), mode: 'rate' },
            { label: 'Redeliver', details: detail('redeliver'), mode: 'rate' },
            { label: 'Unroutable', details: detail('drop_unroutable'), mode: 'rate' },
          ]}
        />
      </div>
      <h2>Alarms</h2>
      <p data-testid="alarms" class={alarms.length ? 'error' : 'ok'}>
        {alarms.length ? `Resource alarm in effect: ${alarms.join(', ')} (publishers are blocked)` : 'No resource alarms'}
      </p>
      <h2>Node</h2>
      <StatGrid
        items={[
          ['Memory used', bytes(node?.mem_used ?? o?.mem_used)],
          ['Memory limit', bytes(node?.mem_limit ?? o?.mem_limit)],
          ['Disk free', bytes(node?.disk_free ?? o?.disk_free)],
          ['Disk free limit', bytes(node?.disk_free_limit ?? o?.disk_free_limit)],
        ]}
      />
      <h2>Listeners</h2>
      <table>
        <thead>
          <tr>
            <th>Protocol</th>
            <th>Address</th>
            <th>Port</th>
          </tr>
        </thead>
        <tbody>
          {(o?.listeners ?? []).map((listener) => (
            <tr key={`${listener.protocol}:${listener.port}`}>
              <td>{listener.protocol}</td>
              <td>{listener.ip_address ?? '–'}</td>
              <td>{listener.port}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
