import type { ExchangeOptions, Headers } from '@app/routing';
import type { QueueUseCounts } from '../queue/queue-ports.js';
import type { Queue, QueueOptions } from '../queue/queue.js';

/**
 * One topology change, whoever asks for it: an AMQP method, a management request, a definitions import or the test
 * kit's reset. Every one of them goes through {@link VirtualHost.execute}: validate, authorize, change, persist.
 * Names are as the client sent them (a channel resolves `''` to its last declared queue before building one).
 */
export type TopologyCommand =
  | { readonly kind: 'exchange.declare'; readonly exchange: string; readonly options: ExchangeOptions; readonly passive?: boolean }
  | { readonly kind: 'exchange.delete'; readonly exchange: string; readonly ifUnused: boolean }
  | {
      readonly kind: 'exchange.bind' | 'exchange.unbind';
      readonly destination: string;
      readonly source: string;
      readonly routingKey: string;
      readonly arguments: Headers;
    }
  | { readonly kind: 'queue.declare'; readonly queue: string; readonly options: QueueOptions; readonly passive?: boolean }
  | {
      readonly kind: 'queue.delete';
      readonly queue: string;
      readonly ifUnused: boolean;
      readonly ifEmpty: boolean;
      /** A shared queue's consumers and ready messages across nodes, counted just before: what it judges and answers. */
      readonly acrossNodes?: QueueUseCounts;
    }
  | {
      readonly kind: 'queue.bind' | 'queue.unbind';
      readonly queue: string;
      readonly exchange: string;
      readonly routingKey: string;
      readonly arguments: Headers;
    };

/** What each kind of command answers. */
export interface TopologyResults {
  'exchange.declare': { readonly created: boolean };
  'exchange.delete': { readonly deleted: boolean };
  'exchange.bind': { readonly changed: boolean };
  'exchange.unbind': { readonly changed: boolean };
  'queue.declare': { readonly queue: Queue; readonly created: boolean };
  'queue.delete': { readonly messageCount: number };
  'queue.bind': { readonly changed: boolean };
  'queue.unbind': { readonly changed: boolean };
}

/** The result of one command and the storage write it started, if it changed anything durable. */
export interface TopologyOutcome<R> {
  readonly result: R;
  /**
   * Resolves once every durable change of the command is on disk (rejects on a storage fault). Undefined when
   * nothing durable changed. The client is answered only after it: `declare-ok` means durable.
   */
  readonly written: Promise<void> | undefined;
}

/**
 * Who runs a command. `owner` decides exclusive-queue access (a connection, or the management service);
 * `authorize` is the permission hook: it runs after the command's own validation and before anything changes,
 * and refuses by throwing (a ChannelError 403 ACCESS_REFUSED).
 */
export interface TopologyActor {
  readonly owner: object;
  authorize?(command: TopologyCommand, vhost: string): void;
}

/** The owner object of {@link BROKER_ACTOR}. */
const BROKER_OWNER: object = Object.freeze({ name: 'broker' });

/**
 * The broker acting on its own behalf (the test kit's reset, maintenance): not subject to permissions, and
 * exclusive queues do not lock it out. Never hand it to anything a client controls.
 */
export const BROKER_ACTOR: TopologyActor = Object.freeze({ owner: BROKER_OWNER });
