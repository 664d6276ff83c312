import type { BrokerCore } from '@app/broker-core';
import type { ClusterNode } from '@app/storage';
import type { BrokerConfig } from '../config/broker-config.js';
import type { AmqpConnection } from '../connection/connection.js';
import type { AlarmState } from '../resource-alarms.js';
import type { StatsSampler } from '../stats/stats-sampler.js';

/**
 * What the management service needs from the running broker. WarrenBroker satisfies it structurally, so the
 * management code does not import the broker class (and the broker imports only the service).
 */
export interface ManagementHost {
  readonly core: BrokerCore;
  readonly alarmState: Readonly<AlarmState>;
  /** The AMQP listener's port, for the overview's listener list. */
  readonly port: number;
  /** The management listener's port (the admin API's link); optional for hosts made by unit tests. */
  readonly managementPort?: number;
  /** The amqps listener's port, undefined without one. */
  readonly amqpsPort?: number;
  /** The Prometheus listener's port, undefined without one. */
  readonly metricsPort?: number;
  /** The memory alarm's threshold in bytes (`/api/nodes`' `mem_limit`); optional for unit tests' hosts. */
  readonly memoryLimitBytes?: number;
  /** The disk alarm's threshold in bytes. */
  readonly diskFreeLimitBytes?: number;
  /** Where free disk space is measured. */
  readonly diskPath?: string;
  /** The settings health checks read (connection limit, certificate files); optional for unit tests' hosts. */
  readonly config?: Pick<BrokerConfig, 'maxConnections' | 'tlsCertFile' | 'tlsCaFile'>;
  /** This node's name (`WARREN_NODE_NAME`); optional for unit tests' hosts (then `warren@<hostname>`). */
  readonly nodeName?: string;
  /** Multi-node mode: the cluster's live nodes (`/api/nodes` lists them all). */
  readonly cluster?: { liveNodes(): Promise<ClusterNode[]> };
  allConnections(): IterableIterator<AmqpConnection>;
  /** Message counters' and queue lengths' histories (`message_stats`, `*_details`). */
  readonly stats: StatsSampler;
}
