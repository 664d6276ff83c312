import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { ErrorBanner } from './error-banner';
import { VhostSelect } from './vhost-select';
import { useAction } from '../hooks/use-action';

/** Declares a queue (`PUT /api/queues/{vhost}/{name}`). */
export function DeclareQueueForm({ onDeclared }: { onDeclared: () => void }) {
  const [vhost, setVhost] = useState('/');
  const [name, setName] = useState('');
  const [durable, setDurable] = useState(true);
  const [args, setArgs] = useState('');
  const { error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const parsed = args.trim() === '' ? {} : (JSON.parse(args) as Record<string, unknown>);
      await api('PUT', `/api/queues/${seg(vhost)}/${seg(name)}`, { durable, auto_delete: false, arguments: parsed });
      setName('');
      onDeclared();
    });
  };
  return (
    <form class="card" onSubmit={submit}>
      <h2>Add a queue</h2>
      <VhostSelect value={vhost} onChange={setVhost} />
      <label>
        Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} required />
      </label>
      <label>
        <input type="checkbox" checked={durable} onChange={(e) => setDurable(e.currentTarget.checked)} /> Durable
      </label>
      <label>
        Arguments (JSON) <input value={args} placeholder='{"x-message-ttl": 60000}' onInput={(e) => setArgs(e.currentTarget.value)} />
      </label>
      <button type="submit">Add queue</button>
      <ErrorBanner error={error} />
    </form>
  );
}
