import type { ConnectionInfo } from '../api/types';
import { ErrorBanner } from '../components/error-banner';
import { ListFilter } from '../components/list-filter';
import { NavLink } from '../components/nav-link';
import { Pager } from '../components/pager';
import { SortHeader } from '../components/sort-header';
import { num, rate } from '../format';
import { usePagedList } from '../hooks/use-paged-list';

/** Client connections (server-side paging). */
export function ConnectionsPage() {
  const list = usePagedList<ConnectionInfo>('/api/connections');
  const { state, update } = list;
  const header = (label: string, field: string) => (
    <SortHeader
      label={label}
      field={field}
      sort={state.sort}
      reverse={state.reverse}
      onSort={(sort, reverse) => update({ sort, reverse })}
    />
  );
  const page = list.data;
  return (
    <section>
      <h1>Connections</h1>
      <ListFilter state={state} update={update} />
      <ErrorBanner error={list.error} />
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
      {page && (
        <Pager
          page={page.page}
          pageCount={page.page_count}
          pageSize={page.page_size}
          filtered={page.filtered_count}
          total={page.total_count}
          onPage={(p) => update({ page: p })}
          onPageSize={(pageSize) => update({ pageSize })}
        />
      )}
    </section>
  );
}
