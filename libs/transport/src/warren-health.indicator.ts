/** Anything whose connection can be checked: a WarrenClient or a WarrenServer. */
export interface WarrenConnectionState {
  readonly isConnected: boolean;
}

/** A terminus-style result: `{ [key]: { status } }`. */
export type WarrenHealthResult<K extends string = string> = Record<K, { status: 'up' | 'down' }>;

/**
 * Health of a Warren connection, shaped like a `@nestjs/terminus` indicator result so that it can be returned
 * from a `HealthCheckService.check([() => indicator.isHealthy('warren')])` callback without adding terminus here.
 * It reports; it does not throw (terminus' `HealthCheckService` marks a `down` status as unhealthy itself).
 */
export class WarrenHealthIndicator {
  constructor(private readonly target: WarrenConnectionState) {}

  /** `up` while connected, `down` while connecting or reconnecting. */
  isHealthy<K extends string = 'warren'>(key: K = 'warren' as K): WarrenHealthResult<K> {
    return { [key]: { status: this.target.isConnected ? 'up' : 'down' } } as WarrenHealthResult<K>;
  }
}
