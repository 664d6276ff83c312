import type { Core } from 'cytoscape';
import type { RouteExplanation } from '../api/types';
import { alternateId, bindingId, deadLetterId, exchangeId, queueId } from './build-elements';

const ROUTE_CLASSES = 'route unmatched dead-letter-path';

/** Clears a previous explanation's highlighting. */
export function clearRoute(cy: Core): void {
  cy.elements().removeClass(ROUTE_CLASSES);
}

/**
 * Draws a route explanation on the graph: the exchanges visited and the queues reached in orange, each hop's edge
 * labelled with the binding that matched, bindings passed over dashed (their reason in the panel), and the
 * dead-letter edges of the reached queues in red.
 */
export function applyRoute(cy: Core, explanation: RouteExplanation): void {
  clearRoute(cy);
  cy.batch(() => {
    for (const name of explanation.exchanges) cy.getElementById(exchangeId(name)).addClass('route');
    for (const queue of explanation.queues) {
      cy.getElementById(queueId(queue.name)).addClass('route');
      for (const path of queue.paths) {
        for (const hop of path) {
          const id =
            hop.kind === 'alternate-exchange'
              ? alternateId(hop.source, hop.destination)
              : hop.kind === 'binding'
                ? bindingId(hop)
                : undefined;
          if (!id) continue;
          const edge = cy.getElementById(id);
          edge.data('routeLabel', hop.kind === 'alternate-exchange' ? 'alternate exchange' : `matched '${hop.routing_key ?? ''}'`);
          edge.addClass('route');
        }
      }
      if (queue.dead_letter) cy.getElementById(deadLetterId(queue.name, queue.dead_letter.exchange)).addClass('dead-letter-path');
    }
    for (const hop of explanation.unmatched ?? []) cy.getElementById(bindingId(hop)).addClass('unmatched');
  });
}
