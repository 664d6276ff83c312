import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { usePoll } from '../hooks/use-poll';
import { ErrorBanner } from './error-banner';

interface PermissionInfo {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** Permissions (`/api/permissions`): list, set (`PUT /api/permissions/{vhost}/{user}`), clear. */
export function PermissionsSection() {
  const permissions = usePoll(() => api<PermissionInfo[]>('GET', '/api/permissions'), []);
  const [form, setForm] = useState({ user: '', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (what: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await what();
      permissions.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const field = (key: keyof typeof form, label: string) => (
    <label>
      {label} <input value={form[key]} onInput={(e) => setForm({ ...form, [key]: e.currentTarget.value })} />
    </label>
  );
  return (
    <div>
      <h2>Permissions</h2>
      <ErrorBanner
        error={permissions.status === 404 ? 'Permissions (/api/permissions) are not available on this broker.' : permissions.error}
      />
      <table data-testid="permissions-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Virtual host</th>
            <th>Configure</th>
            <th>Write</th>
            <th>Read</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {permissions.data?.map((p) => (
            <tr key={`${p.user}@${p.vhost}`}>
              <td>{p.user}</td>
              <td>{p.vhost}</td>
              <td>{p.configure}</td>
              <td>{p.write}</td>
              <td>{p.read}</td>
              <td>
                <button type="button" onClick={() => void run(() => api('DELETE', `/api/permissions/${seg(p.vhost)}/${seg(p.user)}`))}>
                  Clear
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
          const { user, vhost, configure, write, read } = form;
          void run(() => api('PUT', `/api/permissions/${seg(vhost)}/${seg(user)}`, { configure, write, read }));
        }}
      >
        <h3>Set permissions</h3>
        {field('user', 'User')}
        {field('vhost', 'Virtual host')}
        {field('configure', 'Configure')}
        {field('write', 'Write')}
        {field('read', 'Read')}
        <button type="submit">Set permissions</button>
        <ErrorBanner error={error} />
      </form>
    </div>
  );
}
