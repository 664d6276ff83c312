import { api, seg } from '../api/client';
import type { ChannelInfo } from '../api/types';
import { CloseConnectionForm } from '../components/close-connection-form';
import { ConsumersTable } from '../components/consumers-table';
import { ErrorBanner } from '../components/error-banner';
import { NavLink } from '../components/nav-link';
import { RateChart } from '../components/rate-chart';
import { StatGrid } from '../components/stat-grid';
import { num } from '../format';
import { usePoll } from '../hooks/use-poll';
import { DetailHeading } from '../components/detail-heading';
import { useClosed } from '../hooks/use-closed';

/** A channel keeps two minutes of samples (the broker's per-object history), one per 5 s. */
const CHANNEL_HISTORY_QUERY = 'msg_rates_age=120&msg_rates_incr=5';

/** One channel (`GET /api/channels/{name}`): its figures, consumers, message rates, and closing its connection. */
export function ChannelDetailPage({ name }: { name: string }) {
  // Once its connection is closed the channel is gone too.
  const { closed, unlessClosed, markClosed } = useClosed();
  const channel = usePoll(() => unlessClosed(() => api<ChannelInfo>('GET', `/api/channels/${seg(name)}?${CHANNEL_HISTORY_QUERY}`)), [name]);
  const c = channel.data;
  const stats = c?.message_stats ?? {};
  const connection = c?.connection_details?.name;
  const mode = c ? [c.confirm && 'confirm', c.transactional && 'transactional'].filter(Boolean).join(', ') || 'none' : '–';
  return (
    <section>
      <DetailHeading kind="Channel" name={name} testId="channel-name" />
      <ErrorBanner error={closed ? undefined : channel.error} />
      <StatGrid
        items={[
          ['State', c?.state ?? '–'],
          ['User', c?.user ?? '–'],
          ['Virtual host', c?.vhost ?? '–'],
          ['Prefetch', num(c?.prefetch_count)],
          ['Global prefetch', num(c?.global_prefetch_count)],
          ['Unacked', num(c?.messages_unacknowledged)],
          ['Unconfirmed', num(c?.messages_unconfirmed)],
          ['Confirm / tx mode', mode],
          ['Consumers', num(c?.consumer_count)],
        ]}
      />
      {connection && (
        <p>
          On connection <NavLink href={`/connections/${encodeURIComponent(connection)}`}>{connection}</NavLink>
        </p>
      )}
      <div class="charts">
        <RateChart
          title="Message rates"
          series={[
            { label: 'Publish', details: stats.publish_details as never, mode: 'rate' },
            { label: 'Confirm', details: stats.confirm_details as never, mode: 'rate' },
            { label: 'Deliver / get', details: stats.deliver_get_details as never, mode: 'rate' },
            { label: 'Ack', details: stats.ack_details as never, mode: 'rate' },
            { label: 'Redeliver', details: stats.redeliver_details as never, mode: 'rate' },
          ]}
        />
      </div>
      <h2>Consumers</h2>
      <ConsumersTable consumers={c?.consumer_details} by="queue" testId="channel-consumers" />
      <CloseConnectionForm connection={connection} onClosed={markClosed} />
    </section>
  );
}
