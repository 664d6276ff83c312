// Consumer test of @warren-mq/transport in a Nest 11 CommonJS app (scripts/consumer-test.mjs writes it into a temp
// app): two consumer groups and a client that emits and sends, against a broker run by the installed `warren` bin.
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { WarrenClient, WarrenServer } from '@warren-mq/transport';

@Injectable()
class Handled {
  readonly events: string[] = [];
}

@Controller()
class BillingController {
  constructor(private readonly handled: Handled) {}

  @EventPattern('order.*')
  onOrder(@Payload() order: { id: string }): void {
    this.handled.events.push(`billing ${order.id}`);
  }

  @MessagePattern('invoice.total')
  total(@Payload() amounts: number[]): number {
    return amounts.reduce((sum, amount) => sum + amount, 0);
  }
}

@Module({ controllers: [BillingController], providers: [Handled] })
class BillingModule {}

@Controller()
class ShippingController {
  constructor(private readonly handled: Handled) {}

  @EventPattern('order.paid')
  onPaid(@Payload() order: { id: string }): void {
    this.handled.events.push(`shipping ${order.id}`);
  }
}

@Module({ controllers: [ShippingController], providers: [Handled] })
class ShippingModule {}

/** Polls `condition` every 20 ms for up to 10 s. */
async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('@warren-mq/transport in a Nest 11 CommonJS app', () => {
  let warren: ChildProcess;
  let url: string;
  let dataDir: string;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-nest11-'));
    warren = spawn(process.execPath, [process.env.WARREN_BIN!, 'start', '--no-admin-api'], {
      env: {
        ...process.env,
        WARREN_AMQP_PORT: '0',
        WARREN_MANAGEMENT_PORT: '0',
        WARREN_METRICS_PORT: '0',
        WARREN_DATA_DIR: dataDir,
        WARREN_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      warren.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /broker listening on amqp:\/\/\S+:(\d+)/.exec(seen);
        if (match) resolve(`amqp://guest:guest@127.0.0.1:${match[1]}`);
      });
      warren.once('exit', (code) => reject(new Error(`warren exited with ${code}: ${seen}`)));
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    const exited = new Promise((resolve) => warren.once('exit', resolve));
    warren.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads the CommonJS build', () => {
    expect(require.resolve('@warren-mq/transport')).toMatch(/dist[\\/]cjs[\\/]index\.js$/);
  });

  it('delivers events to two consumer groups and answers requests', async () => {
    const start = async (module: unknown, group: string): Promise<INestMicroservice> => {
      const app = await NestFactory.createMicroservice(module as never, {
        strategy: new WarrenServer({ urls: [url], group }),
        logger: ['error'],
      });
      apps.push(app);
      await app.listen();
      return app;
    };
    const billing = await start(BillingModule, 'billing');
    const shipping = await start(ShippingModule, 'shipping');
    const client = new WarrenClient({ urls: [url], timeoutMs: 10_000 });
    await client.connect();
    try {
      await lastValueFrom(client.emit('order.paid', { id: 'o1' }));
      await until(() => billing.get(Handled).events.length === 1 && shipping.get(Handled).events.length === 1);
      expect(billing.get(Handled).events).toEqual(['billing o1']);
      expect(shipping.get(Handled).events).toEqual(['shipping o1']);
      expect(await firstValueFrom(client.send<number>('invoice.total', [20, 22]))).toBe(42);
    } finally {
      await client.close();
    }
  });
});
