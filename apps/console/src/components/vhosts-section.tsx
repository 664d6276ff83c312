import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { num } from '../format';
import { useAction } from '../hooks/use-action';
import { usePoll } from '../hooks/use-poll';
import { AdminForm } from './admin-form';
import { AdminTable } from './admin-table';
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
  const { error, run } = useAction(vhosts.reload);
  return (
    <div>
      <h2>Virtual hosts</h2>
      <ErrorBanner error={vhosts.error} />
      <AdminTable
        testId="vhosts-table"
        headings={['Name', 'Messages']}
        items={vhosts.data}
        keyOf={(vhost) => vhost.name}
        cells={(vhost) => [vhost.name, num(vhost.messages)]}
        removeLabel="Delete"
        onRemove={(vhost) => confirm(`Delete vhost ${vhost.name}?`) && void run(() => api('DELETE', `/api/vhosts/${seg(vhost.name)}`))}
      />
      <AdminForm
        title="Add a virtual host"
        submitLabel="Add virtual host"
        error={error}
        onSubmit={() => void run(() => api('PUT', `/api/vhosts/${seg(name)}`, {}))}
      >
        <label>
          Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
      </AdminForm>
    </div>
  );
}
