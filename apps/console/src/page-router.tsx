import { lazy, Suspense } from 'preact/compat';
import { AdminPage } from './pages/admin-page';
import { ChannelDetailPage } from './pages/channel-detail-page';
import { ChannelsPage } from './pages/channels-page';
import { ConnectionDetailPage } from './pages/connection-detail-page';
import { ConnectionsPage } from './pages/connections-page';
import { DefinitionsPage } from './pages/definitions-page';
import { ExchangeDetailPage } from './pages/exchange-detail-page';
import { ExchangesPage } from './pages/exchanges-page';
import { OverviewPage } from './pages/overview-page';
import { QueueDetailPage } from './pages/queue-detail-page';
import { QueuesPage } from './pages/queues-page';

// The graph library is most of the bundle: loaded only when the topology page opens.
const TopologyPage = lazy(() => import('./pages/topology-page').then((module) => ({ default: module.TopologyPage })));

const decode = (segment: string) => decodeURIComponent(segment);

/** Maps the URL path to a page (RabbitMQ's UI paths: /queues/{vhost}/{name}, …). */
export function PageRouter({ path }: { path: string }) {
  const parts = path.split('/').filter(Boolean);
  const [section, a, b] = parts;
  switch (section) {
    case undefined:
      return <OverviewPage />;
    case 'queues':
      return a !== undefined && b !== undefined ? <QueueDetailPage vhost={decode(a)} name={decode(b)} /> : <QueuesPage />;
    case 'exchanges':
      return a !== undefined && b !== undefined ? <ExchangeDetailPage vhost={decode(a)} name={decode(b)} /> : <ExchangesPage />;
    case 'connections':
      return a !== undefined ? <ConnectionDetailPage name={decode(a)} /> : <ConnectionsPage />;
    case 'channels':
      return a !== undefined ? <ChannelDetailPage name={decode(a)} /> : <ChannelsPage />;
    case 'admin':
      return <AdminPage />;
    case 'definitions':
      return <DefinitionsPage />;
    case 'topology':
      return (
        <Suspense fallback={<p>Loading the graph…</p>}>
          <TopologyPage vhost={a === undefined ? '/' : decode(a)} />
        </Suspense>
      );
    default:
      return <p class="error">No such page: {path}</p>;
  }
}
