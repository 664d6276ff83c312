import { useEffect, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler } from './api/client';
import type { WhoAmI } from './api/types';
import { clearCredentials, loadCredentials, type Credentials } from './api/session';
import { LoginPage } from './components/login-page';
import { NavBar } from './components/nav-bar';
import { useRoute } from './hooks/use-route';
import { PageRouter } from './page-router';

/** The console: the login page until credentials are accepted, then the navigation bar and the current page. */
export function App() {
  const [credentials, setCredentials] = useState<Credentials | undefined>(loadCredentials());
  const [tags, setTags] = useState('');
  const path = useRoute();
  useEffect(() => setUnauthorizedHandler(() => setCredentials(undefined)), []);
  // The user's tags as RabbitMQ's /api/whoami reports them (shown only; the API itself enforces what they allow).
  useEffect(() => {
    if (!credentials) return;
    api<WhoAmI>('GET', '/api/whoami').then(
      (me) => setTags(Array.isArray(me.tags) ? me.tags.join(', ') : (me.tags ?? '')),
      () => setTags(''),
    );
  }, [credentials]);
  if (!credentials) return <LoginPage onLogin={setCredentials} />;
  const logout = () => {
    clearCredentials();
    setCredentials(undefined);
  };
  return (
    <div class="layout">
      <NavBar path={path} username={credentials.username} tags={tags} onLogout={logout} />
      <main class="page">
        <PageRouter path={path} />
      </main>
    </div>
  );
}
