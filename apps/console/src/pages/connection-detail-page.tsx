import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import type { ChannelInfo, ConnectionInfo } from '../api/types';
import { ChannelsTable } from '../components/channels-table';
import { ErrorBanner } from '../components/error-banner';
import { StatGrid } from '../components/stat-grid';
import { args, num } from '../format';
import { usePoll } from '../hooks/use-poll';

/** One connection, its channels, and closing it with a reason (sent as RabbitMQ's `X-Reason` header). */
export function ConnectionDetailPage({ name }: { name: string }) {
  const connection = usePoll(() => api<ConnectionInfo>('GET', `/api/connections/${seg(name)}`), [name]);
  const channels = usePoll(
    () => api<ChannelInfo[]>('GET', '/api/channels').then((all) => all.filter((channel) => channel.connection_details?.name === name)),
    [name],
  );
  const [reason, setReason] = useState('Closed via the management console');
  const [closed, setClosed] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const close = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      await api('DELETE', `/api/connections/${seg(name)}`, undefined, { headers: { 'X-Reason': reason } });
      setClosed(true);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const c = connection.data;
  return (
    <section>
      <h1>
        Connection <span data-testid="connection-name">{name}</span>
      </h1>
      <ErrorBanner error={closed ? undefined : (connection.error ?? error)} />
      {closed && (
        <p class="ok" role="status">
          Connection closed.
        </p>
      )}
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
      <form class="card" onSubmit={close}>
        <h2>Close this connection</h2>
        <label>
          Reason <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button type="submit" class="danger" disabled={closed}>
          Force close
        </button>
      </form>
    </section>
  );
}
