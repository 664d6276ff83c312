import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { BasicAuthGuard } from './auth/basic-auth.guard.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { PasswordVerifier } from './auth/password-verifier.js';
import { BindingsController } from './bindings/bindings.controller.js';
import { ManagementClient } from './broker-client/management.client.js';
import { RabbitExceptionFilter } from './common/rabbit-exception.filter.js';
import { ADMIN_CONFIG, type AdminConfig } from './config/admin-config.js';
import { ConnectionsController } from './connections/connections.controller.js';
import { DefinitionsController } from './definitions/definitions.controller.js';
import { ExchangesController } from './exchanges/exchanges.controller.js';
import { BrokerHealthIndicator } from './health/broker-health.indicator.js';
import { HealthController } from './health/health.controller.js';
import { OverviewController } from './overview/overview.controller.js';
import { PermissionsController } from './permissions/permissions.controller.js';
import { TopicPermissionsController } from './permissions/topic-permissions.controller.js';
import { QueuesController } from './queues/queues.controller.js';
import { UsersController } from './users/users.controller.js';
import { WhoamiController } from './users/whoami.controller.js';
import { VhostsController } from './vhosts/vhosts.controller.js';

/** The admin API: RabbitMQ-compatible management routes over management RPCs to the broker. */
@Module({})
export class AdminApiModule {
  /** The module for one configuration. */
  static forConfig(config: AdminConfig): DynamicModule {
    return {
      module: AdminApiModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [
        OverviewController,
        ExchangesController,
        QueuesController,
        BindingsController,
        DefinitionsController,
        ConnectionsController,
        HealthController,
        VhostsController,
        UsersController,
        WhoamiController,
        PermissionsController,
        TopicPermissionsController,
      ],
      providers: [
        { provide: ADMIN_CONFIG, useValue: config },
        ManagementClient,
        PasswordVerifier,
        { provide: LoginThrottle, useFactory: () => new LoginThrottle() },
        BrokerHealthIndicator,
        BasicAuthGuard,
        { provide: APP_GUARD, useExisting: BasicAuthGuard },
        { provide: APP_FILTER, useClass: RabbitExceptionFilter },
      ],
    };
  }
}
