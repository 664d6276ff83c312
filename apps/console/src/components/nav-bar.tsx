import { NavLink } from './nav-link';

const SECTIONS: [string, string][] = [
  ['/', 'Overview'],
  ['/connections', 'Connections'],
  ['/channels', 'Channels'],
  ['/exchanges', 'Exchanges'],
  ['/queues', 'Queues'],
  ['/topology', 'Topology'],
  ['/admin', 'Admin'],
  ['/definitions', 'Definitions'],
];

/** The top bar: sections, the user, log out. */
export function NavBar({ path, username, tags, onLogout }: { path: string; username: string; tags: string; onLogout: () => void }) {
  const current = '/' + (path.split('/')[1] ?? '');
  return (
    <header class="nav">
      <strong class="brand">Warren</strong>
      <nav>
        {SECTIONS.map(([href, label]) => (
          <NavLink key={href} href={href} class={current === href ? 'active' : undefined}>
            {label}
          </NavLink>
        ))}
      </nav>
      <span class="user">
        {username}
        {tags && <small class="muted"> ({tags})</small>}{' '}
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </span>
    </header>
  );
}
