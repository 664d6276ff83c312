import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { ErrorBanner } from './error-banner';
import { useAction } from '../hooks/use-action';

/** Force-closes a connection with a reason (sent as RabbitMQ's `X-Reason` header; the client sees 320 and the reason). */
export function CloseConnectionForm({ connection, onClosed }: { connection: string | undefined; onClosed: () => void }) {
  const [reason, setReason] = useState('Closed via the management console');
  const [closed, setClosed] = useState(false);
  const { error, run } = useAction();
  const close = (event: Event) => {
    event.preventDefault();
    if (connection === undefined) return;
    void run(async () => {
      await api('DELETE', `/api/connections/${seg(connection)}`, undefined, { headers: { 'X-Reason': reason } });
      setClosed(true);
      onClosed();
    });
  };
  return (
    <form class="card" onSubmit={close}>
      <h2>Close this connection</h2>
      <ErrorBanner error={error} />
      {closed && (
        <p class="ok" role="status">
          Connection closed.
        </p>
      )}
      <label>
        Reason <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit" class="danger" disabled={closed || connection === undefined}>
        Force close
      </button>
    </form>
  );
}
