import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { saveCredentials, type Credentials } from '../api/session';

/**
 * The console's own login form. It checks the credentials with `GET /api/overview` (any management user may read
 * it) before keeping them for this tab; a wrong password shows the API's reason, never a browser prompt.
 */
export function LoginPage({ onLogin }: { onLogin: (credentials: Credentials) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const credentials = { username, password };
    try {
      await api('GET', '/api/overview', undefined, { credentials });
      saveCredentials(credentials);
      onLogin(credentials);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Warren</h1>
      <label>
        Username
        <input name="username" autoComplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Log in
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
