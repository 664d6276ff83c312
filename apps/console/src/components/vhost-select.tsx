import { api } from '../api/client';
import { usePoll } from '../hooks/use-poll';

/** A choice of the virtual hosts the user can see. */
export function VhostSelect({
  value,
  onChange,
  label = 'Virtual host',
}: {
  value: string;
  onChange: (vhost: string) => void;
  label?: string;
}) {
  const vhosts = usePoll(() => api<{ name: string }[]>('GET', '/api/vhosts'), [], 10_000);
  const names = vhosts.data?.map((vhost) => vhost.name) ?? [value];
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {(names.includes(value) ? names : [value, ...names]).map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}
