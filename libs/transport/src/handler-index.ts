import type { MessageHandler } from '@nestjs/microservices';
import { isWildcardPattern, matchesTopic } from './topic-pattern.js';

/**
 * The handlers of one server split into event and request handlers, with exact lookup first and topic-wildcard
 * matching second. Built once at `listen()` (Nest registers every handler before that).
 */
export class HandlerIndex {
  private readonly exactEvents = new Map<string, MessageHandler>();
  private readonly wildcardEvents: [string, MessageHandler][] = [];
  private readonly exactRequests = new Map<string, MessageHandler>();
  private readonly wildcardRequests: [string, MessageHandler][] = [];

  /** `handlers` as `Server#getHandlers()` returns them: keyed by normalised pattern, in registration order. */
  constructor(handlers: ReadonlyMap<string, MessageHandler>) {
    for (const [pattern, handler] of handlers) {
      const [exact, wildcards] = handler.isEventHandler
        ? [this.exactEvents, this.wildcardEvents]
        : [this.exactRequests, this.wildcardRequests];
      if (isWildcardPattern(pattern)) wildcards.push([pattern, handler]);
      else exact.set(pattern, handler);
    }
  }

  /** Binding keys for the group's event queue. */
  get eventPatterns(): string[] {
    return [...this.exactEvents.keys(), ...this.wildcardEvents.map(([pattern]) => pattern)];
  }

  /** Binding keys for the group's request queue. */
  get requestPatterns(): string[] {
    return [...this.exactRequests.keys(), ...this.wildcardRequests.map(([pattern]) => pattern)];
  }

  /**
   * Every event handler whose pattern matches `route`. All of them run: the queue gets one copy of a message
   * however many of its bindings match, so picking one handler would starve the others (`order.*` and `order.#`).
   */
  findEventHandlers(route: string): MessageHandler[] {
    const found: MessageHandler[] = [];
    const exact = this.exactEvents.get(route);
    if (exact) found.push(exact);
    for (const [pattern, handler] of this.wildcardEvents) if (matchesTopic(pattern, route)) found.push(handler);
    return found;
  }

  /** The request handler for `route`: an exact pattern wins, else the first matching wildcard pattern. */
  findRequestHandler(route: string): MessageHandler | null {
    const exact = this.exactRequests.get(route);
    if (exact) return exact;
    for (const [pattern, handler] of this.wildcardRequests) if (matchesTopic(pattern, route)) return handler;
    return null;
  }

  /** Any handler for `route`, request handlers first (what `Server#getHandlerByPattern` promises). */
  findAny(route: string): MessageHandler | null {
    return this.findRequestHandler(route) ?? this.findEventHandlers(route)[0] ?? null;
  }
}
