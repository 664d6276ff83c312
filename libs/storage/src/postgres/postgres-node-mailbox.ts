import { createHash } from 'node:crypto';
import type pg from 'pg';
import { checkMessageRecord } from '../message-record.js';
import type { NodeMail, NodeMailbox } from '../node-mailbox.js';
import { storageErrorFrom } from '../storage-error.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText } from './postgres-errors.js';
import type { PostgresTables } from './postgres-schema.js';
import type { PostgresWriteGroup } from './postgres-write-group.js';
import { PostgresListener } from './postgres-listener.js';

/** The NOTIFY channel on which a node announces it joined; the payload names the schema. */
export const NODE_JOINED_CHANNEL = 'warren_node_joined';

/** Mail of one transaction, in send order (inserted with one statement). */
interface MailRows {
  readonly targets: string[];
  readonly vhosts: string[];
  readonly data: Buffer[];
  /** NULL for direct reply-to responses. */
  readonly queues: Array<string | null>;
}

/**
 * The NOTIFY channel of node `name`'s mail in `schema`: one per node, so a node wakes for its own mail only. A hash,
 * because a channel is an identifier of at most 63 bytes and node names are longer and hold `@` and `.`.
 */
export function nodeMailChannel(schema: string, name: string): string {
  return `warren_mail_${createHash('sha256').update(`${schema}/${name}`).digest('hex').slice(0, 32)}`;
}

/**
 * {@link NodeMailbox} over `warren_node_mail` (UNLOGGED). Sends join the database's group commit (one insert for
 * all the mail of a transaction, and one `NOTIFY` per target node, which PostgreSQL delivers at commit); the
 * target takes its mail with one `DELETE … RETURNING`, so each mail is taken once.
 */
export class PostgresNodeMailbox implements NodeMailbox {
  private readonly listener: PostgresListener;

  constructor(
    private readonly database: PostgresDatabase,
    readonly nodeName: string,
  ) {
    this.listener = new PostgresListener(database, 'warren-mail', 'of node mail');
  }

  private get tables(): PostgresTables {
    return this.database.tables;
  }

  send(target: string, vhost: string, data: Buffer, queue?: string): Promise<void> {
    let group: PostgresWriteGroup;
    try {
      // Throws while the store is faulted or reopening: the reply is not handed over (a publisher's nack).
      group = this.database.beginWrite();
    } catch (error) {
      return Promise.reject(storageErrorFrom(error, 'cannot hand mail to another node', this.database.location));
    }
    const rows = group.appendTo<MailRows>('node-mail', () => {
      const rows: MailRows = { targets: [], vhosts: [], data: [], queues: [] };
      return { rows, step: (client) => this.insert(client, rows) };
    });
    rows.targets.push(target);
    rows.vhosts.push(encodeText(vhost));
    rows.data.push(data);
    rows.queues.push(queue === undefined ? null : encodeText(queue));
    group.bytes += data.length;
    return group.done;
  }

  private async insert(client: pg.ClientBase, rows: MailRows): Promise<void> {
    const t = this.tables;
    // ORDINALITY: ids in send order, so one sender's replies to one requester arrive in the order published.
    await client.query(
      `INSERT INTO ${t.nodeMail} (target, vhost, data, queue)
       SELECT target, vhost, data, queue FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[])
         WITH ORDINALITY AS x(target, vhost, data, queue, n) ORDER BY n`,
      [rows.targets, rows.vhosts, rows.data, rows.queues],
    );
    for (const target of new Set(rows.targets)) await client.query('SELECT pg_notify($1, $2)', [nodeMailChannel(t.schema, target), '']);
  }

  async take(limit: number): Promise<NodeMail[]> {
    const t = this.tables;
    // SKIP LOCKED: a second take running at once (never on purpose) passes over rows the first one holds.
    const { rows } = await this.database.query<{ id: string; vhost: string; data: Buffer; queue: string | null }>(
      `DELETE FROM ${t.nodeMail} WHERE id IN (
         SELECT id FROM ${t.nodeMail} WHERE target = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, vhost, data, queue`,
      [this.nodeName, limit],
    );
    rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const mail: NodeMail[] = [];
    // A damaged record is never delivered (direct reply-to is at most once: dropping it is the failure mode).
    for (const row of rows) {
      if (checkMessageRecord(row.data) !== undefined) continue;
      const vhost = decodeText(row.vhost);
      mail.push(row.queue === null ? { vhost, data: row.data } : { vhost, data: row.data, queue: decodeText(row.queue) });
    }
    return mail;
  }

  async dropOrphans(): Promise<number> {
    const t = this.tables;
    const { rowCount } = await this.database.query(
      `DELETE FROM ${t.nodeMail} m WHERE NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.name = m.target)`,
    );
    return rowCount ?? 0;
  }

  async listen(onMail: () => void, onJoined: () => void, onLost: (error: Error) => void): Promise<void> {
    const schema = this.tables.schema;
    const own = nodeMailChannel(schema, this.nodeName);
    await this.listener.start(
      [own, NODE_JOINED_CHANNEL],
      (channel, payload) => {
        if (channel === own) onMail();
        else if (channel === NODE_JOINED_CHANNEL && payload === schema) onJoined();
      },
      onLost,
      // Other nodes refresh the nodes they relay to now, rather than at their next heartbeat.
      (client) => client.query('SELECT pg_notify($1, $2)', [NODE_JOINED_CHANNEL, schema]),
    );
  }

  async close(): Promise<void> {
    await this.listener.close();
  }
}
