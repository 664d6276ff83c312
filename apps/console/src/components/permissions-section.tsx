import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { useAction } from '../hooks/use-action';
import { usePoll } from '../hooks/use-poll';
import { AdminForm } from './admin-form';
import { AdminTable } from './admin-table';
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
  const { error, run } = useAction(permissions.reload);
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
      <AdminTable
        testId="permissions-table"
        headings={['User', 'Virtual host', 'Configure', 'Write', 'Read']}
        items={permissions.data}
        keyOf={(p) => `${p.user}@${p.vhost}`}
        cells={(p) => [p.user, p.vhost, p.configure, p.write, p.read]}
        removeLabel="Clear"
        onRemove={(p) => void run(() => api('DELETE', `/api/permissions/${seg(p.vhost)}/${seg(p.user)}`))}
      />
      <AdminForm
        title="Set permissions"
        submitLabel="Set permissions"
        error={error}
        onSubmit={() => {
          const { user, vhost, configure, write, read } = form;
          void run(() => api('PUT', `/api/permissions/${seg(vhost)}/${seg(user)}`, { configure, write, read }));
        }}
      >
        {field('user', 'User')}
        {field('vhost', 'Virtual host')}
        {field('configure', 'Configure')}
        {field('write', 'Write')}
        {field('read', 'Read')}
      </AdminForm>
    </div>
  );
}
