// Quick start for Warren's Nest transport (docs/transport.md embeds this file; a test runs it).
// Run: node --import ./test/support/register-ts.mjs libs/transport/examples/quick-start.ts [amqp-url]
import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { WarrenClient, WarrenContext, WarrenModule, WarrenServer } from '@app/transport';

// ---- the billing service: a Nest microservice in consumer group "billing" ----

@Injectable()
export class Ledger {
  readonly lines: string[] = [];
}

@Controller()
export class BillingController {
  constructor(private readonly ledger: Ledger) {}

  /** Every `order.<anything>` event; acked when this returns, retried (then dead-lettered) if it throws. */
  @EventPattern<string>('order.*')
  onOrder(@Payload() order: { id: string; total: number }, @Ctx() ctx: WarrenContext): void {
    this.ledger.lines.push(`${ctx.getPattern()} ${order.id} ${order.total}`);
  }

  /** A request: the return value is the reply. */
  @MessagePattern('invoice.total')
  total(@Payload() amounts: number[]): number {
    if (amounts.some((amount) => amount < 0)) throw new RpcException('negative amount');
    return amounts.reduce((sum, amount) => sum + amount, 0);
  }
}

@Module({ controllers: [BillingController], providers: [Ledger] })
export class BillingModule {}

// ---- the shop: any Nest app, with an injectable WarrenClient ----

@Injectable()
export class Checkout {
  constructor(private readonly warren: WarrenClient) {}

  /** Resolves once the broker has confirmed the event. */
  async placeOrder(id: string, amounts: number[]): Promise<number> {
    const total = await firstValueFrom(this.warren.send<number>('invoice.total', amounts));
    await lastValueFrom(this.warren.emit('order.created', { id, total }));
    return total;
  }
}

/** Starts billing and the shop against `url`, places an order, and returns what happened. */
export async function runQuickStart(url: string): Promise<{ total: number; ledger: Ledger; close: () => Promise<void> }> {
  const billing = await NestFactory.createMicroservice(BillingModule, {
    strategy: new WarrenServer({ urls: [url], group: 'billing', retry: { maxRetries: 3, initialDelayMs: 1000 } }),
    logger: ['error', 'warn'],
  });
  await billing.listen();

  @Module({ imports: [WarrenModule.forRoot({ urls: [url], timeoutMs: 5000 })], providers: [Checkout] })
  class ShopModule {}
  const shop = await NestFactory.createApplicationContext(ShopModule, { logger: ['error', 'warn'] });

  const total = await shop.get(Checkout).placeOrder('o-1', [10, 32]);
  return {
    total,
    ledger: billing.get(Ledger),
    close: async () => {
      await shop.close();
      await billing.close();
    },
  };
}

if (process.argv[1]?.endsWith('quick-start.ts')) {
  const { total, ledger, close } = await runQuickStart(process.argv[2] ?? 'amqp://guest:guest@localhost:5672');
  console.log(`total ${total}`);
  while (ledger.lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  console.log(`billing saw: ${ledger.lines.join(', ')}`);
  await close();
}
