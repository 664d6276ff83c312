import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import type { ExchangeInfo } from '../api/types';
import { ErrorBanner } from '../components/error-banner';
import { NavLink } from '../components/nav-link';
import { ListPager, ListToolbar } from '../components/paged-list-controls';
import { sortHeaders } from '../components/sort-header';
import { VhostSelect } from '../components/vhost-select';
import { exchangeLabel, rate, vhostSeg } from '../format';
import { useAction } from '../hooks/use-action';
import { usePagedList } from '../hooks/use-paged-list';

const TYPES = ['direct', 'fanout', 'topic', 'headers'];

/** All exchanges (server-side paging), and a form to declare one. */
export function ExchangesPage() {
  const list = usePagedList<ExchangeInfo>('/api/exchanges');
  const header = sortHeaders(list);
  const [vhost, setVhost] = useState('/');
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const { error, run } = useAction(list.reload);
  const declare = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api('PUT', `/api/exchanges/${seg(vhost)}/${seg(name)}`, {
        type,
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      });
      setName('');
    });
  };
  const page = list.data;
  return (
    <section>
      <h1>Exchanges</h1>
      <ListToolbar list={list} />
      <table data-testid="exchanges-table">
        <thead>
          <tr>
            {header('Virtual host', 'vhost')}
            {header('Name', 'name')}
            {header('Type', 'type')}
            <th>Features</th>
            <th>Rate in</th>
            <th>Rate out</th>
          </tr>
        </thead>
        <tbody>
          {page?.items.map((exchange) => (
            <tr key={`${exchange.vhost}/${exchange.name}`}>
              <td>{exchange.vhost}</td>
              <td>
                <NavLink
                  href={`/exchanges/${vhostSeg(exchange.vhost)}/${encodeURIComponent(exchange.name === '' ? 'amq.default' : exchange.name)}`}
                >
                  {exchangeLabel(exchange.name)}
                </NavLink>
              </td>
              <td>{exchange.type}</td>
              <td>{[exchange.durable && 'D', exchange.auto_delete && 'AD', exchange.internal && 'I'].filter(Boolean).join(' ')}</td>
              <td>{rate(exchange.message_stats?.publish_in_details)}</td>
              <td>{rate(exchange.message_stats?.publish_out_details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ListPager list={list} />
      <form class="card" onSubmit={declare}>
        <h2>Add an exchange</h2>
        <VhostSelect value={vhost} onChange={setVhost} />
        <label>
          Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <select value={type} onChange={(e) => setType(e.currentTarget.value)} aria-label="Type">
          {TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <button type="submit">Add exchange</button>
        <ErrorBanner error={error} />
      </form>
    </section>
  );
}
