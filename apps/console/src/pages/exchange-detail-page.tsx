import { useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import type { BindingInfo, ExchangeInfo } from '../api/types';
import { BindForm } from '../components/bind-form';
import { BindingsTable } from '../components/bindings-table';
import { ErrorBanner } from '../components/error-banner';
import { PublishForm } from '../components/publish-form';
import { RateChart } from '../components/rate-chart';
import { StatGrid } from '../components/stat-grid';
import { args, exchangeLabel } from '../format';
import { navigate } from '../hooks/use-route';
import { usePoll } from '../hooks/use-poll';
import { HISTORY_QUERY } from './overview-page';
import { DetailHeading } from '../components/detail-heading';

/** One exchange: its bindings both ways, publish, delete. `amq.default` in the URL is the default exchange. */
export function ExchangeDetailPage({ vhost, name: urlName }: { vhost: string; name: string }) {
  const name = urlName === 'amq.default' ? '' : urlName;
  const base = `/api/exchanges/${seg(vhost)}/${seg(urlName)}`;
  const exchange = usePoll(() => api<ExchangeInfo>('GET', `${base}?${HISTORY_QUERY}`), [base]);
  const source = usePoll(() => api<BindingInfo[]>('GET', `${base}/bindings/source`), [base]);
  const destination = usePoll(() => api<BindingInfo[]>('GET', `${base}/bindings/destination`), [base]);
  const [error, setError] = useState<string | undefined>(undefined);
  const e = exchange.data;
  const stats = e?.message_stats ?? {};
  const remove = async () => {
    if (!confirm(`Delete exchange ${name}?`)) return;
    try {
      await api('DELETE', base);
      navigate('/exchanges');
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <section>
      <DetailHeading kind="Exchange" name={exchangeLabel(name)} testId="exchange-name" vhost={vhost} />
      <ErrorBanner error={exchange.error ?? error} />
      <StatGrid
        items={[
          ['Type', e?.type ?? '–'],
          ['Durable', e ? String(e.durable) : '–'],
          ['Auto-delete', e ? String(e.auto_delete) : '–'],
          ['Internal', e ? String(e.internal) : '–'],
          ['Arguments', args(e?.arguments) || '–'],
        ]}
      />
      <RateChart
        title="Message rates"
        series={[
          { label: 'In', details: stats.publish_in_details as never, mode: 'rate' },
          { label: 'Out', details: stats.publish_out_details as never, mode: 'rate' },
        ]}
      />
      <h2>Bindings from this exchange</h2>
      <BindingsTable bindings={source.data} onChange={source.reload} testId="source-bindings" />
      <h2>Bindings to this exchange</h2>
      <BindingsTable bindings={destination.data} onChange={destination.reload} testId="destination-bindings" />
      {name !== '' && <BindForm vhost={vhost} fixed={name} side="exchange" onBound={source.reload} />}
      <PublishForm vhost={vhost} exchange={urlName} />
      {name !== '' && !name.startsWith('amq.') && (
        <div class="card actions">
          <button type="button" class="danger" onClick={() => void remove()}>
            Delete exchange
          </button>
        </div>
      )}
    </section>
  );
}
