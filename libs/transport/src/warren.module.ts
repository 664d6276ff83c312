import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency } from '@nestjs/common';
import { WarrenClient } from './warren-client.js';
import { WarrenHealthIndicator } from './warren-health.indicator.js';
import type { WarrenClientOptions } from './warren-options.js';

/** Injection token of the options WarrenModule builds its client from. */
export const WARREN_CLIENT_OPTIONS = Symbol('WARREN_CLIENT_OPTIONS');

/** Options of {@link WarrenModule.forRootAsync}. */
export interface WarrenModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: any[]) => WarrenClientOptions | Promise<WarrenClientOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  /** Make WarrenClient injectable everywhere without importing the module. */
  isGlobal?: boolean;
}

const providers = [
  { provide: WarrenClient, useFactory: (options: WarrenClientOptions) => new WarrenClient(options), inject: [WARREN_CLIENT_OPTIONS] },
  { provide: WarrenHealthIndicator, useFactory: (client: WarrenClient) => new WarrenHealthIndicator(client), inject: [WarrenClient] },
];

/**
 * Provides an injectable `WarrenClient` (closed on application shutdown) and a `WarrenHealthIndicator` for it.
 * `ClientsModule.register([{ name, customClass: WarrenClient, options }])` works as well, for named clients.
 */
@Module({})
export class WarrenModule {
  /** With static options. */
  static forRoot(options: WarrenClientOptions & { isGlobal?: boolean } = {}): DynamicModule {
    const { isGlobal, ...clientOptions } = options;
    return {
      module: WarrenModule,
      global: isGlobal,
      providers: [{ provide: WARREN_CLIENT_OPTIONS, useValue: clientOptions }, ...providers],
      exports: [WarrenClient, WarrenHealthIndicator],
    };
  }

  /** With options from a factory (e.g. ConfigService). */
  static forRootAsync(options: WarrenModuleAsyncOptions): DynamicModule {
    return {
      module: WarrenModule,
      global: options.isGlobal,
      imports: options.imports ?? [],
      providers: [{ provide: WARREN_CLIENT_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, ...providers],
      exports: [WarrenClient, WarrenHealthIndicator],
    };
  }
}
