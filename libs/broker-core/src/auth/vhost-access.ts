import { ReplyCode } from '@app/codec';
import { ChannelError, replyText } from '../amqp-error.js';
import type { TopologyCommand } from '../vhost/topology-command.js';
import { compilePermissionPattern, compileTopicPattern, permits, type Permission, type TopicVariables } from './permission-pattern.js';
import type { PermissionStore } from './permission-store.js';

/** Most cached publish decisions per connection: a client naming endless exchanges cannot grow memory. */
const MAX_CACHED_DECISIONS = 1000;

/** What {@link VhostAccess.authorize} needs to know of the vhost: whether an exchange exists (and is a topic one). */
export interface ExchangeLookup {
  exchangeType(name: string): string | undefined;
}

/** 403 ACCESS_REFUSED with RabbitMQ's text for a resource (rabbit_access_control). */
export function resourceAccessRefused(kind: 'exchange' | 'queue', name: string, vhost: string, user: string): ChannelError {
  const shown = kind === 'exchange' && name === '' ? 'amq.default' : name;
  return new ChannelError(
    ReplyCode.ACCESS_REFUSED,
    replyText(ReplyCode.ACCESS_REFUSED, `access to ${kind} '${shown}' in vhost '${vhost}' refused for user '${user}'`),
  );
}

/**
 * One user's permissions in one vhost, as a connection (or a management caller) checks them: RabbitMQ's access
 * control table for every AMQP method. Regexes are compiled once per permission change (the store's generation),
 * and publish decisions are cached per exchange name, so a publish costs a map lookup, not a regex.
 * Topic permissions (routing keys of topic exchanges) are compiled per exchange with `{username}`, `{vhost}` and
 * `{client_id}` expanded.
 *
 * Invariant: synchronous, event loop only; refusals throw ChannelError 403 ACCESS_REFUSED.
 */
export class VhostAccess {
  private generation = -1;
  private patterns: Record<Permission, RegExp> | undefined;
  private readonly writeDecisions = new Map<string, boolean>();
  /** Compiled topic regexes per exchange and permission; null = no topic permission there (everything allowed). */
  private readonly topicRegexes = { write: new Map<string, RegExp | null>(), read: new Map<string, RegExp | null>() };
  private readonly variables: TopicVariables;

  constructor(
    private readonly store: PermissionStore,
    readonly user: string,
    readonly vhost: string,
    clientId?: string,
  ) {
    this.variables = { username: user, vhost, client_id: clientId };
  }

  /** Whether the user may use the vhost at all (has a permission entry): checked at `connection.open`. */
  get isVhostAllowed(): boolean {
    this.refresh();
    return this.patterns !== undefined;
  }

  private refresh(): void {
    if (this.generation === this.store.generation) return;
    this.generation = this.store.generation;
    this.writeDecisions.clear();
    this.topicRegexes.write.clear();
    this.topicRegexes.read.clear();
    const granted = this.store.get(this.user, this.vhost);
    this.patterns = granted && {
      configure: compileOrDeny(granted.configure),
      write: compileOrDeny(granted.write),
      read: compileOrDeny(granted.read),
    };
  }

  /** Whether `permission` on the resource is granted. */
  allows(permission: Permission, kind: 'exchange' | 'queue', name: string): boolean {
    this.refresh();
    return this.patterns !== undefined && permits(this.patterns[permission], kind, name);
  }

  /** Throws 403 unless `permission` on the resource is granted. */
  check(permission: Permission, kind: 'exchange' | 'queue', name: string): void {
    if (!this.allows(permission, kind, name)) throw resourceAccessRefused(kind, name, this.vhost, this.user);
  }

  /** `basic.publish`: write on the exchange (`''` as `amq.default`), decided once per exchange name. */
  checkPublish(exchange: string): void {
    if (this.generation !== this.store.generation) this.refresh();
    let isAllowed = this.writeDecisions.get(exchange);
    if (isAllowed === undefined) {
      isAllowed = this.patterns !== undefined && permits(this.patterns.write, 'exchange', exchange);
      if (this.writeDecisions.size >= MAX_CACHED_DECISIONS) this.writeDecisions.clear();
      this.writeDecisions.set(exchange, isAllowed);
    }
    if (!isAllowed) throw resourceAccessRefused('exchange', exchange, this.vhost, this.user);
  }

  /**
   * Topic permissions of a topic exchange: write for a publish's routing key, read for a binding key. No topic
   * permission on the exchange allows every key (RabbitMQ).
   */
  checkTopic(permission: 'write' | 'read', exchange: string, routingKey: string): void {
    if (this.generation !== this.store.generation) this.refresh();
    // One map per permission, keyed by exchange name: a topic publish looks its regex up without building a key.
    const regexes = this.topicRegexes[permission];
    let regex = regexes.get(exchange);
    if (regex === undefined) {
      const granted = this.store.getTopic(this.user, this.vhost, exchange);
      regex = granted ? compileTopicOrDeny(granted[permission], this.variables) : null;
      if (regexes.size >= MAX_CACHED_DECISIONS) regexes.clear();
      regexes.set(exchange, regex);
    }
    if (regex !== null && !regex.test(routingKey)) {
      throw new ChannelError(
        ReplyCode.ACCESS_REFUSED,
        replyText(
          ReplyCode.ACCESS_REFUSED,
          `${permission} access to topic '${routingKey}' in exchange '${exchange}' in vhost '${this.vhost}' refused for user '${this.user}'`,
        ),
      );
    }
  }

  /**
   * The topology part of RabbitMQ's table (rabbit_channel): configure to declare or delete, write on the
   * destination and read on the source to bind or unbind; passive declares need nothing. A new exchange with an
   * alternate exchange also needs read on itself and write on the AE; a queue with a dead-letter exchange needs read
   * on itself and write on the DLX. Binding to a topic exchange checks the binding key against the topic read regex.
   */
  authorize(command: TopologyCommand, exchanges: ExchangeLookup | undefined): void {
    switch (command.kind) {
      case 'exchange.declare': {
        if (command.passive) return;
        this.check('configure', 'exchange', command.exchange);
        const alternate = command.options.arguments['alternate-exchange'];
        if (typeof alternate === 'string' && exchanges?.exchangeType(command.exchange) === undefined) {
          this.check('read', 'exchange', command.exchange);
          this.check('write', 'exchange', alternate);
        }
        return;
      }
      case 'exchange.delete':
        return this.check('configure', 'exchange', command.exchange);
      case 'queue.declare': {
        if (command.passive) return;
        this.check('configure', 'queue', command.queue);
        const deadLetterExchange = command.options.arguments['x-dead-letter-exchange'];
        if (typeof deadLetterExchange === 'string') {
          this.check('read', 'queue', command.queue);
          this.check('write', 'exchange', deadLetterExchange);
        }
        return;
      }
      case 'queue.delete':
        return this.check('configure', 'queue', command.queue);
      case 'queue.bind':
      case 'queue.unbind':
        this.check('write', 'queue', command.queue);
        this.check('read', 'exchange', command.exchange);
        if (exchanges?.exchangeType(command.exchange) === 'topic') this.checkTopic('read', command.exchange, command.routingKey);
        return;
      case 'exchange.bind':
      case 'exchange.unbind':
        this.check('write', 'exchange', command.destination);
        this.check('read', 'exchange', command.source);
        if (exchanges?.exchangeType(command.source) === 'topic') this.checkTopic('read', command.source, command.routingKey);
        return;
    }
  }
}

/** A stored regex that no longer compiles (it was checked when granted) denies rather than throws on the data path. */
function compileOrDeny(pattern: string): RegExp {
  try {
    return compilePermissionPattern(pattern);
  } catch {
    return /(?!)/;
  }
}

function compileTopicOrDeny(pattern: string, variables: TopicVariables): RegExp {
  try {
    return compileTopicPattern(pattern, variables);
  } catch {
    return /(?!)/;
  }
}
