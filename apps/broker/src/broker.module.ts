import { Module, type DynamicModule } from '@nestjs/common';
import { BrokerService } from './broker.service.js';
import { BROKER_CONFIG } from './broker.tokens.js';
import type { BrokerConfig } from '@app/server';

/** The broker application: configuration and the broker lifecycle. */
@Module({})
export class BrokerModule {
  /** Builds the module for a given configuration. */
  static forConfig(config: BrokerConfig): DynamicModule {
    return {
      module: BrokerModule,
      providers: [{ provide: BROKER_CONFIG, useValue: config }, BrokerService],
      exports: [BrokerService],
    };
  }
}
