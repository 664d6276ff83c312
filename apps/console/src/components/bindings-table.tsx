import { api, seg } from '../api/client';
import type { BindingInfo } from '../api/types';
import { args, exchangeLabel, vhostSeg } from '../format';
import { NavLink } from './nav-link';

/** Bindings with links to both ends and an unbind button (`DELETE /api/bindings/...`). */
export function BindingsTable({
  bindings,
  onChange,
  testId,
}: {
  bindings: BindingInfo[] | undefined;
  onChange: () => void;
  testId?: string;
}) {
  const unbind = async (binding: BindingInfo) => {
    const kind = binding.destination_type === 'queue' ? 'q' : 'e';
    await api(
      'DELETE',
      `/api/bindings/${seg(binding.vhost)}/e/${seg(binding.source)}/${kind}/${seg(binding.destination)}/${seg(binding.properties_key)}`,
    );
    onChange();
  };
  const link = (name: string, type: 'queue' | 'exchange') =>
    type === 'exchange' && name === '' ? (
      exchangeLabel(name)
    ) : (
      <NavLink href={`/${type === 'queue' ? 'queues' : 'exchanges'}/${vhostSeg(bindings?.[0]?.vhost ?? '/')}/${encodeURIComponent(name)}`}>
        {name}
      </NavLink>
    );
  if (!bindings || bindings.length === 0) return <p class="muted">No bindings</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>From</th>
          <th>To</th>
          <th>Routing key</th>
          <th>Arguments</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {bindings.map((binding) => (
          <tr key={`${binding.source}>${binding.destination_type}:${binding.destination}/${binding.properties_key}`}>
            <td>{link(binding.source, 'exchange')}</td>
            <td>
              {binding.destination_type === 'exchange' ? 'exchange ' : ''}
              {link(binding.destination, binding.destination_type)}
            </td>
            <td>{binding.routing_key}</td>
            <td>{args(binding.arguments)}</td>
            <td>
              {binding.source !== '' && (
                <button type="button" onClick={() => void unbind(binding)}>
                  Unbind
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
