import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AdminApiModule } from './admin-api.module.js';
import { ManagementClient } from './broker-client/management.client.js';
import { AmqpNameParamPipe } from './common/amqp-name.js';
import { hardenHttp, JSON_BODY_OPTIONS } from './common/http-hardening.js';
import { findConsoleDir, serveConsole } from './console/console-static.js';
import { ConfigError, readConfigFile } from '@app/config';
import { loadAdminConfig, type AdminConfig } from './config/admin-config.js';

let config: AdminConfig;
let httpsOptions: { cert: Buffer; key: Buffer; minVersion: 'TLSv1.2' } | undefined;
try {
  config = loadAdminConfig(process.env);
  // Read at start-up, so a missing or unreadable file stops the app naming its variable.
  if (config.https) {
    httpsOptions = {
      cert: readConfigFile('WARREN_HTTP_TLS_CERT_FILE', config.https.certFile),
      key: readConfigFile('WARREN_HTTP_TLS_KEY_FILE', config.https.keyFile),
      // As the amqps listener: TLS 1.0 and 1.1 are deprecated (RFC 8996).
      minVersion: 'TLSv1.2',
    };
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A bad variable: say which (the message names it), no stack trace, the broker's exit code.
  process.stderr.write(`Warren admin API: ${error.message}\n`);
  process.exit(2);
}

const app = await NestFactory.create<NestExpressApplication>(AdminApiModule.forConfig(config), {
  logger: ['error', 'warn'],
  bodyParser: false,
  httpsOptions,
});
// Security headers and authentication before any body is read; then the 1 MiB JSON parser. No CORS by default.
hardenHttp(app);
app.useBodyParser('json', JSON_BODY_OPTIONS);
// The web console (apps/console, built by `npm run build`) at `/`, outside `/api/`.
const consoleDir = findConsoleDir();
if (consoleDir) serveConsole(app, consoleDir);
else process.stderr.write('Warren admin API: the web console is not built (npm run build); serving the API only\n');
app.useGlobalPipes(
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
  }),
  new AmqpNameParamPipe(),
);
app.enableShutdownHooks();
const document = SwaggerModule.createDocument(
  app,
  new DocumentBuilder()
    .setTitle('Warren management API')
    .setDescription("RabbitMQ's management HTTP API, served by Warren")
    .addBasicAuth()
    .build(),
);
SwaggerModule.setup('api/docs', app, document);

// `npm start` starts the broker next to us: wait (retrying) until it answers before taking HTTP requests.
await app.get(ManagementClient).waitUntilConnected();
await app.listen(config.port, config.host);
const address = app.getHttpServer().address() as { port: number };
const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
process.stdout.write(`Warren admin API listening on ${httpsOptions ? 'https' : 'http'}://${shownHost}:${address.port}\n`);
