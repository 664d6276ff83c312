import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { ErrorBanner } from './error-banner';
import { useAction } from '../hooks/use-action';

/**
 * Publishes one message through an exchange (`POST /api/exchanges/{vhost}/{exchange}/publish`); on a queue's page
 * the default exchange with the queue's name as routing key.
 */
export function PublishForm({ vhost, exchange, routingKey = '' }: { vhost: string; exchange: string; routingKey?: string }) {
  const [key, setKey] = useState(routingKey);
  const [payload, setPayload] = useState('');
  const [headers, setHeaders] = useState('');
  const [persistent, setPersistent] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const { error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    setResult(undefined);
    void run(async () => {
      const properties: Record<string, unknown> = { delivery_mode: persistent ? 2 : 1 };
      if (headers.trim() !== '') properties.headers = JSON.parse(headers);
      const answer = await api<{ routed: boolean }>(
        'POST',
        `/api/exchanges/${seg(vhost)}/${seg(exchange === '' ? 'amq.default' : exchange)}/publish`,
        {
          properties,
          routing_key: key,
          payload,
          payload_encoding: 'string',
        },
      );
      setResult(answer.routed ? 'Message published.' : 'Message published, but not routed to any queue.');
    });
  };
  return (
    <form class="card" onSubmit={submit} data-testid="publish-form">
      <h2>Publish message</h2>
      <label>
        Routing key{' '}
        <input
          name="routing_key"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          disabled={exchange === '' && routingKey !== ''}
        />
      </label>
      <label>
        Headers (JSON){' '}
        <input name="headers" value={headers} placeholder='{"type": "report"}' onInput={(e) => setHeaders(e.currentTarget.value)} />
      </label>
      <label>
        <input type="checkbox" checked={persistent} onChange={(e) => setPersistent(e.currentTarget.checked)} /> Persistent
      </label>
      <label>
        Payload <textarea name="payload" value={payload} onInput={(e) => setPayload(e.currentTarget.value)} rows={3} />
      </label>
      <button type="submit">Publish message</button>
      {result && (
        <p class="ok" role="status">
          {result}
        </p>
      )}
      <ErrorBanner error={error} />
    </form>
  );
}
