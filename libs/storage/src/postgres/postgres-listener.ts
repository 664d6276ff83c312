import type pg from 'pg';
import type { PostgresDatabase } from './postgres-database.js';

/** What a {@link PostgresListener} hears: the channel and payload of one notification. */
export type NotificationHandler = (channel: string, payload: string | undefined) => void;

/**
 * One dedicated connection that `LISTEN`s on some channels (topology changes, shared queues' wake-ups, node mail):
 * apart from the pool, so a busy write pool never delays a notification, and named by its `application_name` so
 * operators can tell it in `pg_stat_activity`. Its loss (an error, or the server ending it) is reported once to
 * `onLost`; the owner listens again (its heartbeat does) and polls meanwhile.
 */
export class PostgresListener {
  private client: pg.Client | undefined;

  /** `what`: how the loss reads in the error (`of shared queues`, ...). */
  constructor(
    private readonly database: PostgresDatabase,
    private readonly applicationName: string,
    private readonly what: string,
  ) {}

  /** The connection while it listens (a lease renewal may use it too); undefined before, after a loss or close. */
  get connection(): pg.Client | undefined {
    return this.client;
  }

  /**
   * Connects, listens on `channels`, then runs `afterListen` (a first notify, say); on failure the connection is
   * closed and the error thrown.
   */
  async start(
    channels: readonly string[],
    onNotification: NotificationHandler,
    onLost: (error: Error) => void,
    afterListen?: (client: pg.Client) => Promise<unknown>,
  ): Promise<void> {
    const client = await this.database.connectDedicated(this.applicationName);
    client.on('notification', (message) => onNotification(message.channel, message.payload));
    client.on('error', (error: Error) => {
      if (this.client === client) this.client = undefined;
      onLost(error);
    });
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      onLost(new Error(`storage: the PostgreSQL LISTEN connection${this.what ? ` ${this.what}` : ''} ended`));
    });
    try {
      for (const channel of channels) await client.query(`LISTEN ${channel}`);
      await afterListen?.(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  /** Ends the connection (no loss is reported). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
