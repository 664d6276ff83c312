import { PermissionsSection } from '../components/permissions-section';
import { UsersSection } from '../components/users-section';
import { VhostsSection } from '../components/vhosts-section';

/** Users, virtual hosts and permissions (administrator tag required by the API for changes). */
export function AdminPage() {
  return (
    <section>
      <h1>Admin</h1>
      <UsersSection />
      <VhostsSection />
      <PermissionsSection />
    </section>
  );
}
