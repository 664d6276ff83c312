import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import { args } from '../format';
import { ErrorBanner } from './error-banner';
import { useAction } from '../hooks/use-action';

interface GotMessage {
  payload: string;
  payload_encoding: string;
  payload_bytes: number;
  redelivered: boolean;
  exchange: string;
  routing_key: string;
  message_count: number;
  properties?: Record<string, unknown>;
}

const ACK_MODES: [string, string][] = [
  ['ack_requeue_true', 'Nack, requeue'],
  ['reject_requeue_true', 'Reject, requeue'],
  ['ack_requeue_false', 'Ack (remove from the queue)'],
  ['reject_requeue_false', 'Reject, no requeue (dead-letter)'],
];

/** Fetches messages from a queue (`POST /api/queues/{vhost}/{name}/get`) with RabbitMQ's ack modes. */
export function GetMessagesForm({ vhost, queue, onDone }: { vhost: string; queue: string; onDone: () => void }) {
  const [ackmode, setAckmode] = useState('ack_requeue_true');
  const [count, setCount] = useState(1);
  const [messages, setMessages] = useState<GotMessage[] | undefined>(undefined);
  const { error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setMessages(
        await api<GotMessage[]>('POST', `/api/queues/${seg(vhost)}/${seg(queue)}/get`, {
          count,
          ackmode,
          encoding: 'auto',
          truncate: 50000,
        }),
      );
      onDone();
    });
  };
  return (
    <form class="card" onSubmit={submit} data-testid="get-form">
      <h2>Get messages</h2>
      <label>
        Ack mode{' '}
        <select name="ackmode" value={ackmode} onChange={(e) => setAckmode(e.currentTarget.value)}>
          {ACK_MODES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Messages <input name="count" type="number" min={1} value={count} onInput={(e) => setCount(Number(e.currentTarget.value) || 1)} />
      </label>
      <button type="submit">Get messages</button>
      <ErrorBanner error={error} />
      {messages && messages.length === 0 && <p class="muted">Queue is empty.</p>}
      {messages?.map((message, index) => (
        <dl class="message" key={index} data-testid="got-message">
          <dt>Exchange</dt>
          <dd>{message.exchange === '' ? '(AMQP default)' : message.exchange}</dd>
          <dt>Routing key</dt>
          <dd>{message.routing_key}</dd>
          <dt>Redelivered</dt>
          <dd>{String(message.redelivered)}</dd>
          <dt>Properties</dt>
          <dd>{args(message.properties)}</dd>
          <dt>
            Payload ({message.payload_bytes} bytes, {message.payload_encoding})
          </dt>
          <dd>
            <pre class="payload">{message.payload}</pre>
          </dd>
        </dl>
      ))}
    </form>
  );
}
