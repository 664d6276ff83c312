import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { METADATA_KINDS, type MetadataStore } from '../../src/metadata-store.js';
import type { MetadataStoreFactory, MetadataStoreHarness } from './conformance-harness.js';

/** Registers the MetadataStore conformance cases under `describe(name)`. */
export function describeMetadataStoreConformance(name: string, factory: MetadataStoreFactory): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let harness: MetadataStoreHarness;
    let store: MetadataStore;

    beforeEach(async () => {
      harness = await factory.create();
      store = await harness.open();
    });
    afterEach(async () => {
      await harness.dispose();
    });

    async function restart(): Promise<void> {
      if (!factory.persistent) return;
      await store.close();
      store = await harness.open();
    }

    const summary = async (): Promise<string[]> => (await store.load()).map((r) => `${r.kind}:${r.key}=${r.value.toString()}`);

    it('round-trips records grouped by kind in replay order, keys in byte order', async () => {
      await store.apply([
        { type: 'put', kind: 'binding', key: 'x->q', value: Buffer.from('b1') },
        { type: 'put', kind: 'queue', key: 'v/q2', value: Buffer.from('q2') },
        { type: 'put', kind: 'queue', key: 'v/q1', value: Buffer.from('q1') },
        { type: 'put', kind: 'exchange', key: 'v/x!y', value: Buffer.from('x') },
        { type: 'put', kind: 'vhost', key: '/', value: Buffer.from('v') },
        { type: 'put', kind: 'user', key: 'guest', value: Buffer.from('u') },
        { type: 'put', kind: 'topic-permission', key: 'guest/x', value: Buffer.from('t') },
        { type: 'put', kind: 'permission', key: 'guest/', value: Buffer.from('p') },
        { type: 'put', kind: 'queue', key: 'v/ü', value: Buffer.from('q3') },
      ]);
      await restart();
      const records = await store.load();
      expect(records.map((r) => r.kind)).toEqual([
        'vhost',
        'user',
        'permission',
        'topic-permission',
        'exchange',
        'queue',
        'queue',
        'queue',
        'binding',
      ]);
      expect(await summary()).toEqual([
        'vhost:/=v',
        'user:guest=u',
        'permission:guest/=p',
        'topic-permission:guest/x=t',
        'exchange:v/x!y=x',
        'queue:v/q1=q1',
        'queue:v/q2=q2',
        'queue:v/ü=q3',
        'binding:x->q=b1',
      ]);
      expect(records.every((r) => Buffer.isBuffer(r.value))).toBe(true);
      expect(METADATA_KINDS).toEqual(['vhost', 'user', 'permission', 'topic-permission', 'exchange', 'queue', 'binding']);
    });

    it('overwrites, deletes, and applies ops of one call in order', async () => {
      await store.apply([
        { type: 'put', kind: 'queue', key: 'a', value: Buffer.from('1') },
        { type: 'put', kind: 'queue', key: 'b', value: Buffer.from('1') },
        { type: 'put', kind: 'exchange', key: 'a', value: Buffer.from('x') },
      ]);
      await store.apply([
        { type: 'put', kind: 'queue', key: 'a', value: Buffer.from('2') },
        { type: 'del', kind: 'queue', key: 'b' },
        { type: 'del', kind: 'queue', key: 'missing' },
        { type: 'put', kind: 'queue', key: 'c', value: Buffer.from('3') },
        { type: 'del', kind: 'queue', key: 'c' },
      ]);
      await restart();
      expect(await summary()).toEqual(['exchange:a=x', 'queue:a=2']);
    });

    it('rejects a call with an invalid op and applies none of it', async () => {
      await expect(
        store.apply([
          { type: 'put', kind: 'queue', key: 'a', value: Buffer.from('1') },
          { type: 'put', kind: 'shovel' as 'queue', key: 'b', value: Buffer.from('1') },
        ]),
      ).rejects.toBeInstanceOf(TypeError);
      expect(await store.load()).toEqual([]);
      await expect(store.apply([])).resolves.toBeUndefined();
    });

    it('rejects use after close with CLOSED', async () => {
      await store.close();
      await expect(store.load()).rejects.toMatchObject({ code: 'CLOSED' });
      await expect(store.apply([{ type: 'del', kind: 'queue', key: 'a' }])).rejects.toMatchObject({ code: 'CLOSED' });
    });
  });
}
