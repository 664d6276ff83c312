import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { num } from '../format';
import { usePoll } from '../hooks/use-poll';
import { ErrorBanner } from './error-banner';

interface VhostInfo {
  name: string;
  messages?: number;
  description?: string;
}

/** Virtual hosts (`/api/vhosts`): list, add, delete. */
export function VhostsSection() {
  const vhosts = usePoll(() => api<VhostInfo[]>('GET', '/api/vhosts'), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (what: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await what();
      vhosts.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <div>
      <h2>Virtual hosts</h2>
      <ErrorBanner error={vhosts.error} />
      <table data-testid="vhosts-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Messages</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {vhosts.data?.map((vhost) => (
            <tr key={vhost.name}>
              <td>{vhost.name}</td>
              <td>{num(vhost.messages)}</td>
              <td>
                <button
                  type="button"
                  onClick={() => confirm(`Delete vhost ${vhost.name}?`) && void run(() => api('DELETE', `/api/vhosts/${seg(vhost.name)}`))}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          void run(() => api('PUT', `/api/vhosts/${seg(name)}`, {}));
        }}
      >
        <h3>Add a virtual host</h3>
        <label>
          Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <button type="submit">Add virtual host</button>
        <ErrorBanner error={error} />
      </form>
    </div>
  );
}
