import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import { Auth } from '../auth/basic-auth.guard.js';
import type { ManagementCaller } from '@app/management-contract';
import type { HttpResponse } from '../common/http-types.js';
import { BrokerHealthIndicator } from './broker-health.indicator.js';

/**
 * RabbitMQ's alarms check and Warren's storage-integrity, run through Terminus: 200 `{"status":"ok"}` or 503
 * `{"status":"failed","reason"}` (the other checks are HealthChecksController's).
 */
@ApiTags('health')
@ApiBasicAuth()
@Controller('api/health/checks')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly broker: BrokerHealthIndicator,
  ) {}

  @Get('alarms')
  @HealthCheck()
  alarms(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<unknown> {
    return this.run([() => this.broker.alarms(auth)], response);
  }

  /** Warren's own check: stored messages that failed their checksum are quarantined, or the store is faulted. */
  @Get('storage-integrity')
  @HealthCheck()
  storage(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<unknown> {
    return this.run([() => this.broker.storage(auth)], response);
  }

  private async run(checks: HealthIndicatorFunction[], response: HttpResponse): Promise<unknown> {
    try {
      await this.health.check(checks);
      return { status: 'ok' };
    } catch (error) {
      // Terminus throws 503 with its own body; answer in RabbitMQ's shape instead.
      const details = error instanceof ServiceUnavailableException ? (error.getResponse() as HealthCheckResult).error : undefined;
      const reason = Object.values(details ?? {})
        .map((detail) => String((detail as { reason?: unknown }).reason ?? 'failed'))
        .join('; ');
      response.status(503);
      return { status: 'failed', reason: reason || 'failed' };
    }
  }
}
