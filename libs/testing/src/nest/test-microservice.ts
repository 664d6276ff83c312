import type { DynamicModule, INestMicroservice, LoggerService, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WarrenServer, type WarrenServerOptions } from '@app/transport';
import type { TestBroker } from '../test-broker.js';

/** Reconnection delays for tests: a broker restarted by a test is found again in milliseconds, not seconds. */
export const TEST_RECONNECT = { initialDelayMs: 20, maxDelayMs: 250, factor: 2, jitter: 0.2 };

/** Nest log output of test apps: errors only by default, so a passing run prints nothing. */
export type TestLogger = LoggerService | LogLevel[] | false;

/** How to build a test microservice: WarrenServer options without `urls` (the test broker's), plus Nest's. */
export interface TestMicroserviceOptions extends Omit<WarrenServerOptions, 'urls'> {
  /** The broker to connect to. */
  broker: TestBroker;
  /** Nest's logger for the app; default `['error']`. */
  logger?: TestLogger;
}

/** A listening Nest microservice on a WarrenServer connected to the test broker. */
export interface TestMicroservice {
  app: INestMicroservice;
  server: WarrenServer;
  /** The consumer group it joined. */
  group: string;
  /** Closes the app (drains in-flight handlers, then disconnects). Idempotent; `broker.close()` calls it too. */
  close(): Promise<void>;
}

/**
 * Builds a Nest microservice from `module` on Warren's transport, connected to `options.broker`, and resolves
 * once it is listening: its group's queues are declared, bound and consumed. Tests default to fast reconnects
 * and a 1 s shutdown drain. The app is closed by `broker.close()` (before the broker) if the test does not
 * close it first.
 */
export async function createTestMicroservice(module: Type | DynamicModule, options: TestMicroserviceOptions): Promise<TestMicroservice> {
  const { broker, logger = ['error'], ...serverOptions } = options;
  const server = new WarrenServer({ reconnect: TEST_RECONNECT, shutdownTimeoutMs: 1_000, ...serverOptions, urls: [broker.url] });
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= app.close());
  broker.closeWithBroker(close);
  await app.listen();
  return { app, server, group: server.group, close };
}

/**
 * Starts `count` instances of the same app in one consumer group, one after another (each is a separate Nest
 * app with its own providers), for load-balancing tests: they compete for the group's queues.
 */
export async function createTestMicroservices(
  module: Type | DynamicModule,
  count: number,
  options: TestMicroserviceOptions,
): Promise<TestMicroservice[]> {
  const instances: TestMicroservice[] = [];
  for (let i = 0; i < count; i++) instances.push(await createTestMicroservice(module, options));
  return instances;
}
