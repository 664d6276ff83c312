import cytoscape, { type Core } from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, seg } from '../api/client';
import type { BindingInfo, ConsumerInfo, ExchangeInfo, QueueInfo, RouteExplanation } from '../api/types';
import { ErrorBanner } from '../components/error-banner';
import { VhostSelect } from '../components/vhost-select';
import { navigate } from '../hooks/use-route';
import { POLL_MS, usePoll } from '../hooks/use-poll';
import { applyRoute, clearRoute } from '../topology/apply-route';
import { buildElements, limitSnapshot, MAX_GRAPH_QUEUES, type TopologySnapshot } from '../topology/build-elements';
import { GRAPH_STYLE } from '../topology/graph-style';
import { RoutePanel } from '../topology/route-panel';

cytoscape.use(dagre);

const LAYOUT = { name: 'dagre', rankDir: 'LR', nodeSep: 12, rankSep: 90, animate: false, fit: true } as cytoscape.LayoutOptions;

async function loadSnapshot(vhost: string): Promise<TopologySnapshot> {
  const v = seg(vhost);
  const [exchanges, queues, bindings, consumers] = await Promise.all([
    api<ExchangeInfo[]>('GET', `/api/exchanges/${v}`),
    api<QueueInfo[]>('GET', `/api/queues/${v}`),
    api<BindingInfo[]>('GET', `/api/bindings/${v}`),
    api<ConsumerInfo[]>('GET', `/api/consumers/${v}`),
  ]);
  return { exchanges, queues, bindings, consumers };
}

/**
 * The routing topology of one vhost as a layered graph (Cytoscape.js + dagre), refreshed every poll: new objects
 * appear and deleted ones go without a reload; the layout runs again only when the set of nodes or edges changed.
 */
export function TopologyPage({ vhost: initialVhost }: { vhost: string }) {
  const [vhost, setVhost] = useState(initialVhost);
  const [group, setGroup] = useState(false);
  const [search, setSearch] = useState('');
  const [focus, setFocus] = useState<string | undefined>(undefined);
  const [explanation, setExplanation] = useState<RouteExplanation | undefined>(undefined);
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | undefined>(undefined);
  // A vhost with thousands of queues is polled less often: each poll reads every queue and binding.
  const [large, setLarge] = useState(false);
  const snapshot = usePoll(
    () =>
      loadSnapshot(vhost).then((loaded) => {
        setLarge(loaded.queues.length + loaded.bindings.length > 2000);
        return loaded;
      }),
    [vhost, large],
    large ? 10_000 : POLL_MS,
  );

  useEffect(() => {
    const graph = cytoscape({ container: box.current, style: GRAPH_STYLE, minZoom: 0.05, maxZoom: 3, wheelSensitivity: 0.3 });
    graph.on('tap', 'node', (event) => {
      const kind = event.target.data('kind');
      if (kind === 'exchange' || kind === 'queue' || kind === 'consumer') setFocus(event.target.id());
    });
    graph.on('dbltap', 'node', (event) => {
      const { kind, name } = event.target.data();
      if (kind === 'queue') navigate(`/queues/${seg(vhost)}/${seg(name)}`);
      if (kind === 'exchange') navigate(`/exchanges/${seg(vhost)}/${seg(name)}`);
    });
    cy.current = graph;
    // A handle for debugging in the browser's console (and for the console's browser tests).
    (window as unknown as { warrenGraph?: Core }).warrenGraph = graph;
    return () => {
      graph.destroy();
      cy.current = undefined;
    };
  }, []);

  const limited = snapshot.data ? limitSnapshot(snapshot.data, search) : { snapshot: undefined, hidden: 0 };

  // Live update: add what is new, drop what is gone, refresh labels; lay out again only on a change of shape.
  useEffect(() => {
    const graph = cy.current;
    if (!graph || !limited.snapshot) return;
    const elements = buildElements(limited.snapshot, { group, hideUnusedBuiltIns: true });
    const wanted = new Map(elements.map((element) => [element.data.id!, element]));
    let changed = false;
    graph.batch(() => {
      graph.elements().forEach((element) => {
        const next = wanted.get(element.id());
        if (!next || next.data.parent !== element.data('parent')) {
          graph.remove(element);
          changed = true;
        } else element.data('label', next.data.label);
      });
      const missing = elements.filter((element) => graph.getElementById(element.data.id!).empty());
      if (missing.length) {
        graph.add(missing.filter((element) => element.group === 'nodes' && element.data.kind === 'group'));
        graph.add(missing.filter((element) => element.group === 'nodes' && element.data.kind !== 'group'));
        graph.add(missing.filter((element) => element.group === 'edges'));
        changed = true;
      }
    });
    if (changed) graph.layout(LAYOUT).run();
    if (explanation) applyRoute(graph, explanation);
  }, [snapshot.data, group, limited.hidden > 0 ? search : '']);

  // Search and focus: matches outlined, everything outside the focused node's neighbourhood faded.
  useEffect(() => {
    const graph = cy.current;
    if (!graph) return;
    graph.batch(() => {
      graph.elements().removeClass('search-hit faded');
      const needle = search.trim().toLowerCase();
      if (needle)
        graph
          .nodes()
          .filter((node) =>
            String(node.data('name') ?? '')
              .toLowerCase()
              .includes(needle),
          )
          .addClass('search-hit');
      const focused = focus ? graph.getElementById(focus) : undefined;
      if (focused && focused.nonempty()) {
        const keep = focused.closedNeighborhood().union(focused.closedNeighborhood().ancestors());
        graph.elements().difference(keep).addClass('faded');
      }
    });
  }, [search, focus, snapshot.data]);

  // A layout effect, so the highlighting lands in the same frame as the panel's list of reached queues.
  useLayoutEffect(() => {
    const graph = cy.current;
    if (!graph) return;
    if (explanation) applyRoute(graph, explanation);
    else clearRoute(graph);
  }, [explanation]);

  const fitHits = () => {
    const hits = cy.current?.nodes('.search-hit');
    if (hits && hits.nonempty()) cy.current!.fit(hits, 60);
  };
  const exchanges = ['', ...(snapshot.data?.exchanges.map((x) => x.name).filter((name) => name !== '') ?? [])];
  const counts = snapshot.data
    ? `${snapshot.data.exchanges.length} exchanges, ${snapshot.data.queues.length} queues, ${snapshot.data.bindings.length} bindings`
    : '';
  return (
    <section class="topology">
      <h1>Topology</h1>
      <div class="toolbar">
        <VhostSelect value={vhost} onChange={(v) => (setVhost(v), setFocus(undefined), setExplanation(undefined))} />
        <input
          type="search"
          placeholder="Search nodes"
          aria-label="Search nodes"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
          onKeyDown={(e) => e.key === 'Enter' && fitHits()}
        />
        <label>
          <input type="checkbox" checked={group} onChange={(e) => setGroup(e.currentTarget.checked)} /> Group by name prefix
        </label>
        <button type="button" disabled={!focus} onClick={() => setFocus(undefined)}>
          Show all
        </button>
        <button type="button" onClick={() => cy.current?.fit(undefined, 30)}>
          Fit
        </button>
        <span class="muted" data-testid="topology-counts">
          {counts}
        </span>
      </div>
      <ErrorBanner error={snapshot.error} />
      {limited.hidden > 0 && (
        <p class="muted" data-testid="topology-limited">
          {limited.hidden.toLocaleString('en-US')} more queues not drawn (at most {MAX_GRAPH_QUEUES}): search to choose which.
        </p>
      )}
      <div class="topology-body">
        <div class="graph-box">
          <div ref={box} class="graph" data-testid="topology-graph" />
          {snapshot.data && snapshot.data.queues.length === 0 && snapshot.data.bindings.length === 0 && (
            <p class="graph-empty muted">No queues or bindings in this virtual host yet (unused amq.* exchanges are hidden).</p>
          )}
        </div>
        <RoutePanel vhost={vhost} exchanges={exchanges} onExplained={setExplanation} />
      </div>
      <p class="muted">Click a node to focus on its neighbours; double-click a queue or exchange to open it.</p>
    </section>
  );
}
