import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { usePoll } from '../hooks/use-poll';
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
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (what: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await what();
      users.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    void run(() => api('PUT', `/api/users/${seg(name)}`, { password, tags }));
  };
  return (
    <div>
      <h2>Users</h2>
      <ErrorBanner error={users.status === 404 ? 'User management (/api/users) is not available on this broker.' : users.error} />
      <table data-testid="users-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Tags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.data?.map((user) => (
            <tr key={user.name}>
              <td>{user.name}</td>
              <td>{tagsText(user.tags)}</td>
              <td>
                <button
                  type="button"
                  onClick={() => confirm(`Delete user ${user.name}?`) && void run(() => api('DELETE', `/api/users/${seg(user.name)}`))}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card" onSubmit={save}>
        <h3>Add or update a user</h3>
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
        <button type="submit">Save user</button>
        <ErrorBanner error={error} />
      </form>
    </div>
  );
}
