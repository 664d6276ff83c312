import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { useAction } from '../hooks/use-action';
import { usePoll } from '../hooks/use-poll';
import { AdminForm } from './admin-form';
import { AdminTable } from './admin-table';
import { ErrorBanner } from './error-banner';

interface UserInfo {
  name: string;
  tags?: string | string[];
}

const tagsText = (tags: UserInfo['tags']) => (Array.isArray(tags) ? tags.join(', ') : (tags ?? ''));

/** Users (`/api/users`): list, add or update (password, tags), delete. */
export function UsersSection() {
  const users = usePoll(() => api<UserInfo[]>('GET', '/api/users'), []);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [tags, setTags] = useState('');
  const { error, run } = useAction(users.reload);
  return (
    <div>
      <h2>Users</h2>
      <ErrorBanner error={users.status === 404 ? 'User management (/api/users) is not available on this broker.' : users.error} />
      <AdminTable
        testId="users-table"
        headings={['Name', 'Tags']}
        items={users.data}
        keyOf={(user) => user.name}
        cells={(user) => [user.name, tagsText(user.tags)]}
        removeLabel="Delete"
        onRemove={(user) => confirm(`Delete user ${user.name}?`) && void run(() => api('DELETE', `/api/users/${seg(user.name)}`))}
      />
      <AdminForm
        title="Add or update a user"
        submitLabel="Save user"
        error={error}
        onSubmit={() => void run(() => api('PUT', `/api/users/${seg(name)}`, { password, tags }))}
      >
        <label>
          Username <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <label>
          Password{' '}
          <input type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label>
          Tags <input value={tags} placeholder="administrator, monitoring" onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
      </AdminForm>
    </div>
  );
}
