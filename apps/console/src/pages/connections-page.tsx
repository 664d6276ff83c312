import type { ConnectionInfo } from '../api/types';
import { NavLink } from '../components/nav-link';
import { ListPager, ListToolbar } from '../components/paged-list-controls';
import { sortHeaders } from '../components/sort-header';
import { num, rate } from '../format';
import { usePagedList } from '../hooks/use-paged-list';

/** Client connections (server-side paging). */
export function ConnectionsPage() {
  const list = usePagedList<ConnectionInfo>('/api/connections');
  const header = sortHeaders(list);
  const page = list.data;
  return (
    <section>
      <h1>Connections</h1>
      <ListToolbar list={list} />
      <table data-testid="connections-table">
        <thead>
          <tr>
            {header('Name', 'name')}
            {header('User', 'user')}
            {header('Virtual host', 'vhost')}
            {header('State', 'state')}
            {header('Channels', 'channels')}
            <th>Client</th>
            <th>TLS</th>
            <th>From client</th>
            <th>To client</th>
          </tr>
        </thead>
        <tbody>
          {page?.items.map((connection) => (
            <tr key={connection.name}>
              <td>
                <NavLink href={`/connections/${encodeURIComponent(connection.name)}`}>{connection.name}</NavLink>
              </td>
              <td>{connection.user ?? '–'}</td>
              <td>{connection.vhost ?? '–'}</td>
              <td>{connection.state ?? '–'}</td>
              <td>{num(connection.channels)}</td>
              <td>{String(connection.client_properties?.product ?? '–')}</td>
              <td>{connection.ssl ? 'yes' : 'no'}</td>
              <td>{rate(connection.recv_oct_details)}</td>
              <td>{rate(connection.send_oct_details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ListPager list={list} />
    </section>
  );
}
