import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { ErrorBanner } from './error-banner';
import { useAction } from '../hooks/use-action';

/**
 * Adds a binding (`POST /api/bindings/{vhost}/e/{source}/{q|e}/{destination}`): on a queue's page from an exchange
 * to it; on an exchange's page from it to a queue or exchange.
 */
export function BindForm({
  vhost,
  fixed,
  side,
  onBound,
}: {
  vhost: string;
  fixed: string;
  side: 'queue' | 'exchange';
  onBound: () => void;
}) {
  const [other, setOther] = useState('');
  const [otherType, setOtherType] = useState<'q' | 'e'>('q');
  const [key, setKey] = useState('');
  const { error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    const path =
      side === 'queue'
        ? `/api/bindings/${seg(vhost)}/e/${seg(other)}/q/${seg(fixed)}`
        : `/api/bindings/${seg(vhost)}/e/${seg(fixed)}/${otherType}/${seg(other)}`;
    void run(async () => {
      await api('POST', path, { routing_key: key, arguments: {} });
      setOther('');
      setKey('');
      onBound();
    });
  };
  return (
    <form class="card" onSubmit={submit}>
      <h2>{side === 'queue' ? 'Add binding to this queue' : 'Add binding from this exchange'}</h2>
      {side === 'exchange' && (
        <select value={otherType} onChange={(e) => setOtherType(e.currentTarget.value as 'q' | 'e')} aria-label="Destination type">
          <option value="q">To queue</option>
          <option value="e">To exchange</option>
        </select>
      )}
      <label>
        {side === 'queue' ? 'From exchange' : 'Destination'}{' '}
        <input value={other} onInput={(e) => setOther(e.currentTarget.value)} required />
      </label>
      <label>
        Routing key <input value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      </label>
      <button type="submit">Bind</button>
      <ErrorBanner error={error} />
    </form>
  );
}
