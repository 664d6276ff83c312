import type { StylesheetJson } from 'cytoscape';

/** The graph's look: exchanges, queues, consumers, groups; route-explain classes on top. */
export const GRAPH_STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'font-size': 10,
      'min-zoomed-font-size': 6,
      width: 'label',
      height: 'label',
      padding: '8px',
      'border-width': 1,
    },
  },
  { selector: 'node[kind = "exchange"]', style: { shape: 'round-rectangle', 'background-color': '#dbe8fb', 'border-color': '#2b6cb0' } },
  { selector: 'node[kind = "queue"]', style: { shape: 'rectangle', 'background-color': '#dcf3e3', 'border-color': '#2f855a' } },
  { selector: 'node[kind = "consumer"]', style: { shape: 'ellipse', 'background-color': '#eee', 'border-color': '#777', 'font-size': 9 } },
  {
    selector: 'node[kind = "group"]',
    style: { 'background-color': '#f7f7f7', 'border-style': 'dashed', 'border-color': '#aaa', 'text-valign': 'top', 'font-weight': 'bold' },
  },
  {
    selector: 'edge',
    style: {
      width: 1.2,
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      'line-color': '#999',
      'target-arrow-color': '#999',
      label: 'data(label)',
      'font-size': 9,
      'min-zoomed-font-size': 7,
      'text-background-color': '#fff',
      'text-background-opacity': 0.8,
    },
  },
  { selector: 'edge[kind = "alternate"]', style: { 'line-style': 'dashed', 'line-color': '#d69e2e', 'target-arrow-color': '#d69e2e' } },
  { selector: 'edge[kind = "dead-letter"]', style: { 'line-style': 'dotted', 'line-color': '#c53030', 'target-arrow-color': '#c53030' } },
  { selector: '.search-hit', style: { 'border-width': 3, 'border-color': '#d53f8c' } },
  { selector: '.faded', style: { opacity: 0.15 } },
  { selector: 'node.route', style: { 'border-width': 3, 'border-color': '#dd6b20', 'background-color': '#feebc8' } },
  {
    selector: 'edge.route',
    style: {
      width: 3.5,
      'line-color': '#dd6b20',
      'target-arrow-color': '#dd6b20',
      label: 'data(routeLabel)',
      'font-weight': 'bold',
      'z-index': 10,
    },
  },
  { selector: 'edge.unmatched', style: { 'line-style': 'dashed', 'line-color': '#cbd5e0', 'target-arrow-color': '#cbd5e0' } },
  { selector: 'edge.dead-letter-path', style: { width: 2.5, 'line-color': '#c53030', 'target-arrow-color': '#c53030' } },
];
