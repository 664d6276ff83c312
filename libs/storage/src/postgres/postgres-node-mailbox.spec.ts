import { describe, expect, it } from '@jest/globals';
import { useNodeStorage } from '../../test/support/postgres-node-storage.js';
import { messageRecordOf } from '../message-record.js';

// Mail between nodes (postgres-node-mailbox.ts: direct reply-to across nodes) against a real server.
let schemas = 0;
const stores = useNodeStorage('warren_mailbox_spec');
const open = stores.open;

const record = (text: string): Buffer => messageRecordOf(Buffer.from(text));
const texts = (mail: ReadonlyArray<{ data: Buffer }>): string[] => mail.map((m) => m.data.subarray(5).toString());

/** Resolves once `condition` holds, polling every 10 ms; rejects after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PostgreSQL node mailbox', () => {
  it('hands mail to its target only, in send order, once, in one transaction per group', async () => {
    const schema = `mail_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    const c = await open(schema, 'warren@c');
    const before = a.database.committedBatches;
    // One event-loop turn: one group commit, whatever the targets and vhosts.
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => a.mailbox!.send('warren@b', '/', record(`b${i}`))),
      a.mailbox!.send('warren@c', 'v\0%', record('c0')),
    ]);
    expect(a.database.committedBatches - before).toBe(1);
    const forB = await b.mailbox!.take(500);
    expect(texts(forB)).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    expect(new Set(forB.map((m) => m.vhost))).toEqual(new Set(['/']));
    expect(await b.mailbox!.take(500)).toEqual([]);
    const forC = await c.mailbox!.take(1);
    expect(forC).toEqual([{ vhost: 'v\0%', data: record('c0') }]);
  });

  it("carries a target queue for messages routed to another node's queue, in one order with replies, in the same group", async () => {
    const schema = `mail_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    const before = a.database.committedBatches;
    await Promise.all([
      a.mailbox!.send('warren@b', '/', record('q0'), 'cats_queue'),
      a.mailbox!.send('warren@b', '/', record('reply')),
      a.mailbox!.send('warren@b', '/', record('q1'), 'amq.gen-\0%'),
    ]);
    expect(a.database.committedBatches - before).toBe(1);
    expect(await b.mailbox!.take(10)).toEqual([
      { vhost: '/', data: record('q0'), queue: 'cats_queue' },
      { vhost: '/', data: record('reply') },
      { vhost: '/', data: record('q1'), queue: 'amq.gen-\0%' },
    ]);
  });

  it('wakes the target at commit and tells live nodes that a node joined', async () => {
    const schema = `mail_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    let mailForB = 0;
    let joinedHeardByB = 0;
    let mailForA = 0;
    await b.mailbox!.listen(
      () => mailForB++,
      () => joinedHeardByB++,
      () => undefined,
    );
    await a.mailbox!.listen(
      () => mailForA++,
      () => undefined,
      () => undefined,
    );
    await until(() => joinedHeardByB >= 2, "b hearing its own and a's joining");
    await a.mailbox!.send('warren@b', '/', record('wake'));
    await until(() => mailForB === 1, 'the notification of mail for b');
    expect(texts(await b.mailbox!.take(10))).toEqual(['wake']);
    expect(mailForA).toBe(0);
  });

  it('drops mail for names no registered node has', async () => {
    const schema = `mail_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    await a.mailbox!.send('warren@b', '/', record('kept'));
    await a.mailbox!.send('warren@gone', '/', record('dropped'));
    expect(await a.mailbox!.dropOrphans()).toBe(1);
    expect(texts(await b.mailbox!.take(10))).toEqual(['kept']);
    // A node that left: its mail goes too.
    await a.mailbox!.send('warren@b', '/', record('late'));
    await b.cluster!.deregister();
    expect(await a.mailbox!.dropOrphans()).toBe(1);
    expect(await b.mailbox!.take(10)).toEqual([]);
  });
});
