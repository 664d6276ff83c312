import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import type { BindingInfo, ConsumerInfo, QueueInfo } from '../api/types';
import { BindForm } from '../components/bind-form';
import { BindingsTable } from '../components/bindings-table';
import { ConsumersTable } from '../components/consumers-table';
import { ErrorBanner } from '../components/error-banner';
import { GetMessagesForm } from '../components/get-messages-form';
import { PublishForm } from '../components/publish-form';
import { RateChart } from '../components/rate-chart';
import { StatGrid } from '../components/stat-grid';
import { args, num } from '../format';
import { useAction } from '../hooks/use-action';
import { navigate } from '../hooks/use-route';
import { usePoll } from '../hooks/use-poll';
import { HISTORY_QUERY } from './overview-page';
import { DetailHeading } from '../components/detail-heading';

/** One queue: figures, depth and rate charts, consumers, bindings, get, publish, purge, delete. */
export function QueueDetailPage({ vhost, name }: { vhost: string; name: string }) {
  const base = `/api/queues/${seg(vhost)}/${seg(name)}`;
  const queue = usePoll(() => api<QueueInfo>('GET', `${base}?${HISTORY_QUERY}`), [base]);
  const bindings = usePoll(() => api<BindingInfo[]>('GET', `${base}/bindings`), [base]);
  const consumers = usePoll(
    () => api<ConsumerInfo[]>('GET', `/api/consumers/${seg(vhost)}`).then((all) => all.filter((c) => c.queue.name === name)),
    [vhost, name],
  );
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const { error, run } = useAction(queue.reload);
  const q = queue.data;
  const stats = q?.message_stats ?? {};
  const act = (what: () => Promise<unknown>, done: string) =>
    run(async () => {
      await what();
      setNotice(done);
    });
  const purge = () => act(() => api('DELETE', `${base}/contents`), 'Queue purged.');
  const remove = async () => {
    if (!confirm(`Delete queue ${name}?`)) return;
    await act(() => api('DELETE', base), 'Queue deleted.');
    navigate('/queues');
  };
  return (
    <section>
      <DetailHeading kind="Queue" name={name} testId="queue-name" vhost={vhost} />
      <ErrorBanner error={queue.error ?? error} />
      {notice && <p class="ok">{notice}</p>}
      <StatGrid
        items={[
          ['Ready', num(q?.messages_ready)],
          ['Unacked', num(q?.messages_unacknowledged)],
          ['Total', num(q?.messages)],
          ['Consumers', num(q?.consumers)],
          ['Durable', q ? String(q.durable) : '–'],
          ['Exclusive', q ? String(q.exclusive) : '–'],
          ['Auto-delete', q ? String(q.auto_delete) : '–'],
          ['Arguments', args(q?.arguments) || '–'],
        ]}
      />
      <div class="charts">
        <RateChart
          title="Queued messages"
          series={[
            { label: 'Ready', details: q?.messages_ready_details as never, mode: 'value' },
            { label: 'Unacked', details: q?.messages_unacknowledged_details as never, mode: 'value' },
            { label: 'Total', details: q?.messages_details, mode: 'value' },
          ]}
        />
        <RateChart
          title="Message rates"
          series={[
            { label: 'Publish', details: stats.publish_details as never, mode: 'rate' },
            { label: 'Deliver', details: stats.deliver_get_details as never, mode: 'rate' },
            { label: 'Ack', details: stats.ack_details as never, mode: 'rate' },
            { label: 'Redeliver', details: stats.redeliver_details as never, mode: 'rate' },
          ]}
        />
      </div>
      <h2>Consumers</h2>
      <ConsumersTable consumers={consumers.data} by="channel" testId="consumers-table" />
      <h2>Bindings</h2>
      <BindingsTable bindings={bindings.data} onChange={bindings.reload} testId="queue-bindings" />
      <BindForm vhost={vhost} fixed={name} side="queue" onBound={bindings.reload} />
      <GetMessagesForm vhost={vhost} queue={name} onDone={queue.reload} />
      <PublishForm vhost={vhost} exchange="" routingKey={name} />
      <div class="card actions">
        <button type="button" onClick={() => void purge()}>
          Purge messages
        </button>
        <button type="button" class="danger" onClick={() => void remove()}>
          Delete queue
        </button>
      </div>
    </section>
  );
}
