/** The broker-side checks of `management.health.check` (RabbitMQ's `/api/health/checks/<name>`) and their parameters. */
export interface HealthCheckRequest {
  check:
    | 'local-alarms'
    | 'certificate-expiration'
    | 'port-listener'
    | 'protocol-listener'
    | 'virtual-hosts'
    | 'node-is-quorum-critical'
    | 'node-is-mirror-sync-critical'
    | 'is-in-service'
    | 'ready-to-serve-clients'
    | 'below-node-connection-limit'
    | 'metadata-store-initialized'
    | 'metadata-store-initialized-with-data';
  /** `certificate-expiration`: fail for a certificate that expires within this many seconds. */
  within_seconds?: number;
  /** `port-listener`. */
  port?: number;
  /** `protocol-listener`. */
  protocol?: string;
}
