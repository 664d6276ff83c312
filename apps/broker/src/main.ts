import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BrokerModule } from './broker.module.js';
import { BrokerService } from './broker.service.js';
import { ConfigError, loadConfigFromEnv, type BrokerConfig } from '@app/server';

let config: BrokerConfig;
try {
  config = loadConfigFromEnv(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`Warren broker: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

let app: INestApplicationContext;
try {
  // createApplicationContext runs the lifecycle hooks, so storage recovery and listening happen in here.
  app = await NestFactory.createApplicationContext(BrokerModule.forConfig(config), { logger: false, abortOnError: false });
} catch (error) {
  // A TLS file that is missing or not PEM is a configuration error like a bad value: the same exit code.
  if (error instanceof ConfigError) {
    process.stderr.write(`Warren broker: ${error.message}\n`);
    process.exit(2);
  }
  // A locked, foreign or damaged data directory, or a busy port: say so plainly (naming it), no stack trace.
  process.stderr.write(`Warren broker: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const broker = app.get(BrokerService).broker;
// Multi-node: a node whose lease is lost has stopped serving; exit non-zero so a supervisor restarts it.
broker.onStopped = (reason, closed) => {
  process.stderr.write(`Warren broker: ${reason.message}\n`);
  void closed.finally(() => process.exit(1));
  // Closing waits for writes in flight, which a partition can hold for long: the listeners are closed already.
  setTimeout(() => process.exit(1), 10_000).unref();
};
const shown = (host: string | undefined): string => (host === undefined ? '0.0.0.0' : host.includes(':') ? `[${host}]` : host);
process.stdout.write(`Warren management listener on amqp://${shown(config.managementHost)}:${broker.managementPort}\n`);
if (broker.metricsPort !== undefined)
  process.stdout.write(`Warren Prometheus metrics on http://${shown(config.metricsHost)}:${broker.metricsPort}/metrics\n`);
if (broker.amqpsPort !== undefined)
  process.stdout.write(`Warren broker listening on amqps://${shown(config.amqpsHost)}:${broker.amqpsPort}\n`);
process.stdout.write(`Warren broker listening on amqp://${shown(config.host)}:${broker.port}\n`);

let isStopping = false;
async function stop(signal: string): Promise<void> {
  if (isStopping) return;
  isStopping = true;
  broker.logger.info({ signal }, 'closing client connections');
  await app.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
