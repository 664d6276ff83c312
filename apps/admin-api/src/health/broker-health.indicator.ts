import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';

/** The broker's health RPCs. */
type HealthPattern = typeof ManagementPattern.HealthAlarms | typeof ManagementPattern.HealthStorage;

/** Terminus indicators backed by the broker's health RPCs (asked over AMQP, so "up" also proves the link works). */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly management: ManagementClient,
    private readonly health: HealthIndicatorService,
  ) {}

  /** Down while a memory or disk alarm blocks publishers. */
  alarms(auth: ManagementCaller): Promise<HealthIndicatorResult<'alarms'>> {
    return this.ask('alarms', ManagementPattern.HealthAlarms, auth);
  }

  /** Down while stored messages are quarantined (failed checksum) or the store is faulted. */
  storage(auth: ManagementCaller): Promise<HealthIndicatorResult<'storage-integrity'>> {
    return this.ask('storage-integrity', ManagementPattern.HealthStorage, auth);
  }

  private async ask<const Key extends string>(
    key: Key,
    pattern: HealthPattern,
    auth: ManagementCaller,
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    try {
      const result = await this.management.call(pattern, {}, auth);
      return result.status === 'ok' ? session.up() : session.down({ reason: result.reason ?? 'failed' });
    } catch (error) {
      return session.down({ reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
