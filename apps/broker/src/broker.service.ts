import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BROKER_CONFIG } from './broker.tokens.js';
import type { BrokerConfig } from '@app/server';
import { WarrenBroker } from '@app/server';
import { openDurableStorage } from './open-durable-storage.js';

/** Nest lifecycle wrapper: starts the broker when the app boots and closes it on shutdown. */
@Injectable()
export class BrokerService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly broker: WarrenBroker;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.broker = new WarrenBroker(config, undefined, (dataDir) => openDurableStorage(config, dataDir));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.broker.close();
  }
}
