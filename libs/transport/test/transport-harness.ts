import 'reflect-metadata';
import type { DynamicModule, INestMicroservice, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WarrenClient, WarrenServer, type WarrenClientOptions, type WarrenServerOptions } from '../src/index.js';

/**
 * Shared scaffolding for the transport's e2e specs (test/transport/warren-transport*.e2e-spec.ts): Nest apps on a
 * WarrenServer, WarrenClients, and a closer list so that every app and client is closed after each test.
 */

/** Reconnects fast: tests restart brokers and should not wait for production backoffs. */
export const FAST_RECONNECT = { initialDelayMs: 20, maxDelayMs: 250, factor: 2, jitter: 0.2 };

/** Keeps what Nest and the transport log, so specs can assert on warnings instead of printing them. */
export class CapturingLogger implements LoggerService {
  readonly entries: { level: string; message: string }[] = [];
  log(message: unknown): void {
    this.push('log', message);
  }
  error(message: unknown): void {
    this.push('error', message);
  }
  warn(message: unknown): void {
    this.push('warn', message);
  }
  debug(message: unknown): void {
    this.push('debug', message);
  }
  verbose(message: unknown): void {
    this.push('verbose', message);
  }
  fatal(message: unknown): void {
    this.push('fatal', message);
  }
  /** Messages logged at `level` that match `pattern`. */
  matching(level: string, pattern: RegExp): string[] {
    return this.entries.filter((e) => e.level === level && pattern.test(e.message)).map((e) => e.message);
  }
  private push(level: string, message: unknown): void {
    this.entries.push({
      level,
      message: message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message),
    });
  }
}

/** What a handler saw. */
export interface Received<T = unknown> {
  pattern: string;
  data: T;
  retryCount: number;
  /** Date.now() when the handler ran. */
  at: number;
}

/** Filled by the controllers of one app; each app gets its own through DI. */
export class Inbox<T = unknown> {
  readonly items: Received<T>[] = [];
  add(pattern: string, data: T, retryCount = 0): void {
    this.items.push({ pattern, data, retryCount, at: Date.now() });
  }
}

/** A promise the test resolves by hand, for handlers that must wait for it. */
export class Gate {
  readonly opened: Promise<void>;
  open!: () => void;
  constructor() {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }
}

/** Starts and remembers apps and clients for one test. */
export class TransportHarness {
  readonly logger = new CapturingLogger();
  private readonly closers: (() => Promise<unknown>)[] = [];

  constructor(private readonly url: () => string) {}

  /** Registers `close` to run at `closeAll()`; returns it made idempotent, so a test may close early. */
  later(close: () => Promise<unknown>): () => Promise<unknown> {
    let closing: Promise<unknown> | undefined;
    const once = () => (closing ??= close());
    this.closers.push(once);
    return once;
  }

  /** A Nest microservice on a WarrenServer; listening when this resolves. */
  async service(
    module: Type | DynamicModule,
    options: WarrenServerOptions,
  ): Promise<{ app: INestMicroservice; server: WarrenServer; close: () => Promise<unknown> }> {
    const server = new WarrenServer({ urls: [this.url()], reconnect: FAST_RECONNECT, ...options });
    const app = await NestFactory.createMicroservice(module, { strategy: server, logger: this.logger });
    const close = this.later(() => app.close());
    await app.listen();
    return { app, server, close };
  }

  /** A WarrenClient, connected when this resolves. */
  async client(options: WarrenClientOptions = {}): Promise<WarrenClient> {
    const client = new WarrenClient({ urls: [this.url()], reconnect: FAST_RECONNECT, ...options });
    this.later(() => client.close());
    await client.connect();
    return client;
  }

  /** Closes everything, newest first (clients before the services they talk to, all before the broker). */
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}
