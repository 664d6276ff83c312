import { api, seg } from '../api/client';
import type { ChannelInfo, ConnectionInfo } from '../api/types';
import { ChannelsTable } from '../components/channels-table';
import { CloseConnectionForm } from '../components/close-connection-form';
import { ErrorBanner } from '../components/error-banner';
import { StatGrid } from '../components/stat-grid';
import { args, num } from '../format';
import { usePoll } from '../hooks/use-poll';
import { DetailHeading } from '../components/detail-heading';
import { useClosed } from '../hooks/use-closed';

/** One connection, its channels, and closing it with a reason (sent as RabbitMQ's `X-Reason` header). */
export function ConnectionDetailPage({ name }: { name: string }) {
  const { closed, unlessClosed, markClosed } = useClosed();
  const connection = usePoll(() => unlessClosed(() => api<ConnectionInfo>('GET', `/api/connections/${seg(name)}`)), [name]);
  const channels = usePoll(() => unlessClosed(() => api<ChannelInfo[]>('GET', `/api/connections/${seg(name)}/channels`)), [name]);
  const c = connection.data;
  return (
    <section>
      <DetailHeading kind="Connection" name={name} testId="connection-name" />
      <ErrorBanner error={closed ? undefined : connection.error} />
      <StatGrid
        items={[
          ['User', c?.user ?? '–'],
          ['Virtual host', c?.vhost ?? '–'],
          ['State', c?.state ?? '–'],
          ['Channels', num(c?.channels)],
          ['Peer', c ? `${c.peer_host ?? '?'}:${c.peer_port ?? '?'}` : '–'],
          ['Protocol', c?.protocol ?? '–'],
          ['TLS', c ? (c.ssl ? 'yes' : 'no') : '–'],
        ]}
      />
      <h2>Client properties</h2>
      <pre class="payload">{args(c?.client_properties) || '–'}</pre>
      <h2>Channels</h2>
      <ChannelsTable channels={channels.data} />
      <CloseConnectionForm connection={name} onClosed={markClosed} />
    </section>
  );
}
