import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ManagementClient, type ManagementAuth } from '../broker-client/management.client.js';

interface BrokerHealth {
  status: 'ok' | 'failed';
  reason?: string;
}

/** Terminus indicators backed by the broker's health RPCs (asked over AMQP, so "up" also proves the link works). */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly management: ManagementClient,
    private readonly health: HealthIndicatorService,
  ) {}

  /** Down while a memory or disk alarm blocks publishers. */
  alarms(auth: ManagementAuth): Promise<HealthIndicatorResult<'alarms'>> {
    return this.ask('alarms', 'management.health.alarms', auth);
  }

  /** Down when the broker cannot be reached or is not listening. */
  ready(auth: ManagementAuth): Promise<HealthIndicatorResult<'ready-to-serve-clients'>> {
    return this.ask('ready-to-serve-clients', 'management.health.ready', auth);
  }

  private async ask<const Key extends string>(key: Key, pattern: string, auth: ManagementAuth): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    try {
      const result = await this.management.call<BrokerHealth>(pattern, {}, auth);
      return result.status === 'ok' ? session.up() : session.down({ reason: result.reason ?? 'failed' });
    } catch (error) {
      return session.down({ reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
