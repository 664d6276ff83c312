import type { ConsumerInfo } from '../api/types';
import { num } from '../format';
import { NavLink } from './nav-link';

/** Consumers with their queue (a link to it), tag, ack mode, prefetch and exclusivity: a channel's `consumer_details`. */
export function ConsumersTable({ consumers }: { consumers: ConsumerInfo[] | undefined }) {
  if (!consumers || consumers.length === 0) return <p class="muted">No consumers</p>;
  return (
    <table data-testid="channel-consumers">
      <thead>
        <tr>
          <th>Consumer tag</th>
          <th>Queue</th>
          <th>Ack required</th>
          <th>Prefetch</th>
          <th>Exclusive</th>
        </tr>
      </thead>
      <tbody>
        {consumers.map((consumer) => (
          <tr key={consumer.consumer_tag}>
            <td>{consumer.consumer_tag}</td>
            <td>
              <NavLink href={`/queues/${encodeURIComponent(consumer.queue.vhost)}/${encodeURIComponent(consumer.queue.name)}`}>
                {consumer.queue.name}
              </NavLink>
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
