import type { QueueInfo } from '../api/types';
import { NavLink } from '../components/nav-link';
import { ListPager, ListToolbar } from '../components/paged-list-controls';
import { sortHeaders } from '../components/sort-header';
import { num, rate, vhostSeg } from '../format';
import { usePagedList } from '../hooks/use-paged-list';
import { DeclareQueueForm } from '../components/declare-queue-form';

/** All queues, filtered, sorted and paged by the server. */
export function QueuesPage() {
  const list = usePagedList<QueueInfo>('/api/queues');
  const header = sortHeaders(list);
  const page = list.data;
  return (
    <section>
      <h1>Queues</h1>
      <ListToolbar list={list} />
      <table data-testid="queues-table">
        <thead>
          <tr>
            {header('Virtual host', 'vhost')}
            {header('Name', 'name')}
            {header('Type', 'type')}
            {header('State', 'state')}
            {header('Ready', 'messages_ready')}
            {header('Unacked', 'messages_unacknowledged')}
            {header('Total', 'messages')}
            {header('Consumers', 'consumers')}
            <th>Incoming</th>
            <th>Deliver</th>
            <th>Ack</th>
          </tr>
        </thead>
        <tbody>
          {page?.items.map((queue) => (
            <tr key={`${queue.vhost}/${queue.name}`}>
              <td>{queue.vhost}</td>
              <td>
                <NavLink href={`/queues/${vhostSeg(queue.vhost)}/${encodeURIComponent(queue.name)}`}>{queue.name}</NavLink>
              </td>
              <td>{queue.type ?? 'classic'}</td>
              <td>{queue.state ?? '–'}</td>
              <td>{num(queue.messages_ready)}</td>
              <td>{num(queue.messages_unacknowledged)}</td>
              <td>{num(queue.messages)}</td>
              <td>{num(queue.consumers)}</td>
              <td>{rate(queue.message_stats?.publish_details)}</td>
              <td>{rate(queue.message_stats?.deliver_get_details)}</td>
              <td>{rate(queue.message_stats?.ack_details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ListPager list={list} />
      <DeclareQueueForm onDeclared={list.reload} />
    </section>
  );
}
