import { useEffect, useState } from 'preact/hooks';
import { setUnauthorizedHandler } from './api/client';
import { clearCredentials, loadCredentials, type Credentials } from './api/session';
import { LoginPage } from './components/login-page';
import { NavBar } from './components/nav-bar';
import { useRoute } from './hooks/use-route';
import { PageRouter } from './page-router';

/** The console: the login page until credentials are accepted, then the navigation bar and the current page. */
export function App() {
  const [credentials, setCredentials] = useState<Credentials | undefined>(loadCredentials());
  const path = useRoute();
  useEffect(() => setUnauthorizedHandler(() => setCredentials(undefined)), []);
  if (!credentials) return <LoginPage onLogin={setCredentials} />;
  const logout = () => {
    clearCredentials();
    setCredentials(undefined);
  };
  return (
    <div class="layout">
      <NavBar path={path} username={credentials.username} onLogout={logout} />
      <main class="page">
        <PageRouter path={path} />
      </main>
    </div>
  );
}
