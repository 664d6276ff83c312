import type { ConsumerInfo } from '../api/types';
import { num } from '../format';
import { NavLink } from './nav-link';

/**
 * Consumers with their tag, ack mode, prefetch and exclusivity, and either their queue (a link to it: a channel's
 * `consumer_details`) or their channel (a queue's consumers).
 */
export function ConsumersTable({
  consumers,
  by,
  testId,
}: {
  consumers: ConsumerInfo[] | undefined;
  /** The column that says where each consumer is: its queue (on a channel's page) or its channel (on a queue's). */
  by: 'queue' | 'channel';
  testId: string;
}) {
  if (!consumers || consumers.length === 0) return <p class="muted">No consumers</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Consumer tag</th>
          <th>{by === 'queue' ? 'Queue' : 'Channel'}</th>
          <th>Ack required</th>
          <th>Prefetch</th>
          <th>Exclusive</th>
        </tr>
      </thead>
      <tbody>
        {consumers.map((consumer) => (
          // One channel's consumer tags are unique; a queue's consumers on different channels may share one.
          <tr key={by === 'queue' ? consumer.consumer_tag : consumer.consumer_tag + (consumer.channel_details?.name ?? '')}>
            <td>{consumer.consumer_tag}</td>
            <td>
              {by === 'queue' ? (
                <NavLink href={`/queues/${encodeURIComponent(consumer.queue.vhost)}/${encodeURIComponent(consumer.queue.name)}`}>
                  {consumer.queue.name}
                </NavLink>
              ) : (
                (consumer.channel_details?.name ?? '–')
              )}
            </td>
            <td>{String(consumer.ack_required ?? '–')}</td>
            <td>{num(consumer.prefetch_count)}</td>
            <td>{String(consumer.exclusive ?? '–')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
