import type { ElementDefinition } from 'cytoscape';
import type { BindingInfo, ConsumerInfo, ExchangeInfo, QueueInfo } from '../api/types';

/** What the graph is drawn from: one vhost's objects, as the list routes return them. */
export interface TopologySnapshot {
  exchanges: ExchangeInfo[];
  queues: QueueInfo[];
  bindings: BindingInfo[];
  consumers: ConsumerInfo[];
}

export interface GraphOptions {
  /** Put objects sharing a name prefix (up to the first `.`, `-` or `_`) in one compound node. */
  group: boolean;
  /** Hide the predeclared `amq.*` exchanges that have no bindings. */
  hideUnusedBuiltIns: boolean;
}

export const exchangeId = (name: string) => `x:${name}`;
export const queueId = (name: string) => `q:${name}`;
export const bindingId = (b: { source: string; destination_type: string; destination: string; properties_key?: string }) =>
  `b:${b.source}>${b.destination_type}:${b.destination}/${b.properties_key ?? ''}`;
export const alternateId = (source: string, alternate: string) => `ae:${source}>${alternate}`;
export const deadLetterId = (queue: string, exchange: string) => `dlx:${queue}>${exchange}`;

/** Past this many queues the graph shows only those matching the search (dagre lays out a few hundred nodes quickly). */
export const MAX_GRAPH_QUEUES = 400;

/**
 * The part of a large vhost worth drawing: every queue when there are at most {@link MAX_GRAPH_QUEUES}; otherwise the
 * queues whose names contain `search` (the first ones by name without a search), up to that many, with the
 * exchanges and bindings that lead to them.
 */
export function limitSnapshot(snapshot: TopologySnapshot, search: string): { snapshot: TopologySnapshot; hidden: number } {
  if (snapshot.queues.length <= MAX_GRAPH_QUEUES) return { snapshot, hidden: 0 };
  const needle = search.trim().toLowerCase();
  const queues = snapshot.queues
    .filter((q) => needle === '' || q.name.toLowerCase().includes(needle))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MAX_GRAPH_QUEUES);
  const kept = new Set(queues.map((q) => q.name));
  const bindings = snapshot.bindings.filter((b) => b.destination_type === 'exchange' || kept.has(b.destination));
  return {
    snapshot: { ...snapshot, queues, bindings, consumers: snapshot.consumers.filter((c) => kept.has(c.queue.name)) },
    hidden: snapshot.queues.length - queues.length,
  };
}

const prefixOf = (name: string) => /^([^.\-_]+)[.\-_]/.exec(name)?.[1];

/**
 * The graph's elements: exchanges → bindings → queues → consumers (one node per queue's consumers, so hundreds of
 * consumers do not swamp the picture), plus dashed edges for alternate exchanges and dead-letter exchanges. The
 * default exchange is left out: its implicit binding to every queue says nothing.
 */
export function buildElements(snapshot: TopologySnapshot, options: GraphOptions): ElementDefinition[] {
  const bound = new Set<string>();
  for (const b of snapshot.bindings) {
    bound.add(b.source);
    if (b.destination_type === 'exchange') bound.add(b.destination);
  }
  const exchanges = snapshot.exchanges.filter(
    (x) => x.name !== '' && !(options.hideUnusedBuiltIns && x.name.startsWith('amq.') && !bound.has(x.name)),
  );
  const exchangeNames = new Set(exchanges.map((x) => x.name));
  const queueNames = new Set(snapshot.queues.map((q) => q.name));

  const groups = new Map<string, number>();
  if (options.group) {
    for (const name of [...exchangeNames, ...queueNames]) {
      const prefix = prefixOf(name);
      if (prefix && !name.startsWith('amq.')) groups.set(prefix, (groups.get(prefix) ?? 0) + 1);
    }
  }
  const parentOf = (name: string) => {
    const prefix = prefixOf(name);
    return prefix && (groups.get(prefix) ?? 0) >= 2 && !name.startsWith('amq.') ? `g:${prefix}` : undefined;
  };

  const elements: ElementDefinition[] = [];
  for (const [prefix, count] of groups) {
    if (count >= 2) elements.push({ group: 'nodes', data: { id: `g:${prefix}`, label: `${prefix}.* (${count})`, kind: 'group' } });
  }
  for (const x of exchanges) {
    elements.push({
      group: 'nodes',
      data: { id: exchangeId(x.name), label: `${x.name}\n(${x.type})`, name: x.name, kind: 'exchange', parent: parentOf(x.name) },
    });
    const alternate = x.arguments?.['alternate-exchange'];
    if (typeof alternate === 'string' && exchangeNames.has(alternate)) {
      elements.push({
        group: 'edges',
        data: {
          id: alternateId(x.name, alternate),
          source: exchangeId(x.name),
          target: exchangeId(alternate),
          label: 'alternate',
          kind: 'alternate',
        },
      });
    }
  }
  const consumersByQueue = new Map<string, ConsumerInfo[]>();
  for (const c of snapshot.consumers) {
    const list = consumersByQueue.get(c.queue.name) ?? [];
    list.push(c);
    consumersByQueue.set(c.queue.name, list);
  }
  for (const q of snapshot.queues) {
    elements.push({
      group: 'nodes',
      data: { id: queueId(q.name), label: `${q.name}\n${q.messages ?? 0} msg`, name: q.name, kind: 'queue', parent: parentOf(q.name) },
    });
    const dlx = q.arguments?.['x-dead-letter-exchange'];
    if (typeof dlx === 'string' && exchangeNames.has(dlx)) {
      elements.push({
        group: 'edges',
        data: {
          id: deadLetterId(q.name, dlx),
          source: queueId(q.name),
          target: exchangeId(dlx),
          label: 'dead letters',
          kind: 'dead-letter',
        },
      });
    }
    const consumers = consumersByQueue.get(q.name);
    if (consumers?.length) {
      const id = `c:${q.name}`;
      const label = consumers.length <= 2 ? consumers.map((c) => c.consumer_tag).join('\n') : `${consumers.length} consumers`;
      elements.push({ group: 'nodes', data: { id, label, kind: 'consumer' } });
      elements.push({ group: 'edges', data: { id: `qc:${q.name}`, source: queueId(q.name), target: id, kind: 'consume' } });
    }
  }
  for (const b of snapshot.bindings) {
    if (b.source === '' || !exchangeNames.has(b.source)) continue;
    const target = b.destination_type === 'queue' ? queueId(b.destination) : exchangeId(b.destination);
    if (b.destination_type === 'queue' ? !queueNames.has(b.destination) : !exchangeNames.has(b.destination)) continue;
    elements.push({
      group: 'edges',
      data: { id: bindingId(b), source: exchangeId(b.source), target, label: b.routing_key, kind: 'binding' },
    });
  }
  return elements;
}
