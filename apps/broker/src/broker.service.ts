import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { openLevelStorage } from '@app/storage/level';
import { BROKER_CONFIG } from './broker.tokens.js';
import type { BrokerConfig } from '@app/server';
import { WarrenBroker } from '@app/server';

/** Nest lifecycle wrapper: starts the broker when the app boots and closes it on shutdown. */
@Injectable()
export class BrokerService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly broker: WarrenBroker;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.broker = new WarrenBroker(config, undefined, (dataDir) => openLevelStorage(dataDir));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.broker.close();
  }
}
