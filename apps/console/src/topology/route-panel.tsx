import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import type { RouteExplanation, RouteHop } from '../api/types';
import { ErrorBanner } from '../components/error-banner';
import { exchangeLabel } from '../format';
import { useAction } from '../hooks/use-action';

const hopText = (hop: RouteHop) => {
  if (hop.kind === 'alternate-exchange') return `${hop.source} → ${hop.destination} (alternate exchange: no binding matched)`;
  if (hop.kind === 'default-exchange') return `(AMQP default) → ${hop.destination} (queue named by the routing key)`;
  return `${exchangeLabel(hop.source)} → ${hop.destination}${hop.destination_type === 'exchange' ? ' (exchange)' : ''} by binding '${hop.routing_key ?? ''}'`;
};

/**
 * Route explain: an exchange, a routing key and headers in; the queues the message would reach, each path's
 * hops, the bindings that did not match and why, and the reached queues' dead-letter targets out. Publishes nothing.
 */
export function RoutePanel({
  vhost,
  exchanges,
  onExplained,
}: {
  vhost: string;
  exchanges: string[];
  onExplained: (explanation: RouteExplanation | undefined) => void;
}) {
  const [exchange, setExchange] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const [headers, setHeaders] = useState('');
  const [result, setResult] = useState<RouteExplanation | undefined>(undefined);
  const { error, run } = useAction();
  const chosen = exchange || exchanges[0] || '';
  const explain = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body: Record<string, unknown> = { routing_key: routingKey };
      if (headers.trim() !== '') body.headers = JSON.parse(headers);
      const answer = await api<RouteExplanation>(
        'POST',
        `/api/exchanges/${seg(vhost)}/${seg(chosen === '' ? 'amq.default' : chosen)}/route`,
        body,
      );
      setResult(answer);
      onExplained(answer);
    });
  };
  const clear = () => {
    setResult(undefined);
    onExplained(undefined);
  };
  return (
    <form class="card route-panel" onSubmit={explain} data-testid="route-panel">
      <h2>Route explain</h2>
      <label>
        Exchange{' '}
        <select name="exchange" value={chosen} onChange={(e) => setExchange(e.currentTarget.value)}>
          {exchanges.map((name) => (
            <option key={name} value={name}>
              {exchangeLabel(name)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Routing key <input name="routing_key" value={routingKey} onInput={(e) => setRoutingKey(e.currentTarget.value)} />
      </label>
      <label>
        Headers (JSON){' '}
        <input name="headers" value={headers} placeholder='{"format": "pdf"}' onInput={(e) => setHeaders(e.currentTarget.value)} />
      </label>
      <button type="submit">Explain</button>{' '}
      <button type="button" onClick={clear}>
        Clear
      </button>
      <ErrorBanner error={error} />
      {result && (
        <div class="route-result">
          <p>
            {result.routed
              ? `Reaches ${result.queues.length} queue(s):`
              : 'Unroutable: the message would be dropped (or returned if mandatory).'}
          </p>
          <ul data-testid="route-queues">
            {result.queues.map((queue) => (
              <li key={queue.name} data-queue={queue.name}>
                <strong>{queue.name}</strong>
                <ul>
                  {queue.paths.map((path, index) => (
                    <li key={index}>{path.map(hopText).join(' ⇒ ')}</li>
                  ))}
                  {queue.dead_letter && (
                    <li class="muted">
                      dead-letters to {queue.dead_letter.exchange}
                      {queue.dead_letter.routing_key !== null ? ` with key '${queue.dead_letter.routing_key}'` : ''}
                      {queue.dead_letter.exchange_exists ? '' : ' (missing: dead letters would be dropped)'}
                    </li>
                  )}
                </ul>
              </li>
            ))}
          </ul>
          {(result.unmatched?.length ?? 0) > 0 && (
            <>
              <p>Bindings that did not match:</p>
              <ul data-testid="route-unmatched">
                {result.unmatched!.map((hop) => (
                  <li key={`${hop.source}>${hop.destination}/${hop.properties_key}`}>
                    {exchangeLabel(hop.source)} → {hop.destination}: {hop.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </form>
  );
}
